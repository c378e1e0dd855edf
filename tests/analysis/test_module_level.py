"""Module-level findings (EGG008/009/902/903, on go.mod line 1), suppressions (EGG010),
the configuration schema (.eggls.toml: entries, disable, build, go_version) and entries."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from eggls.cli import main
from eggls.config import Config, from_mapping, load_config
from tests.support.kernels import KERNELS_DIR, kernel_elf


def check(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["--check", "--format", "json", "--fail-on", "never", *args, str(root)]) == 0
    return json.loads(capsys.readouterr().out)["diagnostics"]


def codes_on_go_mod(diags: list[dict[str, object]]) -> list[str]:
    return sorted(str(d["code"]) for d in diags if str(d["path"]).endswith("go.mod"))


@pytest.fixture
def kernel(tmp_path: Path) -> Path:
    root = tmp_path / "bootsse"
    # shutil.copy, not copy2: the sources must be new files (mtime now), whatever the
    # checkout's mtimes are, for the staleness tests to mean something.
    shutil.copytree(KERNELS_DIR / "bootsse", root, ignore=shutil.ignore_patterns("bin"),
                    copy_function=shutil.copy)
    return root


def test_no_build_is_reported_once_on_go_mod(kernel: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    diags = check(kernel, capsys)
    mod = [d for d in diags if str(d["path"]).endswith("go.mod")]
    assert [(d["code"], d["line"], d["severity"]) for d in mod] == [
        ("EGG009", 1, "information")]
    assert "predicted for Go 1.19" in str(mod[0]["message"])


def test_stale_build_is_egg008(kernel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elf = kernel / "kernel.elf"
    shutil.copy(kernel_elf("bootsse", "1.24"), elf)
    old = time.time() - 3600
    os.utime(elf, (old, old))  # every source is newer than the build
    diags = check(kernel, capsys)
    assert codes_on_go_mod(diags) == ["EGG008"]
    assert all(d["basis"] in ("build", "syntax") for d in diags)


def test_fresh_build_found_in_the_module(kernel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elf = kernel / "kernel.elf"
    shutil.copy(kernel_elf("bootsse", "1.21"), elf)
    future = time.time() + 3600
    os.utime(elf, (future, future))  # built after every source
    diags = check(kernel, capsys)
    assert codes_on_go_mod(diags) == []
    egg001 = [d for d in diags if d["code"] == "EGG001"]
    assert egg001 and egg001[0]["basis"] == "build" and "wrapper" in egg001[0]


def test_unreadable_explicit_build_is_egg902(kernel: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = kernel / "garbage.elf"
    bad.write_bytes(b"\x7fELF" + b"\x00" * 100)
    diags = check(kernel, capsys, "--build", str(bad))
    assert "EGG902" in codes_on_go_mod(diags)
    assert "EGG009" in codes_on_go_mod(diags)  # falls back to predictions


def test_no_boot_entry_is_egg903(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.21\n")
    (tmp_path / "x.go").write_text("package x\n\nfunc f()\n")
    (tmp_path / "x_amd64.s").write_text("TEXT ·f(SB), 4, $0\n\tRET\n")
    diags = check(tmp_path, capsys, "--no-build")
    assert codes_on_go_mod(diags) == ["EGG009", "EGG903"]
    # Declaring the entry on the command line (as -E spells it) silences it.
    diags = check(tmp_path, capsys, "--no-build", "--entry", "example.com/x.f")
    assert codes_on_go_mod(diags) == ["EGG009"]


def test_config_entries_and_disable(kernel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Remove the annotations: the entry then comes only from .eggls.toml.
    s = kernel / "kernel_amd64.s"
    s.write_text(s.read_text().replace("// eggls:entry", "//"))
    assert [d for d in check(kernel, capsys) if d["code"] == "EGG001"] == []
    (kernel / ".eggls.toml").write_text('entries = ["example.com/kernels/bootsse.rt0"]\n')
    assert [d["line"] for d in check(kernel, capsys) if d["code"] == "EGG001"] == [10]
    (kernel / ".eggls.toml").write_text('entries = ["example.com/kernels/bootsse.rt0"]\n'
                                        'disable = ["EGG001"]\n')
    codes = {d["code"] for d in check(kernel, capsys)}
    assert "EGG001" not in codes and "EGG002" in codes


def test_ignore_comments_suppress_and_unused_ones_are_egg010(
        kernel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = kernel / "kernel_amd64.s"
    text = s.read_text().replace(
        "\tCALL ·preinit(SB) // want EGG001 EGG002",
        "\t// eggls:ignore EGG001 SSE is set by the boot loader on this board\n"
        "\tCALL ·preinit(SB)")
    text = text.replace("\tJMP _rt0_amd64_linux(SB)",
                        "\tJMP _rt0_amd64_linux(SB) // eggls:ignore EGG004 stale")
    s.write_text(text)
    diags = check(kernel, capsys, "--no-build")
    by_code = {(d["code"], d["line"]) for d in diags if str(d["path"]).endswith(".s")}
    assert ("EGG001", 11) not in by_code and ("EGG002", 11) in by_code
    unused = [d for d in diags if d["code"] == "EGG010"]
    assert [(d["line"], d["severity"]) for d in unused] == [(15, "hint")]


def test_config_schema_validation(tmp_path: Path) -> None:
    cfg, problems = from_mapping({"entries": "a.b", "disable": ["EGG004"], "bogus": 1,
                                  "goarch": 5, "go_version": 1.21})
    assert cfg.entries == ("a.b",) and cfg.disable == ("EGG004",) and cfg.go_version == "1.21"
    assert cfg.goarch == Config().goarch
    assert sorted(problems) == ["settings: goarch must be a string",
                                "settings: unknown key 'bogus'"]
    (tmp_path / ".eggls.toml").write_text('build = "out/kernel.elf"\ninclude_dirs = ["inc"]\n')
    cfg, problems = load_config(str(tmp_path))
    assert not problems
    assert cfg.build == str(tmp_path / "out/kernel.elf")
    assert cfg.include_dirs == (str(tmp_path / "inc"),)
    (tmp_path / ".eggls.toml").write_text("entries = [\n")
    cfg, problems = load_config(str(tmp_path))
    assert cfg == Config() and len(problems) == 1


def test_ignore_comment_codes_are_the_leading_ones() -> None:
    from eggls.analysis.program import scan_comments

    notes, ignores = scan_comments(
        "x.s", "\tCALL x // eggls:ignore EGG001, EGG002 not EGG003 // trailing\n"
               "// eggls:entry\n")
    assert [code for code, _ in ignores[1]] == ["EGG001", "EGG002"]
    assert notes[2] == [("entry", "")]


def test_text_blocks_from_an_included_header(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A TEXT in a shared header (more lines than the including file) takes its annotations
    from the header, and the analysis sees through it."""
    (tmp_path / "go.mod").write_text("module example.com/h\n\ngo 1.21\n")
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "lib.h").write_text(
        "\n" * 30 + "// eggls:entry\nTEXT ·rt0(SB), NOSPLIT, $0\n\tCALL ·kmain(SB)\n\tRET\n")
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "k_amd64.s").write_text(
        '#include "textflag.h"\n#include "../common/lib.h"\n')
    (tmp_path / "k" / "k.go").write_text(
        "package k\n\nfunc rt0()\n\n//go:nosplit\nfunc kmain() {}\n")
    diags = check(tmp_path / "k", capsys, "--no-build")
    hits = [(Path(str(d["path"])).name, d["line"], d["code"]) for d in diags
            if d["code"] in ("EGG001", "EGG002")]
    assert hits == [("lib.h", 33, "EGG001"), ("lib.h", 33, "EGG002")]
