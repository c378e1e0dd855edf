"""Wrapper lookups, version differences read as data, and prologue stack checks of Go
functions and asm TEXT against the objdump oracle (tests/build/objdump_oracle.py).

The full wrapper table of every fixture x Go version is checked against the oracle in
test_objdump_oracle.py::test_build_info_matches_oracle.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from eggls.build.gobuild import GoBuild, PrologueFacts, open_build
from tests.build.objdump_oracle import _has_stack_check, disassemble, nm_functions
from tests.support.kernels import kernel_builds, kernel_elf, materialize

BUILDS = kernel_builds()


def _open(path: Path) -> GoBuild:
    b = open_build(path)
    assert isinstance(b, GoBuild), b
    return b


def test_pushed_bytes_vary_with_version_and_signature() -> None:
    """The issue's 8 / 16 / 24: the same source, different toolchains and signatures, read
    from the bytes (each value is checked against the oracle in test_objdump_oracle.py)."""
    seen: dict[tuple[str, str], int | None] = {}
    for kb in BUILDS:
        if kb.name != "trapret" or kb.dwarf:
            continue
        b = _open(materialize(kb))
        for fn in ("trapret", "iretTo"):
            w = b.wrapper(f"{kb.module}.{fn}")
            assert w is not None and w.enters_by == "call"
            seen[(kb.version, fn)] = w.pushed_bytes
    by_fn = {fn: {seen[k] for k in seen if k[1] == fn} for fn in ("trapret", "iretTo")}
    assert len(by_fn["trapret"]) > 1  # argument-less: differs across versions
    assert by_fn["trapret"] != by_fn["iretTo"]  # and with the signature


def test_wrapper_code_never_branches_on_go_version() -> None:
    """Facts come from bytes: the modules computing them do not look at the Go version."""
    root = Path(__file__).resolve().parents[2] / "server" / "eggls" / "build"
    for mod in ("disasm.py", "effects.py", "wrappers.py"):
        tree = ast.parse((root / mod).read_text())
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not names & {"go_version", "version_tuple", "parse_go_version", "info"}, mod


@pytest.mark.skipif(not shutil.which("objdump"), reason="needs binutils")
def test_stack_check_of_prologues_matches_oracle() -> None:
    """Go functions and asm TEXT alike: the gstack kernel has both kinds, with and without."""
    module = next(kb.module for kb in BUILDS if kb.name == "gstack")
    fns = ("setupPaging", "setupGDT", "initMemmap", "initConsole", "parseCmdline", "zeroPage")
    for version in sorted({kb.version for kb in BUILDS if kb.name == "gstack"}):
        path = kernel_elf("gstack", version)
        b = _open(path)
        bodies = {fn: b.body(f"{module}.{fn}") for fn in fns}
        assert all(bodies.values())
        funcs = nm_functions(path)
        syms = [s for s in bodies.values() if s is not None]
        code = disassemble(path, [(funcs[s.name][0], funcs[s.name][0] + funcs[s.name][1])
                                  for s in syms], {s.name for s in syms})
        seen = set()
        for fn, body in bodies.items():
            assert body is not None
            facts = b.prologue(body)
            assert isinstance(facts, PrologueFacts)
            assert facts.abi == ("ABI0" if body.name.endswith(".abi0") else "ABIInternal"), fn
            oracle = _has_stack_check(code[body.name], g_on_entry=facts.abi == "ABIInternal")
            assert facts.stack_check == oracle, (version, fn)
            seen.add((facts.stack_check, facts.g_source))
        # both sources of g occur: R14 in Go, a TLS load inserted into non-NOSPLIT asm
        assert {(True, "r14"), (True, "tls"), (False, None)} <= seen


def test_body_and_wrapper_lookup() -> None:
    kb = next(kb for kb in BUILDS if kb.name == "trapret" and not kb.dwarf)
    b = _open(materialize(kb))
    w = b.wrapper_of(f"{kb.module}.trapret")
    assert w is not None and w.symbol.name == f"{kb.module}.trapret"
    assert b.body(f"{kb.module}.trapret") == w.target
    assert b.wrapper_at(w.symbol.address) is w
    assert w.asm_function == w.target and w.evidence == "bytes"
    g = b.wrapper_of(f"{kb.module}.userMain")
    assert g is not None and g.symbol.name.endswith(".abi0") and g.asm_function == g.symbol
    assert b.unclassified() == []
    facts = b.prologue(w.symbol)  # a wrapper is entered in the opposite ABI of its target
    assert isinstance(facts, PrologueFacts) and facts.abi == "ABIInternal"
    assert not facts.stack_check  # wrappers are NOSPLIT
