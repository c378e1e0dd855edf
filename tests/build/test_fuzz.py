"""Mutation fuzz over the fixture ELFs: no exception escapes the reader; per-input guards of
10 s and 512 MB catch hangs and blow-ups (tests/build/fuzz_harness.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.build.synth import Sym, go_elf
from tests.support.kernels import kernel_builds, materialize

REPO = Path(__file__).resolve().parents[2]


def _seeds(tmp_path: Path, dwarf: bool = True, every_build: bool = False) -> list[str]:
    builds = kernel_builds()
    if not every_build:  # one small kernel per version, and the one that keeps DWARF
        chosen = {kb.version: kb for kb in builds if kb.name == "trapret" and not kb.dwarf}
        builds = tuple(chosen.values()) + tuple(kb for kb in builds if kb.dwarf and dwarf)
    seeds = [str(materialize(kb)) for kb in builds]
    old = tmp_path / "synthetic-go1.16.elf"
    old.write_bytes(go_elf("go1.16.15", "pointer", symbols=[Sym("main.f", 0x401000, 1)]))
    return [*seeds, str(old)]


def _run(seeds: list[str], count: int, start: int = 0, *extra: str,
         timeout: float = 600) -> list[dict[str, object]]:
    cmd = [sys.executable, "-m", "tests.build.fuzz_harness", "--count", str(count),
           "--start", str(start), *extra]
    for s in seeds:
        cmd += ["--seed-file", s]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    done = [x for x in lines if "n" in x]
    if proc.returncode != 0 or len(done) != count:
        started = [x["start"] for x in lines if "start" in x]
        pytest.fail(f"fuzz worker died (rc {proc.returncode}) at input "
                    f"{started[-1] if started else '?'}:\n{proc.stderr[-3000:]}")
    return done


def _assert_clean(done: list[dict[str, object]]) -> None:
    failures = [x for x in done if "failure" in x]
    assert not failures, json.dumps(failures[:3], indent=1)
    outcomes = {str(x["result"]).split(":")[0] for x in done}
    assert outcomes == {"ok", "error"}  # the mutations reach both the errors and deep code


def test_fuzz_quick(tmp_path: Path) -> None:
    _assert_clean(_run(_seeds(tmp_path, dwarf=False), 48))


@pytest.mark.slow
def test_fuzz_long(tmp_path: Path) -> None:
    seeds = _seeds(tmp_path, every_build=True)
    _assert_clean(_run(seeds, int(os.environ.get("EGGLS_FUZZ_COUNT", "2000")), 1000,
                       timeout=3 * 3600))


@pytest.mark.parametrize("what", ["hang", "memory"])
def test_guards_catch_hangs_and_blowups(tmp_path: Path, what: str) -> None:
    """The guards themselves: an input that hangs or allocates 4 GB is reported, not fatal."""
    done = _run(_seeds(tmp_path, dwarf=False)[-1:], 1, 0, "--selftest", what,
                "--time-limit", "1")
    assert str(done[0].get("failure", "")).startswith(what)
