"""What a check covers: the Go modules and packages around the paths the user named, the
target, and where GOROOT's headers are. Finds things without running any program."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from eggls.gobuild import Target, package_files, skip_dir
from eggls.gomod import Module, find_module

MAX_PACKAGES = 20_000  # a walk that finds more is surely not one kernel; stop there


@dataclass
class Package:
    directory: str
    module: Module | None
    asm_files: list[str] = field(default_factory=list)
    go_files: list[str] = field(default_factory=list)


def find_goroot() -> Path | None:
    """GOROOT for `#include "textflag.h"`: $GOROOT, else the `go` on PATH resolved through its
    symlinks (bin/go → GOROOT). Never executes it."""
    candidates = []
    if os.environ.get("GOROOT"):
        candidates.append(Path(os.environ["GOROOT"]))
    go = shutil.which("go")
    if go:
        candidates.append(Path(os.path.realpath(go)).parent.parent)
    for c in candidates:
        if (c / "pkg" / "include" / "textflag.h").is_file():
            return c
    return None


def goroot_of(path: str) -> Path | None:
    """The GOROOT containing path, if path lies in one (so the std tree uses its own headers)."""
    p = Path(os.path.abspath(path))
    for d in [p, *p.parents]:
        if (d / "src" / "runtime" / "textflag.h").is_file() and (d / "pkg" / "include").is_dir():
            return d
    return None


def collect_packages(paths: list[str], target: Target) -> tuple[list[Package], list[str]]:
    """Packages named by paths, as the go command reads them: a file names its package (and
    only that file is reported on), a directory the package in it, `dir/...` every package
    below dir. Returns the packages (sorted by directory) and problems (paths that do not
    exist)."""
    dirs: dict[str, set[str] | None] = {}  # directory -> only these files (None: all)
    problems: list[str] = []
    for raw in paths:
        recursive = raw == "..." or raw.endswith(("/...", os.sep + "..."))
        path = os.path.abspath((raw[:-3] or ".") if recursive else raw)
        if os.path.isdir(path) and not recursive:
            dirs[path] = None
        elif os.path.isfile(path) and not recursive:
            d = os.path.dirname(path)
            cur = dirs.get(d, set())
            if cur is not None:
                cur.add(path)
                dirs[d] = cur
        elif os.path.isdir(path):
            for d, subdirs, _files in os.walk(path):
                subdirs[:] = sorted(s for s in subdirs if not skip_dir(s))
                dirs[d] = None
                if len(dirs) > MAX_PACKAGES:
                    problems.append(f"{raw}: more than {MAX_PACKAGES} directories; stopped")
                    break
        else:
            problems.append(f"{raw}: no such file or directory")
    packages = []
    for d in sorted(dirs):
        only = dirs[d]
        files = package_files(d, target)
        if only is not None:
            # Named files are reported on only if the build for the target compiles them.
            files = [f for f in files if f in only]
        asm = [f for f in files if f.endswith(".s")]
        gos = [f for f in files if f.endswith(".go")]
        if asm or gos:
            packages.append(Package(d, find_module(d), asm, gos))
    return packages, problems
