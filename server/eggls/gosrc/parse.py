"""tree-sitter-go set-up and byte→character position mapping.

Parsers and compiled queries are cached per thread: a tree-sitter Parser is not safe to share
between threads, and compiling the index query costs more than parsing a small file.
"""

from __future__ import annotations

import bisect
import threading
from functools import cache
from itertools import accumulate, repeat
from operator import add

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, Tree

from eggls.diagnostics import Span

_local = threading.local()

# Bytes 0x80..0xBF continue a UTF-8 sequence; deleting them leaves one byte per character.
# This also never fails on invalid UTF-8 (each stray byte then counts as one character).
_CONTINUATION = bytes(range(0x80, 0xC0))


@cache
def go_language() -> Language:
    return Language(tree_sitter_go.language())


def parser() -> Parser:
    p: Parser | None = getattr(_local, "parser", None)
    if p is None:
        p = Parser(go_language())
        _local.parser = p
    return p


@cache
def query(source: str) -> Query:
    """Compile (once) a query over the Go grammar."""
    return Query(go_language(), source)


def parse(data: bytes) -> Tree:
    return parser().parse(data)


def encode(text: str) -> bytes:
    # surrogatepass: text decoded elsewhere with surrogateescape/odd input must not raise here.
    return text.encode("utf-8", "surrogatepass")


class SourceMap:
    """A file's bytes and line starts: tree-sitter (row, byte column) points and byte ranges
    to Spans with character columns, byte ranges to text."""

    __slots__ = ("_ascii", "_data", "_line_starts", "path")

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self._data = data
        self._line_starts: list[int] | None = None  # built on first use
        # Whole file ASCII is the common case: columns are then byte columns + 1.
        self._ascii = data.isascii()

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def line_starts(self) -> list[int]:
        """Byte offset of each line's start."""
        if self._line_starts is None:
            # Cumulative (line length + 1), all in C: a Python loop per line costs more than
            # the rest of indexing a small file.
            lines = self._data.split(b"\n")
            self._line_starts = list(accumulate(
                map(add, map(len, lines[:-1]), repeat(1)), initial=0))
        return self._line_starts

    def col(self, row: int, byte_col: int) -> int:
        """1-based character column of a 0-based (row, byte column) point."""
        if self._ascii or byte_col == 0:
            return byte_col + 1
        starts = self.line_starts
        start = starts[row] if row < len(starts) else len(self._data)
        prefix = self._data[start : start + byte_col]
        if prefix.isascii():
            return byte_col + 1
        return len(prefix.translate(None, _CONTINUATION)) + 1

    def span(self, node: Node) -> Span:
        sr, sc = node.start_point
        er, ec = node.end_point
        if self._ascii:
            return Span(self.path, sr + 1, sc + 1, er + 1, ec + 1)
        return Span(self.path, sr + 1, self.col(sr, sc), er + 1, self.col(er, ec))

    def span_bytes(self, start: int, end: int) -> Span:
        """Span of a byte range."""
        starts = self.line_starts
        sr = bisect.bisect_right(starts, start) - 1
        er = bisect.bisect_right(starts, end) - 1
        return Span(self.path, sr + 1, self.col(sr, start - starts[sr]),
                    er + 1, self.col(er, end - starts[er]))

    def text(self, start: int, end: int) -> str:
        return self._data[start:end].decode("utf-8", "replace")

    def row_of(self, byte: int) -> int:
        """0-based row of a byte offset."""
        return bisect.bisect_right(self.line_starts, byte) - 1


def names(node: Node) -> list[Node]:
    """The `name:` children (comma tokens carry the field too in some rules)."""
    return [c for c in node.children_by_field_name("name") if c.is_named]


def named(node: Node | None) -> list[Node]:
    """Named children without comments (comments are extras that can sit anywhere)."""
    if node is None:
        return []
    return [c for c in node.named_children if c.type != "comment"]
