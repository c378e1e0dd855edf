"""Quick fixes for diagnostics, as text edits (model positions: 1-based lines, 1-based
Unicode-character columns, end exclusive; an insertion has an empty span):

- every finding in a .s/.go file: insert `// eggls:ignore CODE reason` on the line above;
  an unused ignore (EGG010): remove it;
- EGG003/EGG004 (Go takes the address of an asm function): an asm helper
  `TEXT ·addrOfX(SB), NOSPLIT, $0-8` returning `$·x(SB)` (the ABI0 body on every Go
  version) with its Go declaration, and the idiom rewritten to call it; for a table
  (`FuncPC(vectors[i])`), an asm table of the bodies' addresses and `vectorsAddrs()[i]`;
- EGG001/EGG002 (asm calls Go before SSE / the FS base is set up): where an argument-less asm
  function of the package establishes that fact and returns, a `CALL` of it before the first
  Go call of the function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from eggls.analysis.codeaddr import CodeAddress
from eggls.analysis.context import RuleContext
from eggls.analysis.initstate import FS, SSE, TOP, Site, analyse
from eggls.analysis.program import Func, Package, Program
from eggls.diagnostics import Diagnostic, Span

TextOf = Callable[[str], str | None]
IGNORE_REASON = "reason: explain why this is safe"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Edit:
    path: str
    span: Span  # replaced range; empty for an insertion
    text: str


@dataclass
class Fix:
    title: str
    diagnostic: Diagnostic
    edits: list[Edit] = field(default_factory=list)
    preferred: bool = False


def _insert(path: str, line: int, col: int, text: str) -> Edit:
    return Edit(path, Span(path, line, col, line, col), text)


def _lines(text_of: TextOf, path: str) -> list[str]:
    text = text_of(path)
    return text.split("\n") if text is not None else []


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _insert_after_line(path: str, lines: list[str], line: int, text: str) -> Edit:
    """Insert whole lines (text ends with a newline) after 1-based line `line`."""
    if line < len(lines):
        return _insert(path, line + 1, 1, text)
    # `line` is the last line and has no newline: start one.
    tail = lines[line - 1] if 1 <= line <= len(lines) else ""
    return _insert(path, max(line, 1), len(tail) + 1, "\n" + text.rstrip("\n"))


# -- eggls:ignore -------------------------------------------------------------------------------

def ignore_fix(d: Diagnostic, text_of: TextOf) -> Fix | None:
    if not d.path.endswith((".s", ".go")):
        return None  # module-level findings sit on go.mod, where no comment suppresses them
    lines = _lines(text_of, d.path)
    if not 1 <= d.line <= len(lines):
        return None
    indent = _indent(lines[d.line - 1])
    text = f"{indent}// eggls:ignore {d.code} {IGNORE_REASON}\n"
    return Fix(f"Suppress {d.code} here (// eggls:ignore)", d, [_insert(d.path, d.line, 1, text)])


def remove_ignore_fix(d: Diagnostic, text_of: TextOf) -> Fix | None:
    """EGG010: delete the unused `// eggls:ignore` (its whole line when nothing else is on
    it)."""
    lines = _lines(text_of, d.path)
    if not 1 <= d.line <= len(lines):
        return None
    line = lines[d.line - 1]
    start = d.column - 1  # the `//` of the comment
    if not line[:start].strip():
        span = Span(d.path, d.line, 1, d.line + 1, 1) if d.line < len(lines) else \
            Span(d.path, d.line, 1, d.line, len(line) + 1)
    else:
        keep = len(line[:start].rstrip())
        span = Span(d.path, d.line, keep + 1, d.line, len(line) + 1)
    return Fix("Remove the unused eggls:ignore comment", d, [Edit(d.path, span, "")],
               preferred=True)


# -- taking the address in asm ------------------------------------------------------------------

def _unique(prog: Program, pkg: Package, base: str) -> str:
    name = base
    n = 2
    while prog.resolve(pkg, name) is not None:
        name = f"{base}{n}"
        n += 1
    return name


def _takes_address_of(f: Func | None, target: str) -> bool:
    """Is f an asm helper that already returns $target(SB)?"""
    if f is None or f.flow is None or f.text is None:
        return False
    return any(sym.name == target for _, sym in f.flow.code_refs) and \
        (f.text.arg_size or 0) == 8


def _textflag_edit(prog: Program, asm_path: str, text_of: TextOf) -> list[Edit]:
    pkg = prog.package_of(asm_path)
    af = next((a for a in pkg.asm if a.path == asm_path), None) if pkg else None
    if af is None or any(p.endswith("textflag.h") for p in af.includes):
        return []
    lines = _lines(text_of, asm_path)
    at = next((i + 1 for i, ln in enumerate(lines)
               if ln.strip() and not ln.lstrip().startswith("//")), len(lines) + 1)
    return [_insert(asm_path, at, 1, '#include "textflag.h"\n\n')]


def _unused_import_edit(site_kind: str, go_path: str, site: Span, text_of: TextOf,
                        prog: Program) -> list[Edit]:
    """`reflect` becomes unused when its only use was the rewritten idiom: drop the import
    (the Go compiler rejects unused imports)."""
    if site_kind != "reflect":
        return []
    lines = _lines(text_of, go_path)
    pkg = prog.package_of(go_path)
    gf = next((g for g in pkg.go if g.path == go_path), None) if pkg else None
    imp = next((i for i in gf.imports if i.path == "reflect"), None) if gf else None
    if imp is None:
        return []
    name = imp.name
    uses = 0
    for no, line in enumerate(lines, 1):
        code = line.split("//", 1)[0]
        if site.line <= no <= site.end_line:
            code = code[: site.col - 1] if no == site.line else ""
        uses += len(re.findall(rf"\b{re.escape(name)}\.", code))
    if uses:
        return []
    s = imp.span
    line = lines[s.line - 1]
    if line.strip().startswith("import") and "(" not in line:
        return [Edit(go_path, Span(go_path, s.line, 1, s.line + 1, 1), "")]
    if line.strip() == line[s.col - 1: s.end_col - 1].strip():
        return [Edit(go_path, Span(go_path, s.line, 1, s.line + 1, 1), "")]
    return [Edit(go_path, s, "")]


def _asm_helper_text(helper: str, body: list[str], comment: str) -> str:
    return "\n".join([f"// {comment}", f"TEXT ·{helper}(SB), NOSPLIT, $0-8", *body,
                      "\tMOVQ AX, ret+0(FP)", "\tRET", ""])


def address_fix(ctx: RuleContext, d: Diagnostic, text_of: TextOf) -> Fix | None:
    ca = next((c for c in ctx.code_addresses if c.site.span.path == d.path and
               (c.site.span.line, c.site.span.col) == (d.line, d.column)), None)
    if ca is None:
        return None
    asm = [t for t in ca.targets if t.lang == "asm"]
    if not asm or len(asm) != len(ca.targets):
        return None
    if not ca.via and len(asm) == 1:
        return _single_address_fix(ctx, ca, asm[0], d, text_of)
    if ca.via.startswith("table ") and ca.site.arg.kind == "index":
        return _table_address_fix(ctx, ca, asm, d, text_of)
    return None


def _single_address_fix(ctx: RuleContext, ca: CodeAddress, f: Func, d: Diagnostic,
                        text_of: TextOf) -> Fix | None:
    prog = ctx.prog
    pkg = ca.package
    if f.package != pkg.prefix or f.text is None or f.decl is None or \
            not _IDENT.match(f.local):
        return None
    base = "addrOf" + f.local[0].upper() + f.local[1:]
    existing = prog.resolve(pkg, base)
    edits: list[Edit] = []
    if _takes_address_of(existing, f.name):
        helper = base
    else:
        helper = _unique(prog, pkg, base)
        asm_lines = _lines(text_of, f.path)
        text = _asm_helper_text(helper, [f"\tMOVQ $·{f.local}(SB), AX"],
                                f"func {helper}() uintptr: the address of {f.local}'s body "
                                "(ABI0), taken in asm: from Go it would be the ABIInternal "
                                "wrapper's.")
        edits += _textflag_edit(prog, f.path, text_of)
        edits.append(_insert_after_line(f.path, asm_lines, f.text.end_line, "\n" + text))
        decl = f.decl
        go_lines = _lines(text_of, decl.span.path)
        edits.append(_insert_after_line(decl.span.path, go_lines, decl.span.end_line,
                                        f"func {helper}() uintptr\n"))
    title = (f"Take {f.local}'s address in asm: call the existing {helper}()" if not edits
             else f"Take {f.local}'s address in asm: new helper {helper}()")
    edits.append(Edit(d.path, ca.site.span, f"{helper}()"))
    edits += _unused_import_edit(ca.site.kind, d.path, ca.site.span, text_of, prog)
    return Fix(title, d, edits, preferred=True)


def _table_address_fix(ctx: RuleContext, ca: CodeAddress, targets: list[Func],
                       d: Diagnostic, text_of: TextOf) -> Fix | None:
    prog = ctx.prog
    pkg = ca.package
    arg = ca.site.arg
    var = arg.base or arg.name
    if not var or not arg.text.startswith(var):
        return None
    decl = next((v for gf in pkg.go for v in gf.vars if v.name == var), None)
    if decl is None or decl.composite is None or \
            any(e.key is not None for e in decl.composite.elements):
        return None
    names = pkg.vars_funcs.get(var, [])
    funcs = [prog.resolve(pkg, n) for n in names]
    if not funcs or any(f is None or f.lang != "asm" or f.package != pkg.prefix
                        for f in funcs):
        return None
    helper = _unique(prog, pkg, f"{var}Addrs")
    first = targets[0]
    assert first.text is not None
    n = len(funcs)
    rows = [f"DATA {helper}<>+{8 * i}(SB)/8, $·{f.local}(SB)"  # type: ignore[union-attr]
            for i, f in enumerate(funcs)]
    text = "\n".join([
        f"// {helper}<> holds the bodies' (ABI0) addresses of {var}, in order: taken in asm,",
        "// they are not the ABIInternal wrappers a Go reference yields.",
        *rows, f"GLOBL {helper}<>(SB), RODATA, ${8 * n}", "",
        _asm_helper_text(helper, [f"\tMOVQ ${helper}<>(SB), AX"],
                         f"func {helper}() *[{n}]uintptr")])
    edits = _textflag_edit(prog, first.path, text_of)
    edits.append(_insert_after_line(first.path, _lines(text_of, first.path),
                                    first.text.end_line, "\n" + text))
    go_decl = next((f.decl for f in funcs if f is not None and f.decl is not None), None)
    go_path = go_decl.span.path if go_decl is not None else d.path
    go_line = go_decl.span.end_line if go_decl is not None else decl.span.end_line
    edits.append(_insert_after_line(go_path, _lines(text_of, go_path), go_line,
                                    f"func {helper}() *[{n}]uintptr\n"))
    edits.append(Edit(d.path, ca.site.span, f"{helper}(){arg.text[len(var):]}"))
    edits += _unused_import_edit(ca.site.kind, d.path, ca.site.span, text_of, prog)
    return Fix(f"Take the addresses of {var} in asm: {helper}(){arg.text[len(var):]}", d,
               edits, preferred=True)


# -- set up SSE / the FS base first -------------------------------------------------------------

def _site_at(ctx: RuleContext, d: Diagnostic) -> Site | None:
    for sites in ctx.state.sites.values():
        for s in sites:
            if s.lang == "asm" and s.span.path == d.path and \
                    (s.span.line, s.span.col) == (d.line, d.column):
                return s
    return None


def establishing_functions(ctx: RuleContext, pkg_prefix: str, fact: str,
                           exclude: frozenset[str] = frozenset()) -> list[Func]:
    """Argument-less asm functions of a package that return with `fact` established on every
    path and call no Go function (whose wrapper would need the fact itself)."""
    prog = ctx.prog
    cands = [f for f in prog.funcs.values()
             if f.lang == "asm" and f.package == pkg_prefix and f.text is not None and
             (f.text.arg_size or 0) == 0 and f.name not in exclude and f.flow is not None and
             not any((c := prog.funcs.get(sym.name)) is not None and c.lang == "go"
                     for _, sym, _ in f.flow.calls)]
    if not cands:
        return []
    st = analyse(prog, [f.name for f in cands], [])
    out = []
    for f in cands:
        summ = st.summaries.get(f.name)
        if summ is not None and summ != TOP and fact in summ:
            out.append(f)
    return sorted(out, key=lambda f: (f.path, f.span.line))


def setup_fix(ctx: RuleContext, d: Diagnostic, text_of: TextOf) -> Fix | None:
    fact = {"EGG001": SSE, "EGG002": FS}[d.code]
    site = _site_at(ctx, d)
    if site is None:
        return None
    caller = site.caller
    entries = frozenset(f.name for f in ctx.prog.funcs.values()
                        if "entry" in f.annotations or "interrupt" in f.annotations)
    found = establishing_functions(ctx, caller.package, fact, entries | {caller.name})
    if not found:
        return None
    helper = found[0]
    # Before the first call into Go in the caller's TEXT that lacks the fact.
    first = site
    for s in ctx.state.sites.get(caller.name, ()):
        state = ctx.state.state_at(s)
        if s.lang == "asm" and s.callee.lang == "go" and state is not None and \
                fact not in state and s.index < first.index:
            first = s
    lines = _lines(text_of, first.span.path)
    if not 1 <= first.span.line <= len(lines):
        return None
    indent = _indent(lines[first.span.line - 1]) or "\t"
    what = "SSE" if fact == SSE else "the FS base"
    return Fix(f"Call {helper.local} (sets up {what}) before the first Go call in "
               f"{caller.local}", d,
               [_insert(first.span.path, first.span.line, 1,
                        f"{indent}CALL ·{helper.local}(SB)\n")], preferred=True)


def fixes_for(ctx: RuleContext | None, d: Diagnostic, text_of: TextOf) -> list[Fix]:
    out: list[Fix] = []
    if ctx is not None:
        got: Fix | None = None
        if d.code in ("EGG003", "EGG004"):
            got = address_fix(ctx, d, text_of)
        elif d.code in ("EGG001", "EGG002"):
            got = setup_fix(ctx, d, text_of)
        if got is not None:
            out.append(got)
    if d.code == "EGG010":
        rm = remove_ignore_fix(d, text_of)
        if rm is not None:
            out.append(rm)
    else:
        ig = ignore_fix(d, text_of)
        if ig is not None:
            out.append(ig)
    return out


__all__ = ["Edit", "Fix", "establishing_functions", "fixes_for"]
