"""The `eggls --check` output contract: formats, sorting, paths, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eggls.cli import main

BAD = "TEXT ·f(SB), $0\n\tFROB AX\n\tMOVQ $1, AX\n\tJMP nowhere\n"
GOOD = "TEXT ·g(SB), $0\n\tRET\n"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "b_amd64.s").write_text(BAD)
    (tmp_path / "k" / "a_amd64.s").write_text(BAD.replace("FROB AX", "MOVQ (AX, BX"))
    (tmp_path / "k" / "ok_amd64.s").write_text(GOOD)
    (tmp_path / "k" / "skip_arm64.s").write_text(BAD)  # not built for amd64
    (tmp_path / "k" / "testdata").mkdir()
    (tmp_path / "k" / "testdata" / "t_amd64.s").write_text(BAD)  # never looked at
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_text_format_sorted_with_relative_paths(module: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(module)
    rc, out, _ = run(["--check"], capsys)
    assert rc == 1
    assert out.splitlines() == [
        "go.mod:1:1: information: no build used: wrapper findings are predicted for Go 1.21 "
        "(build the kernel or pass --build ELF to explain them with real bytes) [EGG009]",
        "go.mod:1:1: information: no boot entry is known: declare one with `entries = "
        "[\"import/path.rt0\"]` in .eggls.toml, --entry, or an `// eggls:entry` comment above "
        "the TEXT [EGG903]",
        "k/a_amd64.s:2:10: error: (register,register) not supported on this architecture "
        "[EGG900]",
        "k/a_amd64.s:4:6: error: undefined label nowhere [EGG900]",
        "k/b_amd64.s:2:2: error: unrecognized instruction 'FROB' [EGG900]",
        "k/b_amd64.s:4:6: error: undefined label nowhere [EGG900]",
    ]


def test_json_format(module: Path, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(module / "k")
    rc, out, _ = run(["--check", "--format", "json", "b_amd64.s"], capsys)
    assert rc == 1
    doc = json.loads(out)
    assert doc["version"] == 1
    assert doc["diagnostics"][0] == {
        "path": "b_amd64.s", "line": 2, "column": 2, "end_line": 2, "end_column": 6,
        "code": "EGG900", "severity": "error", "basis": "syntax",
        "message": "unrecognized instruction 'FROB'"}
    assert len(doc["diagnostics"]) == 2


@pytest.mark.parametrize(("fail_on", "rc"), [("error", 1), ("warning", 1), ("hint", 1),
                                             ("never", 0)])
def test_fail_on(module: Path, capsys: pytest.CaptureFixture[str], fail_on: str, rc: int) -> None:
    assert run(["--check", "--fail-on", fail_on, str(module) + "/..."], capsys)[0] == rc


def test_clean_tree_exits_zero(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["--check", str(module / "k" / "ok_amd64.s")], capsys)
    assert (rc, out) == (0, "")


def test_goarch_selects_other_files(module: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(module)
    _, out, _ = run(["--check", "--goarch", "arm64", "--fail-on", "never"], capsys)
    # The arm64 file is selected instead; eggls has no arm64 operand tables, so it is
    # parsed (TEXT blocks, statements) but its operands are not validated.
    from eggls.gobuild import Target
    from eggls.workspace import collect_packages

    (pkg,), _ = collect_packages([str(module) + "/..."], Target(goarch="arm64"))
    assert [Path(f).name for f in pkg.asm_files] == ["skip_arm64.s"]
    assert [line.split(" [")[-1] for line in out.splitlines()] == ["EGG009]", "EGG903]"]


def test_usage_errors_exit_2_with_one_line(module: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["--check", str(module / "missing")], capsys)
    assert rc == 2 and out == "" and "no such file" in err
    rc, out, err = run(["--check", str(module / "missing" / "...")], capsys)
    assert rc == 2 and out == "" and err.count("\n") == 1 and "no such file" in err
    rc, _, err = run(["--check", "--format", "xml"], capsys)
    assert rc == 2 and err.startswith("eggls: ") and err.count("\n") == 1
    rc, _, err = run([str(module)], capsys)
    assert rc == 2 and "need --check" in err


def test_console_script_runs(module: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "eggls.cli", "--check", "--format", "json",
                           str(module / "k" / "ok_amd64.s")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"version": 1, "diagnostics": []}
