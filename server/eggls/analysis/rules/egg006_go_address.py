"""EGG006: Go takes the code address of a Go function."""

from __future__ import annotations

from eggls.analysis.context import RuleContext
from eggls.analysis.registry import EGG006 as RULE
from eggls.analysis.rules.codeaddr_common import held, what
from eggls.diagnostics import Diagnostic


def run(ctx: RuleContext) -> list[Diagnostic]:
    if not ctx.facts.register_abi:
        return []
    out = []
    for ca in ctx.code_addresses:
        gos = [t for t in ca.targets if t.lang == "go"]
        if not gos:
            continue
        msg = (f"{what(ca)} takes the code address of the Go function {held(ca, gos)}: entered "
               f"from outside Go, R14 = g and X15 = 0 are not established")
        if ca.sink:
            msg += f" (the address is {ca.sink})"
        out.append(Diagnostic.at(ca.site.span, RULE.code, RULE.severity, ctx.facts.basis, msg))
    return out
