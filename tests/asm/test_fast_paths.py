"""The front end's shortcuts must not change a single result.

The lexer's LINE tokens, the preprocessor's whole-line and flat-macro paths and the parser's
operand shortcuts all have a token-by-token reference (`fast=False`). These tests compare the
two on real files, on fixtures and on generated assembly built from lines that sit right at
the edges of what counts as plain (numbers that run into letters, macros named like
registers, `\\` continuations, block comments, `·` names, labels, `;`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eggls.asm import AsmConfig, parse_file
from eggls.asm.lexer import LINE, Source, line_tokens, tokenize
from tests.support.toolchains import go_toolchains

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Whole lines (each gets a newline); many are plain, the rest are near misses.
LINES = [
    "\tMOVQ\tAX, BX", "\tMOVQ $0x10, 8(SP)", "\tMOVQ -8(BP), CX", "\tMOVQ (TLS), R14",
    "\tMOVQ $07, AX", "\tMOVQ $1_000, AX", "\tMOVQ $0x, AX", "\tMOVQ $1e5, AX",
    "\tMOVQ 0x1F(AX), BX", "\tMOVQ -(AX), BX", "\tMOVQ $-1, AX", "\tMOVQ 8(SP)(AX*8), BX",
    "\tADDQ AX,BX", "\tADDQ\tAX ,\tBX   // trailing comment", "\tNOP", "\tRET", "\tMOVQ AX,",
    "\tMOVQ ,AX", "\tMOVQ AX, g", "\tMOVQ g, AX", "\tMOVQ REGX, AX", "\tMOVQ AX, 8(REGX)",
    "\tCALL ·f(SB)", "\tCALL f(SB)", "\tJMP loop", "\tJNE 2(PC)", "\tJMP AX", "\tJMP SB",
    "\tBYTE $0x90", "\tQUAD $1", "\tMOVQ ·x(SB), AX", "\tLEAQ x+8(FP), AX", "\tMOVQ.Z AX, BX",
    "\tVPXOR X1, X2, X3", "\tMOVQ $5, SB", "\tFOO AX", "\tMOVQ AX, 1.5", "\tMOVQ 5x(AX), BX",
    "\tMOVQ $(1<<3), AX", "\tMOVQ $~0, AX", "\tMOVQ $'a', AX", '\tMOVQ $"s", AX',
    "loop:", "loop: NOP", "\tNOP; NOP", "\tNOP ;", "//go:build amd64", "\tNOP //go:build x",
    "// comment", "", "   ", "\t/* block */ NOP", "\t/* open", "close */ NOP",
    "#define REGX AX", "#define ONE 1", "#define TWO ONE+ONE", "#define F(x) MOVQ x, AX",
    "#define M \\", "\tNOP; \\", "\tMOVQ AX, BX \\", "\tRET", "\tF(BX)", "\tF(REGX)", "\tONE",
    "#undef REGX", "#ifdef REGX", "#ifndef REGX", "#else", "#endif", "#include \"textflag.h\"",
    "#include \"go_asm.h\"", "TEXT ·f(SB), NOSPLIT, $0-8", "TEXT f(SB),NOSPLIT|NOFRAME,$0",
    "TEXT ·g<ABIInternal>(SB), NOSPLIT, $8-16", "DATA x<>+0(SB)/8, $1", "GLOBL x<>(SB), RODATA, $8",
    "\tMOVQ AX, ·y<>(SB)", "\tMOVL\tconst_x(R14), AX", "\tMOVQ\t\x00AX, BX", "\tMOVQ AX, é",
    "\tMOVQ AX, BX\r", "a∕b·c(SB)", "\tMOVQ a∕b·c(SB), AX", "#define LOOP_A LOOP_B",
    "#define LOOP_B LOOP_A", "\tMOVQ $LOOP_A, AX", "\tLOOP_B", "#define SELF SELF+1",
    "\tMOVQ $SELF, AX", "#define NL \\", "#define EMPTY", "\tEMPTY", "\tMOVQ EMPTY AX, BX",
    "\tF(", "\tF", "#define g(r) 0(r)(TLS*1)", "\tMOVQ g(CX), AX", "\tMOVQ AX, g(CX)",
    "\tMOVQ TEXT )", "\tMOVQ AX )", "\tMOVQ )", "#define A3 T0", "#define T0 X12",
    "\tMOVO A3, X1", "#define SH BYTE $0x66; BYTE $0x0f", "\tSH", "\tBYTE $0x1ff",
    "\tBYTE AX", "\tWORD -8(SP)", "\tQUAD $-1",
]

# Macro definitions are drawn for a prelude too, so uses regularly meet their definitions.
DEFINES = [line for line in LINES if line.startswith("#define")]
lines_strategy = st.tuples(
    st.lists(st.sampled_from(DEFINES), max_size=6),
    st.lists(st.sampled_from(LINES), max_size=30),
).map(lambda parts: "\n".join(parts[0] + parts[1]))


def _expand_lines(toks: list) -> list:  # type: ignore[type-arg]
    out = []
    for t in toks:
        out.extend(line_tokens(t) if t[0] is LINE else [t])
    return [t[:5] for t in out]


def _same(path: str, text: str, cfg: AsmConfig) -> None:
    fast = parse_file(path, "example.com/k", cfg, text=text)
    slow = parse_file(path, "example.com/k", cfg, text=text, fast=False)
    assert fast == slow, f"{path}: the fast paths changed the result"


def _same_tokens(text: str) -> None:
    e1: list = []  # type: ignore[type-arg]
    e2: list = []  # type: ignore[type-arg]
    plain = tokenize(Source("f.s", text), e1)
    lined = tokenize(Source("f.s", text), e2, lines=True)
    assert _expand_lines(lined) == [t[:5] for t in plain]
    assert [(e.line, e.col, e.message) for e in e1] == [(e.line, e.col, e.message) for e in e2]


def _generated(examples: int):  # type: ignore[no-untyped-def]
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(text=lines_strategy)
    def inner(tmp_path: Path, text: str) -> None:
        _same_tokens(text)
        for goarch in ("amd64", "arm64"):
            _same(str(tmp_path / "f.s"), text, AsmConfig(goarch=goarch))

    return inner


test_generated_assembly_parses_the_same = _generated(300)
test_generated_assembly_parses_the_same_long = pytest.mark.slow(_generated(5000))


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.text(alphabet="aAX0x1_.9eR$(),+-*:;#/\\\n \t\r'\"·<>", max_size=120))
def test_random_text_lexes_the_same(text: str) -> None:
    _same_tokens(text)


def test_plain_lines_become_line_tokens() -> None:
    """The shortcut is taken at all: a plain line is one LINE token with the mnemonic,
    its columns and the words the macro test needs."""
    toks = tokenize(Source("f.s", "\tMOVQ\t$0x10, 8(SP) // c\nloop:\n"), [], lines=True)
    assert [t[0] for t in toks] == [LINE, "\n", "IDENT", ":", "\n", "EOF"]
    line = toks[0]
    assert (line[1], line[2], line[3], line[4]) == ("MOVQ", 1, 2, 19)
    assert set(line[6]) >= {"MOVQ", "SP"}


def test_fixture_files_parse_the_same() -> None:
    files = sorted(p for p in FIXTURES.rglob("*.s"))
    assert files
    for p in files:
        _same(str(p), p.read_text(errors="replace"), AsmConfig())


@pytest.mark.slow
def test_goroot_files_parse_the_same() -> None:
    """Every .s file of every toolchain here, read for amd64 and for its own GOARCH."""
    roots = go_toolchains()
    if not roots:
        pytest.skip("no Go toolchain here")
    compared = 0
    for root in roots.values():
        for d, _, names in os.walk(Path(root) / "src"):
            for name in sorted(names):
                if not name.endswith(".s"):
                    continue
                path = os.path.join(d, name)
                text = Path(path).read_text(errors="replace")
                arch = next((a for a in ("arm64", "ppc64", "riscv64", "s390x", "386", "arm",
                                         "loong64", "mips64", "mips", "wasm")
                             if f"_{a}" in name), "amd64")
                for goarch in {"amd64", arch}:
                    _same(path, text, AsmConfig(goarch=goarch, goroot=Path(root)))
                    compared += 1
    assert compared > 1000
