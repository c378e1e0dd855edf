"""File selection as `go build` does it: name suffixes and header constraints."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggls.gobuild import Target, file_matches, package_files, skip_dir


@pytest.mark.parametrize(("name", "linux_amd64"), [
    ("a.s", True), ("a_amd64.s", True), ("a_arm64.s", False), ("a_linux_amd64.s", True),
    ("a_darwin_amd64.s", False), ("a_linux.s", True), ("a_windows.s", False),
    ("amd64.s", True),  # the part before the first underscore never constrains
    ("x_amd64_test.go", True), ("a_android.go", False),
])
def test_file_name_suffixes(tmp_path: Path, name: str, linux_amd64: bool) -> None:
    p = tmp_path / name
    p.write_text("TEXT ·f(SB), $0\n")
    assert file_matches(str(p), "linux", "amd64") is linux_amd64


@pytest.mark.parametrize(("header", "ok"), [
    ("//go:build amd64 && !purego\n", True),
    ("//go:build (linux || darwin) && arm64\n", False),
    ("//go:build unix\n", True),
    ("//go:build go1.21\n", True),
    ("//go:build amd64.v3\n", False),
    ("// Copyright\n\n//go:build ignore\n", False),
    ("/* block */\n//go:build !linux\n", False),
    ("// +build linux,amd64 darwin\n\n", True),
    ("// +build windows\n\n", False),
    ("TEXT ·f(SB), $0\n//go:build ignore\n", True),  # after code: not a constraint
])
def test_header_constraints(tmp_path: Path, header: str, ok: bool) -> None:
    p = tmp_path / "f.s"
    p.write_text(header + "TEXT ·f(SB), $0\n")
    assert file_matches(str(p), "linux", "amd64") is ok


def test_goamd64_level_and_package_files(tmp_path: Path) -> None:
    (tmp_path / "v3.s").write_text("//go:build amd64.v3\n")
    assert file_matches(str(tmp_path / "v3.s"), target=Target(goamd64="v3"))
    (tmp_path / "a.go").write_text("package a\n")
    (tmp_path / "a_test.go").write_text("package a\n")
    (tmp_path / "_skip.s").write_text("")
    assert [Path(p).name for p in package_files(str(tmp_path), Target())] == ["a.go"]
    assert skip_dir("testdata") and skip_dir("_x") and skip_dir(".git") and not skip_dir("k")
