"""The error value every build-reader entry point returns instead of raising."""

from __future__ import annotations

from dataclasses import dataclass

EGG902 = "EGG902"


@dataclass(frozen=True, slots=True)
class BuildError:
    """Why a file could not be read as a Go build; the CLI surfaces it as EGG902.

    kind is one of: "missing", "unreadable", "too-large", "not-elf", "truncated", "corrupt",
    "foreign-arch", "not-go", "no-build".
    """

    path: str
    kind: str
    message: str
    code: str = EGG902

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class BuildFault(Exception):
    """Raised inside the reader; converted to a BuildError at every public boundary."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def to_error(self, path: str) -> BuildError:
        return BuildError(path, self.kind, self.message)


def fault_from(exc: BaseException) -> BuildFault:
    """Map any parsing exception (struct, pyelftools, capstone, ...) to a 'corrupt' fault."""
    if isinstance(exc, BuildFault):
        return exc
    text = str(exc) or type(exc).__name__
    return BuildFault("corrupt", f"malformed ELF ({type(exc).__name__}: {text[:200]})")
