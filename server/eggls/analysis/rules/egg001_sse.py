"""EGG001: asm CALL/JMP into Go where SSE may not be enabled."""

from __future__ import annotations

from eggls.analysis.context import RuleContext
from eggls.analysis.initstate import SSE
from eggls.analysis.registry import EGG001 as RULE
from eggls.analysis.rules.asmcalls import asm_calls_into_go, wrapper_related
from eggls.analysis.rules.faults import sse_fault
from eggls.diagnostics import Diagnostic


def run(ctx: RuleContext) -> list[Diagnostic]:
    if not ctx.facts.register_abi:
        return []
    out = []
    for site, state in asm_calls_into_go(ctx):
        if SSE in state:
            continue
        rel, wrapper, phrase = wrapper_related(ctx, site)
        w = ctx.facts.wrapper(site.callee.name)
        insn = w.sse.text if w is not None and w.sse is not None else "XORPS X15, X15"
        msg = (f"{site.callee.local} is entered through {phrase}, whose `{insn}` raises #UD: "
               f"SSE may not be enabled here ({ctx.entry_of(site.caller)} through "
               f"{site.caller.local})")
        b = ctx.facts.build
        fault = sse_fault(b, w.sse) if b is not None and w is not None else None
        out.append(Diagnostic.at(site.span, RULE.code, RULE.severity, ctx.facts.basis, msg,
                                 rel + ctx.established(SSE, "SSE"), wrapper, fault))
    return out
