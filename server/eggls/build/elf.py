"""An ELF file: header, sections and segments parsed up front, contents read on demand.

Only what is asked for is read (the symbol table of a 21 MB `compile` is 1.5 MB of it), with
os.pread, bounds-checked against the size seen at open. Each read re-checks the file's
identity, so a build rewritten in place while the language server holds it gives a clear
"changed" fault instead of mixed bytes; no mmap, so truncation can never SIGBUS.
pyelftools parses the ELF identification and header; section and program headers are
unpacked with struct after their table is checked to fit in the file.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from elftools.elf.elffile import ELFFile

from eggls.build.errors import BuildFault

MAX_FILE_BYTES = 4 << 30  # nothing is read whole, but a larger "ELF" is not a build
MAX_INFLATE_BYTES = 256 << 20  # compressed DWARF sections are inflated up to this size
MAX_SECTION_READ = 1 << 30

SHT_NOBITS = 8
SHT_SYMTAB = 2
SHT_NOTE = 7
SHF_COMPRESSED = 0x800
PT_LOAD = 1
PT_NOTE = 4
PF_X, PF_W = 1, 2
EM_X86_64 = 62

_MACHINES = {3: "386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm", 62: "amd64",
             183: "arm64", 243: "riscv64", 258: "loong64"}


@dataclass(frozen=True, slots=True)
class Section:
    index: int
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int

    @property
    def in_file(self) -> bool:
        return self.type != SHT_NOBITS


@dataclass(frozen=True, slots=True)
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


def machine_name(e_machine: int) -> str:
    return _MACHINES.get(e_machine, f"EM_{e_machine}")


class _Source:
    """Random access to the file's bytes: a path read with pread, or bytes in memory."""

    def __init__(self, path: str, data: bytes | None = None) -> None:
        self.path = path
        self.data = data
        self.identity: tuple[int, int, int, int] | None = None
        if data is None:
            try:
                st = os.stat(path)
            except FileNotFoundError as e:
                raise BuildFault("missing", "no such file") from e
            except OSError as e:
                raise BuildFault("unreadable", f"cannot read: {e.strerror or e}") from e
            if not os.path.isfile(path):
                raise BuildFault("unreadable", "not a regular file")
            self.identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            self.size = st.st_size
        else:
            self.size = len(data)

    def read(self, off: int, size: int) -> bytes:
        if off < 0 or size < 0 or off + size > self.size:
            raise BuildFault("truncated", f"{size} bytes at offset {off:#x} lie outside the file")
        if self.data is not None:
            return self.data[off:off + size]
        if size > MAX_SECTION_READ:
            raise BuildFault("too-large", f"refusing to read {size} bytes at once")
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as e:
            raise BuildFault("changed", f"the build went away while being read ({e})") from e
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != self.identity:
                raise BuildFault("changed", "the build was rewritten while being read; re-open it")
            out = os.pread(fd, size, off)
        except OSError as e:
            raise BuildFault("unreadable", f"cannot read: {e.strerror or e}") from e
        finally:
            os.close(fd)
        if len(out) != size:
            raise BuildFault("changed", "the build was truncated while being read")
        return out


class ElfImage:
    """Parsed headers of one ELF plus bounded access to its bytes. Raises BuildFault."""

    def __init__(self, source: _Source) -> None:
        self._src = source
        self.path = source.path
        self.size = source.size
        ident = source.read(0, min(source.size, 64))
        if len(ident) < 4 or ident[:4] != b"\x7fELF":
            raise BuildFault("not-elf", "not an ELF file")
        try:
            elf = ELFFile(io.BytesIO(ident))
            header = elf.header
        except Exception as e:
            raise BuildFault("truncated" if len(ident) < 64 else "corrupt",
                             f"unreadable ELF header ({type(e).__name__})") from e
        self.elfclass: int = elf.elfclass
        self.little_endian: bool = elf.little_endian
        self._bo = "<" if self.little_endian else ">"
        self._q = "Q" if self.elfclass == 64 else "I"
        # pyelftools turns numbers into enum names; the raw field is what we compare.
        self.e_machine: int = struct.unpack_from(self._bo + "H", ident, 18)[0]
        self.machine = machine_name(self.e_machine)
        self.entry: int = int(header["e_entry"])
        self.sections: list[Section] = self._read_sections(header)
        self.segments: list[Segment] = self._read_segments(header)
        self._by_name: dict[str, Section] = {}
        for s in self.sections:
            self._by_name.setdefault(s.name, s)
        self._cache: dict[int, bytes] = {}

    @classmethod
    def open(cls, path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> ElfImage:
        src = _Source(os.fspath(path))
        if src.size > max_bytes:
            raise BuildFault("too-large", f"file is {src.size} bytes; the limit is {max_bytes}")
        return cls(src)

    @classmethod
    def from_bytes(cls, data: bytes, path: str = "<memory>") -> ElfImage:
        return cls(_Source(path, bytes(data)))

    # -- headers ---------------------------------------------------------------------------

    def _table(self, off: int, num: int, entsize: int, want: int, what: str) -> None:
        if num == 0:
            return
        if entsize < want:
            raise BuildFault("corrupt", f"{what} entry size {entsize} is too small")
        if off <= 0 or off + num * entsize > self.size:
            raise BuildFault("truncated", f"{what} table lies outside the file")

    def _read_sections(self, header: Any) -> list[Section]:
        shoff, shnum = int(header["e_shoff"]), int(header["e_shnum"])
        shentsize, shstrndx = int(header["e_shentsize"]), int(header["e_shstrndx"])
        q = self._q
        shdr = struct.Struct(self._bo + "II" + q * 4 + "II" + q * 2)
        want = shdr.size
        if shoff == 0:
            return []
        if shnum == 0:  # extended numbering: the count is in section 0's sh_size
            self._table(shoff, 1, shentsize, want, "section header")
            shnum = shdr.unpack_from(self._src.read(shoff, want))[5]
            if shnum > self.size // max(shentsize, 1):
                raise BuildFault("corrupt", "section count exceeds the file size")
        self._table(shoff, shnum, shentsize, want, "section header")
        # name, type, flags, addr, offset, size, link, info, addralign, entsize
        table = self._src.read(shoff, shnum * shentsize)
        raw = [shdr.unpack_from(table, i * shentsize) for i in range(shnum)]
        if shstrndx == 0xFFFF and raw:  # SHN_XINDEX
            shstrndx = raw[0][6]
        names = b""
        if 0 < shstrndx < len(raw):
            st = raw[shstrndx]
            if st[1] != SHT_NOBITS:
                names = self._slice(st[4], st[5], "section names")
        return [Section(i, _cstr(names, h[0]), h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[9])
                for i, h in enumerate(raw)]

    def _read_segments(self, header: Any) -> list[Segment]:
        phoff, phnum = int(header["e_phoff"]), int(header["e_phnum"])
        phentsize = int(header["e_phentsize"])
        if phoff == 0 or phnum == 0:
            return []
        if self.elfclass == 64:  # type, flags, offset, vaddr, paddr, filesz, memsz, align
            phdr = struct.Struct(self._bo + "IIQQQQQQ")
        else:  # type, offset, vaddr, paddr, filesz, memsz, flags, align
            phdr = struct.Struct(self._bo + "IIIIIIII")
        self._table(phoff, phnum, phentsize, phdr.size, "program header")
        table = self._src.read(phoff, phnum * phentsize)
        out = []
        for i in range(phnum):
            h = phdr.unpack_from(table, i * phentsize)
            if self.elfclass == 64:
                out.append(Segment(h[0], h[1], h[2], h[3], h[5], h[6]))
            else:
                out.append(Segment(h[0], h[6], h[1], h[2], h[4], h[5]))
        return out

    # -- data ------------------------------------------------------------------------------

    def _slice(self, off: int, size: int, what: str) -> bytes:
        if off < 0 or size < 0 or off + size > self.size:
            raise BuildFault("truncated", f"{what} lies outside the file")
        return self._src.read(off, size)

    def section(self, name: str) -> Section | None:
        return self._by_name.get(name)

    def section_data(self, sec: Section) -> bytes:
        """The raw bytes of a section (cached: sections are read whole at most once)."""
        if not sec.in_file:
            return b""
        got = self._cache.get(sec.index)
        if got is None:
            got = self._slice(sec.offset, sec.size, f"section {sec.name or sec.index}")
            self._cache[sec.index] = got
        return got

    def section_contents(self, sec: Section) -> bytes:
        """Section data, inflated when SHF_COMPRESSED or a legacy .zdebug section."""
        raw = self.section_data(sec)
        if sec.flags & SHF_COMPRESSED:
            hdr = 24 if self.elfclass == 64 else 12
            if len(raw) < hdr:
                raise BuildFault("corrupt", f"compressed section {sec.name} has no header")
            bo = "little" if self.little_endian else "big"
            ch_type = int.from_bytes(raw[0:4], bo)
            size = int.from_bytes(raw[8:16] if self.elfclass == 64 else raw[4:8], bo)
            if ch_type != 1:  # ELFCOMPRESS_ZLIB; zstd (2) is not produced by Go
                raise BuildFault("corrupt", f"section {sec.name}: compression type {ch_type}")
            return _inflate(raw[hdr:], size, sec.name)
        if sec.name.startswith(".zdebug") and raw[:4] == b"ZLIB" and len(raw) >= 12:
            return _inflate(raw[12:], int.from_bytes(raw[4:12], "big"), sec.name)
        return raw

    def segment_for(self, addr: int) -> Segment | None:
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.vaddr <= addr < seg.vaddr + seg.filesz:
                return seg
        return None

    def read_vaddr(self, addr: int, size: int) -> bytes:
        """Bytes at a virtual address: through sections (they survive a stripped PT table),
        else through PT_LOAD segments. Raises BuildFault when not file-backed."""
        for sec in self.sections:
            if sec.in_file and sec.addr and sec.addr <= addr and addr + size <= sec.addr + sec.size:
                return self._slice(sec.offset + addr - sec.addr, size, f"{addr:#x}")
        seg = self.segment_for(addr)
        if seg is None or addr + size > seg.vaddr + seg.filesz:
            raise BuildFault("corrupt", f"address {addr:#x}+{size} is not in the file")
        return self._slice(seg.offset + addr - seg.vaddr, size, f"{addr:#x}")

    def read_vaddr_upto(self, addr: int, size: int) -> bytes:
        """Like read_vaddr, but returns what is file-backed (possibly fewer bytes)."""
        for sec in self.sections:
            if sec.in_file and sec.addr and sec.addr <= addr < sec.addr + sec.size:
                n = min(size, sec.addr + sec.size - addr)
                return self._slice(sec.offset + addr - sec.addr, n, f"{addr:#x}")
        seg = self.segment_for(addr)
        if seg is None:
            raise BuildFault("corrupt", f"address {addr:#x} is not in the file")
        n = min(size, seg.vaddr + seg.filesz - addr)
        return self._slice(seg.offset + addr - seg.vaddr, n, f"{addr:#x}")


def _cstr(table: bytes, off: int) -> str:
    if off < 0 or off >= len(table):
        return ""
    end = table.find(b"\0", off)
    return table[off:end if end >= 0 else len(table)].decode("utf-8", "replace")


def _inflate(data: bytes, declared: int, name: str) -> bytes:
    if declared > MAX_INFLATE_BYTES:
        raise BuildFault("corrupt", f"section {name} claims {declared} bytes uncompressed")
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, declared + 1)
    except zlib.error as e:
        raise BuildFault("corrupt", f"section {name}: bad zlib data ({e})") from e
    if len(out) != declared:
        raise BuildFault("corrupt", f"section {name}: inflated to {len(out)}, not {declared} bytes")
    return out
