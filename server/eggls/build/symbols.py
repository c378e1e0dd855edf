"""Fast ELF symbol index: `.symtab`/`.strtab` unpacked in one pass with struct.iter_unpack.

pyelftools' iter_symbols builds a construct Container per symbol (1.26 s on the 21 MB `compile`
of Go 1.24). Here the table stays columnar (raw rows + names) and a Symbol object is made only
when asked for, which keeps indexing within 2x of `nm` (bench/index_elf.py).
"""

from __future__ import annotations

import gc
import struct
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from eggls.build.elf import SHT_SYMTAB, ElfImage
from eggls.build.errors import BuildFault

STT_OBJECT, STT_FUNC = 1, 2
ABI0_SUFFIX = ".abi0"


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    address: int
    size: int
    type: int  # STT_*
    bind: int  # STB_*
    shndx: int

    @property
    def is_func(self) -> bool:
        return self.type == STT_FUNC

    @property
    def end(self) -> int:
        return self.address + self.size


# A row is the raw ELF64 entry (st_name, st_info, st_other, st_shndx, st_value, st_size);
# names are kept in a parallel list.
_Row = tuple[int, int, int, int, int, int]
_NAME, _INFO, _OTHER, _SHNDX, _VALUE, _SIZE = range(6)


class SymbolIndex:
    """All named symbols of one ELF, by name and (for functions) by address."""

    def __init__(self, names: list[str], rows: list[_Row]) -> None:
        self._names = names
        self._rows = rows
        index: dict[str, int] = {}
        setdefault = index.setdefault
        # Go emits static (`<>`) symbols of different files under one name: keep the first.
        for i, n in enumerate(names):
            setdefault(n, i)
        self._index = index
        self._funcs: list[int] | None = None
        self._starts: list[int] = []

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: str) -> bool:
        return name in self._index

    def _symbol(self, i: int) -> Symbol:
        _n, info, _o, shndx, value, size = self._rows[i]
        return Symbol(self._names[i], value, size, info & 0xF, info >> 4, shndx)

    def get(self, name: str) -> Symbol | None:
        i = self._index.get(name)
        return None if i is None else self._symbol(i)

    def __iter__(self) -> Iterator[Symbol]:
        return (self._symbol(i) for i in range(len(self._names)))

    def names(self) -> list[str]:
        return list(self._names)

    def _func_order(self) -> list[int]:
        if self._funcs is None:
            rows = self._rows
            funcs = [i for i, r in enumerate(rows) if r[_INFO] & 0xF == STT_FUNC]
            funcs.sort(key=lambda i: rows[i][_VALUE])
            self._funcs = funcs
            self._starts = [rows[i][_VALUE] for i in funcs]
        return self._funcs

    def functions(self) -> list[Symbol]:
        """Function symbols sorted by address."""
        return [self._symbol(i) for i in self._func_order()]

    def function_at(self, addr: int) -> Symbol | None:
        """The function whose [address, address+size) holds addr (or that starts there)."""
        order = self._func_order()
        i = bisect_right(self._starts, addr) - 1
        rows = self._rows
        while i >= 0:
            value, size = rows[order[i]][_VALUE], rows[order[i]][_SIZE]
            if value == addr or value <= addr < value + size:
                return self._symbol(order[i])
            if value < addr:
                return None
            i -= 1
        return None

    def functions_starting_at(self, addr: int) -> list[Symbol]:
        order = self._func_order()
        i = bisect_right(self._starts, addr)
        out = []
        while i > 0 and self._starts[i - 1] == addr:
            out.append(self._symbol(order[i - 1]))
            i -= 1
        return out

    def next_function_start(self, addr: int) -> int | None:
        """Start of the first function above addr."""
        self._func_order()
        i = bisect_right(self._starts, addr)
        return self._starts[i] if i < len(self._starts) else None

    def describe(self, addr: int) -> str:
        """`sym+0x12` for an address inside a function, else hex."""
        s = self.function_at(addr)
        if s is None:
            return f"{addr:#x}"
        off = addr - s.address
        return s.name if off == 0 else f"{s.name}+{off:#x}"

    def abi_pairs(self) -> list[tuple[Symbol, Symbol]]:
        """(ABIInternal `pkg.F`, ABI0 `pkg.F.abi0`) for every function that has both ABIs."""
        out = []
        index, rows, n = self._index, self._rows, len(ABI0_SUFFIX)
        for name, i in index.items():
            if name.endswith(ABI0_SUFFIX) and rows[i][_INFO] & 0xF == STT_FUNC:
                j = index.get(name[:-n])
                if j is not None and rows[j][_INFO] & 0xF == STT_FUNC:
                    out.append((self._symbol(j), self._symbol(i)))
        out.sort(key=lambda p: p[0].address)
        return out


def read_symbols(img: ElfImage) -> SymbolIndex:
    """Index `.symtab`. A stripped build (`-ldflags=-s`) has none and gives an empty index."""
    # Tens of thousands of fresh tuples would trigger cyclic-GC passes that find nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_symbols(img)
    finally:
        if enabled:
            gc.enable()


def _read_symbols(img: ElfImage) -> SymbolIndex:
    sec = next((s for s in img.sections if s.type == SHT_SYMTAB), None)
    if sec is None:
        return SymbolIndex([], [])
    bo = "<" if img.little_endian else ">"
    wide = img.elfclass == 64
    fmt, want = (bo + "IBBHQQ", 24) if wide else (bo + "IIIBBH", 16)
    if sec.entsize and sec.entsize != want:
        raise BuildFault("corrupt", f".symtab entry size {sec.entsize}, expected {want}")
    if not 0 < sec.link < len(img.sections):
        raise BuildFault("corrupt", ".symtab has no string table")
    table = img.section_data(sec)
    table = table[: len(table) - len(table) % want]
    raw = img.section_data(img.sections[sec.link])
    unpacked = struct.iter_unpack(fmt, table)
    rows: list[_Row]
    if wide:
        rows = [r for r in unpacked if r[0]]
    else:  # ELF32 order is name, value, size, info, other, shndx
        rows = [(r[0], r[3], r[4], r[5], r[1], r[2]) for r in unpacked if r[0]]
    if not raw.endswith(b"\0"):
        raw += b"\0"  # so every find below succeeds
    names: list[str]
    if raw.isascii():
        # One decode of the whole table; offsets stay byte offsets because it is ASCII.
        text = raw.decode("ascii")
        find = text.find
        names = [text[r[0]:find("\0", r[0])] for r in rows]
    else:
        bfind = raw.find
        names = [raw[r[0]:bfind(b"\0", r[0])].decode("utf-8", "replace") for r in rows]
    return SymbolIndex(names, rows)
