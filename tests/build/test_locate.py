"""Finding the last build in a module, and telling whether it is stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from eggls.build.errors import BuildError
from eggls.build.locate import LastBuild, find_last_build, git_head
from tests.build.synth import (
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHT_PROGBITS,
    TEXT_ADDR,
    Sec,
    build_elf,
    go_elf,
)
from tests.support.kernels import kernel_elf


def _put(dst: Path, data: bytes, mtime: float) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data)
    os.utime(dst, (mtime, mtime))
    return dst


def _module(tmp_path: Path, path: str = "example.com/k") -> Path:
    _put(tmp_path / "go.mod", f"module {path}\n\ngo 1.21\n".encode(), 500_000)
    return tmp_path


def test_newest_go_elf_wins(tmp_path: Path) -> None:
    root = _module(tmp_path)
    old = _put(root / "bin" / "old", kernel_elf("trapret", "1.19").read_bytes(), 1_000_000)
    new = _put(root / "build" / "kernel.elf", kernel_elf("trapret", "1.24").read_bytes(),
               2_000_000)
    plain = build_elf([Sec(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_ADDR, b"\xc3")])
    _put(root / "bin" / "c-program", plain, 3_000_000)  # newer, but not Go
    _put(root / ".git" / "objects" / "x", go_elf("go1.99.0", "inline"), 4_000_000)  # skipped
    got = find_last_build(root, check_staleness=False)
    assert isinstance(got, LastBuild)
    assert got.path == str(new) and got.how == "newest Go ELF in the module"
    assert got.candidates == 2 and got.build.go_version.startswith("go1.24")
    assert str(new) in got.report()
    assert old.exists()


def test_this_modules_build_is_preferred(tmp_path: Path) -> None:
    root = _module(tmp_path, "example.com/kernels/trapret")
    ours = _put(root / "kernel", kernel_elf("trapret", "1.21").read_bytes(), 1_000_000)
    _put(root / "tools" / "other", go_elf("go1.24.0", "inline", path="example.com/other"),
         2_000_000)
    got = find_last_build(root, check_staleness=False)
    assert isinstance(got, LastBuild) and got.path == str(ours)


def test_explicit_path(tmp_path: Path) -> None:
    root = _module(tmp_path)
    _put(root / "a.elf", go_elf("go1.22.0", "inline"), 1_000_000)
    _put(root / "b.elf", go_elf("go1.23.0", "inline"), 2_000_000)
    got = find_last_build(root, "a.elf", check_staleness=False)
    assert isinstance(got, LastBuild) and got.how == "explicit"
    assert got.build.go_version == "go1.22.0"
    bad = find_last_build(root, "missing.elf")
    assert isinstance(bad, BuildError) and bad.kind == "missing"


def test_no_build(tmp_path: Path) -> None:
    root = _module(tmp_path)
    (root / "kernel.go").write_text("package k\n")
    got = find_last_build(root)
    assert isinstance(got, BuildError) and got.kind == "no-build" and got.code == "EGG902"


def test_staleness_by_mtime(tmp_path: Path) -> None:
    root = _module(tmp_path)
    _put(root / "kernel.elf", go_elf("go1.22.0", "inline"), 2_000_000)
    src = _put(root / "kernel_amd64.s", b"TEXT x(SB),0,$0\n", 1_000_000)
    _put(root / "kernel_test.go", b"package k\n", 3_000_000)  # tests are not in the build
    _put(root / "testdata" / "x.go", b"package x\n", 3_000_000)
    got = find_last_build(root)
    assert isinstance(got, LastBuild) and got.staleness.stale is False
    os.utime(src, (3_000_000, 3_000_000))
    got = find_last_build(root)
    assert isinstance(got, LastBuild) and got.staleness.stale is True
    assert got.staleness.newer_sources == (str(src),)


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_staleness_by_vcs_revision(tmp_path: Path) -> None:
    """HEAD is read from .git's files (eggls never runs git on a workspace): another
    revision is stale whatever the mtimes; the same revision leaves it to the mtimes."""
    root = _module(tmp_path)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    git = lambda *a: subprocess.run(["git", "-C", str(root), *a], check=True,  # noqa: E731
                                    capture_output=True, text=True, env=env).stdout.strip()
    (root / "kernel.go").write_text("package k\n")
    git("init", "-q")
    git("add", "go.mod", "kernel.go")
    git("commit", "-q", "-m", "one")
    head = git("rev-parse", "HEAD")
    assert git_head(root) == head
    git("pack-refs", "--all")  # refs only in packed-refs
    assert git_head(root) == head
    git("checkout", "-q", "--detach")
    assert git_head(root) == head

    def build(rev: str, mtime: float) -> LastBuild:
        settings = {"vcs": "git", "vcs.revision": rev, "vcs.modified": "false"}
        _put(root / "kernel.elf", go_elf("go1.22.0", "inline", settings=settings), mtime)
        got = find_last_build(root)
        assert isinstance(got, LastBuild)
        return got

    future = time.time() + 3600
    assert build(head, future).staleness.stale is False
    got = build("0" * 40, future)
    assert got.staleness.stale is True and "HEAD is" in got.staleness.reason
    assert build(head, 1_000).staleness.stale is True  # sources changed after the build

