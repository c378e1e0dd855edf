"""EGG007: a function with a stack-bound check is reached while g is not valid."""

from __future__ import annotations

from eggls.analysis.context import RuleContext
from eggls.analysis.initstate import FS, G
from eggls.analysis.program import Func
from eggls.analysis.registry import EGG007 as RULE
from eggls.analysis.rules.faults import stack_check_fault
from eggls.diagnostics import Diagnostic, Fault, Related, Severity

STACK_SMALL = 128  # internal/abi.StackSmall
_ZERO_ARG_RUNTIME = ("runtime.panicdivide", "runtime.panicwrap", "runtime.panicshift",
                     "runtime.panicIndex", "runtime.panicSlice")


def asm_has_check(f: Func) -> bool:
    """cmd/internal/obj/x86 preprocess: a TEXT without NOSPLIT gets a stack check unless it
    is a leaf with a small frame (then the assembler marks it NOSPLIT itself)."""
    t = f.text
    assert t is not None
    if t.has_flag("NOSPLIT"):
        return False
    calls = [i for i in t.instructions if i.mnemonic in ("CALL", "DUFFCOPY", "DUFFZERO")]
    has_call = bool(calls)
    autoffset = max(t.frame_size, 0)
    if not t.has_flag("NOFRAME") and not (autoffset == 0 and not has_call):
        autoffset += 8  # saved BP
    if autoffset >= STACK_SMALL:
        return True
    for i in calls:
        target = i.operands[-1] if i.operands else None
        sym = getattr(target, "symbol", None)
        zero_arg = sym is not None and sym.name.startswith(_ZERO_ARG_RUNTIME)
        if i.mnemonic == "CALL" and not zero_arg:
            return True
        if autoffset >= STACK_SMALL - 8:
            return True
    return False


def stack_check(ctx: RuleContext, f: Func) -> tuple[bool, str, str | None]:
    """(has a check, basis, evidence) for f."""
    b = ctx.facts.build
    if b is not None:
        body = b.body(f.name)
        if body is not None:
            facts = b.prologue(body)
            if not isinstance(facts, Exception) and hasattr(facts, "stack_check"):
                ev = None
                if facts.stack_check and facts.check_address is not None:
                    ev = f"the build's {body.name} checks its stack bound at " \
                         f"{facts.check_address:#x} (g from {facts.g_source})"
                return facts.stack_check, "build", ev
    if f.lang == "asm":
        return asm_has_check(f), "predicted", None
    return (f.decl is not None and not f.decl.nosplit), "predicted", None


def check_fault(ctx: RuleContext, f: Func, basis: str, state: frozenset[str]) -> Fault | None:
    """With the FS base not yet valid, a check that loads g from TLS faults at that load
    (with FS valid but g not, it compares against whatever the g slot holds: no fault is
    determined)."""
    b = ctx.facts.build
    if basis != "build" or b is None or FS in state:
        return None
    body = b.body(f.name)
    return stack_check_fault(b, body) if body is not None else None


def run(ctx: RuleContext) -> list[Diagnostic]:
    out = []
    for sites in ctx.state.sites.values():
        for s in sites:
            state = ctx.state.state_at(s)
            if state is None or G in state or s.callee.lang not in ("asm", "go"):
                continue
            has, basis, evidence = stack_check(ctx, s.callee)
            if not has:
                continue
            kind = "asm TEXT without NOSPLIT" if s.callee.lang == "asm" else \
                "Go function without //go:nosplit"
            msg = (f"{s.callee.local} ({kind}) checks its stack bound through g, but g may "
                   f"not be valid here ({ctx.entry_of(s.caller)} through {s.caller.local})")
            sev = Severity.ERROR if basis == "build" else Severity.WARNING
            related = (Related(s.callee.span.path, s.callee.span.line, s.callee.span.col,
                               evidence or f"{s.callee.local} is defined here"),)
            out.append(Diagnostic.at(s.span, RULE.code, sev, basis, msg, related,
                                     fault=check_fault(ctx, s.callee, basis, state)))
    return out
