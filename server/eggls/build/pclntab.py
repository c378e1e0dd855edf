"""Go's own PC-line table (`.gopclntab`): function names, file:line for any PC, and which
source file (`.go` or `.s`) a function comes from — present even in `-ldflags=-w` builds
that carry no DWARF. Layouts of Go 1.16-1.17, 1.18-1.19 and 1.20+ (as `debug/gosym` reads
them); older tables (Go < 1.16, before the register ABI anyway) are reported unsupported.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from dataclasses import dataclass

from eggls.build.elf import ElfImage
from eggls.build.errors import BuildFault

MAGIC_116, MAGIC_118, MAGIC_120 = 0xFFFFFFFA, 0xFFFFFFF0, 0xFFFFFFF1
MAX_STEPS = 1 << 20  # a pc-value table longer than this is corrupt


@dataclass(frozen=True, slots=True)
class PcLine:
    function: str
    entry: int
    file: str
    line: int


class PcLineTable:
    """Lookups in one pclntab. Construction checks the header; lookups raise BuildFault on
    tables that point outside themselves."""

    def __init__(self, data: bytes, text_start: int) -> None:
        if len(data) < 16:
            raise BuildFault("corrupt", ".gopclntab is too short")
        magic = struct.unpack_from("<I", data, 0)[0]
        if magic not in (MAGIC_116, MAGIC_118, MAGIC_120):
            raise BuildFault("corrupt", f".gopclntab magic {magic:#x} is not Go 1.16+")
        self.data = data
        self.version = {MAGIC_116: 116, MAGIC_118: 118, MAGIC_120: 120}[magic]
        self.quantum = data[6]
        self.ptrsize = data[7]
        if self.ptrsize not in (4, 8) or self.quantum == 0:
            raise BuildFault("corrupt", ".gopclntab header")
        word = "<Q" if self.ptrsize == 8 else "<I"

        def at(i: int) -> int:
            return self._u(word, 8 + i * self.ptrsize)

        first = 3 if self.version >= 118 else 2  # 1.18 added textStart after nfiles
        self.nfunc = at(0)
        self.text_start = text_start
        self.funcnametab = at(first)
        self.cutab = at(first + 1)
        self.filetab = at(first + 2)
        self.pctab = at(first + 3)
        self.functab = at(first + 4)
        self.field = 4 if self.version >= 118 else self.ptrsize
        end = self.functab + (2 * self.nfunc + 1) * self.field
        if self.nfunc == 0 or end > len(data):
            raise BuildFault("corrupt", ".gopclntab function table lies outside it")
        fmt = "<" + ("I" if self.field == 4 else "Q") * (2 * self.nfunc + 1)
        raw = struct.unpack_from(fmt, data, self.functab)
        base = text_start if self.version >= 118 else 0
        self._pcs = [base + raw[2 * i] for i in range(self.nfunc + 1)]
        self._offs = [raw[2 * i + 1] for i in range(self.nfunc)]

    def _u(self, fmt: str, off: int) -> int:
        try:
            return int(struct.unpack_from(fmt, self.data, off)[0])
        except struct.error as e:
            raise BuildFault("corrupt", f".gopclntab read at {off:#x} out of range") from e

    def _cstr(self, off: int) -> str:
        if not 0 <= off < len(self.data):
            raise BuildFault("corrupt", ".gopclntab string out of range")
        end = self.data.find(b"\0", off)
        return self.data[off:end if end >= 0 else len(self.data)].decode("utf-8", "replace")

    def func_index(self, pc: int) -> int | None:
        if not self._pcs or pc < self._pcs[0] or pc >= self._pcs[-1]:
            return None
        return bisect_right(self._pcs, pc) - 1

    def _func_field(self, i: int, n: int) -> int:
        """Field n (1-based, after the entry) of the _func at index i."""
        first = 4 if self.version >= 118 else self.ptrsize
        return self._u("<I", self.functab + self._offs[i] + first + (n - 1) * 4)

    def name(self, i: int) -> str:
        return self._cstr(self.funcnametab + self._func_field(i, 1))

    def entry(self, i: int) -> int:
        return self._pcs[i]

    def _pcvalue(self, table_off: int, entry: int, target: int) -> int:
        p = self.pctab + table_off
        data, n = self.data, len(self.data)
        val, pc, first = -1, entry, True
        for _ in range(MAX_STEPS):
            uv, p = _varint(data, p, n)
            if uv == 0 and not first:
                return -1
            first = False
            val += ~(uv >> 1) if uv & 1 else uv >> 1
            delta, p = _varint(data, p, n)
            pc += delta * self.quantum
            if target < pc:
                return val
        raise BuildFault("corrupt", ".gopclntab pc-value table does not end")

    def lookup(self, pc: int) -> PcLine | None:
        i = self.func_index(pc)
        if i is None:
            return None
        entry = self._pcs[i]
        fno = self._pcvalue(self._func_field(i, 5), entry, pc)
        line = self._pcvalue(self._func_field(i, 6), entry, pc)
        if fno < 0 or line < 0:
            return None
        cu = self._func_field(i, 8)
        fileoff = self._u("<I", self.cutab + (cu + fno) * 4)
        if fileoff == 0xFFFFFFFF:
            return None
        return PcLine(self.name(i), entry, self._cstr(self.filetab + fileoff), line)


def _varint(data: bytes, p: int, n: int) -> tuple[int, int]:
    v = shift = 0
    while True:
        if p >= n or shift > 35:
            raise BuildFault("corrupt", ".gopclntab varint runs off the table")
        b = data[p]
        p += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, p
        shift += 7


def open_pclntab(img: ElfImage, text_start: int | None) -> PcLineTable | None:
    sec = img.section(".gopclntab") or img.section(".data.rel.ro.gopclntab")
    if sec is None or not sec.in_file:
        return None
    if text_start is None:
        text = img.section(".text")
        text_start = text.addr if text is not None else 0
    return PcLineTable(img.section_data(sec), text_start)
