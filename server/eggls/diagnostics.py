"""The diagnostic value every analysis produces and every front end (CLI, LSP) renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"

    @property
    def rank(self) -> int:
        """Higher is more severe; used by --fail-on."""
        return _RANK[self]


_RANK = {Severity.HINT: 0, Severity.INFORMATION: 1, Severity.WARNING: 2, Severity.ERROR: 3}


# Hashable but not frozen: the parser builds hundreds of thousands of spans, and a frozen
# dataclass's __init__ (object.__setattr__ per field) costs nearly four times as much.
@dataclass(slots=True, unsafe_hash=True)
class Span:
    """A source range. Lines and columns are 1-based; columns count Unicode characters.

    end_col is exclusive (the column just past the last character), as LSP ranges are.
    """

    path: str
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True, slots=True)
class Related:
    path: str
    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class Fault:
    """The CPU exception a build-backed finding predicts, located in the build's bytes.

    It is what `instruction` raises when it executes in the state the finding describes
    (`when`); QEMU boots of tests/boot check it against a real (emulated) CPU.
    """

    vector: str  # "#UD", "#PF", "#GP"
    symbol: str  # the function holding the faulting instruction
    address: int  # of the faulting instruction
    offset: int  # address - the symbol's start
    instruction: str  # as capstone prints it (AT&T), e.g. "xorps %xmm15, %xmm15"
    when: str  # the condition, e.g. "CR4.OSFXSR = 0 (SSE not enabled)"
    cr2: int | None = None  # for #PF: the linear address the instruction then reads


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str  # absolute path of the file the finding is anchored in
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    severity: Severity
    basis: str  # what the finding rests on: "syntax", "build" or "predicted"
    message: str
    related: tuple[Related, ...] = field(default=())
    wrapper: tuple[str, int] | None = None  # (symbol, address) from the build
    fault: Fault | None = None  # the exception predicted from the build, when determined

    @classmethod
    def at(cls, span: Span, code: str, severity: Severity, basis: str, message: str,
           related: tuple[Related, ...] = (),
           wrapper: tuple[str, int] | None = None, fault: Fault | None = None) -> Diagnostic:
        return cls(span.path, span.line, span.col, span.end_line, span.end_col, code,
                   severity, basis, message, related, wrapper, fault)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)
