"""The parsed form of one Go-assembly file.

Names follow cmd/asm after lexing: `·` is stored as `.` and `∕` as `/`, so `runtime·morestack`
becomes `runtime.morestack` and a package-local `·f` is qualified with the file's package
path (`example.com/k.f`). Every node carries the Span the user can see; for tokens that came
out of a macro expansion that is the macro's use site.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eggls.diagnostics import Span

# Value classes are hashable but not frozen: a frozen dataclass sets each field through
# object.__setattr__, which made building them a sizeable share of parsing GOROOT.

@dataclass(slots=True, unsafe_hash=True)
class SymbolRef:
    """`name<ABI>+off(SB)` and friends. `name` is fully qualified (package prefix applied)."""

    name: str
    written: str  # the name as written after `·`→`.` translation, before qualification
    offset: int = 0
    static: bool = False  # name<>
    abi: str | None = None  # "ABI0" / "ABIInternal" when a selector was written
    pseudo: str | None = None  # "SB", "FP", "SP", "PC" or None (bare name, e.g. CALL target)

    @property
    def package(self) -> str:
        """Package path of a qualified name: everything before the last '.' after the last '/'."""
        slash = self.name.rfind("/")
        dot = self.name.find(".", slash + 1)
        return self.name[:dot] if dot >= 0 else ""

    @property
    def local(self) -> str:
        slash = self.name.rfind("/")
        dot = self.name.find(".", slash + 1)
        return self.name[dot + 1 :] if dot >= 0 else self.name


@dataclass(slots=True, unsafe_hash=True)
class Register:
    name: str  # canonical spelling as cmd/asm knows it, e.g. "AX", "R14", "X15", "TLS"
    span: Span


@dataclass(slots=True, unsafe_hash=True)
class Immediate:
    """`$expr`. value is None when the expression names something not known here
    (typically a constant from the compiler-generated go_asm.h)."""

    value: int | None
    text: str
    span: Span
    symbol: SymbolRef | None = None  # `$sym(SB)`: the address of a symbol


@dataclass(slots=True, unsafe_hash=True)
class FloatImm:
    value: float
    span: Span


@dataclass(slots=True, unsafe_hash=True)
class StringImm:
    value: str
    span: Span


@dataclass(slots=True, unsafe_hash=True)
class Memory:
    """`seg-or-base` addressing: off(BASE)(INDEX*scale), sym+off(SB), x+8(FP), (TLS), 16(FS)."""

    span: Span
    offset: int | None = 0  # None when the offset names an unresolved constant
    base: str | None = None  # register name, or None
    index: str | None = None
    scale: int = 0
    segment: str | None = None  # "FS", "GS" or "TLS" when the base is a segment register
    symbol: SymbolRef | None = None  # with pseudo SB/FP/SP
    indirect: bool = False  # written with a leading '*'


@dataclass(slots=True, unsafe_hash=True)
class Branch:
    """A jump/call target: a label, `n(PC)`, a register (`CALL AX`, `JMP *AX`), a symbol
    (`CALL runtime·f(SB)`) or memory (`JMP (AX)`)."""

    span: Span
    label: str | None = None
    pc_offset: int | None = None
    register: str | None = None
    symbol: SymbolRef | None = None
    memory: Memory | None = None


@dataclass(slots=True, unsafe_hash=True)
class RegisterList:
    low: str
    high: str
    span: Span


Operand = Register | Immediate | FloatImm | StringImm | Memory | Branch | RegisterList


@dataclass(slots=True)
class Instruction:
    mnemonic: str  # e.g. "MOVQ", "CALL", "BYTE"
    operands: list[Operand]
    span: Span  # the whole statement
    suffix: str = ""  # ".Z.BCST" style suffixes, as written
    labels: tuple[str, ...] = ()  # labels attached to this instruction
    data: bytes | None = None  # raw bytes for BYTE/WORD/LONG/QUAD inside TEXT

    @property
    def line(self) -> int:
        return self.span.line


@dataclass(slots=True, unsafe_hash=True)
class Flag:
    name: str  # e.g. "NOSPLIT"; for an unnamed bit, its decimal value
    value: int


@dataclass(slots=True)
class Text:
    """A TEXT block: the function's declaration line and the statements up to the next TEXT."""

    symbol: SymbolRef
    span: Span  # the TEXT statement
    name_span: Span  # the symbol operand
    flags: tuple[Flag, ...]  # as written, in order; empty when no flag operand
    flag_value: int
    frame_size: int
    arg_size: int | None  # None when omitted ("-argsize" absent)
    instructions: list[Instruction] = field(default_factory=list)
    labels: dict[str, Span] = field(default_factory=dict)
    pcdata: list[tuple[int | None, int | None, Span]] = field(default_factory=list)
    funcdata: list[tuple[int | None, SymbolRef | None, Span]] = field(default_factory=list)
    end_line: int = 0  # last source line belonging to the block (same file)

    @property
    def name(self) -> str:
        return self.symbol.name

    def has_flag(self, name: str) -> bool:
        from eggls.asm.textflag import TEXTFLAG_VALUES

        bit = TEXTFLAG_VALUES.get(name)
        return bit is not None and bool(self.flag_value & bit)


@dataclass(slots=True)
class Data:
    """DATA sym+off(SB)/size, $value."""

    symbol: SymbolRef
    offset: int
    size: int
    value: Operand | None
    span: Span


@dataclass(slots=True)
class Globl:
    symbol: SymbolRef
    flags: tuple[Flag, ...]
    flag_value: int
    size: int | None
    span: Span


@dataclass(slots=True, unsafe_hash=True)
class AsmError:
    span: Span
    message: str


@dataclass(slots=True)
class AsmFile:
    path: str
    package: str  # import path used to qualify `·name`
    texts: list[Text] = field(default_factory=list)
    data: list[Data] = field(default_factory=list)
    globls: list[Globl] = field(default_factory=list)
    errors: list[AsmError] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)  # resolved paths of #include'd files
    unresolved_includes: list[str] = field(default_factory=list)  # e.g. go_asm.h
    lines: int = 0
