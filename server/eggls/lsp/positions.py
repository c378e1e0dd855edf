"""Model positions (1-based lines, 1-based columns counting Unicode characters, end exclusive)
to LSP positions (0-based lines, 0-based character offsets in the negotiated encoding: UTF-16
code units unless the client asked for UTF-8 or UTF-32) and back."""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types as lsp

from eggls.diagnostics import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"

LinesOf = Callable[[str], list[str] | None]


def _units(ch: str, encoding: str) -> int:
    o = ord(ch)
    if encoding == UTF16:
        return 2 if o > 0xFFFF else 1
    if encoding == UTF8:
        return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return 1


def column_to_units(line: str, col: int, encoding: str) -> int:
    """0-based offset in code units of 1-based character column col of line."""
    n = max(col - 1, 0)
    if encoding == UTF32 or line.isascii():
        return n
    prefix = line[:n]
    if encoding == UTF8:
        return len(prefix.encode("utf-8", "surrogatepass")) + max(n - len(line), 0)
    return sum(_units(c, encoding) for c in prefix) + max(n - len(line), 0)


def units_to_column(line: str, units: int, encoding: str) -> int:
    """1-based character column of a 0-based code-unit offset into line (clamped to the
    line's end, past which it counts characters)."""
    if encoding == UTF32 or line.isascii():
        return units + 1
    seen = 0
    for i, c in enumerate(line):
        if seen >= units:
            return i + 1
        seen += _units(c, encoding)
    return len(line) + 1 + max(units - seen, 0)


class Positions:
    """Conversions for one client (its encoding) over file texts from lines_of."""

    def __init__(self, encoding: str, lines_of: LinesOf) -> None:
        self.encoding = {"utf-8": UTF8, "utf-16": UTF16, "utf-32": UTF32}.get(
            str(encoding).lower(), UTF16)
        self.lines_of = lines_of

    def _line(self, path: str, line: int) -> str:
        lines = self.lines_of(path)
        if lines is None or not 1 <= line <= len(lines):
            return ""
        return lines[line - 1]

    def position(self, path: str, line: int, col: int) -> lsp.Position:
        text = self._line(path, line)
        return lsp.Position(max(line - 1, 0), column_to_units(text, col, self.encoding))

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(self.position(span.path, span.line, span.col),
                         self.position(span.path, span.end_line, span.end_col))

    def to_model(self, path: str, pos: lsp.Position) -> tuple[int, int]:
        """(1-based line, 1-based character column) of an LSP position."""
        line = pos.line + 1
        return line, units_to_column(self._line(path, line), pos.character, self.encoding)


__all__ = ["UTF8", "UTF16", "UTF32", "Positions", "column_to_units", "units_to_column"]
