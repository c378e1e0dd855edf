"""Random input never raises: text, Go-flavoured token soup, raw bytes from disk."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eggls.gosrc.index import index_go_file
from eggls.gosrc.model import GoFile

_TOKENS = [
    "package k\n", "func", " f", "(", ")", "{", "}", "[", "]", "...", "*", "&", "**", "+", "<<",
    "|", "&&", "||", "!", ":=", "=", ",", ";", "\n", " ", "\t", "iota", "const", "var", "type",
    "import", '"unsafe"', "unsafe.Pointer", "uintptr", "(**uintptr)", "FuncPC", "reflect",
    ".ValueOf", ".Pointer", "abi.FuncPCABI0", "if", "else", "for", "range", "switch", "case",
    "default:", "select", "go", "defer", "return", "0x10", "1", "'a'", "é", "☃", "//go:nosplit\n",
    "//go:build linux\n", "// +build !x\n", "// eggls:entry\n", "/*", "*/", "`", '"', "x", "T",
    "interface{}", "any", "efaceOf", ".data", "add", "<-", "chan", "map", "struct",
]


def _check(f: GoFile) -> None:
    for e in f.errors:
        assert e.span.line >= 1 and e.span.col >= 1
    for fd in f.funcs:
        for ev in fd.events:
            assert ev.span.line >= 1  # spans are computable
            for fr in getattr(ev, "context", ()):
                assert fr.stmt.line >= 1
    for s in f.idioms:
        assert s.arg.text is not None
    f.build_ok("linux", "amd64")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_random_text(text: str) -> None:
    _check(index_go_file("/fuzz/a.go", text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=200))
def test_token_soup(tokens: list[str]) -> None:
    _check(index_go_file("/fuzz/a.go", "".join(tokens)))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_from_disk(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "a.go"
        p.write_bytes(b"package k\n" + data)
        _check(index_go_file(str(p)))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\udfff"])))
def test_lone_surrogates(text: str) -> None:
    _check(index_go_file("/fuzz/a.go", "package k\nfunc f() { g(\"" + text + "\") }\n"))
