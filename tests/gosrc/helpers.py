"""Index small Go sources written inline in the tests."""

from __future__ import annotations

import textwrap

from eggls.gosrc.index import index_go_file
from eggls.gosrc.model import Call, Event, FuncDecl, GoFile

PATH = "/src/k/a.go"


def idx(src: str, path: str = PATH) -> GoFile:
    return index_go_file(path, textwrap.dedent(src).lstrip("\n"))


def func(f: GoFile, symbol: str) -> FuncDecl:
    fd = f.func(symbol)
    assert fd is not None, f"no func {symbol}: {[x.symbol for x in f.funcs]}"
    return fd


def calls(events: list[Event]) -> list[Call]:
    return [e for e in events if isinstance(e, Call)]


def call_named(events: list[Event], name: str) -> Call:
    found = [c for c in calls(events) if c.name == name]
    assert len(found) == 1, f"{name}: {[c.callee.text for c in calls(events)]}"
    return found[0]


def pos(span) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    return (span.line, span.col, span.end_line, span.end_col)
