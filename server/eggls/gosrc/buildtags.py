"""Build constraints: the `//go:build` boolean grammar, `// +build` lines, file-name suffixes.

Mirrors go/build/constraint: `//go:build` is `expr := or; or := and {"||" and}; and := not
{"&&" not}; not := "!" not | "(" expr ")" | tag`, tags made of letters, digits, `_` and `.`.
`// +build` lines: space-separated options are ORed, comma-separated terms ANDed, lines ANDed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Satisfied = Callable[[str], bool]

UNIX_GOOS = frozenset({"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos",
                       "ios", "linux", "netbsd", "openbsd", "solaris"})
KNOWN_GOOS = UNIX_GOOS | {"js", "nacl", "plan9", "wasip1", "windows", "zos"}
KNOWN_GOARCH = frozenset({"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be",
                          "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32",
                          "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64",
                          "s390", "s390x", "sparc", "sparc64", "wasm"})
# GOOS values that also satisfy another GOOS tag (go/build matchTag).
_IMPLIES = {"android": "linux", "illumos": "solaris", "ios": "darwin"}

_TOKEN = re.compile(r"\s*(?:(\(|\)|!|&&|\|\|)|([A-Za-z0-9_.]+)|(\S))")


class BuildExprError(ValueError):
    pass


def build_satisfied(goos: str, goarch: str, tags: Iterable[str] = (),
                    go_version: str | None = None) -> Satisfied:
    """The tag predicate `go build` uses for this configuration (see GoFile.build_ok)."""
    have = {goos, goarch, *tags}
    if goos in _IMPLIES:
        have.add(_IMPLIES[goos])
    if goos in UNIX_GOOS:
        have.add("unix")
    if "gccgo" not in have:
        have.add("gc")
    if go_version:
        m = re.match(r"(?:go)?1\.(\d+)", go_version)
        if m:
            have.update(f"go1.{i}" for i in range(1, int(m.group(1)) + 1))
    return have.__contains__


def parse_build_expr(text: str) -> Callable[[Satisfied], bool]:
    """Parse a //go:build expression (without the `//go:build` prefix) into an evaluator.

    Raises BuildExprError on malformed input.
    """
    toks: list[str] = []
    for m in _TOKEN.finditer(text):
        if m.group(3):
            raise BuildExprError(f"unexpected {m.group(3)!r} in build constraint")
        toks.append(m.group(1) or m.group(2))
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise BuildExprError("unexpected end of build constraint")
        pos += 1
        return toks[pos - 1]

    def p_or() -> tuple:
        x = p_and()
        while peek() == "||":
            take()
            x = ("or", x, p_and())
        return x

    def p_and() -> tuple:
        x = p_not()
        while peek() == "&&":
            take()
            x = ("and", x, p_not())
        return x

    def p_not() -> tuple:
        t = take()
        if t == "!":
            return ("not", p_not())
        if t == "(":
            x = p_or()
            if take() != ")":
                raise BuildExprError("missing ) in build constraint")
            return x
        if t in ("(", ")", "&&", "||"):
            raise BuildExprError(f"unexpected {t!r} in build constraint")
        return ("tag", t)

    tree = p_or()
    if pos != len(toks):
        raise BuildExprError(f"unexpected {toks[pos]!r} in build constraint")

    def ev(node: tuple, ok: Satisfied) -> bool:
        op = node[0]
        if op == "tag":
            return ok(node[1])
        if op == "not":
            return not ev(node[1], ok)
        if op == "and":
            return ev(node[1], ok) and ev(node[2], ok)
        return ev(node[1], ok) or ev(node[2], ok)

    return lambda ok: ev(tree, ok)


def plus_build_ok(lines: Iterable[str], ok: Satisfied) -> bool:
    """Evaluate `// +build` lines (text after "+build"); no lines means satisfied."""
    for line in lines:
        options = line.split()
        if not options:
            continue
        if not any(_plus_option(o, ok) for o in options):
            return False
    return True


def _plus_option(option: str, ok: Satisfied) -> bool:
    for term in option.split(","):
        neg = term.startswith("!")
        tag = term[1:] if neg else term
        if not tag or ok(tag) == neg:
            return False
    return True


def filename_ok(name: str, goos: str, goarch: str, tests: bool = False) -> bool:
    """go/build's file-name rule: `*_GOOS`, `*_GOARCH`, `*_GOOS_GOARCH` (before `_test`)."""
    if not name.endswith(".go"):
        return False
    stem = name[:-3]
    if stem.endswith("_test"):
        if not tests:
            return False
        stem = stem[:-5]
    parts = stem.split("_")
    if len(parts) < 2:
        return True
    ok = build_satisfied(goos, goarch)
    last = parts[-1]
    if len(parts) >= 3 and parts[-2] in KNOWN_GOOS and last in KNOWN_GOARCH:
        return ok(parts[-2]) and ok(last)
    if last in KNOWN_GOOS or last in KNOWN_GOARCH:
        return ok(last)
    return True


@dataclass(frozen=True, slots=True)
class Header:
    """Build constraints found in a file's header (comments before the package clause)."""

    go_build: tuple[tuple[int, str], ...]  # (byte offset of the comment, expression) each
    plus_build: tuple[str, ...]  # `// +build` lines followed by a blank line, text after +build

    @property
    def expr(self) -> str | None:
        return self.go_build[0][1] if self.go_build else None


def read_header(data: bytes) -> Header:
    """Scan the header without parsing the file: what `go build` reads to select files."""
    go_build: list[tuple[int, str]] = []
    plus: list[tuple[int, str]] = []
    last_blank = -1
    pos = 0
    n = len(data)
    in_block = False
    while pos < n:
        nl = data.find(b"\n", pos)
        end = n if nl < 0 else nl
        raw = data[pos:end]
        line = raw.strip()
        start = pos
        pos = end + 1
        if in_block:
            if b"*/" in line:
                in_block = False
                if line.split(b"*/", 1)[1].strip():
                    break
            continue
        if not line:
            last_blank = start
            continue
        if line.startswith(b"//"):
            text = line.decode("utf-8", "replace")
            off = start + raw.find(b"//")
            if re.match(r"//go:build(\s|$)", text):
                go_build.append((off, text[len("//go:build"):].strip()))
            elif re.match(r"//\s*\+build(\s|$)", text):
                plus.append((off, text.split("+build", 1)[1].strip()))
            continue
        if line.startswith(b"/*"):
            rest = line[2:]
            if b"*/" not in rest:
                in_block = True
            elif rest.split(b"*/", 1)[1].strip():
                break
            continue
        break
    return Header(tuple(go_build), tuple(t for off, t in plus if off < last_blank))


def header_ok(header: Header, ok: Satisfied) -> bool:
    """Evaluate a header: //go:build when present (malformed counts as satisfied), else the
    // +build lines."""
    if header.go_build:
        try:
            return parse_build_expr(header.go_build[0][1])(ok)
        except BuildExprError:
            return True
    return plus_build_ok(header.plus_build, ok)


def file_build_ok(name: str, data: bytes, goos: str, goarch: str, tags: Iterable[str] = (),
                  go_version: str | None = None, tests: bool = False) -> bool:
    """Would `go build` compile this file? File name rule, then the header constraint;
    cheap enough to run before indexing."""
    if not filename_ok(name, goos, goarch, tests):
        return False
    return header_ok(read_header(data), build_satisfied(goos, goarch, tags, go_version))
