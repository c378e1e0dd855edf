"""eggls values → lsprotocol types (diagnostics, locations, symbols, edits)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from eggls.analysis.fixes import Edit, Fix
from eggls.analysis.query import SymbolNode
from eggls.analysis.registry import RULES
from eggls.diagnostics import Diagnostic, Severity, Span
from eggls.lsp.positions import Positions

SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error,
            Severity.WARNING: lsp.DiagnosticSeverity.Warning,
            Severity.INFORMATION: lsp.DiagnosticSeverity.Information,
            Severity.HINT: lsp.DiagnosticSeverity.Hint}
SYMBOL_KIND = {"function": lsp.SymbolKind.Function, "variable": lsp.SymbolKind.Variable,
               "label": lsp.SymbolKind.Key, "field": lsp.SymbolKind.Field}

UriOf = Callable[[str], str]


def default_uri(path: str) -> str:
    return from_fs_path(path) or f"file://{path}"


def span_of(d: Diagnostic) -> Span:
    return Span(d.path, d.line, d.column, d.end_line, d.end_column)


def diagnostic(d: Diagnostic, pos: Positions, uri_of: UriOf) -> lsp.Diagnostic:
    rule = RULES.get(d.code)
    related = [lsp.DiagnosticRelatedInformation(
        lsp.Location(uri_of(r.path), pos.range(Span(r.path, r.line, r.column, r.line,
                                                    r.column))), r.message)
        for r in d.related]
    data: dict[str, object] = {"basis": d.basis}
    if d.wrapper is not None:
        data["wrapper"] = {"symbol": d.wrapper[0], "address": d.wrapper[1]}
    return lsp.Diagnostic(
        range=pos.range(span_of(d)), message=d.message, severity=SEVERITY[d.severity],
        code=d.code,
        code_description=lsp.CodeDescription(href=rule.anchor) if rule is not None else None,
        source="eggls",
        tags=[lsp.DiagnosticTag.Unnecessary] if d.code == "EGG010" else None,
        related_information=related or None, data=data)


def location(span: Span, pos: Positions, uri_of: UriOf) -> lsp.Location:
    return lsp.Location(uri_of(span.path), pos.range(span))


def document_symbol(node: SymbolNode, pos: Positions) -> lsp.DocumentSymbol:
    rng = pos.range(node.range)
    sel = pos.range(node.selection)
    # The selection must lie inside the range (clients reject the symbol otherwise).
    if (sel.start.line, sel.start.character) < (rng.start.line, rng.start.character):
        rng = lsp.Range(sel.start, rng.end)
    if (sel.end.line, sel.end.character) > (rng.end.line, rng.end.character):
        rng = lsp.Range(rng.start, sel.end)
    return lsp.DocumentSymbol(
        name=node.name, kind=SYMBOL_KIND[node.kind], range=rng, selection_range=sel,
        detail=node.detail or None,
        children=[document_symbol(c, pos) for c in node.children] or None)


def workspace_symbol(node: SymbolNode, pos: Positions, uri_of: UriOf) -> lsp.WorkspaceSymbol:
    return lsp.WorkspaceSymbol(location=location(node.selection, pos, uri_of), name=node.name,
                               kind=SYMBOL_KIND[node.kind],
                               container_name=node.container or None)


def workspace_edit(edits: Sequence[Edit], pos: Positions, uri_of: UriOf) -> lsp.WorkspaceEdit:
    changes: dict[str, list[lsp.TextEdit]] = {}
    for e in edits:
        changes.setdefault(uri_of(e.path), []).append(lsp.TextEdit(pos.range(e.span), e.text))
    return lsp.WorkspaceEdit(changes=changes)


def code_action(fix: Fix, diag: lsp.Diagnostic, pos: Positions,
                uri_of: UriOf) -> lsp.CodeAction:
    return lsp.CodeAction(title=fix.title, kind=lsp.CodeActionKind.QuickFix,
                          diagnostics=[diag], is_preferred=fix.preferred or None,
                          edit=workspace_edit(fix.edits, pos, uri_of))


__all__ = ["code_action", "default_uri", "diagnostic", "document_symbol", "location",
           "span_of", "workspace_edit", "workspace_symbol"]
