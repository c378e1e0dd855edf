"""What a piece of machine code does on its straight path: the wrapper effects and the
stack-bound check, computed from decoded instructions only.

Wrapper effects answer "what has happened by the time the target's first instruction runs":
the SSE instruction executed on the way (XORPS X15 faults with SSE off), the TLS read
(`mov %fs:-8,%r14` faults with no FS base), and how many bytes sit on the stack above the
wrapper's own return address (a body ending in IRETQ sees them as its frame).
"""

from __future__ import annotations

from dataclasses import dataclass

from eggls.build.disasm import Insn, stack_delta

G_REGISTER = "r14"  # ABIInternal keeps the current g in R14 on amd64
RETURN_ADDRESS_BYTES = 8


@dataclass(frozen=True, slots=True)
class TlsRead:
    segment: str  # "fs" or "gs"
    offset: int  # displacement, e.g. -8 for runtime.tlsg on linux/amd64
    address: int  # of the reading instruction
    text: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """The path from a function's entry to its first direct CALL/JMP to `target`."""

    target: int
    via: Insn | None  # the CALL or JMP that enters the target (None: not found)
    sse: Insn | None  # first SSE instruction executed before entering the target
    tls_read: TlsRead | None  # first FS/GS-relative read before entering the target
    pushed_bytes: int | None  # RSP drop from entry to the target's first instruction
    sse_after: Insn | None  # on the path after the target returns (CALL only)
    tls_after: TlsRead | None

    @property
    def found(self) -> bool:
        return self.via is not None

    @property
    def enters_by(self) -> str | None:
        return None if self.via is None else self.via.kind


def tls_read_of(insn: Insn) -> TlsRead | None:
    for m in insn.mems:
        if m.segment in ("fs", "gs") and m.read and not insn.mnemonic.startswith("lea"):
            return TlsRead(m.segment, m.disp, insn.address, insn.text)
    return None


def transfers_to(insns: list[Insn], target: int) -> bool:
    return any(i.target == target and i.kind in ("call", "jmp") for i in insns)


def follow_to(insns: list[Insn], target: int) -> Transfer:
    """Walk the straight-line path (falling through conditional branches) to the first
    CALL/JMP whose direct target is `target`, tracking RSP, SSE and TLS reads."""
    sse: Insn | None = None
    tls: TlsRead | None = None
    depth: int | None = 0
    for k, insn in enumerate(insns):
        if insn.target == target and insn.kind in ("call", "jmp"):
            pushed = None
            if depth is not None:
                pushed = depth + (RETURN_ADDRESS_BYTES if insn.kind == "call" else 0)
            sse_after = tls_after = None
            if insn.kind == "call":
                for later in insns[k + 1:]:
                    if later.kind in ("ret", "jmp"):
                        break
                    if sse_after is None and later.sse:
                        sse_after = later
                    if tls_after is None:
                        tls_after = tls_read_of(later)
            return Transfer(target, insn, sse, tls, pushed, sse_after, tls_after)
        if insn.kind in ("ret", "jmp"):
            break  # the straight path leaves before reaching the target
        if sse is None and insn.sse:
            sse = insn
        if tls is None:
            tls = tls_read_of(insn)
        if depth is not None:
            d = stack_delta(insn)
            depth = None if d is None else depth + d
    return Transfer(target, None, sse, tls, None, None, None)


@dataclass(frozen=True, slots=True)
class StackCheck:
    """A stack-bound check: RSP (or RSP minus the frame) compared with g's stack guard."""

    g_source: str  # "r14" (ABIInternal g register) or "tls" (g loaded from FS/GS)
    compare: Insn  # the CMP
    tls_read: TlsRead | None  # the load of g, when g came from TLS


PROLOGUE_WINDOW = 24  # Go's checks (small, large and huge frames) fit in the first few insns


def find_stack_check(insns: list[Insn], g_register_live: bool = True) -> StackCheck | None:
    """Find a stack-bound check at the start of a function.

    A check compares a stack-pointer value (RSP, or a register computed from RSP by LEA/MOV)
    with a word loaded through g, where g is R14 on entry (ABIInternal, when g_register_live)
    or a register loaded from FS/GS (what the assembler inserts into a non-NOSPLIT TEXT).
    """
    g_regs: dict[str, TlsRead | None] = {G_REGISTER: None} if g_register_live else {}
    sp_regs = {"rsp"}
    guard_regs: dict[str, str] = {}  # register holding a word read through g -> g register
    for insn in insns[:PROLOGUE_WINDOW]:
        if insn.kind in ("call", "ret", "jmp"):
            break
        tls = tls_read_of(insn)
        dst = insn.regs[-1] if insn.regs else None
        mnem = insn.mnemonic
        if mnem.startswith("cmp"):
            through_g = [m for m in insn.mems if m.base in g_regs and m.segment is None]
            if through_g and any(r in sp_regs for r in insn.regs):
                g = through_g[0].base
                assert g is not None
                return StackCheck(_source(g, g_regs), insn, g_regs.get(g))
            held = [r for r in insn.regs if r in guard_regs]
            if held and any(r in sp_regs for r in insn.regs):
                g = guard_regs[held[0]]
                return StackCheck(_source(g, g_regs), insn, g_regs.get(g))
        if dst is None:
            continue
        if tls is not None and mnem.startswith("mov"):
            g_regs[dst] = tls
            continue
        if mnem.startswith("mov") and len(insn.mems) == 1 and insn.mems[0].base in g_regs:
            base = insn.mems[0].base
            assert base is not None
            guard_regs[dst] = base
            continue
        if mnem.startswith("lea") and insn.mems and insn.mems[0].base in sp_regs:
            sp_regs.add(dst)
            continue
        if mnem.startswith("mov") and len(insn.regs) == 2 and insn.regs[0] in sp_regs:
            sp_regs.add(dst)
            continue
        if mnem.startswith(("sub", "add")) and dst in sp_regs and insn.imms and dst != "rsp":
            continue  # huge frames: MOV SP, R; SUB $frame, R; CMP R, guard
        # Any other write of a tracked register ends what we know about it.
        for r in insn.regs_written:
            if r != "rsp":
                sp_regs.discard(r)
                g_regs.pop(r, None)
                guard_regs.pop(r, None)
    return None


def _source(g: str, g_regs: dict[str, TlsRead | None]) -> str:
    return "tls" if g_regs.get(g) is not None else "r14"


def frame_bytes(insns: list[Insn]) -> int | None:
    """Stack the prologue reserves before the first call/branch out (push RBP + SUB RSP)."""
    depth = 0
    for insn in insns[:PROLOGUE_WINDOW]:
        if insn.kind in ("call", "ret", "jmp"):
            break
        d = stack_delta(insn)
        if d is None:
            return None
        depth += d
    return depth
