"""Go modules and package paths: what `·name` in an asm file is qualified with.

The linker spells a symbol `<prefix>.<name>` where prefix is the package's import path
escaped by objabi.PathToPrefix, and `main` for a main package. A directory under
$GOROOT/src belongs to the `std` module, whose import paths have no `std/` prefix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


@dataclass(frozen=True)
class Module:
    root: str  # directory holding go.mod
    path: str  # module path
    go: str | None  # `go` directive, e.g. "1.21"
    toolchain: str | None  # `toolchain` directive, e.g. "go1.24.11"


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_go_mod(path: str) -> Module | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    text = _strip_comments(text)
    m = re.search(r"^\s*module\s+(\"[^\"]+\"|\S+)", text, re.M)
    if not m:
        return None
    go = re.search(r"^\s*go\s+(\S+)", text, re.M)
    tc = re.search(r"^\s*toolchain\s+(\S+)", text, re.M)
    return Module(os.path.dirname(os.path.abspath(path)), m.group(1).strip('"'),
                  go.group(1) if go else None, tc.group(1) if tc else None)


@lru_cache(maxsize=256)
def find_module(directory: str) -> Module | None:
    """The module whose go.mod is nearest above directory."""
    d = os.path.abspath(directory)
    while True:
        gm = os.path.join(d, "go.mod")
        if os.path.isfile(gm):
            return parse_go_mod(gm)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def path_to_prefix(path: str) -> str:
    """objabi.PathToPrefix: escape control bytes, space, %, ", non-ASCII, and `.` in the
    last path element, as %xx."""
    slash = path.rfind("/")
    out = []
    for i, ch in enumerate(path.encode("utf-8")):
        c = chr(ch)
        if ch <= 0x20 or ch >= 0x7F or c in '%"' or (c == "." and i > slash):
            out.append(f"%{ch:02x}")
        else:
            out.append(c)
    return "".join(out)


def go_package_name(directory: str) -> str | None:
    """The `package` clause of the first non-test Go file in directory."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return None
    for n in names:
        if n.endswith(".go") and not n.endswith("_test.go"):
            try:
                with open(os.path.join(directory, n), "rb") as fh:
                    head = fh.read(8192).decode("utf-8", errors="replace")
            except OSError:
                continue
            m = _PACKAGE.search(_strip_comments(head))
            if m:
                return m.group(1)
    return None


def import_path(directory: str, goroot: str | None = None) -> str | None:
    """Import path of the package in directory (None when outside any module/GOROOT)."""
    d = os.path.abspath(directory)
    if goroot:
        src = os.path.join(os.path.abspath(goroot), "src")
        if d == src or d.startswith(src + os.sep):
            rel = os.path.relpath(d, src)
            if rel.startswith("cmd" + os.sep) or rel == "cmd":
                return rel.replace(os.sep, "/")
            return "" if rel == "." else rel.replace(os.sep, "/")
    mod = find_module(d)
    if mod is None:
        return None
    rel = os.path.relpath(d, mod.root)
    return mod.path if rel == "." else mod.path + "/" + rel.replace(os.sep, "/")


def symbol_prefix(directory: str, goroot: str | None = None) -> str:
    """What `·name` in an asm file of this directory is qualified with, as the linker spells
    it: `main` for a main package, else the escaped import path. Falls back to the directory
    name for loose files, so analysis can still run."""
    if go_package_name(directory) == "main":
        return "main"
    ip = import_path(directory, goroot)
    if ip is None:
        ip = os.path.basename(os.path.abspath(directory))
    return path_to_prefix(ip)
