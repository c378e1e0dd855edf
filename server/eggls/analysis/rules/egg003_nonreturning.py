"""EGG003: Go takes the address of an asm function that does not return to its caller."""

from __future__ import annotations

from eggls.analysis.context import RuleContext
from eggls.analysis.registry import EGG003 as RULE
from eggls.analysis.rules.codeaddr_common import held, leaving, what, wrapper_info
from eggls.analysis.rules.faults import leave_fault
from eggls.diagnostics import Diagnostic, Related


def run(ctx: RuleContext) -> list[Diagnostic]:
    if not ctx.facts.register_abi:
        return []
    out = []
    for ca in ctx.code_addresses:
        hits = [(t, leaving(t, ctx)) for t in ca.targets if t.lang == "asm"]
        hits = [(t, lv) for t, lv in hits if lv is not None]
        if not hits:
            continue
        f, lv = hits[0]
        how, where = lv.how, lv.span
        pushed, wrapper, rel = wrapper_info(ctx, f)
        n = f"{pushed} bytes" if pushed is not None else "at least 8 bytes (the return address)"
        wname = wrapper[0] if wrapper else f.name
        subject = f"{f.local} ({held(ca, [t for t, _ in hits])})" if ca.via else f.local
        msg = (f"{what(ca)} yields the wrapper {wname}, not the body of {subject}: the wrapper "
               f"pushes {n} before the body runs, and {f.local} leaves by {how}, so it works "
               f"on a shifted frame")
        if ca.sink:
            msg += f"; the address is {ca.sink}"
        related = (Related(where.path, where.line, where.col, f"{f.local} leaves by {how}"),
                   *rel)
        # The CPU faults in the body only when Go enters it through the wrapper.
        b = ctx.facts.build
        fault = (leave_fault(b, lv.func.name, lv.kind, where)
                 if b is not None and wrapper is not None else None)
        out.append(Diagnostic.at(ca.site.span, RULE.code, RULE.severity, ctx.facts.basis, msg,
                                 related, wrapper, fault))
    return out
