"""Time the asm front end over every non-testdata .s file of a GOROOT (all architectures).

Usage: python bench/parse_goroot.py [GOROOT]   (default: the newest toolchain found)
Prints files, lines, seconds and lines/s (best of 5), then the same split into the files
read for amd64 (operands parsed and checked against the tables) and the rest (statements
only). One process, one core; files are read from disk once before timing so the figure is
the front end, not the page cache. Each file is parsed for a target its name and build
constraints admit (`asm_ppc64x.s` carries `//go:build ppc64 || ppc64le`), as the go command
would assemble it. Goal (issue 2): ≤ 1.5 s.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eggls.asm import AsmConfig, parse_file
from eggls.gobuild import KNOWN_ARCH, KNOWN_OS, file_matches

_ARCHES = ["amd64", *sorted(KNOWN_ARCH - {"amd64"})]
_OSES = ["linux", *sorted(KNOWN_OS - {"linux"})]


def target_of(path: str, text: str) -> tuple[str, str]:
    """A (GOOS, GOARCH) the go command would assemble this file for, by its name and its
    build constraints (`//go:build ppc64 || ppc64le` in `asm_ppc64x.s`); linux/amd64
    preferred. A file no target builds (`//go:build ignore`) is read as linux/amd64."""
    for goarch in _ARCHES:
        for goos in _OSES:
            if file_matches(path, goos, goarch, text):
                return goos, goarch
    return "linux", "amd64"


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
    # Each file is read as the go command would assemble it: for a target its name and
    # build constraints admit, with that target's predefined macros.
    cfgs: dict[tuple[str, str], AsmConfig] = {}
    jobs = []
    for p, t in texts:
        goos, goarch = target_of(p, t)
        cfg = cfgs.setdefault((goos, goarch), AsmConfig(goos=goos, goarch=goarch, goroot=goroot))
        jobs.append((p, t, cfg))
    def timed(selected: list[tuple[str, str, AsmConfig]]) -> float:
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for p, t, cfg in selected:
                parse_file(p, "bench", cfg, text=t)
            best = min(best, time.perf_counter() - t0)
        return best

    best = timed(jobs)
    print(f"goroot: {goroot}")
    print(f"files: {len(files)}  lines: {lines}  seconds: {best:.3f}  lines/s: {lines / best:,.0f}"
          "  (best of 5)")
    for label, amd64 in (("amd64", True), ("other", False)):
        part = [j for j in jobs if (j[2].goarch == "amd64") == amd64]
        n = sum(t.count("\n") + 1 for _, t, _ in part)
        print(f"  {label}: {len(part)} files, {n} lines, {timed(part):.3f} s")

if __name__ == "__main__":
    main()
