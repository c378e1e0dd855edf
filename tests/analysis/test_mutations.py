"""Silence proves little: undoing each fixed twin's fix must make its rule fire, at the line
the mutation touches. Each case copies a fixture kernel, applies one textual mutation and
checks source-only (the mutation invalidates the committed builds)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from eggls.cli import main
from tests.support.kernels import KERNELS_DIR


@dataclass(frozen=True)
class Mutation:
    kernel: str
    file: str
    old: str
    new: str
    code: str
    line_of: str  # text of the line the finding must land on (after the mutation)
    severity: str = "error"
    at: str | None = None  # file the finding lands in, when not the mutated one


MUTATIONS = [
    # Move the SSE enable (the CR4 write) after the first Go call of the fixed entry.
    Mutation("bootsse", "kernel_amd64.s", "\tMOVQ AX, CR4\n", "\tNOP\n", "EGG001",
             "CALL ·apmain(SB)"),
    # Drop the FS-base WRMSR of the fixed entry.
    Mutation("bootsse", "kernel_amd64.s", "\tWRMSR\n\tCALL ·apmain(SB)", "\tCALL ·apmain(SB)",
             "EGG002", "CALL ·apmain(SB)"),
    # preinit no longer sets the FS base, so rt0's later call of kmain is unprotected.
    Mutation("bootfs", "kernel.go", "\tsetFS(uintptr(unsafe.Pointer(&bootTLS[1])))\n",
             "\t_ = unsafe.Pointer(&bootTLS[1])\n", "EGG002", "CALL ·kmain(SB)",
             at="kernel_amd64.s"),
    # Take the address in Go instead of asm.
    Mutation("trapret", "kernel.go", "t.ctx.ip = addrOfTrapret()", "t.ctx.ip = funcPC(trapret)",
             "EGG003", "t.ctx.ip = funcPC(trapret)"),
    Mutation("trapret", "kernel.go", "t.tf.rip = addrOfUserMain()", "t.tf.rip = funcPC(userMain)",
             "EGG006", "t.tf.rip = funcPC(userMain)", "warning"),
    Mutation("sysentry", "kernel.go", "wrmsr(_MSR_LSTAR, addrOfSyscallEntry())",
             "wrmsr(_MSR_LSTAR, FuncPC(syscallEntry))", "EGG003",
             "wrmsr(_MSR_LSTAR, FuncPC(syscallEntry))"),
    Mutation("sysentry", "kernel.go", "pc := addrOfVdsoClock()", "pc := FuncPC(vdsoClock)",
             "EGG004", "pc := FuncPC(vdsoClock)"),
    # The interrupt entry that saved the FPU state first no longer does.
    Mutation("idt", "kernel_amd64.s", "\tFXSAVE64 16(SP)\n\tCALL ·kbdIRQ(SB)",
             "\tCALL ·kbdIRQ(SB)", "EGG005", "CALL ·kbdIRQ(SB)", "warning"),
    # A framed asm function loses NOSPLIT: the assembler inserts a stack check.
    Mutation("gstack", "kernel_amd64.s", "TEXT ·setupGDT(SB), NOSPLIT, $8-0",
             "TEXT ·setupGDT(SB), $8-0", "EGG007", "CALL ·setupGDT(SB)", "warning",
             at="kernel_amd64.s"),
]


def _check(root: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["--check", "--no-build", "--format", "json", "--fail-on", "never",
                 str(root)]) == 0
    return json.loads(capsys.readouterr().out)["diagnostics"]


@pytest.mark.parametrize("m", MUTATIONS, ids=lambda m: f"{m.kernel}-{m.code}")
def test_undoing_the_fix_fires_the_rule(m: Mutation, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / m.kernel
    shutil.copytree(KERNELS_DIR / m.kernel, root, ignore=shutil.ignore_patterns("bin"))
    before = {(d["path"], d["line"], d["code"]) for d in _check(root, capsys)}
    src = root / m.file
    text = src.read_text()
    assert text.count(m.old) == 1, f"mutation anchor not unique in {m.file}"
    start = text[: text.index(m.old)].count("\n") + 1
    mutated = text.replace(m.old, m.new)
    src.write_text(mutated)
    # The finding belongs on the first line at or after the mutation holding line_of (or,
    # for a finding in another place, the line holding line_of there).
    if m.at is None:
        lines = mutated.split("\n")
        line = next(i for i in range(start, len(lines) + 1) if m.line_of in lines[i - 1])
    else:
        lines = (root / m.at).read_text().split("\n")
        line = next(i for i, t in enumerate(lines, 1) if m.line_of in t)
    after = _check(root, capsys)
    new = [d for d in after if (d["path"], d["line"], d["code"]) not in before]
    hits = [d for d in new if d["code"] == m.code and d["line"] == line]
    assert hits, f"{m.code} did not fire at {m.file}:{line}; new findings: {new}"
    assert hits[0]["severity"] == m.severity
