"""Which files `go build` compiles for a target: file-name suffixes, `//go:build` (and the
older `// +build`) constraints, and the directories it never looks into.

Follows go/build (goodOSArchFile, shouldBuild); the constraint grammar itself lives in
eggls.gosrc.buildtags.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from eggls.gosrc.buildtags import header_ok, read_header

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


def file_matches(path: str, goos: str = "linux", goarch: str = "amd64",
                 text: str | None = None, target: Target | None = None) -> bool:
    """Whether `go build` for goos/goarch compiles this file (name and header constraints;
    the constraint grammar is gosrc.buildtags', shared with the Go index)."""
    target = target or Target(goos, goarch)
    if not name_matches(path, target):
        return False
    data = text.encode("utf-8", "replace") if text is not None else _head(path)
    return header_ok(read_header(data), target.satisfied)


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(16384)
    except OSError:
        return b""


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
