"""EGG002: asm CALL/JMP into Go where the FS base may not be valid."""

from __future__ import annotations

from eggls.analysis.context import RuleContext
from eggls.analysis.initstate import FS
from eggls.analysis.registry import EGG002 as RULE
from eggls.analysis.rules.asmcalls import asm_calls_into_go, wrapper_related
from eggls.analysis.rules.faults import tls_fault
from eggls.diagnostics import Diagnostic


def run(ctx: RuleContext) -> list[Diagnostic]:
    if not ctx.facts.register_abi:
        return []
    out = []
    for site, state in asm_calls_into_go(ctx):
        if FS in state:
            continue
        rel, wrapper, phrase = wrapper_related(ctx, site)
        w = ctx.facts.wrapper(site.callee.name)
        tls = w.tls_read if w is not None else None
        if w is not None and tls is None:
            continue  # the build's wrapper does not read TLS: nothing to fault
        insn = tls.text if tls is not None else "MOVQ (TLS), R14"
        msg = (f"{site.callee.local} is entered through {phrase}, whose `{insn}` loads g "
               f"from FS:-8: the FS base may not be valid here ({ctx.entry_of(site.caller)} "
               f"through {site.caller.local})")
        b = ctx.facts.build
        fault = tls_fault(b, tls) if b is not None else None
        out.append(Diagnostic.at(site.span, RULE.code, RULE.severity, ctx.facts.basis, msg,
                                 rel + ctx.established(FS, "the FS base"), wrapper, fault))
    return out
