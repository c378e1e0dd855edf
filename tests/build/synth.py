"""Synthetic ELF64 files for tests: a minimal, valid layout (each allocated section in its own
PT_LOAD) with optional .symtab, Go build info in either layout, and a Go build-ID note.

Used for what the toolchains on this machine cannot produce (the pre-1.18 pointer layout of
.go.buildinfo, foreign machines) and as fuzz seeds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC = b"\xff Go buildinf:"
INFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
INFO_END = bytes.fromhex("f932433186182072008242104116d8f2")
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOTE = 1, 2, 3, 7
EM_X86_64, EM_AARCH64 = 62, 183
TEXT_ADDR, RODATA_ADDR, DATA_ADDR = 0x401000, 0x480000, 0x500000


@dataclass
class Sec:
    name: str
    type: int
    flags: int
    addr: int
    data: bytes
    link: int = 0
    info: int = 0
    entsize: int = 0
    align: int = 16


@dataclass
class Sym:
    name: str
    address: int
    size: int
    type: int = 2  # STT_FUNC
    bind: int = 1  # STB_GLOBAL
    shndx: int = 1


@dataclass
class Layout:
    sections: list[Sec] = field(default_factory=list)

    def add(self, sec: Sec) -> int:
        self.sections.append(sec)
        return len(self.sections)  # index in the final table (0 is the null section)


def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def modinfo(path: str = "example.com/k", settings: dict[str, str] | None = None) -> bytes:
    lines = [f"path\t{path}", f"mod\t{path}\t(devel)\t"]
    lines += [f"build\t{k}={v}" for k, v in (settings or {}).items()]
    return INFO_START + ("\n".join(lines) + "\n").encode() + INFO_END


def buildinfo_sections(version: str, info: bytes, layout: str) -> list[Sec]:
    """.go.buildinfo (+ .rodata/.data holding the strings for the pointer layout)."""
    if layout == "inline":
        blob = MAGIC + bytes([8, 2]) + bytes(16) + uvarint(len(version)) + version.encode()
        blob += uvarint(len(info)) + info
        return [Sec(".go.buildinfo", SHT_PROGBITS, SHF_WRITE | SHF_ALLOC, DATA_ADDR, blob)]
    # pointer layout: header -> two string headers in .data -> bytes in .rodata
    ro = version.encode() + info
    v_hdr = struct.pack("<QQ", RODATA_ADDR, len(version))
    m_hdr = struct.pack("<QQ", RODATA_ADDR + len(version), len(info))
    data_addr = DATA_ADDR + 0x1000
    header = MAGIC + bytes([8, 0]) + struct.pack("<QQ", data_addr, data_addr + 16)
    return [Sec(".rodata", SHT_PROGBITS, SHF_ALLOC, RODATA_ADDR, ro),
            Sec(".go.buildinfo", SHT_PROGBITS, SHF_WRITE | SHF_ALLOC, DATA_ADDR, header),
            Sec(".data", SHT_PROGBITS, SHF_WRITE | SHF_ALLOC, data_addr, v_hdr + m_hdr)]


def note(name: bytes, ntype: int, desc: bytes) -> bytes:
    pad = lambda b: b + bytes(-len(b) % 4)  # noqa: E731
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def build_elf(sections: list[Sec], symbols: list[Sym] | None = None, machine: int = EM_X86_64,
              entry: int = TEXT_ADDR) -> bytes:
    """Lay out header, program headers, section bytes, .symtab/.strtab, .shstrtab, headers."""
    secs = list(sections)
    if symbols is not None:
        strtab = bytearray(b"\0")
        symtab = bytearray(bytes(24))
        for s in symbols:
            off = len(strtab)
            strtab += s.name.encode() + b"\0"
            symtab += struct.pack("<IBBHQQ", off, (s.bind << 4) | s.type, 0, s.shndx,
                                  s.address, s.size)
        strtab_index = len(secs) + 2  # after the null section and .symtab
        secs.append(Sec(".symtab", SHT_SYMTAB, 0, 0, bytes(symtab), link=strtab_index,
                        entsize=24, align=8))
        secs.append(Sec(".strtab", SHT_STRTAB, 0, 0, bytes(strtab), align=1))
    shstr = bytearray(b"\0")
    name_off = []
    for s in [*secs, Sec(".shstrtab", SHT_STRTAB, 0, 0, b"")]:
        name_off.append(len(shstr))
        shstr += s.name.encode() + b"\0"
    secs.append(Sec(".shstrtab", SHT_STRTAB, 0, 0, bytes(shstr), align=1))
    loads = [s for s in secs if s.flags & SHF_ALLOC]
    phoff = 64
    out = bytearray(64 + 56 * len(loads))
    offsets = []
    for s in secs:
        if s.flags & SHF_ALLOC:  # file offset congruent to the address modulo the page size
            out += bytes((s.addr - len(out)) % 0x1000)
        else:
            out += bytes(-len(out) % s.align)
        offsets.append(len(out))
        out += s.data
    while len(out) % 8:
        out.append(0)
    shoff = len(out)
    out += bytes(64)  # null section header
    for s, off, noff in zip(secs, offsets, name_off, strict=False):
        out += struct.pack("<IIQQQQIIQQ", noff, s.type, s.flags, s.addr, off, len(s.data),
                           s.link, s.info, s.align, s.entsize)
    ph = bytearray()
    for s in loads:
        off = offsets[secs.index(s)]
        flags = 4 | (2 if s.flags & SHF_WRITE else 0) | (1 if s.flags & SHF_EXECINSTR else 0)
        ph += struct.pack("<IIQQQQQQ", 1, flags, off, s.addr, s.addr, len(s.data), len(s.data),
                          0x1000)
    out[phoff:phoff + len(ph)] = ph
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, phoff, shoff, 0, 64,
                                 56, len(loads), 64, len(secs) + 1, len(secs))
    out[0:64] = header
    return bytes(out)


def go_elf(version: str = "go1.16.15", layout: str = "pointer", *, machine: int = EM_X86_64,
           settings: dict[str, str] | None = None, text: bytes = b"\xc3",
           symbols: list[Sym] | None = None, build_id: str | None = "synth/build/id",
           path: str = "example.com/k") -> bytes:
    """A Go-looking ELF: .text, build info in the given layout, optional symbols and note."""
    secs = [Sec(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_ADDR, text)]
    if build_id is not None:
        secs.append(Sec(".note.go.buildid", SHT_NOTE, SHF_ALLOC, 0x410F00,
                        note(b"Go\0\0", 4, build_id.encode()), align=4))
    secs += buildinfo_sections(version, modinfo(path, settings), layout)
    return build_elf(secs, symbols, machine)
