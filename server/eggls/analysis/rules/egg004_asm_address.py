"""EGG004: Go takes the address of an asm function and gets its wrapper."""

from __future__ import annotations

from eggls.analysis.context import RuleContext
from eggls.analysis.registry import EGG004 as RULE
from eggls.analysis.rules.codeaddr_common import held, leaves, what, wrapper_info
from eggls.diagnostics import Diagnostic, Severity


def run(ctx: RuleContext) -> list[Diagnostic]:
    if not ctx.facts.register_abi:
        return []
    out = []
    for ca in ctx.code_addresses:
        asm = [t for t in ca.targets if t.lang == "asm"]
        if not asm or any(leaves(t, ctx) is not None for t in asm):
            continue  # no asm target, or EGG003 covers the site
        f = asm[0]
        _, wrapper, rel = wrapper_info(ctx, f)
        wname = wrapper[0] if wrapper else f.name
        subject = f"{f.local} ({held(ca, asm)})" if ca.via else f.local
        msg = f"{what(ca)} yields the ABIInternal→ABI0 wrapper {wname}, not the body of {subject}"
        if ca.sink:
            msg += f"; the address is {ca.sink}"
        msg += f". Take the address in asm instead (MOVQ $·{f.local}(SB), AX)"
        sev = Severity.ERROR if ca.sink else Severity.WARNING
        out.append(Diagnostic.at(ca.site.span, RULE.code, sev, ctx.facts.basis, msg, rel,
                                 wrapper))
    return out
