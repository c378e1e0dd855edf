"""Mutation fuzzing of the build reader, in a guarded worker process.

The worker mutates seed ELFs deterministically (truncation, byte flips, corrupted section and
program headers, huge sizes and offsets, hits on .go.buildinfo / .symtab / .text / DWARF),
runs every reader entry point on each input and reports one JSON line per input. Per input,
an interval timer (default 10 s) raises a BaseException the reader cannot swallow, and
RLIMIT_AS (default 512 MB above the worker's own footprint) turns a blow-up into MemoryError,
which the reader re-raises. Any escaping exception, hang or blow-up is reported as a failure
with the seed and mutation number needed to reproduce it:

    python -m tests.build.fuzz_harness --seed-file X.elf --count 200 --start 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import struct
import sys
import tempfile
import traceback
from pathlib import Path

TIME_LIMIT_S = 10.0
MEMORY_LIMIT_BYTES = 512 << 20


class Hang(BaseException):
    """Raised by the interval timer; a BaseException so `except Exception` cannot hide it."""


# -- mutations ----------------------------------------------------------------------------------


def _sections(data: bytes) -> list[tuple[int, str, int, int]]:
    """(header offset, name, file offset, size) of each section, best effort."""
    try:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        names_off, = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)
        out = []
        for i in range(shnum):
            h = shoff + i * shentsize
            name, = struct.unpack_from("<I", data, h)
            off, size = struct.unpack_from("<QQ", data, h + 0x18)
            end = data.find(b"\0", names_off + name)
            out.append((h, data[names_off + name:end].decode("latin-1"), off, size))
        return out
    except (struct.error, ValueError):
        return []


HUGE = [0, 1, 0x7F, 0xFFFF, 0xFFFFFFFF, 1 << 31, 1 << 40, (1 << 63) - 1, (1 << 64) - 1]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    b = bytearray(data)
    secs = _sections(data)
    kind = rng.choice(["truncate", "flip", "section-header", "huge", "elf-header",
                       "program-header", "hit-section", "zero-range", "splice"])
    if kind == "truncate":
        n = rng.choice([0, 3, 16, 63, 64, 200, rng.randrange(len(b) + 1)])
        return bytes(b[:n]), f"truncate to {n}"
    if kind == "flip":
        k = rng.choice([1, 2, 8, 64])
        for _ in range(k):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b), f"flip {k} bits"
    if kind in ("section-header", "huge") and secs:
        h, name, _o, _s = rng.choice(secs)
        field, fmt = rng.choice([(0x00, "<I"), (0x04, "<I"), (0x08, "<Q"), (0x10, "<Q"),
                                 (0x18, "<Q"), (0x20, "<Q"), (0x28, "<I"), (0x2C, "<I"),
                                 (0x38, "<Q")])
        limit = (1 << (8 * struct.calcsize(fmt))) - 1
        value = rng.choice(HUGE) & limit if kind == "huge" else rng.randrange(limit + 1)
        struct.pack_into(fmt, b, h + field, value)
        return bytes(b), f"{kind}: {name or '?'}+{field:#x} = {value:#x}"
    if kind == "elf-header":
        field, fmt = rng.choice([(0x04, "<B"), (0x05, "<B"), (0x12, "<H"), (0x18, "<Q"),
                                 (0x20, "<Q"), (0x28, "<Q"), (0x36, "<H"), (0x38, "<H"),
                                 (0x3A, "<H"), (0x3C, "<H"), (0x3E, "<H")])
        limit = (1 << (8 * struct.calcsize(fmt))) - 1
        value = rng.choice(HUGE) & limit
        if len(b) >= 64:
            struct.pack_into(fmt, b, field, value)
        return bytes(b), f"elf header +{field:#x} = {value:#x}"
    if kind == "program-header" and len(b) >= 64:
        phoff, = struct.unpack_from("<Q", b, 0x20)
        phnum, = struct.unpack_from("<H", b, 0x38)
        if phnum and phoff + 56 * phnum <= len(b):
            h = phoff + 56 * rng.randrange(phnum)
            field = rng.choice([0x08, 0x10, 0x20, 0x28])
            value = rng.choice(HUGE)
            struct.pack_into("<Q", b, h + field, value)
            return bytes(b), f"program header +{field:#x} = {value:#x}"
    if kind == "hit-section" and secs:
        wanted = [s for s in secs if s[1] in (".go.buildinfo", ".symtab", ".strtab", ".text",
                                              ".note.go.buildid") or s[1].startswith(".debug")
                  or s[1].startswith(".zdebug")]
        h, name, off, size = rng.choice(wanted or secs)
        if size and off + size <= len(b):
            for _ in range(rng.choice([1, 4, 32])):
                i = off + rng.randrange(min(size, 4096))
                b[i] = rng.randrange(256)
            return bytes(b), f"hit {name}"
    if kind == "zero-range" and len(b) > 16:
        i = rng.randrange(len(b))
        n = rng.choice([8, 64, 4096])
        b[i:i + n] = bytes(len(b[i:i + n]))
        return bytes(b), f"zero {n} at {i:#x}"
    if len(b) > 32:  # splice: copy one chunk over another
        i, j = rng.randrange(len(b)), rng.randrange(len(b))
        n = rng.choice([16, 256, 4096])
        chunk = bytes(b[i:i + n])
        b[j:j + len(chunk)] = chunk
        return bytes(b), f"splice {n} from {i:#x} to {j:#x}"
    return bytes(b[: len(b) // 2]), "halve"


# -- what is run on every input ----------------------------------------------------------------


def exercise(path: str) -> str:
    """Every public entry point of the reader; returns a short outcome (never raises by design)."""
    from eggls.build.errors import BuildError
    from eggls.build.gobuild import open_build
    from eggls.build.report import build_json, build_text

    b = open_build(path)
    if isinstance(b, BuildError):
        assert b.code == "EGG902" and b.message
        return f"error:{b.kind}"
    json.dumps(build_json(b))
    build_text(b)
    funcs = b.symbols.functions()
    for sym in funcs[:: max(1, len(funcs) // 16)]:
        b.prologue(sym)
        b.line_for(sym.address + 1)
        b.describe(sym.address + 2)
    for w in b.wrappers()[:4]:
        b.body(w.go_name)
    b.unclassified()
    if b.dwarf.available:
        try:
            b.dwarf.autogenerated()
        except MemoryError:
            raise
        except Exception:  # DwarfIndex is internal; GoBuild guards its callers
            pass
    return f"ok:{len(b.wrappers())}w:{len(b.problems)}p"


# -- the guarded worker --------------------------------------------------------------------------


def _on_alarm(_sig: int, _frame: object) -> None:
    raise Hang()


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def run_worker(seed_files: list[str], count: int, start: int, time_limit: float,
               memory_limit: int, selftest: str | None = None) -> int:
    # Load everything before measuring the footprint the memory limit is added to.
    import eggls.build.gobuild
    import eggls.build.report  # noqa: F401

    seeds = [Path(p).read_bytes() for p in seed_files]
    exercise(seed_files[0])  # warm up capstone and pyelftools before the memory limit
    limit = _vm_bytes() + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _on_alarm)
    fd, tmp = tempfile.mkstemp(prefix="eggls-fuzz-", suffix=".elf")
    os.close(fd)
    try:
        for n in range(start, start + count):
            k = n % len(seeds)
            rng = random.Random(f"{seed_files[k]}:{n}")
            data, how = mutate(seeds[k], rng)
            with open(tmp, "wb") as f:
                f.write(data)
            print(json.dumps({"start": n}), flush=True)
            rec: dict[str, object] = {"n": n, "seed": seed_files[k], "mutation": how}
            signal.setitimer(signal.ITIMER_REAL, time_limit)
            try:
                if selftest == "hang":
                    while True:
                        pass
                if selftest == "memory":
                    _hog = [bytearray(64 << 20) for _ in range(64)]  # 4 GB
                rec["result"] = exercise(tmp)
            except Hang:
                rec["failure"] = f"hang (> {time_limit} s)"
            except MemoryError:
                rec["failure"] = f"memory (> {memory_limit >> 20} MB)"
            except Exception:
                rec["failure"] = "exception: " + traceback.format_exc(limit=8)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            print(json.dumps(rec), flush=True)
    finally:
        os.unlink(tmp)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed-file", action="append", required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=TIME_LIMIT_S)
    ap.add_argument("--memory-limit-mb", type=int, default=MEMORY_LIMIT_BYTES >> 20)
    ap.add_argument("--selftest", choices=("hang", "memory"))
    a = ap.parse_args(argv)
    return run_worker(a.seed_file, a.count, a.start, a.time_limit, a.memory_limit_mb << 20,
                      a.selftest)


if __name__ == "__main__":
    sys.exit(main())
