"""Model columns (Unicode characters) ↔ LSP columns in UTF-16, UTF-8 and UTF-32 units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types as lsp

from eggls.diagnostics import Span
from eggls.lsp.positions import UTF8, UTF16, UTF32, Positions, column_to_units, units_to_column

LINE = "\tCALL ·f(SB) // 🙂 é"


@pytest.mark.parametrize(("enc", "col", "units"), [
    # `·` is one UTF-16 unit and two UTF-8 bytes; the emoji (column 17) two units / 4 bytes.
    (UTF16, 1, 0), (UTF16, 7, 6), (UTF16, 8, 7), (UTF16, 17, 16), (UTF16, 18, 18),
    (UTF16, 19, 19), (UTF8, 7, 6), (UTF8, 8, 8), (UTF8, 17, 17), (UTF8, 18, 21),
    (UTF8, 19, 22),
    (UTF32, 19, 18),
])
def test_columns(enc: str, col: int, units: int) -> None:
    assert column_to_units(LINE, col, enc) == units
    assert units_to_column(LINE, units, enc) == col


@given(st.text(max_size=20), st.sampled_from([UTF8, UTF16, UTF32]), st.integers(1, 25))
def test_round_trip(line: str, enc: str, col: int) -> None:
    assert units_to_column(line, column_to_units(line, col, enc), enc) == col


def test_positions_over_files() -> None:
    pos = Positions("utf-16", {"a.s": [LINE, "x"]}.get)
    assert pos.range(Span("a.s", 1, 7, 1, 13)) == lsp.Range(lsp.Position(0, 6),
                                                           lsp.Position(0, 12))
    assert pos.to_model("a.s", lsp.Position(0, 19)) == (1, 19)
    assert pos.position("missing.s", 3, 4) == lsp.Position(2, 3)
