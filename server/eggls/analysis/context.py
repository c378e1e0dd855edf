"""What every rule sees: the program, its init state, the code addresses taken in Go, and
where wrapper facts come from (the build, or a prediction from the Go version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from eggls.analysis.codeaddr import CodeAddress, code_addresses
from eggls.analysis.initstate import InitState
from eggls.analysis.program import Func, Program
from eggls.diagnostics import Related

if TYPE_CHECKING:
    from eggls.build.gobuild import GoBuild, Wrapper

# The register ABI (and with it ABI wrappers) by GOARCH, from ABI-NOTES.
REGISTER_ABI_SINCE = {"amd64": (1, 17), "arm64": (1, 18), "ppc64": (1, 18), "ppc64le": (1, 18),
                      "riscv64": (1, 19), "loong64": (1, 22), "s390x": (1, 26)}


def parse_go_version(v: str | None) -> tuple[int, int] | None:
    import re

    if not v:
        return None
    m = re.match(r"(?:go)?(\d+)\.(\d+)", v.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


@dataclass
class WrapperFacts:
    basis: str  # "build" or "predicted"
    goarch: str
    go_version: tuple[int, int] | None
    build: GoBuild | None = None

    @property
    def register_abi(self) -> bool:
        since = REGISTER_ABI_SINCE.get(self.goarch)
        if since is None:
            return False
        # Unknown version: assume a current toolchain (the hazards exist since 2021).
        return self.go_version is None or self.go_version >= since

    def wrapper(self, go_name: str) -> Wrapper | None:
        if self.build is None:
            return None
        return self.build.wrapper_of(go_name)


@dataclass
class RuleContext:
    prog: Program
    state: InitState
    facts: WrapperFacts
    config_sinks: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)

    @cached_property
    def code_addresses(self) -> list[CodeAddress]:
        return code_addresses(self.prog, self.config_sinks)

    def established(self, fact: str, what: str) -> tuple[Related, ...]:
        """Related information: where `fact` gets established anywhere in the program."""
        for (fname, f), span in sorted(self.state.established_at.items(),
                                       key=lambda kv: (kv[1].path, kv[1].line)):
            if f == fact:
                local = self.prog.funcs[fname].local if fname in self.prog.funcs else fname
                return (Related(span.path, span.line, span.col,
                                f"{what} is established here (in {local})"),)
        return ()

    def entry_of(self, f: Func) -> str:
        kinds = self.state.kinds.get(f.name, set())
        return "interrupt-style entry" if kinds == {"interrupt"} else "boot path"
