"""Time the asm front end over every non-testdata .s file of a GOROOT (all architectures).

Usage: python bench/parse_goroot.py [GOROOT]   (default: the newest toolchain found)
Prints files, lines, seconds and lines/s. One process, one core; files are read from disk
once before timing so the figure is the front end, not the page cache.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eggls.asm import AsmConfig, parse_file
from eggls.gobuild import KNOWN_ARCH


def _arch_of(path: str) -> str:
    stem = os.path.basename(path).split(".")[0]
    for part in reversed(stem.split("_")[1:]):
        if part in KNOWN_ARCH:
            return part
    return "amd64"


def main() -> None:
    if len(sys.argv) > 1:
        goroot = Path(sys.argv[1])
    else:
        from tests.support.toolchains import go_toolchains

        roots = go_toolchains()
        if not roots:
            sys.exit("no Go toolchain found; pass a GOROOT")
        goroot = roots[sorted(roots, key=lambda v: tuple(map(int, v.split("."))))[-1]]
    files = []
    for d, dirs, names in os.walk(goroot / "src"):
        dirs[:] = sorted(x for x in dirs if x != "testdata")
        files += [os.path.join(d, n) for n in sorted(names) if n.endswith(".s")]
    texts = [(p, Path(p).read_text(errors="replace")) for p in files]
    lines = sum(t.count("\n") + 1 for _, t in texts)
    # Each file is read as the go command would assemble it: for the GOARCH its name says
    # (amd64 for files without one), with that target's predefined macros.
    cfgs = {arch: AsmConfig(goarch=arch, goroot=goroot) for arch in KNOWN_ARCH}
    jobs = [(p, t, cfgs[_arch_of(p)]) for p, t in texts]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for p, t, cfg in jobs:
            parse_file(p, "bench", cfg, text=t)
        best = min(best, time.perf_counter() - t0)
    print(f"goroot: {goroot}")
    print(f"files: {len(files)}  lines: {lines}  seconds: {best:.3f}  lines/s: {lines / best:,.0f}"
          "  (best of 3)")


if __name__ == "__main__":
    main()
