"""A build-backed error finding's `fault`: the exception and the instruction the CPU must raise
it at, read off the build's bytes (tests/boot checks it against QEMU). Here, on the committed
fixture builds of every Go version: the fault is where the rule says, the bytes there are that
instruction, and no fault is given where the exception is not determined."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eggls.build.gobuild import GoBuild, open_build
from eggls.cli import main
from tests.support.kernels import KERNELS_DIR, all_kernels, kernel_elf

FS_MINUS_8 = (1 << 64) - 8
VERSIONS = sorted({v for _, v, _ in all_kernels()})


def check(kernel_dir: Path, elf: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    monkeypatch.chdir(kernel_dir)
    rc = main(["--check", "--format", "json", "--fail-on", "never", "--build", str(elf), "."])
    out = capsys.readouterr().out
    assert rc == 0, out
    return json.loads(out)["diagnostics"]


def _build(elf: Path) -> GoBuild:
    b = open_build(elf)
    assert isinstance(b, GoBuild), b
    return b


def assert_fault_is_in_the_bytes(b: GoBuild, fault: dict[str, object]) -> None:
    """symbol+offset is the address, and the bytes there decode to the instruction."""
    sym = b.symbols.get(str(fault["symbol"]))
    assert sym is not None, fault
    assert sym.address + int(fault["offset"]) == fault["address"]  # type: ignore[call-overload]
    insns = b.instructions(sym)
    assert isinstance(insns, list)
    at = [i for i in insns if i.address == fault["address"]]
    assert at and at[0].text == fault["instruction"], (fault, [i.text for i in insns[:8]])


@pytest.mark.parametrize(("kernel", "version", "elf"), all_kernels(),
                         ids=[f"{k}-go{v}" for k, v, _ in all_kernels()])
def test_fault_of_every_error_finding(kernel: str, version: str, elf: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    diags = check(KERNELS_DIR / kernel, elf, capsys, monkeypatch)
    b = _build(elf)
    for d in diags:
        fault = d.get("fault")
        code, wrapper = d["code"], d.get("wrapper")
        if d["severity"] != "error" or code not in ("EGG001", "EGG002", "EGG003", "EGG007"):
            assert fault is None, d
            continue
        if code == "EGG003" and "IRET" not in str(d["related"]):
            assert fault is None, d  # SYSRET: the target is not taken from the stack
            continue
        if code == "EGG007":
            # The fixture's entry sets the FS base: the g slot holds whatever, nothing is
            # determined (a fault is given only while the FS base is not valid).
            assert fault is None, d
            continue
        assert isinstance(fault, dict) and isinstance(wrapper, dict), d
        assert_fault_is_in_the_bytes(b, fault)
        if code == "EGG001":
            assert (fault["vector"], fault["symbol"]) == ("#UD", wrapper["symbol"])
            assert str(fault["instruction"]).startswith("xorps")
        elif code == "EGG002":
            assert (fault["vector"], fault["symbol"]) == ("#PF", wrapper["symbol"])
            assert "%fs:" in str(fault["instruction"]) and fault["cr2"] == FS_MINUS_8
        else:  # EGG003 with an IRET: in the body, at the line the analysis says it leaves by
            assert fault["vector"] == "#GP" and fault["instruction"] == "iretq"
            assert fault["symbol"] != wrapper["symbol"]
            assert str(fault["symbol"]).endswith(".abi0")
            leave = d["related"][0]  # type: ignore[index]
            assert "leaves by IRETQ" in leave["message"]
            line = b.line_for(int(fault["address"]))  # type: ignore[call-overload]
            assert line is not None and line.line == leave["line"], (line, leave)


def test_egg003_via_a_tail_jump_faults_in_the_jumped_to_body(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """idt's vector0 JMPs to alltraps, which IRETs: the fault is in alltraps' body."""
    for version in VERSIONS:
        diags = check(KERNELS_DIR / "idt", kernel_elf("idt", version), capsys, monkeypatch)
        [d] = [d for d in diags if d["code"] == "EGG003"]
        assert d["fault"]["symbol"].endswith(".alltraps.abi0"), d  # type: ignore[index]


def test_egg007_faults_at_the_g_load_while_fs_is_not_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """gstack's rt0 without its FS-base WRMSR (same lines, same build): the asm TEXT's
    assembler-inserted check loads g from FS:-8 and faults there (#PF); the Go function's
    check reads g from R14, whatever it holds: no fault is given."""
    src = tmp_path / "gstack"
    shutil.copytree(KERNELS_DIR / "gstack", src, ignore=shutil.ignore_patterns("bin"))
    asm = src / "kernel_amd64.s"
    text = asm.read_text()
    assert text.count("\tWRMSR\n") == 1
    asm.write_text(text.replace("\tWRMSR\n", "\tNOP\n"))
    for version in VERSIONS:
        elf = kernel_elf("gstack", version)
        b = _build(elf)
        diags = check(src, elf, capsys, monkeypatch)
        egg007 = {d["line"]: d for d in diags if d["code"] == "EGG007"}
        lines = asm.read_text().splitlines()
        paging = egg007[lines.index("\tCALL ·setupPaging(SB) // want EGG007") + 1]
        fault = paging["fault"]
        assert isinstance(fault, dict), paging
        assert fault["vector"] == "#PF" and fault["cr2"] == FS_MINUS_8
        assert str(fault["symbol"]).endswith(".setupPaging.abi0")
        assert_fault_is_in_the_bytes(b, fault)
        memmap = egg007[lines.index("\tCALL ·initMemmap(SB) // want EGG007") + 1]
        assert "fault" not in memmap, memmap
