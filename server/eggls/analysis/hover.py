"""Hover text: which code a call or a code address really enters (a wrapper or the body), the
wrapper's instructions from the last build (AT&T, as gdb prints them), its effects, the init
state at that point with where each fact gets established, and the explanation of a rule
reported there. Markdown, at most MAX_LINES lines.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from eggls.analysis.codeaddr import CodeAddress
from eggls.analysis.context import RuleContext
from eggls.analysis.initstate import FPU, FS, SSE, G, Site
from eggls.analysis.program import Func
from eggls.analysis.query import JUMPS, Entity, Navigator
from eggls.analysis.registry import RULES
from eggls.analysis.rules.codeaddr_common import leaves
from eggls.analysis.rules.egg007_stack_check import stack_check
from eggls.diagnostics import Diagnostic, Span

MAX_LINES = 40
MAX_LISTING = 12
FACT_NAMES = {SSE: "SSE enabled", FS: "FS base valid", G: "g valid",
              FPU: "interrupted FPU state saved"}
ABI_INTERNAL_TO_ABI0 = "ABIInternal->ABI0"
ABI0_TO_ABI_INTERNAL = "ABI0->ABIInternal"


@dataclass
class HoverInput:
    nav: Navigator
    ctx: RuleContext | None
    diagnostics: Sequence[Diagnostic]


def _inside(span: Span, path: str, line: int, col: int) -> bool:
    if span.path != path:
        return False
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def _where(span: Span, base: str) -> str:
    rel = os.path.relpath(span.path, base) if os.path.isabs(span.path) else span.path
    return f"{rel}:{span.line}"


def _version(ctx: RuleContext) -> str:
    if ctx.facts.build is not None:
        return ctx.facts.build.go_version
    v = ctx.facts.go_version
    return f"Go {v[0]}.{v[1]}" if v else "an unknown Go version"


def _listing(w: object) -> list[str]:
    insns = list(getattr(w, "listing", ()))
    base = getattr(getattr(w, "symbol", None), "address", 0)
    out = ["```gas", f"{w.symbol.name}:"]  # type: ignore[attr-defined]
    for i in insns[:MAX_LISTING]:
        out.append(f"  {i.address:#x} <+{i.address - base}>:\t{i.text}")
    if len(insns) > MAX_LISTING:
        out.append(f"  … {len(insns) - MAX_LISTING} more")
    out.append("```")
    return out


def _effects(w: object) -> str:
    parts = []
    base = w.symbol.address  # type: ignore[attr-defined]
    sse = getattr(w, "sse", None)
    tls = getattr(w, "tls_read", None)
    if sse is not None:
        parts.append(f"SSE `{sse.text}` at +{sse.address - base}")
    else:
        parts.append("no SSE instruction before the target")
    if tls is not None:
        parts.append(f"TLS read `{tls.text}` at +{tls.address - base}")
    else:
        parts.append("no TLS read before the target")
    pushed = getattr(w, "pushed_bytes", None)
    if pushed is not None:
        parts.append(f"pushes {pushed} bytes")
    enters = getattr(w, "enters_by", None)
    if enters:
        parts.append(f"enters by `{enters}`")
    parts.append("stack check" if getattr(w, "stack_check", None) is not None
                 else "no stack check")
    transfer = getattr(w, "transfer", None)
    after = [f"`{x.text}`" for x in (getattr(transfer, "sse_after", None),
                                     getattr(transfer, "tls_after", None)) if x is not None]
    if after:
        parts.append("after the target returns: " + ", ".join(after))
    return "Effects: " + " · ".join(parts)


def _wrapper_section(ctx: RuleContext, f: Func, direction: str) -> list[str]:
    """What enters f across the ABI boundary in this direction."""
    local = f.local
    if not ctx.facts.register_abi:
        return [f"{_version(ctx)} has no register ABI on {ctx.facts.goarch}: no wrapper, "
                f"`{local}` is entered directly."]
    w = ctx.facts.wrapper(f.name)
    if w is not None and w.direction == direction:
        kind = "ABI0→ABIInternal" if direction == ABI0_TO_ABI_INTERNAL else "ABIInternal→ABI0"
        return [f"Enters the {kind} wrapper **`{w.symbol.name}`** at `{w.symbol.address:#x}` "
                f"(build: {_version(ctx)}), which then enters `{w.target.name}`:",
                *_listing(w), _effects(w)]
    if direction == ABI0_TO_ABI_INTERNAL:
        return [f"Enters the ABI0→ABIInternal wrapper **`{f.name}.abi0`** (predicted for "
                f"{_version(ctx)}: no build read): it loads stack arguments into registers, "
                "runs `XORPS X15, X15` and `MOVQ (TLS), R14` (g from FS:-8), then enters "
                f"`{local}`."]
    return [f"Yields the ABIInternal→ABI0 wrapper **`{f.name}`** (predicted for "
            f"{_version(ctx)}: no build read): it pushes at least its return address, `CALL`s "
            f"the body `{f.name}.abi0`, then runs `XORPS X15, X15` and reloads R14."]


def _established(ctx: RuleContext, fact: str, prefer: str | None, base: str) -> str | None:
    est = ctx.state.established_at
    if prefer is not None and (prefer, fact) in est:
        fn = ctx.prog.funcs.get(prefer)
        return f"{_where(est[(prefer, fact)], base)} in {fn.local if fn else prefer}"
    for (fname, f), span in sorted(est.items(), key=lambda kv: (kv[1].path, kv[1].line)):
        if f == fact:
            fn = ctx.prog.funcs.get(fname)
            return f"{_where(span, base)} in {fn.local if fn else fname}"
    return None


def _state_lines(ctx: RuleContext, state: frozenset[str] | None, here: Func,
                 before: frozenset[str], what: str, base: str) -> list[str]:
    if state is None:
        return [f"**Init state {what}**: `{here.local}` is reached from no entry (declare one "
                "with `// eggls:entry` or `entries` in .eggls.toml)."]
    kinds = ctx.state.kinds.get(here.name, set())
    path_kind = " and ".join(sorted(kinds)) or "boot"
    out = [f"**Init state {what}** ({path_kind} path, in `{here.local}`):"]
    facts = [SSE, FS, G] + ([FPU] if "interrupt" in kinds else [])
    for fact in facts:
        name = FACT_NAMES[fact]
        if fact in state:
            if fact in before:
                where = _established(ctx, fact, here.name, base)
                how = f"established at {where}" if where else "established in this function"
            else:
                how = f"holds on every path into `{here.local}`"
            out.append(f"- {name}: **yes** — {how}")
        else:
            where = _established(ctx, fact, None, base)
            if fact == G and where is None:
                how = "only the Go runtime's start-up or `// eggls:sets g` makes g valid"
            elif where is None:
                how = "established nowhere in the module"
            else:
                how = f"not on every path here (established at {where})"
            out.append(f"- {name}: **no** — {how}")
    return out


def _site_of(ctx: RuleContext, caller: Func, path: str, line: int, col: int) -> Site | None:
    for s in ctx.state.sites.get(caller.name, ()):
        if _inside(s.span, path, line, col):
            return s
    return None


def _caller_at(inp: HoverInput, path: str, line: int) -> Func | None:
    nav = inp.nav
    got = nav.asm_file(path)
    if got is not None:
        t = nav.scope_at(got[1], line)
        return nav.prog.funcs.get(t.name) if t is not None else None
    gof = nav.go_file(path)
    if gof is not None:
        pkg, gf = gof
        for fd in gf.funcs:
            if fd.body_span is not None and fd.span.line <= line <= fd.span.end_line:
                return nav.prog.funcs.get(f"{pkg.prefix}.{fd.symbol}")
    return None


def _call_section(inp: HoverInput, ent: Entity, path: str, line: int, col: int,
                  base: str) -> list[str]:
    ctx = inp.ctx
    callee = ent.func
    assert ctx is not None and callee is not None
    from_asm = path.endswith(".s")
    caller = _caller_at(inp, path, line)
    what = f"{ent.operand_of} " if from_asm and ent.operand_of else ""
    kind = {"asm": "asm function", "go": "Go function", "decl": "declared function"}[callee.lang]
    out = [f"**{what}{callee.local}** → {kind} `{callee.name}`", ""]
    if from_asm and callee.lang == "go":
        out += _wrapper_section(ctx, callee, ABI0_TO_ABI_INTERNAL)
    elif from_asm:
        out.append("Asm to asm (ABI0 → ABI0): no wrapper, the body itself is entered.")
    elif callee.lang == "asm":
        out.append(f"A Go call of an asm function calls the body `{callee.name}.abi0` directly "
                   "and re-establishes X15 = 0 and R14 = g after it returns.")
    else:
        out.append("Go to Go (ABIInternal): no wrapper.")
    if caller is not None:
        site = _site_of(ctx, caller, path, line, col)
        state = ctx.state.state_at(site) if site is not None else None
        out.append("")
        out += _state_lines(ctx, state, caller, site.before if site else frozenset(),
                            "here", base)
    return out


def _address_section(inp: HoverInput, ca: CodeAddress, base: str) -> list[str]:
    ctx = inp.ctx
    assert ctx is not None
    names = ", ".join(f"`{t.local}`" for t in ca.targets[:4]) + (
        " …" if len(ca.targets) > 4 else "")
    via = f" ({ca.via})" if ca.via else ""
    out = [f"**Code address** of {names}{via}", ""]
    asm = [t for t in ca.targets if t.lang == "asm"]
    gos = [t for t in ca.targets if t.lang == "go"]
    if asm:
        f = asm[0]
        out += _wrapper_section(ctx, f, ABI_INTERNAL_TO_ABI0)
        out.append(f"The body `{f.name}.abi0` is not what this address enters; take the "
                   f"address in asm (`MOVQ $·{f.local}(SB), AX`) to get it on every Go "
                   "version.")
        lv = leaves(f, ctx)
        if lv is not None:
            out.append(f"`{f.local}` leaves by {lv[0]} ({_where(lv[1], base)}): it never "
                       "returns to the wrapper, so it runs on a frame shifted by what the "
                       "wrapper pushed.")
    if gos:
        out.append(f"{', '.join(f'`{g.local}`' for g in gos)}: the Go function's own "
                   "(ABIInternal) entry; entered from outside Go, R14 = g and X15 = 0 are "
                   "not established.")
    if ca.sink:
        out.append(f"The address is {ca.sink}.")
    return out


def _func_section(inp: HoverInput, f: Func, base: str) -> list[str]:
    ctx = inp.ctx
    assert ctx is not None
    out: list[str] = []
    if f.text is not None:
        flags = "|".join(fl.name for fl in f.text.flags) or "no flags"
        frame = f"${f.text.frame_size}" + (f"-{f.text.arg_size}"
                                           if f.text.arg_size is not None else "")
        out += [f"**TEXT ·{f.local}** ({flags}, {frame}) — `{f.name}`", "",
                "- From asm (`CALL`, `JMP`, `$·" + f.local + "(SB)`): the body itself (ABI0).",
                "- From Go (calls enter the body directly; func values, `FuncPC`, "
                "`reflect`):"]
        out += _wrapper_section(ctx, f, ABI_INTERNAL_TO_ABI0)
        lv = leaves(f, ctx)
        if lv is not None:
            out.append(f"- Leaves by {lv[0]} ({_where(lv[1], base)}): never returns to its "
                       "caller.")
    else:
        nosplit = " //go:nosplit" if f.decl is not None and f.decl.nosplit else ""
        out += [f"**func {f.local}** — Go function `{f.name}`{nosplit}", "",
                "- From asm (`CALL ·" + f.local + "(SB)`, `$·" + f.local + "(SB)`):"]
        out += _wrapper_section(ctx, f, ABI0_TO_ABI_INTERNAL)
    has, basis, evidence = stack_check(ctx, f)
    if has:
        out.append(f"- Stack-bound check through g ({basis})" + (f": {evidence}" if evidence
                                                                 else "") + ".")
    else:
        out.append(f"- No stack-bound check ({basis}).")
    out.append("")
    out += _state_lines(ctx, ctx.state.entry_state.get(f.name), f, frozenset(), "at entry",
                        base)
    return out


def _diagnostic_section(inp: HoverInput, path: str, line: int, col: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for d in inp.diagnostics:
        span = Span(d.path, d.line, d.column, d.end_line, d.end_column)
        if d.code in seen or not _inside(span, path, line, col):
            continue
        rule = RULES.get(d.code)
        if rule is None:
            continue
        seen.add(d.code)
        out += ["", "---", f"**{rule.code}** {rule.name} ({d.severity}): {rule.summary}", "",
                rule.explanation]
    return out


def _fit(lines: list[str]) -> str:
    """At most MAX_LINES lines: drop listing lines first, then cut."""
    while len(lines) > MAX_LINES:
        try:
            i = next(k for k in range(len(lines) - 1, -1, -1)
                     if lines[k].startswith("  0x"))
        except StopIteration:
            lines = [*lines[:MAX_LINES - 1], "…"]
            break
        del lines[i]
    return "\n".join(lines).strip()


def hover_markdown(inp: HoverInput, path: str, line: int, col: int) -> str | None:
    """The hover at (line, col) of path, or None when eggls has nothing to say there."""
    ctx = inp.ctx
    base = os.path.dirname(path)
    lines: list[str] = []
    if ctx is not None:
        ca = next((c for c in ctx.code_addresses if _inside(c.site.span, path, line, col)),
                  None)
        if ca is not None:
            lines = _address_section(inp, ca, base)
        else:
            ent = inp.nav.entity_at(path, line, col)
            if ent is not None and ent.kind == "func" and ent.func is not None and \
                    ent.func.lang in ("asm", "go"):
                if ent.definition:
                    lines = _func_section(inp, ent.func, base)
                elif (path.endswith(".s") and ent.operand_of in JUMPS) or \
                        (path.endswith(".go") and _is_call(inp, ent)):
                    lines = _call_section(inp, ent, path, line, col, base)
                else:
                    lines = _func_section(inp, ent.func, base)
    lines += _diagnostic_section(inp, path, line, col)
    return _fit(lines) if lines else None


def _is_call(inp: HoverInput, ent: Entity) -> bool:
    from eggls.gosrc.model import Call

    got = inp.nav.go_file(ent.span.path)
    if got is None:
        return False
    _, gf = got
    for fd in gf.funcs:
        for ev in fd.events:
            if isinstance(ev, Call) and ev.callee.kind in ("name", "qualified") and \
                    _inside(ev.callee.span, ent.span.path, ent.span.line, ent.span.col):
                return True
    return False


__all__ = ["MAX_LINES", "HoverInput", "hover_markdown"]
