"""The rule registry: every code eggls reports, with the one explanation that hover,
`--explain` and docs/rules.md all show."""

from __future__ import annotations

from dataclasses import dataclass

from eggls.diagnostics import Severity

DOCS_URL = "https://github.com/eggls/eggls/blob/main/docs/rules.md"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity  # default severity; some rules pick per finding
    summary: str
    explanation: str

    @property
    def anchor(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}"


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in RULES:
        raise ValueError(f"duplicate rule code {rule.code}")
    RULES[rule.code] = rule
    return rule


EGG900 = register(Rule(
    "EGG900", "asm-syntax", Severity.ERROR,
    "Go assembly syntax error",
    "The Go assembler (`go tool asm`) would reject this file: the lexer, the preprocessor "
    "(`#include`, `#define`, `#ifdef`) or the statement parser found something it cannot "
    "read. eggls parses the file as cmd/asm does, with the same include search path and "
    "predefined macros the go command passes (`GOOS_linux`, `GOARCH_amd64`, `GOAMD64_v1`), "
    "and resumes at the next statement, so every error in the file is listed. Names from the "
    "compiler-generated `go_asm.h` are left unresolved without an error.",
))

EGG901 = register(Rule(
    "EGG901", "go-syntax", Severity.ERROR,
    "Go syntax error",
    "The Go file does not parse. eggls still analyses the rest of the package, but findings "
    "that depend on this file may be missing until it parses again.",
))

EGG902 = register(Rule(
    "EGG902", "build-unreadable", Severity.ERROR,
    "build artifact unreadable",
    "The build artifact eggls was told to use (or found as the newest Go ELF in the module) "
    "cannot be read: it is truncated, corrupt, not an ELF file, not built by Go, or for "
    "another architecture. Findings fall back to predictions from the Go version.",
))
