"""The fast symbol index against binutils `nm`, and its address lookups."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from eggls.build.elf import ElfImage
from eggls.build.symbols import STT_FUNC, read_symbols
from tests.build.synth import Sym, go_elf
from tests.support.kernels import kernel_builds, materialize

STT_FILE = 4
ONE_PER_VERSION = {kb.version: kb for kb in kernel_builds() if not kb.dwarf}.values()


def _nm(path: str, *flags: str) -> list[tuple[str, str, int]]:
    out = subprocess.run(["nm", *flags, path], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        addr, kind, name = line.split(" ", 2)
        rows.append((name, kind, int(addr, 16)))
    return rows


@pytest.mark.skipif(not shutil.which("nm"), reason="needs nm")
@pytest.mark.parametrize("kb", ONE_PER_VERSION, ids=lambda b: b.id)
def test_index_matches_nm(kb) -> None:  # type: ignore[no-untyped-def]
    path = str(materialize(kb))
    idx = read_symbols(ElfImage.open(path))
    ours = {(s.name, s.address) for s in idx if s.type != STT_FILE}
    theirs = {(n, a) for n, _k, a in _nm(path)}
    assert ours == theirs and len(ours) > 500
    funcs = {(n, a) for n, k, a in _nm(path) if k in "Tt"}
    assert {(s.name, s.address) for s in idx.functions()} == funcs
    # sizes as nm -S prints them
    sized = {}
    for line in subprocess.run(["nm", "-S", "--defined-only", path], capture_output=True,
                               text=True, check=True).stdout.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[2] in "Tt":
            sized[parts[3]] = int(parts[1], 16)
    for name, size in list(sized.items())[:200]:
        got = idx.get(name)
        assert got is not None and got.size == size


def test_lookups_on_a_synthetic_table() -> None:
    syms = [Sym("a.f", 0x401000, 0x10), Sym("a.g", 0x401010, 0x20), Sym("a.g.abi0", 0x401030, 8),
            Sym("a.empty", 0x401040, 0), Sym("a.v", 0x500000, 8, type=1, shndx=2),
            Sym("a.h.abi0", 0x401050, 4), Sym("pkg.ünï", 0x401060, 4)]
    idx = read_symbols(ElfImage.from_bytes(go_elf(symbols=syms, text=bytes(0x70))))
    assert len(idx) == len(syms)
    assert idx.get("a.v") is not None and idx.get("a.v").type != STT_FUNC  # type: ignore[union-attr]
    assert idx.function_at(0x401015).name == "a.g"  # type: ignore[union-attr]
    assert idx.function_at(0x401040).name == "a.empty"  # type: ignore[union-attr]
    assert idx.function_at(0x401048) is None
    assert idx.describe(0x401014) == "a.g+0x4"
    assert idx.describe(0x401010) == "a.g"
    assert idx.next_function_start(0x401030) == 0x401040
    assert [(a.name, b.name) for a, b in idx.abi_pairs()] == [("a.g", "a.g.abi0")]
    assert idx.get("pkg.ünï") is not None  # non-ASCII names decode as UTF-8


def test_stripped_build_has_an_empty_index() -> None:
    idx = read_symbols(ElfImage.from_bytes(go_elf(symbols=None)))
    assert len(idx) == 0 and idx.function_at(0x401000) is None and idx.abi_pairs() == []
