"""Which files `go build` compiles for a target: file-name suffixes, `//go:build` (and the
older `// +build`) constraints, and the directories it never looks into.

Follows go/build (goodOSArchFile, shouldBuild) and go/build/constraint.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

KNOWN_OS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux",
    "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
})
UNIX_OS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "linux",
    "netbsd", "openbsd", "solaris",
})
KNOWN_ARCH = frozenset({
    "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle",
    "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
    "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
})
LATEST_GO_MINOR = 30  # release tags go1.1 … go1.N are all satisfied by a current toolchain


@dataclass(frozen=True)
class Target:
    goos: str = "linux"
    goarch: str = "amd64"
    goamd64: str = "v1"
    cgo: bool = False
    tags: frozenset[str] = field(default_factory=frozenset)
    go_minor: int = LATEST_GO_MINOR

    def satisfied(self, tag: str) -> bool:
        if tag in (self.goos, self.goarch, "gc") or tag in self.tags:
            return True
        if tag == "unix":
            return self.goos in UNIX_OS
        if tag == "cgo":
            return self.cgo
        if self.goos == "android" and tag == "linux":
            return True
        if self.goos == "illumos" and tag == "solaris":
            return True
        if self.goos == "ios" and tag == "darwin":
            return True
        m = re.fullmatch(r"go1\.(\d+)", tag)
        if m:
            return int(m.group(1)) <= self.go_minor
        m = re.fullmatch(r"amd64\.v(\d)", tag)
        if m and self.goarch == "amd64":
            return int(m.group(1)) <= int(self.goamd64.lstrip("v") or 1)
        return False


def name_matches(filename: str, target: Target) -> bool:
    """go/build goodOSArchFile: `x_GOOS.s`, `x_GOARCH.s`, `x_GOOS_GOARCH.s`."""
    name = os.path.basename(filename)
    stem = name.split(".", 1)[0] if not name.startswith(".") else name
    if stem.endswith("_test"):
        stem = stem[: -len("_test")]
    parts = stem.split("_")
    # go/build ignores everything before the first underscore (the base name).
    parts = parts[1:] if len(parts) > 1 else []
    n = len(parts)
    if n >= 2 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
        return _os_ok(parts[-2], target) and parts[-1] == target.goarch
    if n >= 1:
        last = parts[-1]
        if last in KNOWN_OS:
            return _os_ok(last, target)
        if last in KNOWN_ARCH:
            return last == target.goarch
    return True


def _os_ok(goos: str, target: Target) -> bool:
    if goos == target.goos:
        return True
    # go/build: android files are linux files too, illumos solaris, ios darwin.
    return (target.goos, goos) in {("android", "linux"), ("illumos", "solaris"),
                                   ("ios", "darwin")}


# -- //go:build expressions ----------------------------------------------------------------
_TOKEN = re.compile(r"\s*(\(|\)|!|&&|\|\||[A-Za-z0-9_.]+)")


class ConstraintError(ValueError):
    pass


def eval_go_build(expr: str, target: Target) -> bool:
    """Evaluate the expression of a `//go:build` line (without the prefix)."""
    toks: list[str] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise ConstraintError(f"unexpected character in build constraint: {expr[pos:]!r}")
        toks.append(m.group(1))
        pos = m.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    i = 0

    def or_() -> bool:
        nonlocal i
        v = and_()
        while i < len(toks) and toks[i] == "||":
            i += 1
            v = and_() or v
        return v

    def and_() -> bool:
        nonlocal i
        v = not_()
        while i < len(toks) and toks[i] == "&&":
            i += 1
            v = not_() and v
        return v

    def not_() -> bool:
        nonlocal i
        if i < len(toks) and toks[i] == "!":
            i += 1
            return not not_()
        return atom()

    def atom() -> bool:
        nonlocal i
        if i >= len(toks):
            raise ConstraintError("unexpected end of build constraint")
        t = toks[i]
        i += 1
        if t == "(":
            v = or_()
            if i >= len(toks) or toks[i] != ")":
                raise ConstraintError("missing ) in build constraint")
            i += 1
            return v
        if t in (")", "&&", "||"):
            raise ConstraintError(f"unexpected {t} in build constraint")
        return target.satisfied(t)

    v = or_()
    if i != len(toks):
        raise ConstraintError(f"unexpected {toks[i]} in build constraint")
    return v


def _plus_build(line: str, target: Target) -> bool:
    # `// +build a,b c` = (a && b) || c ; `!x` negates.
    def term(t: str) -> bool:
        return not target.satisfied(t[1:]) if t.startswith("!") else target.satisfied(t)

    return any(all(term(t) for t in opt.split(",")) for opt in line.split())


def header_constraints(text: str) -> tuple[str | None, list[str]]:
    """The `//go:build` expression and `// +build` lines of a file's leading comments."""
    go_build: str | None = None
    plus: list[str] = []
    in_block = False
    for raw in text.split("\n", 200)[:200]:
        line = raw.strip()
        if in_block:
            if "*/" in line:
                in_block = False
                line = line[line.index("*/") + 2 :].strip()
                if not line:
                    continue
            else:
                continue
        if not line:
            continue
        if line.startswith("/*"):
            if "*/" not in line[2:]:
                in_block = True
            continue
        if not line.startswith("//"):
            break
        if line.startswith("//go:build") and (len(line) == 10 or line[10].isspace()):
            if go_build is None:
                go_build = line[10:].strip()
        elif re.match(r"//\s*\+build(\s|$)", line):
            plus.append(line.split("+build", 1)[1].strip())
    return go_build, plus


def file_matches(path: str, goos: str = "linux", goarch: str = "amd64",
                 text: str | None = None, target: Target | None = None) -> bool:
    """Whether `go build` for goos/goarch compiles this file (name and constraints)."""
    target = target or Target(goos, goarch)
    if not name_matches(path, target):
        return False
    if text is None:
        text = _head(path)
    go_build, plus = header_constraints(text)
    try:
        if go_build is not None:
            return eval_go_build(go_build, target)
    except ConstraintError:
        return False
    return all(_plus_build(p, target) for p in plus)


def _head(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(16384).decode("utf-8", errors="replace")
    except OSError:
        return ""


def skip_dir(name: str) -> bool:
    """Directories the go command never treats as packages of the tree."""
    return name in ("testdata", "vendor") or name.startswith((".", "_"))


@lru_cache(maxsize=64)
def _cached_listing(directory: str, mtime_ns: int) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(directory)))
    except OSError:
        return ()


def package_files(directory: str, target: Target, exts: tuple[str, ...] = (".s", ".go"),
                  tests: bool = False) -> list[str]:
    """The files of the package in `directory` that the build for target includes."""
    try:
        st = os.stat(directory)
    except OSError:
        return []
    out = []
    for name in _cached_listing(directory, st.st_mtime_ns):
        if not name.endswith(exts) or name.startswith((".", "_")):
            continue
        if name.endswith("_test.go") and not tests:
            continue
        path = os.path.join(directory, name)
        if os.path.isfile(path) and file_matches(path, target=target):
            out.append(path)
    return out
