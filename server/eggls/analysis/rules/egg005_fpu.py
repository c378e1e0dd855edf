"""EGG005: an interrupt-style entry calls into Go before saving the interrupted FPU state."""

from __future__ import annotations

from eggls.analysis.context import RuleContext
from eggls.analysis.initstate import FPU
from eggls.analysis.registry import EGG005 as RULE
from eggls.analysis.rules.asmcalls import asm_calls_into_go, wrapper_related
from eggls.diagnostics import Diagnostic


def run(ctx: RuleContext) -> list[Diagnostic]:
    if not ctx.facts.register_abi:
        return []
    out = []
    for site, state in asm_calls_into_go(ctx):
        if FPU in state or "interrupt" not in ctx.state.kinds.get(site.caller.name, set()):
            continue
        rel, wrapper, phrase = wrapper_related(ctx, site)
        msg = (f"{site.callee.local} is entered through {phrase}, which zeroes X15 and reloads "
               f"R14 of the interrupted context: save the FPU state (FXSAVE/XSAVE) in "
               f"{site.caller.local} before calling into Go")
        out.append(Diagnostic.at(site.span, RULE.code, RULE.severity, ctx.facts.basis, msg,
                                 rel, wrapper))
    return out
