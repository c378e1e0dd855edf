"""Every .s file of real GOROOTs goes through the front end without an exception, and the
files `go build` assembles for linux/amd64 parse without a single EGG900."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eggls.asm import AsmConfig, parse_file
from eggls.diagnostics import Severity
from eggls.engine import Options, check_paths
from eggls.gobuild import file_matches
from eggls.gomod import symbol_prefix
from tests.support.toolchains import go_toolchains

pytestmark = pytest.mark.slow
VERSIONS = sorted(go_toolchains())


def all_asm_files(goroot: Path) -> list[str]:
    out = []
    for d, dirs, files in os.walk(goroot / "src"):
        dirs.sort()
        out += [os.path.join(d, f) for f in sorted(files) if f.endswith(".s")]
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_every_goroot_asm_file_parses_without_exception(version: str) -> None:
    goroot = go_toolchains()[version]
    cfg = AsmConfig(goroot=goroot)
    files = all_asm_files(goroot)
    assert len(files) > 400
    bad: list[str] = []
    selected = 0
    for path in files:
        f = parse_file(path, symbol_prefix(os.path.dirname(path), str(goroot)), cfg)
        in_build = "/testdata/" not in path and file_matches(path, "linux", "amd64")
        if in_build:
            selected += 1
            bad += [f"{e.span.path}:{e.span.line}:{e.span.col}: {e.message}" for e in f.errors]
    print(f"go{version}: {len(files)} .s files parsed, {selected} built for linux/amd64")
    assert selected > 40
    assert not bad, "\n".join(bad[:40])


@pytest.mark.parametrize("version", VERSIONS)
def test_check_runtime_reports_no_error(version: str) -> None:
    """False positives: the Go runtime itself (source-only, linux/amd64) must draw no
    error-level finding; testdata and other architectures' files are not reported."""
    goroot = go_toolchains()[version]
    diags, problems, _ = check_paths([str(goroot / "src" / "runtime")], Options(no_build=True))
    assert not problems
    errors = [f"{d.path}:{d.line}: {d.code} {d.message}" for d in diags
              if d.severity == Severity.ERROR]
    assert errors == []
    assert not any("/testdata/" in d.path or d.path.endswith("_arm64.s") for d in diags)
    counts: dict[str, int] = {}
    for d in diags:
        counts[d.code] = counts.get(d.code, 0) + 1
    print(f"go{version} runtime: {dict(sorted(counts.items()))}")
