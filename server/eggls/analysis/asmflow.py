"""Per-TEXT facts from the instruction stream: control flow, what values registers hold, and
the machine effects the init-state analysis cares about.

Registers are tracked with a small abstract value (a known constant, bits known to be set,
the address of a symbol, or an incoming FP argument), enough to follow the idioms kernels use:
`MOVL CR4, AX; ORL $(1<<9), AX; MOVL AX, CR4`, `MOVL $0xC0000100, CX; WRMSR`,
`MOVQ $·entry(SB), AX; … WRMSR`, or a helper `wrmsr(reg, val)` that loads both from its frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eggls.asm.model import Branch, Immediate, Instruction, Memory, Register, SymbolRef, Text

MSR_FS_BASE = 0xC0000100
MSR_GS_BASE = 0xC0000101
MSR_LSTAR = 0xC0000082
MSR_CSTAR = 0xC0000083
MSR_SYSENTER_EIP = 0x176
ENTRY_MSRS = {MSR_LSTAR: "LSTAR", MSR_CSTAR: "CSTAR", MSR_SYSENTER_EIP: "SYSENTER_EIP"}
CR4_OSFXSR = 1 << 9
SYS_ARCH_PRCTL = 158  # linux/amd64
ARCH_SET_FS = 0x1002

# Instructions that leave a function without returning to its caller.
LEAVE_MNEMONICS = {"IRETQ": "IRETQ", "IRETL": "IRETL", "IRETW": "IRETW", "SYSRET": "SYSRET",
                   "SYSEXIT": "SYSEXIT", "SYSRETQ": "SYSRETQ", "SYSEXITQ": "SYSEXITQ"}
# The same instructions spelled as bytes (kernels write `BYTE $0x48; BYTE $0x0f; BYTE $0x07`).
LEAVE_BYTES = {b"\x48\xcf": "IRETQ", b"\xcf": "IRETL", b"\x48\x0f\x07": "SYSRETQ",
               b"\x0f\x07": "SYSRET", b"\x48\x0f\x35": "SYSEXITQ", b"\x0f\x35": "SYSEXIT"}
FXSAVE_MNEMONICS = frozenset({"FXSAVE", "FXSAVE64", "XSAVE", "XSAVE64", "XSAVEOPT",
                              "XSAVEOPT64", "XSAVEC", "XSAVEC64", "XSAVES", "XSAVES64"})
# The x86 register families: writing EAX/AX/AL changes RAX; cmd/asm names them all AX.
_FAMILY = {r: r for r in ("AX", "BX", "CX", "DX", "SI", "DI", "BP", "SP", "R8", "R9", "R10",
                          "R11", "R12", "R13", "R14", "R15")}
_FAMILY.update({"AL": "AX", "AH": "AX", "BL": "BX", "BH": "BX", "CL": "CX", "CH": "CX",
                "DL": "DX", "DH": "DX", "SIB": "SI", "DIB": "DI", "BPB": "BP", "SPB": "SP"})
_FAMILY.update({f"R{i}B": f"R{i}" for i in range(8, 16)})


@dataclass(frozen=True, slots=True)
class Val:
    """Abstract register content."""

    const: int | None = None  # exact value, when known
    bits: int = 0  # bits known to be set
    sym: SymbolRef | None = None  # address of a symbol ($sym(SB))
    param: str | None = None  # value of the incoming argument with this name (`reg+0(FP)`)
    cr4: bool = False  # derived from CR4 (so setting OSFXSR and writing back enables SSE)


UNKNOWN = Val()


@dataclass(frozen=True, slots=True)
class Effect:
    """Something an instruction establishes or hands to hardware."""

    kind: str  # "sse", "fs", "fpu", "msr", "msr_param"
    ins: Instruction
    msr: int | None = None  # for kind "msr": the MSR written
    value: Val = UNKNOWN  # for kind "msr": what was written (EDX:EAX)
    param_msr: str | None = None  # for "msr_param": argument the MSR number comes from
    param_value: str | None = None  # … and the argument holding the written value


@dataclass
class Block:
    start: int  # instruction index
    end: int  # exclusive
    succ: list[int] = field(default_factory=list)  # successor block indices


@dataclass
class FlowInfo:
    """Everything eggls derives from one TEXT block's instructions."""

    text: Text
    blocks: list[Block]
    effects: dict[int, list[Effect]]  # instruction index -> effects
    leaves: list[tuple[int, str]]  # (instruction index, how) of non-returning exits
    returns: list[int]  # indices of RET instructions
    calls: list[tuple[int, SymbolRef, bool]]  # (index, target, is_tail_jump)
    code_refs: list[tuple[int, SymbolRef]]  # $sym(SB) of TEXT-like symbols used as values
    consumes_return_address: bool = False


def _fam(r: str | None) -> str | None:
    return _FAMILY.get(r or "")


def _leave_kind(ins: Instruction, body: list[Instruction], i: int) -> tuple[str, int] | None:
    """Whether ins (possibly with following BYTE statements) is a non-returning exit."""
    kind = LEAVE_MNEMONICS.get(ins.mnemonic)
    if kind:
        return kind, 1
    if ins.data is not None:
        buf = b""
        for k in range(i, min(i + 4, len(body))):
            d = body[k].data
            if d is None:
                break
            buf += d
            hit = LEAVE_BYTES.get(buf)
            if hit:
                return hit, k - i + 1
    return None


def _is_uncond_jump(ins: Instruction) -> bool:
    return ins.mnemonic == "JMP"


def _is_cond_jump(ins: Instruction) -> bool:
    m = ins.mnemonic
    return (m[0] == "J" and m != "JMP") or m.startswith("LOOP") or m == "XBEGIN"


def analyse_text(text: Text) -> FlowInfo:
    body = text.instructions
    n = len(body)
    labels = {lab: k for k, ins in enumerate(body) for lab in ins.labels}
    # Block leaders: first, label targets, after jumps and exits.
    leaders = {0} if n else set()
    exits: dict[int, str] = {}
    k = 0
    while k < n:
        ins = body[k]
        lk = _leave_kind(ins, body, k)
        if lk:
            exits[k] = lk[0]
            leaders.add(k + lk[1])
            k += lk[1]
            continue
        m = ins.mnemonic
        if ins.labels:
            leaders.add(k)
        if m in ("JMP", "RET", "UNDEF", "INT") or _is_cond_jump(ins) or m == "CALL":
            leaders.add(k + 1)
        k += 1
    for k, ins in enumerate(body):
        if ins.labels:
            leaders.add(k)
    starts = sorted(x for x in leaders if x < n)
    index = {s: b for b, s in enumerate(starts)}
    blocks = [Block(s, starts[b + 1] if b + 1 < len(starts) else n) for b, s in enumerate(starts)]

    def target_block(ins: Instruction, at: int) -> int | None:
        if not ins.operands:
            return None
        t = ins.operands[-1]
        if isinstance(t, Branch):
            if t.label is not None and t.label in labels:
                return index.get(labels[t.label])
            if t.pc_offset is not None:
                return index.get(at + t.pc_offset)
        return None

    returns: list[int] = []
    leaves: list[tuple[int, str]] = []
    calls: list[tuple[int, SymbolRef, bool]] = []
    for b, blk in enumerate(blocks):
        last = blk.end - 1
        if last < blk.start:
            continue
        # An exit spelled as several BYTEs ends the block at its first byte statement.
        exit_at = next((k for k in range(blk.start, blk.end) if k in exits), None)
        if exit_at is not None:
            leaves.append((exit_at, exits[exit_at]))
            continue
        ins = body[last]
        m = ins.mnemonic
        if m == "RET":
            returns.append(last)
            continue
        if m == "UNDEF":
            continue
        if _is_uncond_jump(ins):
            tb = target_block(ins, last)
            if tb is not None:
                blk.succ.append(tb)
            continue
        if _is_cond_jump(ins):
            tb = target_block(ins, last)
            if tb is not None:
                blk.succ.append(tb)
        if b + 1 < len(blocks):
            blk.succ.append(b + 1)
    for k, ins in enumerate(body):
        if ins.mnemonic in ("CALL", "JMP") and ins.operands:
            t = ins.operands[-1]
            if isinstance(t, Branch) and t.symbol is not None:
                calls.append((k, t.symbol, ins.mnemonic == "JMP"))
    effects, code_refs, consumes = _effects(text, blocks)
    return FlowInfo(text, blocks, effects, leaves, returns, calls, code_refs, consumes)


def _effects(text: Text, blocks: list[Block]
             ) -> tuple[dict[int, list[Effect]], list[tuple[int, SymbolRef]], bool]:
    """Abstract interpretation of register contents, block by block in order (values do not
    flow across blocks: kernels set these registers right before they use them)."""
    body = text.instructions
    effects: dict[int, list[Effect]] = {}
    code_refs: list[tuple[int, SymbolRef]] = []
    consumes = False
    # Popping above the entry SP is only meaningful on the entry path of a frameless TEXT
    # (otherwise the assembler's own prologue moved SP first).
    track_sp = text.frame_size <= 0
    for blk in blocks:
        regs: dict[str, Val] = {}
        sp_delta = 0  # bytes popped above the return address, relative to entry
        for k in range(blk.start, blk.end):
            ins = body[k]
            m = ins.mnemonic
            ops = ins.operands
            eff: list[Effect] = []
            for op in ops:
                if isinstance(op, Immediate) and op.symbol is not None:
                    code_refs.append((k, op.symbol))
            if m in ("MOVQ", "MOVL", "MOVW", "MOVB", "MOV") and len(ops) == 2:
                src, dst = ops
                v = _value(src, regs)
                if isinstance(dst, Register):
                    # Writing CR4 with OSFXSR known set: read-modify-write or a constant.
                    if dst.name == "CR4" and (v.bits | (v.const or 0)) & CR4_OSFXSR:
                        eff.append(Effect("sse", ins))
                    fam = _fam(dst.name)
                    if fam:
                        if m in ("MOVQ", "MOVL", "MOV"):
                            regs[fam] = v
                        else:
                            regs.pop(fam, None)
            elif m in ("ORQ", "ORL", "ORW", "ORB", "BTSQ", "BTSL") and len(ops) == 2:
                src, dst = ops
                fam = _fam(dst.name) if isinstance(dst, Register) else None
                if fam:
                    cur = regs.get(fam, UNKNOWN)
                    imm = _value(src, regs).const
                    if m.startswith("BTS") and imm is not None:
                        imm = 1 << imm
                    if imm is None:
                        regs[fam] = Val(cr4=cur.cr4)
                    else:
                        regs[fam] = Val(None if cur.const is None else cur.const | imm,
                                        cur.bits | imm, cr4=cur.cr4)
            elif m in ("ANDQ", "ANDL", "XORQ", "XORL", "SHRQ", "SHLQ", "ADDQ", "SUBQ",
                       "ANDW", "XORW", "ANDB", "XORB", "BTRQ", "BTRL"):
                dst = ops[-1] if ops else None
                if isinstance(dst, Register):
                    fam = _fam(dst.name)
                    if fam == "SP" and m in ("ADDQ", "SUBQ") and ops:
                        amount = _value(ops[0], regs).const
                        if amount is not None:
                            sp_delta += amount if m == "ADDQ" else -amount
                            if sp_delta > 0 and track_sp and blk.start == 0:
                                consumes = True
                    if fam:
                        cur = regs.get(fam, UNKNOWN)
                        if (m.startswith("XOR") and isinstance(ops[0], Register)
                                and _fam(ops[0].name) == fam):
                            regs[fam] = Val(const=0)
                        elif m.startswith("AND") and cur.cr4:
                            imm = _value(ops[0], regs).const
                            regs[fam] = Val(bits=cur.bits & (imm or 0), cr4=True)
                        else:
                            regs[fam] = UNKNOWN
            elif m == "POPQ" and ops:
                sp_delta += 8
                if sp_delta > 0 and track_sp and blk.start == 0:
                    consumes = True
                if isinstance(ops[0], Register) and _fam(ops[0].name):
                    regs[_fam(ops[0].name) or ""] = UNKNOWN
            elif m == "PUSHQ":
                sp_delta -= 8
            elif m == "WRMSR":
                ecx = regs.get("CX", UNKNOWN)
                eax = regs.get("AX", UNKNOWN)
                if ecx.const is not None:
                    if ecx.const == MSR_FS_BASE:
                        eff.append(Effect("fs", ins))
                    eff.append(Effect("msr", ins, ecx.const, eax))
                elif ecx.param is not None:
                    eff.append(Effect("msr_param", ins, param_msr=ecx.param,
                                      param_value=eax.param))
            elif m in ("WRFSBASEQ", "WRFSBASEL"):
                eff.append(Effect("fs", ins))
            elif m == "SYSCALL":
                # arch_prctl(ARCH_SET_FS, addr) under Linux (user-mode kernels, tests).
                if regs.get("AX", UNKNOWN).const == SYS_ARCH_PRCTL and \
                        regs.get("DI", UNKNOWN).const == ARCH_SET_FS:
                    eff.append(Effect("fs", ins))
                for r in ("AX", "CX", "R11"):
                    regs.pop(r, None)
            elif m in FXSAVE_MNEMONICS:
                eff.append(Effect("fpu", ins))
            elif m == "CALL":
                regs.clear()
            elif m in ("CPUID", "RDMSR", "XGETBV", "RDTSC"):
                for r in ("AX", "BX", "CX", "DX"):
                    regs.pop(r, None)
            else:
                # Any other write to a register makes its content unknown.
                if ops and isinstance(ops[-1], Register):
                    fam = _fam(ops[-1].name)
                    if fam:
                        regs.pop(fam, None)
            if eff:
                effects[k] = eff
    return effects, code_refs, consumes


def _value(op: object, regs: dict[str, Val]) -> Val:
    if isinstance(op, Immediate):
        if op.symbol is not None:
            return Val(sym=op.symbol)
        if op.value is not None:
            v = op.value & 0xFFFFFFFFFFFFFFFF
            return Val(const=v, bits=v)
        return UNKNOWN
    if isinstance(op, Register):
        if op.name == "CR4":
            return Val(cr4=True)
        fam = _fam(op.name)
        return regs.get(fam, UNKNOWN) if fam else UNKNOWN
    if isinstance(op, Memory) and op.symbol is not None and op.symbol.pseudo == "FP":
        return Val(param=op.symbol.written)
    return UNKNOWN
