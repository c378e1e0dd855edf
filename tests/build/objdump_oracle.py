"""An independent reading of a Go ELF's ABI-wrapper table from binutils `nm` and `objdump -d`.

It exists to cross-check eggls' own reader (pyelftools + capstone): different decoder,
different symbol reader, no shared code. Nothing here knows a Go version; every fact comes
from the instruction stream:

- A *pair* is a text symbol `pkg.F.abi0` together with a text symbol `pkg.F` (the `.abi0`
  suffix alone proves nothing: the linker also spells a lone ABI0 function that way).
- The *wrapper* is the one of the pair that CALLs or JMPs to the other; the other is the
  *target*. `pkg.F` wrapping `pkg.F.abi0` is "ABIInternal->ABI0", the reverse "ABI0->ABIInternal".
- The *transfer* is the wrapper's first CALL/JMP to the target. `sse` and `tls_read` are
  what the wrapper executes *before* the transfer (what runs before the target's first
  instruction): the first instruction with an XMM/YMM/ZMM operand, and the first read of an
  FS/GS-relative address (segment and signed offset).
- `pushed_bytes`: what lies on the stack between the caller's return address and the
  target's first instruction, from the straight-line path to the transfer: push +8, pop -8,
  `sub $n,%rsp` +n, `add $n,%rsp` -n, `lea d(%rsp),%rsp` -d, plus 8 for a CALL transfer
  (its return address) and 0 for a tail JMP.
- `stack_check`: the wrapper compares SP (or a register computed from SP) with memory
  addressed through a register that holds g (R14 on entry to an ABIInternal symbol, or a
  register loaded from FS/GS), or calls runtime.morestack / runtime.morestack_noctxt.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ABI0_SUFFIX = ".abi0"
ABIINTERNAL_TO_ABI0 = "ABIInternal->ABI0"
ABI0_TO_ABIINTERNAL = "ABI0->ABIInternal"

_PREFIXES = frozenset({"rep", "repz", "repnz", "repe", "repne", "lock", "notrack", "bnd",
                       "data16", "addr32", "cs", "ds", "es", "ss", "fs", "gs"})
_HEADER = re.compile(r"^([0-9a-f]+) <(.*)>:$")
_INSN = re.compile(r"^\s*([0-9a-f]+):\t(.*)$")
_BRANCH_TARGET = re.compile(r"^\*?[0-9a-f]+ <(.+?)(\+0x[0-9a-f]+)?>$")
_NM_LINE = re.compile(r"^([0-9a-f]+) (?:([0-9a-f]+) )?([A-Za-z]) (.+)$")
_SEG_MEM = re.compile(r"%(fs|gs):(-?0x[0-9a-f]+|-?\d+)?")
_VECTOR_REG = re.compile(r"%[xyz]mm\d+")
_IMM = r"\$(-?0x[0-9a-f]+|-?\d+)"
_DISP_RSP = re.compile(r"^(-?0x[0-9a-f]+|-?\d+)?\(%rsp\)$")
_MEM_BASE = re.compile(r"^(?:-?0x[0-9a-f]+|-?\d+)?\((%\w+)")
_MORESTACK = re.compile(r"^runtime\.morestack(_noctxt)?(\.abi0)?$")
_CLUSTER_GAP = 16 << 10


class OracleError(Exception):
    """objdump/nm failed, or a wrapper does something this reading cannot account for."""


@dataclass(frozen=True)
class Instruction:
    address: int
    mnemonic: str  # with prefixes, e.g. "rep stos"
    operands: str  # AT&T, as objdump prints them, without objdump's "# ..." comment

    @property
    def core(self) -> str:
        """The mnemonic without prefixes."""
        return self.mnemonic.rsplit(" ", 1)[-1]

    @property
    def text(self) -> str:
        return f"{self.mnemonic} {self.operands}".strip()

    @property
    def branch_target(self) -> str | None:
        """The symbol a direct call/jmp enters at its first byte, else None."""
        if not (self.core.startswith("call") or self.core.startswith("jmp")):
            return None
        m = _BRANCH_TARGET.match(self.operands)
        if m is None or m.group(2):
            return None
        return m.group(1)

    def operand_list(self) -> list[str]:
        """Operands split at top-level commas (not those inside parentheses)."""
        out: list[str] = []
        depth, cur = 0, ""
        for ch in self.operands:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            if ch == "," and depth == 0:
                out.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            out.append(cur)
        return out


@dataclass(frozen=True)
class TLSRead:
    segment: str  # "fs" or "gs"
    offset: int  # signed, e.g. -8


@dataclass(frozen=True)
class OracleWrapper:
    symbol: str
    target: str
    direction: str
    address: int
    size: int
    sse: str | None  # objdump's text of the instruction, e.g. "xorps %xmm15,%xmm15"
    tls_read: TLSRead | None
    pushed_bytes: int
    stack_check: bool
    listing: tuple[str, ...]


@dataclass(frozen=True)
class OracleReport:
    wrappers: tuple[OracleWrapper, ...]  # sorted by symbol
    unresolved: tuple[str, ...]  # pairs where neither (or each) enters the other

    def by_symbol(self) -> dict[str, OracleWrapper]:
        return {w.symbol: w for w in self.wrappers}


def _signed64(text: str) -> int:
    neg = text.startswith("-")
    v = int(text.lstrip("-"), 0)
    if v >= 1 << 63:
        v -= 1 << 64
    return -v if neg else v


def _run(cmd: list[str]) -> str:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise OracleError(f"{cmd[0]}: {e}") from e
    if res.returncode != 0:
        raise OracleError(f"{' '.join(cmd)}: {res.stderr.strip()}")
    return res.stdout


def nm_functions(elf: Path) -> dict[str, tuple[int, int]]:
    """Text symbols of `elf` from `nm -S`: name -> (address, size)."""
    funcs: dict[str, tuple[int, int]] = {}
    for line in _run(["nm", "-S", "--defined-only", str(elf)]).splitlines():
        m = _NM_LINE.match(line)
        if m and m.group(3) in "Tt":
            funcs[m.group(4)] = (int(m.group(1), 16), int(m.group(2) or "0", 16))
    return funcs


def parse_instruction(address: int, text: str) -> Instruction:
    text = text.split("#", 1)[0].strip()  # objdump's "# 4ed1b8 <sym>" annotation
    parts = text.split(" ")
    i = 0
    while i + 1 < len(parts) and parts[i] in _PREFIXES:
        i += 1
    # objdump pads the mnemonic with spaces; operands themselves hold no spaces except in
    # the <symbol> of a branch target (Go symbols may contain spaces).
    mnemonic = " ".join(parts[: i + 1])
    operands = " ".join(parts[i + 1:]).strip()
    return Instruction(address, mnemonic, operands)


def parse_objdump(text: str, wanted: set[str] | None = None) -> dict[str, list[Instruction]]:
    """Instructions per function from `objdump -d --no-show-raw-insn` output."""
    funcs: dict[str, list[Instruction]] = {}
    current: list[Instruction] | None = None
    for line in text.splitlines():
        if not line:
            continue
        if not line[0].isspace():
            m = _HEADER.match(line)
            if m:
                name = m.group(2)
                current = funcs.setdefault(name, []) if wanted is None or name in wanted else None
            continue
        if current is None:
            continue
        m = _INSN.match(line)
        if m:
            current.append(parse_instruction(int(m.group(1), 16), m.group(2)))
    return funcs


def disassemble(elf: Path, ranges: list[tuple[int, int]] | None = None,
                wanted: set[str] | None = None) -> dict[str, list[Instruction]]:
    """Disassemble `elf`, or only the address ranges [start, stop) (one objdump run each)."""
    cmd = ["objdump", "-d", "--no-show-raw-insn", "-w", str(elf)]
    if ranges is None:
        return parse_objdump(_run(cmd), wanted)
    funcs: dict[str, list[Instruction]] = {}
    for start, stop in ranges:
        part = parse_objdump(_run([*cmd, f"--start-address={start:#x}",
                                   f"--stop-address={stop:#x}"]), wanted)
        for name, insns in part.items():
            funcs.setdefault(name, []).extend(insns)
    return funcs


def _clusters(spans: list[tuple[int, int]], gap: int = _CLUSTER_GAP) -> list[tuple[int, int]]:
    """Merge [start, stop) spans closer than `gap` bytes, so that a few objdump runs cover
    the wrappers without disassembling the whole text (which costs ~10x more)."""
    out: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if out and start - out[-1][1] <= gap:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((start, stop))
    return out


def _sp_delta(insn: Instruction) -> int | None:
    """Bytes `insn` adds to the stack (negative: removes); None if it sets RSP otherwise."""
    core, ops = insn.core, insn.operand_list()
    if core in ("push", "pushq", "pushf", "pushfq"):
        return 8
    if core in ("pop", "popq", "popf", "popfq"):
        return -8 if ops != ["%rsp"] else None
    reads_only = core.startswith(("cmp", "test", "bt", "ucomis", "comis"))
    if reads_only or not ops or ops[-1] != "%rsp":
        return 0
    imm = re.fullmatch(_IMM, ops[0]) if len(ops) == 2 else None
    if core in ("sub", "subq") and imm:
        return _signed64(imm.group(1))
    if core in ("add", "addq") and imm:
        return -_signed64(imm.group(1))
    if core in ("lea", "leaq") and len(ops) == 2:
        m = _DISP_RSP.match(ops[0])
        if m:
            return -_signed64(m.group(1) or "0")
    return None


def _tls_read(insn: Instruction) -> TLSRead | None:
    ops = insn.operand_list()
    for i, op in enumerate(ops):
        m = _SEG_MEM.match(op)
        if m is None:
            continue
        if insn.core in ("mov", "movq", "movl") and i == len(ops) - 1:
            continue  # a store through FS/GS, not a read
        return TLSRead(m.group(1), _signed64(m.group(2) or "0"))
    return None


def _has_stack_check(insns: list[Instruction], g_on_entry: bool) -> bool:
    g_regs = {"%r14"} if g_on_entry else set()
    sp_regs = {"%rsp"}
    for insn in insns:
        target = insn.branch_target
        if target and _MORESTACK.match(target):
            return True
        ops = insn.operand_list()
        if len(ops) == 2 and insn.core in ("mov", "movq"):
            if _SEG_MEM.match(ops[0]):
                g_regs.add(ops[1])
                continue
            if ops[0] == "%rsp":
                sp_regs.add(ops[1])
                continue
        if len(ops) == 2 and insn.core in ("lea", "leaq") and "(%rsp" in ops[0]:
            sp_regs.add(ops[1])
            continue
        if insn.core.startswith("cmp") and len(ops) == 2:
            for a, b in (ops, ops[::-1]):
                base = _MEM_BASE.match(a)
                if base and base.group(1) in g_regs and b in sp_regs:
                    return True
        if ops and ops[-1] in g_regs and insn.core not in ("cmp", "cmpq", "test", "testq"):
            g_regs.discard(ops[-1])  # overwritten
    return False


def analyse_wrapper(symbol: str, target: str, direction: str, address: int, size: int,
                    insns: list[Instruction]) -> OracleWrapper:
    body = [i for i in insns if address <= i.address < address + size] if size else insns
    transfer = next((k for k, i in enumerate(body) if i.branch_target == target), None)
    if transfer is None:
        raise OracleError(f"{symbol}: no call/jmp to {target}")
    pushed = 0
    sse: str | None = None
    tls: TLSRead | None = None
    for insn in body[:transfer]:
        delta = _sp_delta(insn)
        if delta is None:
            raise OracleError(f"{symbol}: cannot follow RSP through {insn.text!r}")
        pushed += delta
        if sse is None and _VECTOR_REG.search(insn.operands):
            sse = insn.text
        if tls is None:
            tls = _tls_read(insn)
    if body[transfer].core.startswith("call"):
        pushed += 8  # the return address of the transfer itself
    return OracleWrapper(
        symbol=symbol, target=target, direction=direction, address=address, size=size,
        sse=sse, tls_read=tls, pushed_bytes=pushed,
        stack_check=_has_stack_check(body, g_on_entry=direction == ABIINTERNAL_TO_ABI0),
        listing=tuple(i.text for i in body))


def read_wrappers(elf: Path) -> OracleReport:
    """The wrapper table of `elf`, read with nm and objdump."""
    funcs = nm_functions(elf)
    pairs = sorted((name[: -len(ABI0_SUFFIX)], name) for name in funcs
                   if name.endswith(ABI0_SUFFIX) and name[: -len(ABI0_SUFFIX)] in funcs)
    wanted = {n for pair in pairs for n in pair}
    # A symbol without a size (none in Go ELFs) still gets its first 256 bytes.
    spans = [(funcs[n][0], funcs[n][0] + (funcs[n][1] or 256)) for n in wanted]
    code = disassemble(elf, _clusters(spans), wanted)
    wrappers: list[OracleWrapper] = []
    unresolved: list[str] = []
    for internal, abi0 in pairs:
        enters = {name: any(i.branch_target == other for i in code.get(name, []))
                  for name, other in ((internal, abi0), (abi0, internal))}
        if enters[internal] == enters[abi0]:
            unresolved.append(internal)
            continue
        if enters[internal]:
            symbol, target, direction = internal, abi0, ABIINTERNAL_TO_ABI0
        else:
            symbol, target, direction = abi0, internal, ABI0_TO_ABIINTERNAL
        addr, size = funcs[symbol]
        wrappers.append(analyse_wrapper(symbol, target, direction, addr, size, code[symbol]))
    wrappers.sort(key=lambda w: w.symbol)
    return OracleReport(tuple(wrappers), tuple(unresolved))
