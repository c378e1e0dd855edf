"""Rendering diagnostics for the CLI: text, the versioned JSON contract, SARIF 2.1.0 and
GitHub workflow annotations; and the rule listings of `--list-rules` and `--explain`."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterable
from pathlib import PurePath
from urllib.parse import quote

from eggls import __version__
from eggls.analysis.registry import RULES, Rule
from eggls.diagnostics import Diagnostic, Fault, Severity

JSON_VERSION = 1


def display_path(path: str, cwd: str | None = None) -> str:
    """Relative to the current directory, with `/` separators."""
    cwd = cwd or os.getcwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diags), key=lambda d: (display_path(d.path), d.line, d.column, d.code,
                                             d.end_line, d.end_column, d.message))


def render_text(diags: list[Diagnostic]) -> str:
    return "".join(
        f"{display_path(d.path)}:{d.line}:{d.column}: {d.severity.value}: {d.message} [{d.code}]\n"
        for d in diags)


def fault_json(f: Fault) -> dict[str, object]:
    """`{"vector", "symbol", "address", "offset", "instruction", "when"}`, plus `cr2` for #PF."""
    out: dict[str, object] = {"vector": f.vector, "symbol": f.symbol, "address": f.address,
                              "offset": f.offset, "instruction": f.instruction, "when": f.when}
    if f.cr2 is not None:
        out["cr2"] = f.cr2
    return out


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    out: dict[str, object] = {
        "path": display_path(d.path),
        "line": d.line,
        "column": d.column,
        "end_line": d.end_line,
        "end_column": d.end_column,
        "code": d.code,
        "severity": d.severity.value,
        "basis": d.basis,
        "message": d.message,
    }
    if d.related:
        out["related"] = [{"path": display_path(r.path), "line": r.line, "column": r.column,
                           "message": r.message} for r in d.related]
    if d.wrapper is not None:
        out["wrapper"] = {"symbol": d.wrapper[0], "address": d.wrapper[1]}
    if d.fault is not None:
        out["fault"] = fault_json(d.fault)
    return out


def render_json(diags: list[Diagnostic]) -> str:
    doc = {"version": JSON_VERSION, "diagnostics": [diagnostic_json(d) for d in diags]}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


# -- SARIF 2.1.0 ---------------------------------------------------------------------------

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/eggls/eggls"

# SARIF has no "information"/"hint" level; "note" is its lowest level that still shows.
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
                Severity.INFORMATION: "note", Severity.HINT: "note"}


def plain_text(markdown: str) -> str:
    """The registry's explanations use only `code` spans as markdown: drop the backticks."""
    return markdown.replace("`", "")


def artifact_uri(path: str) -> str:
    """A relative URI reference with `/` separators (percent-encoded, as SARIF wants a URI)."""
    rel = display_path(path)
    if os.path.isabs(rel):  # no relative form (another drive): an absolute file URI
        return PurePath(rel).as_uri()
    return quote(rel, safe="/")


def _region(line: int, column: int, end_line: int | None = None,
            end_column: int | None = None) -> dict[str, int] | None:
    # The schema requires every line/column >= 1; omit what is unknown rather than lie.
    if line < 1:
        return None
    region = {"startLine": line}
    if column >= 1:
        region["startColumn"] = column
    if end_line is not None and end_line >= line:
        region["endLine"] = end_line
        if end_column is not None and end_column >= 1 and (end_line > line or end_column >= column):
            region["endColumn"] = end_column
    return region


def _sarif_location(path: str, region: dict[str, int] | None,
                    message: str | None = None) -> dict[str, object]:
    loc: dict[str, object] = {}
    if path:
        physical: dict[str, object] = {"artifactLocation": {"uri": artifact_uri(path)}}
        if region is not None:
            physical["region"] = region
        loc["physicalLocation"] = physical
    if message:
        loc["message"] = {"text": message}
    return loc


def sarif_rule(rule: Rule) -> dict[str, object]:
    text = {"text": plain_text(rule.explanation), "markdown": rule.explanation}
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": dict(text),
        "help": dict(text),
        "helpUri": rule.anchor,
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
    }


def sarif_result(d: Diagnostic, rule_index: int | None) -> dict[str, object]:
    result: dict[str, object] = {"ruleId": d.code}
    if rule_index is not None:  # a code missing from the registry still gets its ruleId
        result["ruleIndex"] = rule_index
    result["level"] = _SARIF_LEVEL[d.severity]
    result["message"] = {"text": d.message}
    result["locations"] = [_sarif_location(
        d.path, _region(d.line, d.column, d.end_line, d.end_column))]
    # relatedLocations must hold unique items (schema: uniqueItems), so drop exact repeats.
    related = [_sarif_location(r.path, _region(r.line, r.column), r.message)
               for r in dict.fromkeys(d.related)]
    if related:
        result["relatedLocations"] = related
    props: dict[str, object] = {"basis": d.basis}
    if d.wrapper is not None:
        props["wrapper"] = {"symbol": d.wrapper[0], "address": d.wrapper[1]}
    if d.fault is not None:
        props["fault"] = fault_json(d.fault)
    result["properties"] = props
    return result


def sarif_log(diags: Iterable[Diagnostic]) -> dict[str, object]:
    rules = sorted(RULES.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    driver = {
        "name": "eggls",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [sarif_rule(r) for r in rules],
    }
    run = {
        "tool": {"driver": driver},
        # Our columns count Unicode characters; SARIF's default is UTF-16 code units.
        "columnKind": "unicodeCodePoints",
        "results": [sarif_result(d, index.get(d.code)) for d in sort_diagnostics(diags)],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(diags: list[Diagnostic]) -> str:
    return json.dumps(sarif_log(diags), indent=2) + "\n"


# -- GitHub workflow commands ----------------------------------------------------------------

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
                 Severity.INFORMATION: "notice", Severity.HINT: "notice"}


def github_escape_data(s: str) -> str:
    """As @actions/core escapes a command's message."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(s: str) -> str:
    """As @actions/core escapes a property value: `:` and `,` would end it early."""
    return github_escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github_annotation(d: Diagnostic) -> str:
    props: list[tuple[str, object]] = [("file", display_path(d.path)), ("line", d.line)]
    if d.end_line == d.line:
        props += [("col", d.column), ("endLine", d.end_line), ("endColumn", d.end_column)]
    elif d.end_line > d.line:  # GitHub rejects col/endColumn on a multi-line range
        props.append(("endLine", d.end_line))
    props.append(("title", d.code))
    # Annotations have no related-location field: list them on extra message lines.
    message = "\n".join([d.message, *(f"{display_path(r.path)}:{r.line}:{r.column}: {r.message}"
                                      for r in d.related)])
    head = ",".join(f"{k}={github_escape_property(str(v))}" for k, v in props)
    return f"::{_GITHUB_LEVEL[d.severity]} {head}::{github_escape_data(message)}\n"


def render_github(diags: list[Diagnostic]) -> str:
    return "".join(github_annotation(d) for d in diags)


# -- dispatch and rule listings ---------------------------------------------------------------

RENDERERS: dict[str, Callable[[list[Diagnostic]], str]] = {
    "text": render_text, "json": render_json, "sarif": render_sarif, "github": render_github,
}
FORMATS = tuple(RENDERERS)


def render(diags: list[Diagnostic], fmt: str) -> str:
    return RENDERERS[fmt](diags)


def rule_list(rules: Iterable[Rule]) -> str:
    """`--list-rules`: one line per rule, sorted by code."""
    width = max(len(s.value) for s in Severity)
    return "".join(f"{r.code}  {r.severity.value:<{width}}  {r.summary}\n"
                   for r in sorted(rules, key=lambda r: r.code))


def rule_explanation(rule: Rule, width: int = 79) -> str:
    """`--explain CODE`: the registry's one explanation, wrapped for a terminal."""
    body = textwrap.fill(rule.explanation, width=width, break_long_words=False,
                         break_on_hyphens=False)
    return (f"{rule.code} {rule.name}\n"
            f"default severity: {rule.severity.value}\n"
            f"{rule.summary}\n\n"
            f"{body}\n\n"
            f"{rule.anchor}\n")
