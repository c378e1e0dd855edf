"""The CPU exception a finding predicts, located in the build: a Diagnostic's `fault`.

Shared by EGG001/002 (the ABI0→ABIInternal wrapper's SSE instruction and TLS read), EGG003
(the instruction the asm body leaves by) and EGG007 (the g load of a stack-bound check).
Every address is read off the build's bytes (and its PC-line table); without a build there
is no fault, and a rule gives none where the exception is not determined by what it knows.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from eggls.build.effects import TlsRead, find_stack_check
from eggls.diagnostics import Fault, Span

if TYPE_CHECKING:
    from eggls.build.disasm import Insn
    from eggls.build.gobuild import GoBuild
    from eggls.build.symbols import Symbol

UD, PF, GP = "#UD", "#PF", "#GP"
ADDRESS_MASK = (1 << 64) - 1
# IRET on a frame shifted by the wrapper's pushes: RIP ← the return address into the wrapper,
# CS ← the next word (the IRET frame's RIP, or the wrapper's saved RBP): not a code selector.
IRET_KINDS = frozenset({"IRETQ", "IRETL", "IRETW"})
IRET_WHEN = ("entered through the wrapper, so the word IRET takes as CS is a return address "
             "or a saved RBP, not a code selector")


def fault_at(build: GoBuild, vector: str, address: int, instruction: str, when: str,
             cr2: int | None = None) -> Fault | None:
    sym = build.symbols.function_at(address)
    if sym is None:
        return None
    return Fault(vector, sym.name, address, address - sym.address, instruction, when, cr2)


def sse_fault(build: GoBuild, insn: Insn | None) -> Fault | None:
    """#UD at an SSE instruction (XORPS X15, X15) executed with SSE off."""
    if insn is None:
        return None
    return fault_at(build, UD, insn.address, insn.text, "CR4.OSFXSR = 0 (SSE not enabled)")


def tls_fault(build: GoBuild, tls: TlsRead | None) -> Fault | None:
    """#PF at a g load through FS/GS (`mov %fs:-8, %r14`) with the segment base still 0."""
    if tls is None:
        return None
    cr2 = tls.offset & ADDRESS_MASK
    return fault_at(build, PF, tls.address, tls.text,
                    f"{tls.segment.upper()} base 0 and nothing mapped at {cr2:#x}", cr2)


def stack_check_fault(build: GoBuild, body: Symbol) -> Fault | None:
    """#PF at the g load of body's stack-bound check, when g comes from TLS (the check the
    assembler inserts into a TEXT without NOSPLIT). A check through R14 (ABIInternal) reads
    whatever R14 holds: no determined exception."""
    facts = build.prologue(body)
    if getattr(facts, "g_source", None) != "tls":
        return None
    insns = build.instructions(body)
    if not isinstance(insns, list):
        return None
    check = find_stack_check(insns, g_register_live=getattr(facts, "abi", "") != "ABI0")
    return tls_fault(build, check.tls_read if check is not None else None)


def _same_file(pcln_file: str, source: str) -> bool:
    """The PC-line table names a file by absolute path, or module path + relative path under
    -trimpath; the analysis by absolute path."""
    return os.path.basename(pcln_file) == os.path.basename(source)


def leave_fault(build: GoBuild, go_name: str, kind: str | None, where: Span) -> Fault | None:
    """#GP at the IRET an asm body (`go_name`, its ABI0 code in the build) leaves by, when it
    was entered through its ABIInternal→ABI0 wrapper. The instruction is the body's IRET whose
    PC-line entry is the source line of the analysis' leaving instruction (or the body's only
    IRET when the table says nothing)."""
    if kind not in IRET_KINDS:
        return None  # SYSRET/SYSEXIT do not take their target from the stack
    body = build.body(go_name)
    if body is None:
        return None
    insns = build.instructions(body)
    if not isinstance(insns, list):
        return None
    irets = [i for i in insns if i.mnemonic.startswith("iret")]
    on_line = []
    for i in irets:
        li = build.line_for(i.address)
        if li is not None and li.line == where.line and _same_file(li.file, where.path):
            on_line.append(i)
    hit = on_line[0] if on_line else (irets[0] if len(irets) == 1 else None)
    if hit is None:
        return None
    return fault_at(build, GP, hit.address, hit.text, IRET_WHEN)
