"""Init-state effects on small kernels written in the test: the ways SSE and the FS base get
established, conditionals that do not count, annotations, and the must semantics. Each case
is judged by what is reported on rt0's `CALL ·kmain(SB)`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eggls.cli import main

GO = """package k

import "syscall"

const _ARCH_SET_FS = 0x1002

// eggls:entry
func rt0()
func enableSSE()

//go:nosplit
func kmain() {}

//go:nosplit
func setFSGo(addr uintptr) {
	syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, _ARCH_SET_FS, addr, 0)
}

//go:nosplit
func maybeSetFS(c bool, addr uintptr) {
	if c {
		setFSGo(addr)
	}
}
"""
HELPERS = "// eggls:sets sse\nTEXT ·enableSSE(SB), NOSPLIT, $0\n\tRET\n"
SSE = "\tMOVQ CR4, AX\n\tBTSQ $9, AX\n\tMOVQ AX, CR4\n"


def at_kmain_call(tmp: Path, rt0: str, capsys: pytest.CaptureFixture[str]) -> set[str]:
    (tmp / "go.mod").write_text("module example.com/k\n\ngo 1.21\n")
    (tmp / "k.go").write_text(GO)
    asm = ('#include "textflag.h"\nTEXT ·rt0(SB), NOSPLIT, $16\n' + rt0 +
           "\tCALL ·kmain(SB)\n\tRET\n" + HELPERS)
    (tmp / "k_amd64.s").write_text(asm)
    line = asm.split("\n").index("\tCALL ·kmain(SB)") + 1
    assert main(["--check", "--no-build", "--format", "json", "--fail-on", "never",
                 str(tmp)]) == 0
    diags = json.loads(capsys.readouterr().out)["diagnostics"]
    return {str(d["code"]) for d in diags
            if str(d["path"]).endswith(".s") and d["line"] == line}


@pytest.mark.parametrize(("rt0", "expected"), [
    ("", {"EGG001", "EGG002"}),
    (SSE, {"EGG002"}),
    (SSE + "\tMOVQ $0x1000, AX\n\tWRFSBASEQ AX\n", set()),
    (SSE + "\tMOVQ $158, AX\n\tMOVQ $0x1002, DI\n\tMOVQ $0x1000, SI\n\tSYSCALL\n", set()),
    # A Go helper doing arch_prctl(ARCH_SET_FS) (its own call is EGG002, on another line).
    (SSE + "\tMOVQ $0x1000, 0(SP)\n\tCALL ·setFSGo(SB)\n", set()),
    # Established only under a Go condition: not on every path.
    (SSE + "\tCALL ·maybeSetFS(SB)\n", {"EGG002"}),
    # Established on one branch of the asm CFG only, then on both.
    (SSE + "\tTESTQ BX, BX\n\tJZ skip\n\tWRFSBASEQ AX\nskip:\n", {"EGG002"}),
    (SSE + "\tTESTQ BX, BX\n\tJZ other\n\tWRFSBASEQ AX\n\tJMP done\nother:\n"
     "\tWRFSBASEQ BX\ndone:\n", set()),
    # A constant without OSFXSR does not enable SSE; one with it does.
    ("\tMOVQ $0x20, AX\n\tMOVQ AX, CR4\n\tWRFSBASEQ AX\n", {"EGG001"}),
    ("\tMOVQ $0x620, AX\n\tMOVQ AX, CR4\n\tWRFSBASEQ AX\n", set()),
    # `// eggls:sets sse` on a helper.
    ("\tCALL ·enableSSE(SB)\n\tWRFSBASEQ AX\n", set()),
])
def test_effects(tmp_path: Path, capsys: pytest.CaptureFixture[str], rt0: str,
                 expected: set[str]) -> None:
    assert at_kmain_call(tmp_path, rt0, capsys) & {"EGG001", "EGG002"} == expected
