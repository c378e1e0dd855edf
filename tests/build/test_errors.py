"""Bad input gives a BuildError value (EGG902), never an exception."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from eggls.build.elf import ElfImage
from eggls.build.errors import BuildError
from eggls.build.gobuild import GoBuild, open_build
from tests.build.synth import (
    EM_AARCH64,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHT_PROGBITS,
    TEXT_ADDR,
    Sec,
    Sym,
    build_elf,
    go_elf,
)


def _err(path: Path) -> BuildError:
    got = open_build(path)
    assert isinstance(got, BuildError), got
    assert got.code == "EGG902" and got.message and str(path) in str(got)
    return got


def _write(tmp_path: Path, data: bytes, name: str = "f.elf") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _patch(data: bytes, off: int, fmt: str, *values: int) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, off, *values)
    return bytes(b)


GOOD = go_elf("go1.22.3", "inline", symbols=[Sym("main.f", TEXT_ADDR, 1)])


def test_missing_and_directory(tmp_path: Path) -> None:
    assert _err(tmp_path / "nope").kind == "missing"
    assert _err(tmp_path).kind == "unreadable"


@pytest.mark.parametrize(("data", "kind"), [
    (b"", "not-elf"),
    (b"#!/bin/sh\necho hi\n", "not-elf"),
    (b"\x7fELF", "truncated"),
    (b"\x7fELF\x02\x01\x01" + bytes(20), "truncated"),
    (GOOD[:100], "truncated"),
    (GOOD[: len(GOOD) // 2], "truncated"),
])
def test_not_elf_and_truncated(tmp_path: Path, data: bytes, kind: str) -> None:
    assert _err(_write(tmp_path, data)).kind == kind


def test_foreign_arch(tmp_path: Path) -> None:
    err = _err(_write(tmp_path, go_elf("go1.22.3", "inline", machine=EM_AARCH64)))
    assert err.kind == "foreign-arch" and "arm64" in err.message


def test_not_go(tmp_path: Path) -> None:
    plain = build_elf([Sec(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_ADDR,
                           b"\xc3")], [Sym("main", TEXT_ADDR, 1)])
    assert _err(_write(tmp_path, plain)).kind == "not-go"
    # Readable as an ELF all the same, when asked not to insist on Go.
    assert isinstance(open_build(_write(tmp_path, plain, "g"), require_go=False), GoBuild)


def test_corrupt_headers(tmp_path: Path) -> None:
    shoff = struct.unpack_from("<Q", GOOD, 0x28)[0]
    cases = {
        "shoff past the end": _patch(GOOD, 0x28, "<Q", 1 << 40),
        "tiny shentsize": _patch(GOOD, 0x3A, "<H", 8),
        "phoff past the end": _patch(GOOD, 0x20, "<Q", len(GOOD) + 1),
        "section 1 huge": _patch(GOOD, shoff + 64 + 0x20, "<Q", 1 << 62),
        "extended count": _patch(_patch(GOOD, 0x3C, "<H", 0), shoff + 0x20, "<Q", 1 << 40),
    }
    for why, data in cases.items():
        got = open_build(_write(tmp_path, data, why.replace(" ", "_")))
        # Either refused with a reason, or (a section no one reads) opened: never raised.
        assert isinstance(got, BuildError | GoBuild), why
        if isinstance(got, BuildError):
            assert got.kind in ("truncated", "corrupt"), (why, got)


def test_corrupt_symbol_table(tmp_path: Path) -> None:
    img = ElfImage.from_bytes(GOOD)
    symtab = img.section(".symtab")
    assert symtab is not None
    hdr = struct.unpack_from("<Q", GOOD, 0x28)[0] + 64 * symtab.index
    bad_entsize = _patch(GOOD, hdr + 0x38, "<Q", 7)
    bad_link = _patch(GOOD, hdr + 0x28, "<I", 999)
    assert _err(_write(tmp_path, bad_entsize, "a")).kind == "corrupt"
    assert _err(_write(tmp_path, bad_link, "b")).kind == "corrupt"


def test_huge_build_info_string(tmp_path: Path) -> None:
    img = ElfImage.from_bytes(GOOD)
    sec = img.section(".go.buildinfo")
    assert sec is not None
    data = bytearray(GOOD)
    data[sec.offset + 32:sec.offset + 42] = b"\xff" * 9 + b"\x01"  # uvarint ~ 2**63
    assert _err(_write(tmp_path, bytes(data))).kind == "corrupt"


def test_file_rewritten_while_held(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD)
    b = open_build(p)
    assert isinstance(b, GoBuild)
    p.write_bytes(GOOD + b"x")  # rewritten in place: the lazy reads must notice
    got = b.instructions("main.f")
    assert isinstance(got, BuildError) and got.kind == "changed"
    assert b.problems and b.problems[-1].kind == "changed"


def test_lazy_queries_on_unknown_names(tmp_path: Path) -> None:
    b = open_build(_write(tmp_path, GOOD))
    assert isinstance(b, GoBuild)
    assert isinstance(b.prologue("no.such"), BuildError)
    assert isinstance(b.instructions(0xDEAD), BuildError)
    assert b.line_for(TEXT_ADDR) is None  # no DWARF
    assert b.wrappers() == [] and b.unclassified() == []
