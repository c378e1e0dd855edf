"""Shared by EGG001/002/005: asm CALL/JMP into Go, and what its wrapper does."""

from __future__ import annotations

from collections.abc import Iterator

from eggls.analysis.context import RuleContext
from eggls.analysis.initstate import Site
from eggls.diagnostics import Related


def asm_calls_into_go(ctx: RuleContext) -> Iterator[tuple[Site, frozenset[str]]]:
    """Reached asm→Go call edges with the must-state there."""
    for sites in ctx.state.sites.values():
        for s in sites:
            if s.lang != "asm" or s.callee.lang != "go":
                continue
            state = ctx.state.state_at(s)
            if state is not None:
                yield s, state


def wrapper_related(ctx: RuleContext, site: Site) -> tuple[tuple[Related, ...],
                                                           tuple[str, int] | None, str]:
    """(related info, (symbol, address), a phrase naming the wrapper) for an asm→Go call."""
    name = site.callee.name + ".abi0"
    w = ctx.facts.wrapper(site.callee.name)
    if w is None:
        return (), None, f"the wrapper {name}"
    rel = (Related(site.span.path, site.span.line, site.span.col,
                   f"wrapper {w.symbol.name} at {w.symbol.address:#x}: "
                   + "; ".join(i.text for i in w.listing[:8])),)
    return rel, (w.symbol.name, w.symbol.address), f"the wrapper {w.symbol.name}"
