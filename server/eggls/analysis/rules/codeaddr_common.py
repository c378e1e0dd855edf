"""Shared by EGG003/004/006: describing a code-address site and what it really yields."""

from __future__ import annotations

from dataclasses import dataclass

from eggls.analysis.codeaddr import CodeAddress
from eggls.analysis.context import RuleContext
from eggls.analysis.program import Func
from eggls.diagnostics import Related, Span


@dataclass(frozen=True)
class Leave:
    """How an asm function leaves without returning to its caller."""

    how: str  # "IRETQ", "IRETQ (via JMP alltraps)", "consuming its own return address"
    span: Span  # the leaving instruction (the TEXT line when there is none)
    func: Func  # the function whose TEXT holds it (a tail-jumped callee, maybe)
    kind: str | None  # the leaving instruction (IRETQ, SYSRETQ, ...); None when there is none


def leaving(f: Func, ctx: RuleContext, seen: frozenset[str] = frozenset()) -> Leave | None:
    """How an asm function leaves without returning to its caller, following tail jumps."""
    flow = f.flow
    if flow is None or f.name in seen:
        return None
    if flow.leaves:
        k, how = flow.leaves[0]
        return Leave(how, f.text.instructions[k].span, f, how)  # type: ignore[union-attr]
    if flow.consumes_return_address and f.text is not None:
        return Leave("consuming its own return address", f.text.span, f, None)
    for _k, sym, tail in flow.calls:
        if tail:
            callee = ctx.prog.funcs.get(sym.name)
            if callee is not None and callee.lang == "asm":
                hit = leaving(callee, ctx, seen | {f.name})
                if hit is not None:
                    return Leave(f"{hit.how} (via JMP {callee.local})", hit.span, hit.func,
                                 hit.kind)
    return None


def leaves(f: Func, ctx: RuleContext) -> tuple[str, Span] | None:
    """(how, where) f leaves without returning to its caller; see `leaving`."""
    hit = leaving(f, ctx)
    return None if hit is None else (hit.how, hit.span)


def what(ca: CodeAddress) -> str:
    """The idiom as the user wrote it, shortened for a message."""
    return {"reflect": "reflect.ValueOf(…).Pointer()", "abi0": "abi.FuncPCABI0(…)",
            "abiinternal": "abi.FuncPCABIInternal(…)", "deref": "the func value's code pointer"
            }.get(ca.site.kind, f"{ca.site.callee or 'FuncPC'}({ca.site.arg.text})")


def held(ca: CodeAddress, targets: list[Func]) -> str:
    names = ", ".join(t.local for t in targets[:4]) + (" …" if len(targets) > 4 else "")
    if ca.via:
        return f"{ca.via} can hold {names}"
    return names


def wrapper_info(ctx: RuleContext, f: Func) -> tuple[int | None, tuple[str, int] | None,
                                                      tuple[Related, ...]]:
    """(pushed bytes, (wrapper symbol, address), related) of asm f's ABIInternal wrapper."""
    w = ctx.facts.wrapper(f.name)
    if w is None:
        return None, None, ()
    rel = (Related(f.span.path, f.span.line, f.span.col,
                   f"wrapper {w.symbol.name} at {w.symbol.address:#x} pushes "
                   f"{w.pushed_bytes} bytes, then {w.enters_by or 'enters'} {w.target.name}"),)
    return w.pushed_bytes, (w.symbol.name, w.symbol.address), rel
