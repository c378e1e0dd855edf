"""One module per rule; each has RULE (its registry entry) and run(ctx) -> diagnostics."""

from __future__ import annotations

from eggls.analysis.rules import (
    egg001_sse,
    egg002_fs,
    egg003_nonreturning,
    egg004_asm_address,
    egg005_fpu,
    egg006_go_address,
    egg007_stack_check,
)

ANALYZERS = (egg001_sse, egg002_fs, egg003_nonreturning, egg004_asm_address, egg005_fpu,
             egg006_go_address, egg007_stack_check)
