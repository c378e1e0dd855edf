"""Capstone (AT&T syntax) over function bytes, and the per-instruction facts the effects use.

Every fact is read off capstone's operand details, never off a Go version: the push that
saves RBP on Go >= 1.21, the SUB RSP of Go 1.19, the spills, the CALL or tail JMP.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import capstone
from capstone import x86

_SSE_GROUPS = frozenset({"sse1", "sse2", "sse3", "ssse3", "sse41", "sse42", "sse4a", "avx",
                         "avx2", "avx512", "fma", "fma4", "f16c", "aes", "pclmul", "sha", "xop"})
_VECTOR_REG_PREFIXES = ("xmm", "ymm", "zmm")
MAX_FUNCTION_BYTES = 1 << 16  # wrappers are tens of bytes; this bounds work on garbage

_local = threading.local()  # a Cs object is not safe to share between threads


def _cs() -> capstone.Cs:
    md = getattr(_local, "md", None)
    if md is None:
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        md.syntax = capstone.CS_OPT_SYNTAX_ATT
        md.detail = True
        _local.md = md
    return md


@dataclass(frozen=True, slots=True)
class MemRef:
    segment: str | None  # "fs", "gs" or None
    base: str | None
    index: str | None
    scale: int
    disp: int
    read: bool
    write: bool


@dataclass(frozen=True, slots=True)
class Insn:
    """One decoded instruction with the facts the analyses need."""

    address: int
    size: int
    raw: bytes
    mnemonic: str
    op_str: str
    kind: str  # "call", "jmp", "jcc", "ret", "other"
    target: int | None  # direct branch/call target
    mems: tuple[MemRef, ...]
    regs: tuple[str, ...]  # register operands, in capstone's (AT&T: source first) order
    imms: tuple[int, ...]
    regs_read: frozenset[str]
    regs_written: frozenset[str]
    sse: bool  # executes an SSE/AVX instruction (faults with CR4.OSFXSR clear)

    @property
    def text(self) -> str:
        """The instruction exactly as capstone prints it (AT&T)."""
        return f"{self.mnemonic} {self.op_str}" if self.op_str else self.mnemonic

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def writes_rsp(self) -> bool:
        return "rsp" in self.regs_written


def _reg(md: capstone.Cs, r: int) -> str | None:
    return md.reg_name(r) if r else None


def _decode(md: capstone.Cs, ci: capstone.CsInsn) -> Insn:
    groups = {md.group_name(g) for g in ci.groups}
    mems: list[MemRef] = []
    regs: list[str] = []
    imms: list[int] = []
    target = None
    for op in ci.operands:
        if op.type == x86.X86_OP_MEM:
            m = op.mem
            access = op.access
            mems.append(MemRef(_reg(md, m.segment), _reg(md, m.base), _reg(md, m.index),
                               m.scale, m.disp, bool(access & capstone.CS_AC_READ) or not access,
                               bool(access & capstone.CS_AC_WRITE)))
        elif op.type == x86.X86_OP_REG:
            regs.append(md.reg_name(op.reg))
        elif op.type == x86.X86_OP_IMM:
            imms.append(op.imm)
    try:
        rd, wr = ci.regs_access()
        regs_read = frozenset(md.reg_name(r) for r in rd)
        regs_written = frozenset(md.reg_name(r) for r in wr)
    except capstone.CsError:
        regs_read = frozenset(regs)
        regs_written = frozenset()
    if "call" in groups:
        kind = "call"
    elif "ret" in groups or "iret" in groups:
        kind = "ret"
    elif "jump" in groups:
        kind = "jmp" if ci.mnemonic in ("jmp", "jmpq") else "jcc"
    else:
        kind = "other"
    if kind in ("call", "jmp", "jcc") and imms and not mems and not regs:
        target = imms[0] & 0xFFFFFFFFFFFFFFFF
    vector = any(r.startswith(_VECTOR_REG_PREFIXES) for r in (*regs, *regs_read, *regs_written))
    return Insn(ci.address, ci.size, bytes(ci.bytes), ci.mnemonic, ci.op_str, kind, target,
                tuple(mems), tuple(regs), tuple(imms), regs_read, regs_written,
                bool(groups & _SSE_GROUPS) or vector)


def disassemble(code: bytes, address: int) -> list[Insn]:
    """Decode linearly; stops at the first byte sequence capstone cannot decode."""
    md = _cs()
    return [_decode(md, ci) for ci in md.disasm(code[:MAX_FUNCTION_BYTES], address)]


def iter_disassemble(code: bytes, address: int) -> Iterator[Insn]:
    md = _cs()
    for ci in md.disasm(code[:MAX_FUNCTION_BYTES], address):
        yield _decode(md, ci)


def operand_size_of_push(insn: Insn) -> int:
    """Bytes a PUSH/POP moves: from the AT&T size suffix (pushq/pushfq 8, pushw 2)."""
    m = insn.mnemonic
    if m.endswith("w"):
        return 2
    if m.endswith("l") and not m.startswith("pushf") and not m.startswith("popf"):
        return 4
    return 8


def stack_delta(insn: Insn) -> int | None:
    """How many bytes this instruction pushes (positive) or pops (negative) on the straight
    path, not counting a CALL's return address; None when RSP is changed in a way that
    cannot be followed (MOV/AND into RSP, ENTER, ...). 0 when RSP is untouched."""
    m = insn.mnemonic
    if m.startswith("push"):
        return operand_size_of_push(insn)
    if m.startswith("pop"):
        return -operand_size_of_push(insn)
    if insn.kind in ("call", "jcc"):
        return 0  # a callee returns with RSP restored; a jcc is followed by falling through
    if not insn.writes_rsp:
        return 0
    if insn.regs and insn.regs[-1] == "rsp":
        if m.startswith("sub") and insn.imms and not insn.mems:
            return insn.imms[0]
        if m.startswith("add") and insn.imms and not insn.mems:
            return -insn.imms[0]
        if m.startswith("lea") and len(insn.mems) == 1:
            mem = insn.mems[0]
            if mem.base == "rsp" and mem.index is None:
                return -mem.disp
    return None
