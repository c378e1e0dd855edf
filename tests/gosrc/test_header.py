"""Package clause, imports and build constraints."""

from __future__ import annotations

import pytest

from eggls.gosrc.buildtags import (
    BuildExprError,
    build_satisfied,
    file_build_ok,
    filename_ok,
    parse_build_expr,
    plus_build_ok,
    read_header,
)

from .helpers import idx, pos


def test_package_and_imports() -> None:
    f = idx('''
        package kernel

        import "unsafe"
        import (
            "fmt"
            rt "runtime"
            _ "embed"
            . "strings"
            "example.com/k/internal/abi"
        )
    ''')
    assert f.package == "kernel"
    assert pos(f.package_span) == (1, 9, 1, 15)
    got = [(i.path, i.alias, i.name) for i in f.imports]
    assert got == [("unsafe", None, "unsafe"), ("fmt", None, "fmt"), ("runtime", "rt", "rt"),
                   ("embed", "_", "_"), ("strings", ".", "."),
                   ("example.com/k/internal/abi", None, "abi")]
    assert pos(f.imports[2].span) == (6, 5, 6, 17)
    assert f.import_path("rt") == "runtime"
    assert f.import_path("abi") == "example.com/k/internal/abi"
    assert f.import_path("runtime") is None


def test_go_build_expression_is_recorded_and_evaluated() -> None:
    f = idx('''
        // Copyright line.

        //go:build (linux || freebsd) && amd64 && !purego

        package k
    ''')
    assert f.build_expr == "(linux || freebsd) && amd64 && !purego"
    assert pos(f.build_span) == (3, 1, 3, 50)
    assert f.build_ok("linux", "amd64")
    assert f.build_ok("freebsd", "amd64")
    assert not f.build_ok("linux", "arm64")
    assert not f.build_ok("windows", "amd64")
    assert not f.build_ok("linux", "amd64", tags=["purego"])


def test_go_build_after_package_clause_is_ignored() -> None:
    f = idx('''
        package k

        //go:build ignore
    ''')
    assert f.build_expr is None
    assert f.build_ok("linux", "amd64")


def test_plus_build_lines_only_without_go_build() -> None:
    f = idx('''
        // +build linux,amd64 darwin
        // +build !cgo

        package k
    ''')
    assert f.build_expr is None
    assert f.plus_build == ("linux,amd64 darwin", "!cgo")
    assert f.build_ok("linux", "amd64")
    assert f.build_ok("darwin", "arm64")
    assert not f.build_ok("linux", "arm64")
    assert not f.build_ok("linux", "amd64", tags=["cgo"])

    both = idx('''
        //go:build linux
        // +build windows

        package k
    ''')
    assert both.build_ok("linux", "amd64")  # //go:build wins
    assert not both.build_ok("windows", "amd64")


def test_plus_build_needs_a_blank_line_before_package() -> None:
    f = idx('''
        // +build windows
        package k
    ''')
    assert f.plus_build == ()
    assert f.build_ok("linux", "amd64")


def test_implied_tags() -> None:
    assert idx("//go:build unix\n\npackage k\n").build_ok("linux", "amd64")
    assert not idx("//go:build unix\n\npackage k\n").build_ok("windows", "amd64")
    assert idx("//go:build linux\n\npackage k\n").build_ok("android", "arm64")
    assert idx("//go:build gc\n\npackage k\n").build_ok("linux", "amd64")
    assert not idx("//go:build gc\n\npackage k\n").build_ok("linux", "amd64", ["gccgo"])
    f = idx("//go:build go1.21\n\npackage k\n")
    assert f.build_ok("linux", "amd64", go_version="1.24")
    assert not f.build_ok("linux", "amd64", go_version="1.19")
    assert not f.build_ok("linux", "amd64")


def test_malformed_go_build_is_a_syntax_error_not_an_exception() -> None:
    f = idx('''
        //go:build linux &&

        package k
    ''')
    assert f.build_expr == "linux &&"
    assert [e.to_diagnostic().code for e in f.errors] == ["EGG901"]
    assert pos(f.errors[0].span) == (1, 1, 1, 20)
    d = f.diagnostics()[0]
    assert (d.severity, d.basis) == ("error", "syntax")
    assert f.build_ok("windows", "386")  # counted as satisfied so the file is analysed


@pytest.mark.parametrize(("expr", "tags", "want"), [
    ("a", {"a"}, True),
    ("!a", {"a"}, False),
    ("a && b || c", {"c"}, True),
    ("a && (b || c)", {"c"}, False),
    ("a && (b || c)", {"a", "c"}, True),
    ("!!a", {"a"}, True),
    ("!(a || b) && c", {"c"}, True),
    ("go1.21 && linux.x", {"go1.21", "linux.x"}, True),
])
def test_build_expression_grammar(expr: str, tags: set[str], want: bool) -> None:
    assert parse_build_expr(expr)(tags.__contains__) is want


@pytest.mark.parametrize("bad", ["", "a &&", "(a", "a)", "a b", "a & b", "&& a", "a || !"])
def test_build_expression_errors(bad: str) -> None:
    with pytest.raises(BuildExprError):
        parse_build_expr(bad)


def test_plus_build_semantics() -> None:
    ok = build_satisfied("linux", "amd64")
    assert plus_build_ok(["linux,!386 windows"], ok)
    assert not plus_build_ok(["linux", "386"], ok)  # lines are ANDed
    assert plus_build_ok([], ok)


def test_filename_constraints() -> None:
    assert filename_ok("trap.go", "linux", "amd64")
    assert filename_ok("trap_amd64.go", "linux", "amd64")
    assert not filename_ok("trap_arm64.go", "linux", "amd64")
    assert filename_ok("os_linux_amd64.go", "linux", "amd64")
    assert not filename_ok("os_linux_arm64.go", "linux", "amd64")
    assert not filename_ok("os_windows.go", "linux", "amd64")
    assert filename_ok("os_linux.go", "android", "arm64")
    assert filename_ok("linux.go", "windows", "amd64")  # a bare GOOS name is no constraint
    assert not filename_ok("trap_test.go", "linux", "amd64")
    assert filename_ok("trap_amd64_test.go", "linux", "amd64", tests=True)
    assert not filename_ok("trap.s", "linux", "amd64")


def test_header_scan_without_parsing() -> None:
    data = (b"/* Copyright\n   block */\n\n// Package doc.\n//go:build linux\r\n"
            b"// +build linux\n\npackage k\n//go:build windows\nfunc f() {}\n")
    h = read_header(data)
    assert h.expr == "linux" and h.plus_build == ("linux",)
    assert h.go_build[0][0] == data.index(b"//go:build")
    assert read_header(b"package k\n").expr is None
    assert read_header(b"/* a */ package k\n//go:build x\n").expr is None
    assert read_header(b"//go:buildx\npackage k\n").expr is None
    assert read_header(b"//go:build\tlinux\n\npackage k").expr == "linux"


def test_file_build_ok_combines_name_and_header() -> None:
    src = b"//go:build !purego\n\npackage k\n"
    assert file_build_ok("mem_amd64.go", src, "linux", "amd64")
    assert not file_build_ok("mem_amd64.go", src, "linux", "amd64", tags=["purego"])
    assert not file_build_ok("mem_arm64.go", src, "linux", "amd64")
    assert not file_build_ok("mem_test.go", src, "linux", "amd64")
    assert file_build_ok("mem.go", b"//go:build go1.21\n\npackage k\n", "linux", "amd64",
                         go_version="go1.24.3")
    assert not file_build_ok("x.go", b"//go:build ignore\n\npackage main\n", "linux", "amd64")


def test_multiple_go_build_lines_are_an_error() -> None:
    f = idx("//go:build linux\r\n//go:build amd64\r\n\r\npackage k\r\n")
    assert f.build_expr == "linux"
    assert pos(f.build_span) == (1, 1, 1, 17)
    assert [(e.message, e.span.line) for e in f.errors] == [("multiple //go:build lines", 2)]
