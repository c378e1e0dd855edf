"""The objdump oracle, the fixture kernels it reads, and eggls' build reader checked against it.

(a) Oracle self-tests: the parser on hand-written objdump listings, then facts read from the
    committed ELFs (wrapper sets per kernel, the 8/16/24-byte differences, effects per
    direction).
(b) The cross-check of issue 3: for every fixture x Go version, `eggls build-info --format json`
    must report the same wrapper table (names, direction, SSE, TLS read, pushed bytes, stack
    check, address, size) as the oracle.
(c) slow: rebuilding a fixture with a real toolchain gives the same oracle table.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.build.objdump_oracle import (
    ABI0_TO_ABIINTERNAL,
    ABIINTERNAL_TO_ABI0,
    OracleError,
    OracleReport,
    OracleWrapper,
    TLSRead,
    analyse_wrapper,
    disassemble,
    nm_functions,
    parse_instruction,
    parse_objdump,
    read_wrappers,
)
from tests.support.kernels import KERNELS_DIR, KernelBuild, kernel_builds, materialize

BUILDS = kernel_builds()
PLAIN_BUILDS = [b for b in BUILDS if not b.dwarf]


@cache
def oracle(build: KernelBuild) -> OracleReport:
    return read_wrappers(materialize(build))


def _listing(text: str) -> list[Any]:
    """Instructions of the single function in an objdump-style listing."""
    funcs = parse_objdump(text)
    assert len(funcs) == 1
    return next(iter(funcs.values()))


# --- (a) the parser and the stack arithmetic, on listings copied from real objdump output ---

def test_parse_instruction_prefixes_comments_and_targets() -> None:
    i = parse_instruction(0x10, "rep stos %rax,%es:(%rdi)")
    assert (i.mnemonic, i.core, i.operands) == ("rep stos", "stos", "%rax,%es:(%rdi)")
    i = parse_instruction(0x10, "mov    %rax,0x9554e(%rip)        # 4ed1b8 <pkg.apStart>")
    assert (i.mnemonic, i.operands) == ("mov", "%rax,0x9554e(%rip)")
    assert parse_instruction(0, "call   457d00 <p.trapret.abi0>").branch_target == "p.trapret.abi0"
    # A branch into the middle of a function does not enter it.
    assert parse_instruction(0, "jmp    469098 <p.apentry.abi0+0x38>").branch_target is None
    # Go symbols may contain spaces.
    assert (parse_instruction(0, "call   401000 <type:.eq.struct { a int }>").branch_target
            == "type:.eq.struct { a int }")
    assert parse_instruction(0, "mov    %fs:0xfffffffffffffff8,%r14").operand_list() == [
        "%fs:0xfffffffffffffff8", "%r14"]
    assert parse_instruction(0, "mov    %rax,(%rdx,%rcx,8)").operand_list() == [
        "%rax", "(%rdx,%rcx,8)"]


ARGLESS_CALL = """\
0000000000457da0 <p.trapret>:
  457da0:\tcall   457d00 <p.trapret.abi0>
  457da5:\txorps  %xmm15,%xmm15
  457da9:\tmov    %fs:0xfffffffffffffff8,%r14
  457db2:\tret
"""
ARGLESS_CALL_FP = """\
0000000000457940 <p.trapret>:
  457940:\tpush   %rbp
  457941:\tmov    %rsp,%rbp
  457944:\tcall   4578a0 <p.trapret.abi0>
  457949:\txorps  %xmm15,%xmm15
  45794d:\tmov    %fs:0xfffffffffffffff8,%r14
  457956:\tpop    %rbp
  457957:\tret
"""
ONE_ARG_SPILL = """\
0000000000457dc0 <p.iretTo>:
  457dc0:\tsub    $0x10,%rsp
  457dc4:\tmov    %rbp,0x8(%rsp)
  457dc9:\tlea    0x8(%rsp),%rbp
  457dce:\tmov    %rax,(%rsp)
  457dd2:\tcall   457d20 <p.iretTo.abi0>
  457dd7:\txorps  %xmm15,%xmm15
  457de4:\tmov    0x8(%rsp),%rbp
  457de9:\tadd    $0x10,%rsp
  457ded:\tret
"""
GO_TAIL = """\
0000000000457d80 <p.apmain.abi0>:
  457d80:\txorps  %xmm15,%xmm15
  457d84:\tmov    %fs:0xfffffffffffffff8,%r14
  457d8d:\tjmp    457c80 <p.apmain>
"""


@pytest.mark.parametrize(("listing", "target", "pushed"), [
    (ARGLESS_CALL, "p.trapret.abi0", 8),
    (ARGLESS_CALL_FP, "p.trapret.abi0", 16),
    (ONE_ARG_SPILL, "p.iretTo.abi0", 24),
    (GO_TAIL, "p.apmain", 0),
])
def test_pushed_bytes_from_listing(listing: str, target: str, pushed: int) -> None:
    insns = _listing(listing)
    w = analyse_wrapper("w", target, ABIINTERNAL_TO_ABI0, insns[0].address, 0, insns)
    assert w.pushed_bytes == pushed


def test_effects_are_those_before_the_transfer() -> None:
    call = _listing(ARGLESS_CALL)
    w = analyse_wrapper("p.trapret", "p.trapret.abi0", ABIINTERNAL_TO_ABI0, 0x457da0, 0x13, call)
    # xorps and the TLS load come after the body returns: they are not executed before it.
    assert (w.sse, w.tls_read, w.stack_check) == (None, None, False)
    assert w.listing[-1] == "ret"
    tail = _listing(GO_TAIL)
    w = analyse_wrapper("p.apmain.abi0", "p.apmain", ABI0_TO_ABIINTERNAL, 0x457d80, 0x12, tail)
    assert w.sse == "xorps %xmm15,%xmm15"
    assert w.tls_read == TLSRead("fs", -8)


def test_stack_check_and_unknown_rsp_writes() -> None:
    checked = _listing("""\
0000000000457e00 <p.f.abi0>:
  457e00:\tmov    %fs:0xfffffffffffffff8,%r14
  457e09:\tcmp    0x10(%r14),%rsp
  457e0d:\tjbe    457e41 <p.f.abi0+0x41>
  457e0f:\tjmp    457c60 <p.f>
""")
    w = analyse_wrapper("p.f.abi0", "p.f", ABI0_TO_ABIINTERNAL, 0x457e00, 0, checked)
    assert w.stack_check
    # Same compare, but R14 is not g in an ABI0 function unless loaded from TLS.
    unchecked = [i for i in checked if "%fs" not in i.operands]
    w = analyse_wrapper("p.f.abi0", "p.f", ABI0_TO_ABIINTERNAL, 0x457e00, 0, unchecked)
    assert not w.stack_check
    odd = _listing("""\
0000000000400000 <p.g>:
  400000:\tand    $0xfffffffffffffff0,%rsp
  400004:\tcall   400100 <p.g.abi0>
""")
    with pytest.raises(OracleError, match="cannot follow RSP"):
        analyse_wrapper("p.g", "p.g.abi0", ABIINTERNAL_TO_ABI0, 0x400000, 0, odd)


# --- (a) facts read from the committed ELFs ---

def _kernel_wrappers(build: KernelBuild) -> dict[str, OracleWrapper]:
    prefix = build.module + "."
    return {w.symbol.removeprefix(prefix): w for w in oracle(build).wrappers
            if w.symbol.startswith(prefix)}


# The wrappers each kernel is built to contain, on every Go version (README.md says why).
# Asm functions whose address is taken only in asm, and Go functions called only from Go,
# must have none.
EXPECTED_KERNEL_WRAPPERS: dict[str, dict[str, str]] = {
    "bootsse": {"rt0": ABIINTERNAL_TO_ABI0, "preinit.abi0": ABI0_TO_ABIINTERNAL,
                "apmain.abi0": ABI0_TO_ABIINTERNAL},
    "bootfs": {"rt0": ABIINTERNAL_TO_ABI0, "preinit.abi0": ABI0_TO_ABIINTERNAL,
               "kmain.abi0": ABI0_TO_ABIINTERNAL},
    "gstack": {"rt0": ABIINTERNAL_TO_ABI0, "initConsole.abi0": ABI0_TO_ABIINTERNAL,
               "initMemmap.abi0": ABI0_TO_ABIINTERNAL},
    "trapret": {"rt0": ABIINTERNAL_TO_ABI0, "trapret": ABIINTERNAL_TO_ABI0,
                "iretTo": ABIINTERNAL_TO_ABI0, "userMain.abi0": ABI0_TO_ABIINTERNAL},
    "idt": {"rt0": ABIINTERNAL_TO_ABI0, "vector0": ABIINTERNAL_TO_ABI0,
            "vector1": ABIINTERNAL_TO_ABI0, "vector2": ABIINTERNAL_TO_ABI0,
            "vector3": ABIINTERNAL_TO_ABI0, "trap.abi0": ABI0_TO_ABIINTERNAL,
            "timerTick.abi0": ABI0_TO_ABIINTERNAL, "schedule.abi0": ABI0_TO_ABIINTERNAL,
            "kbdIRQ.abi0": ABI0_TO_ABIINTERNAL},
    "sysentry": {"rt0": ABIINTERNAL_TO_ABI0, "syscallEntry": ABIINTERNAL_TO_ABI0,
                 "vdsoClock": ABIINTERNAL_TO_ABI0, "vdsoGetpid": ABIINTERNAL_TO_ABI0,
                 "syscallHandler.abi0": ABI0_TO_ABIINTERNAL},
}


def test_every_kernel_has_an_expectation() -> None:
    assert {b.name for b in BUILDS} == set(EXPECTED_KERNEL_WRAPPERS)


@pytest.mark.parametrize("build", PLAIN_BUILDS, ids=lambda b: b.id)
def test_kernel_wrapper_set(build: KernelBuild) -> None:
    report = oracle(build)
    assert report.unresolved == ()
    got = {name: w.direction for name, w in _kernel_wrappers(build).items()}
    assert got == EXPECTED_KERNEL_WRAPPERS[build.name]
    # The linker keeps the ABIInternal wrapper of the -E entry although nothing calls it.
    assert build.entry in report.by_symbol()


@pytest.mark.parametrize("build", PLAIN_BUILDS, ids=lambda b: b.id)
def test_effects_by_direction(build: KernelBuild) -> None:
    """Go's wrappers, every version: ABI0->ABIInternal ones set X15 and load g from TLS before
    entering the Go body; ABIInternal->ABI0 ones enter the asm body by CALL with neither."""
    for w in oracle(build).wrappers:
        if w.direction == ABI0_TO_ABIINTERNAL:
            assert w.sse is not None and "%xmm15" in w.sse, w.symbol
            assert w.tls_read == TLSRead("fs", -8), w.symbol
        else:
            assert (w.sse, w.tls_read) == (None, None), w.symbol
            assert w.pushed_bytes >= 8, w.symbol  # at least the CALL's return address
        assert w.pushed_bytes % 8 == 0, w.symbol


# Measured on the committed ELFs (ABI-NOTES.md): Go 1.21 added a saved RBP to the argument-less
# ABIInternal->ABI0 wrapper; with one uintptr argument the spill slot keeps it at 24 bytes.
PUSHED_ARGLESS = {"1.19": 8, "1.21": 16, "1.24": 16, "1.27": 16}


@pytest.mark.parametrize("build", [b for b in PLAIN_BUILDS if b.name == "trapret"],
                         ids=lambda b: b.id)
def test_trapret_pushed_bytes_by_version_and_signature(build: KernelBuild) -> None:
    ws = _kernel_wrappers(build)
    if build.version not in PUSHED_ARGLESS:
        pytest.skip(f"no measured expectation for Go {build.version}")
    assert ws["trapret"].pushed_bytes == PUSHED_ARGLESS[build.version]
    assert ws["iretTo"].pushed_bytes == 24
    # Entered by CALL, never a tail jump, in this direction.
    call = next(t for t in ws["trapret"].listing if ws["trapret"].target in t)
    assert call.startswith("call")


def test_argless_wrapper_size_changes_across_versions() -> None:
    """The difference is in the bytes: the oracle reads a different value per version."""
    values = {b.version: _kernel_wrappers(b)["trapret"].pushed_bytes
              for b in PLAIN_BUILDS if b.name == "trapret"}
    assert len(set(values.values())) > 1, values


def test_kernel_bodies_have_stack_checks_where_the_readme_says() -> None:
    """gstack's EGG007 targets carry a prologue stack check on every version; twins do not."""
    for b in (b for b in PLAIN_BUILDS if b.name == "gstack"):
        elf = materialize(b)
        funcs = nm_functions(elf)
        names = {f"{b.module}.{n}" for n in ("initMemmap", "parseCmdline", "setupPaging.abi0",
                                              "initConsole", "puts", "setupGDT.abi0")}
        code = disassemble(elf, [(funcs[n][0], funcs[n][0] + funcs[n][1]) for n in names
                                 if n in funcs], names)

        def checked(name: str, code: dict[str, list[Any]] = code, b: KernelBuild = b) -> bool:
            insns = code[f"{b.module}.{name}"]
            return any(re.match(r"cmp\s+0x10\(%r14\),%rsp", i.text) for i in insns[:3])

        assert checked("initMemmap") and checked("parseCmdline") and checked("setupPaging.abi0")
        assert not checked("initConsole") and not checked("setupGDT.abi0")


# --- fixtures: manifest, sizes, annotations ---

def test_manifest_covers_every_kernel_and_the_budget() -> None:
    names = {p.parent.name for p in KERNELS_DIR.glob("*/go.mod")}
    versions = {b.version for b in BUILDS}
    assert {(b.name, b.version) for b in PLAIN_BUILDS} == {(n, v) for n in names for v in versions}
    assert any(b.dwarf for b in BUILDS)
    assert sum(b.file.stat().st_size for b in BUILDS) <= 30 * 1024 * 1024
    committed = {p for p in KERNELS_DIR.glob("*/bin/*") if p.is_file()}
    assert committed == {b.file for b in BUILDS}


def test_every_kernel_carries_want_lines_and_is_documented() -> None:
    readme = (KERNELS_DIR / "README.md").read_text()
    for d in sorted(p.parent for p in KERNELS_DIR.glob("*/go.mod")):
        text = "".join(p.read_text() for p in sorted(d.glob("*.go")) + sorted(d.glob("*.s")))
        assert re.search(r"// want(\[[^\]]*\])? EGG0\d\d", text), d.name
        assert f"`{d.name}`" in readme, d.name


# --- (b) cross-check: eggls build-info against the oracle ---

def _build_info_json(elf: Path) -> dict[str, Any]:
    """`eggls build-info ELF --format json`, in-process (the CLI path is tested below)."""
    try:
        importlib.import_module("eggls.build.report")
    except ImportError as e:
        pytest.skip(f"eggls.build.report cannot be imported yet: {e}")
    from eggls.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["build-info", str(elf), "--format", "json"])
    assert rc == 0, out.getvalue()
    return json.loads(out.getvalue())


def _norm_insn(text: str | None) -> str | None:
    # objdump writes "xorps %xmm15,%xmm15", capstone "xorps %xmm15, %xmm15".
    return None if text is None else re.sub(r"\s+", "", text).lower()


def _facts_from_json(w: dict[str, Any]) -> dict[str, Any]:
    tls = w["tls_read"]
    return {"target": w["target"], "direction": w["direction"], "address": w["address"],
            "size": w["size"], "sse": _norm_insn(w["sse"]),
            "tls_read": None if tls is None else (tls["segment"], tls["offset"]),
            "pushed_bytes": w["pushed_bytes"], "stack_check": w["stack_check"]}


def _facts_from_oracle(w: OracleWrapper) -> dict[str, Any]:
    tls = w.tls_read
    return {"target": w.target, "direction": w.direction, "address": w.address, "size": w.size,
            "sse": _norm_insn(w.sse),
            "tls_read": None if tls is None else (tls.segment, tls.offset),
            "pushed_bytes": w.pushed_bytes, "stack_check": w.stack_check}


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_build_info_matches_oracle(build: KernelBuild) -> None:
    elf = materialize(build)
    info = _build_info_json(elf)
    assert info["go_version"] == build.go_version
    assert info["goarch"] == "amd64"
    got = {w["symbol"]: _facts_from_json(w) for w in info["wrappers"]}
    want = {w.symbol: _facts_from_oracle(w) for w in oracle(build).wrappers}
    assert sorted(got) == sorted(want), "wrapper names differ"
    diffs = {s: (got[s], want[s]) for s in want if got[s] != want[s]}
    assert not diffs, json.dumps(diffs, indent=1)


def test_build_info_cli_json() -> None:
    """The documented command line, in a subprocess, on one fixture."""
    if importlib.util.find_spec("eggls.build.report") is None:
        pytest.skip("eggls.build.report does not exist yet")
    build = next(b for b in PLAIN_BUILDS if b.name == "trapret")
    elf = materialize(build)
    res = subprocess.run([sys.executable, "-m", "eggls.cli", "build-info", str(elf),
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    syms = {w["symbol"] for w in info["wrappers"]}
    assert syms == {w.symbol for w in oracle(build).wrappers}


# --- (c) slow: a real toolchain rebuilds a fixture with the same facts ---

def _load_build_script() -> Any:
    spec = importlib.util.spec_from_file_location("eggls_kernels_build", KERNELS_DIR / "build.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def _portable(w: OracleWrapper) -> tuple[Any, ...]:
    # Addresses move if the toolchain's patch release differs from the committed build's.
    return (w.symbol, w.target, w.direction, _norm_insn(w.sse), w.tls_read, w.pushed_bytes,
            w.stack_check)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "version"), [("trapret", "1.24"), ("bootsse", "1.19")])
def test_rebuild_gives_the_same_oracle_table(name: str, version: str, tmp_path: Path) -> None:
    from tests.support.toolchains import go_toolchains

    roots = go_toolchains()
    if version not in roots:
        pytest.skip(f"no Go {version} toolchain on this machine")
    script = _load_build_script()
    out = tmp_path / f"{name}.elf"
    script.build_kernel(name, roots[version], out)
    committed = next(b for b in PLAIN_BUILDS if (b.name, b.version) == (name, version))
    rebuilt = read_wrappers(out)
    assert rebuilt.unresolved == ()
    assert [_portable(w) for w in rebuilt.wrappers] == [
        _portable(w) for w in oracle(committed).wrappers]
