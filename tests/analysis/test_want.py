"""The analysistest-style harness: every fixture kernel's `// want` lines must be matched
exactly by eggls' line-anchored diagnostics, with each build (every Go version) and in
source-only mode. Module-level codes (EGG008/009/903) are checked separately."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eggls.cli import main
from tests.support.kernels import KERNELS_DIR, all_kernels
from tests.support.want import compare, read_wants

KERNELS = sorted(p.name for p in KERNELS_DIR.iterdir() if (p / "go.mod").is_file())
MODULE_LEVEL = {"EGG008", "EGG009", "EGG903", "EGG902"}
RULE_CODES = {f"EGG{n:03d}" for n in range(1, 11)}


def run_check(kernel: str, args: list[str], capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    monkeypatch.chdir(KERNELS_DIR / kernel)
    rc = main(["--check", "--format", "json", "--fail-on", "never", *args, "."])
    out = capsys.readouterr().out
    assert rc == 0, out
    return json.loads(out)["diagnostics"]


def wants_of(kernel: str, mode: str, go: tuple[int, int] | None) -> list:  # type: ignore[type-arg]
    out = []
    for path in sorted((KERNELS_DIR / kernel).rglob("*")):
        if path.suffix in (".go", ".s") and "bin" not in path.parts:
            out += read_wants(path, mode, go, codes=RULE_CODES)
    return out


def check(kernel: str, diags: list[dict[str, object]], mode: str,
          go: tuple[int, int] | None) -> None:
    line_diags = [d for d in diags if d["code"] not in MODULE_LEVEL]
    wants = wants_of(kernel, mode, go)
    problems = compare(wants, line_diags)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kernel", KERNELS)
def test_source_only(kernel: str, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    diags = run_check(kernel, ["--no-build"], capsys, monkeypatch)
    check(kernel, diags, "predicted", None)
    assert all(d["basis"] in ("predicted", "syntax") for d in diags)


@pytest.mark.parametrize(("kernel", "version", "elf"),
                         [k for k in all_kernels()],
                         ids=[f"{k}-go{v}" for k, v, _ in all_kernels()])
def test_with_build(kernel: str, version: str, elf: Path, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> None:
    diags = run_check(kernel, ["--build", str(elf)], capsys, monkeypatch)
    go = tuple(int(x) for x in version.split("."))
    check(kernel, diags, "build", go)  # type: ignore[arg-type]
    codes = {d["code"] for d in diags}
    assert "EGG009" not in codes and "EGG902" not in codes
    for d in diags:
        if d["code"] in ("EGG001", "EGG002", "EGG003"):
            assert d["basis"] == "build" and "wrapper" in d, d


@pytest.mark.parametrize("kernel", KERNELS)
def test_go_1_16_has_no_wrapper_findings(kernel: str, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    diags = run_check(kernel, ["--no-build", "--go-version", "1.16"], capsys, monkeypatch)
    assert not [d for d in diags if d["code"] in {f"EGG00{n}" for n in range(1, 7)}]
    # EGG007 is not about wrappers: it still fires where the fixtures want it.
    wants = [w for w in wants_of(kernel, "predicted", (1, 16)) if w.code == "EGG007"]
    got = [d for d in diags if d["code"] == "EGG007"]
    assert not compare(wants, got)
