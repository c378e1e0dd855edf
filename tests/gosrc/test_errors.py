"""Broken Go: EGG901 errors with spans, never an exception, the rest still indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggls.gosrc.index import index_go_file

from .helpers import calls, func, idx, pos


def errs(f) -> list[tuple[str, tuple[int, int, int, int]]]:  # type: ignore[no-untyped-def]
    return [(e.message, pos(e.span)) for e in f.errors]


def test_missing_token_keeps_the_rest() -> None:
    f = idx('''
        package k

        func f() {
            x := g(1, 2
        }

        func h() { k() }
    ''')
    assert errs(f) == [("syntax error: missing ')'", (4, 16, 4, 16))]
    assert [c.name for c in calls(func(f, "h").events)] == ["k"]
    assert [c.name for c in calls(func(f, "f").events)] == ["g"]
    d = f.diagnostics()[0]
    assert (d.code, d.severity, d.basis, d.line, d.column) == ("EGG901", "error", "syntax", 4, 16)


def test_garbage_between_declarations() -> None:
    f = idx('''
        package k

        func f() { a() }
        @@@ $$$
        func g() { y() }
    ''')
    assert errs(f) == [("syntax error: unexpected '@@@ $$$'", (4, 1, 4, 8))]
    assert [fd.symbol for fd in f.funcs] == ["f", "g"]
    assert [c.name for c in calls(func(f, "g").events)] == ["y"]


def test_error_spans_count_characters() -> None:
    f = idx('''
        package k

        func f() { é := ☃ + }
        func g() { y() }
    ''')
    assert errs(f)[0] == ("syntax error: unexpected '☃'", (3, 17, 3, 18))
    assert [c.name for c in calls(func(f, "g").events)] == ["y"]


def test_missing_package_clause() -> None:
    assert errs(idx("func f() {}\n")) == [("syntax error: missing package clause", (1, 1, 1, 12))]
    assert errs(idx("")) == [("syntax error: missing package clause", (1, 1, 1, 1))]
    assert errs(idx("package k\n")) == []


@pytest.mark.parametrize("src", [
    "package k\nfunc (",
    "package k\n/* open comment\nfunc g() {}\n",
    'package k\nfunc f() { s := "unterminated\n b() }\n',
    "package k\nfunc f() { if { for { switch { case",
    "package k\nvar x = [...]func(){a, b,\n",
    "package k\nconst ( A = iota; B = 1 << ; C )\n",
    "package k\nfunc f() { **(**uintptr)(unsafe.Pointer(&)) }\n",
    "package k\nfunc f() { (*[16]byte)()[:] }\n",
    "\x00\x01\x02",
    "package k\n" + "(" * 2000,
])
def test_broken_sources_never_raise(src: str) -> None:
    f = idx(src)
    assert f.errors
    for e in f.errors:
        assert e.span.line >= 1 and e.span.col >= 1
        assert (e.span.end_line, e.span.end_col) >= (e.span.line, e.span.col)


@pytest.mark.parametrize("src", [
    "package k\nfunc f() { reflect.ValueOf().Pointer() ; abi.FuncPCABI0() }\n",
    "package k\nfunc f() {" + "{" * 500 + "g()" + "}" * 500 + "}\n",
    "package k\nvar x = " + "- " * 3000 + "1\n",
    "package k\nconst x = " + "(" * 300 + "1" + ")" * 300 + "\n",
])
def test_odd_but_valid_sources(src: str) -> None:
    assert idx(src).errors == []


def test_reads_invalid_utf8_from_disk(tmp_path: Path) -> None:
    p = tmp_path / "bad.go"
    p.write_bytes(b'package k\n\nfunc f() { g("\xff\xfe") ; h() }\n')
    f = index_go_file(str(p))
    assert [c.name for c in calls(func(f, "f").events)] == ["g", "h"]
    # The stray bytes count as one character each.
    assert pos(calls(func(f, "f").events)[1].span) == (3, 22, 3, 25)
