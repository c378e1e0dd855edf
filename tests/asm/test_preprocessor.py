from __future__ import annotations

from pathlib import Path

from eggls.asm import AsmConfig, parse_file
from eggls.asm.model import Immediate, Memory
from tests.asm.test_fuzz import guard


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_include_search_order_file_dir_then_configured_then_goroot(tmp_path: Path) -> None:
    goroot = tmp_path / "goroot"
    write(goroot, "pkg/include/textflag.h", "#define NOSPLIT 4\n#define FROM_GOROOT 7\n")
    write(tmp_path, "extra/kinc.h", "#define FROM_EXTRA 9\n")
    write(tmp_path, "pkg/local.h", "#define FROM_LOCAL 5\n")
    s = write(tmp_path, "pkg/a_amd64.s", '#include "textflag.h"\n#include "kinc.h"\n'
              '#include "local.h"\nTEXT ·f(SB), NOSPLIT, $0\n'
              "\tMOVQ $FROM_GOROOT, AX\n\tMOVQ $FROM_EXTRA, AX\n\tMOVQ $FROM_LOCAL, AX\n\tRET\n")
    cfg = AsmConfig(goroot=goroot, include_dirs=(str(tmp_path / "extra"),))
    f = parse_file(str(s), "k", cfg)
    assert not f.errors
    vals = [i.operands[0].value for i in f.texts[0].instructions[:3]]  # type: ignore[union-attr]
    assert vals == [7, 9, 5]
    assert f.includes == [str(goroot / "pkg/include/textflag.h"), str(tmp_path / "extra/kinc.h"),
                          str(tmp_path / "pkg/local.h")]


def test_builtin_headers_only_without_goroot(tmp_path: Path) -> None:
    s = write(tmp_path, "a.s", '#include "textflag.h"\n#include "funcdata.h"\n'
              "TEXT ·f(SB), NOSPLIT|NOFRAME, $0-8\n\tNO_LOCAL_POINTERS\n\tRET\n")
    f = parse_file(str(s), "k", AsmConfig(goroot=None))
    assert not f.errors
    assert f.texts[0].flag_value == 4 | 512
    assert f.texts[0].funcdata[0][0] == 1
    # With a GOROOT that lacks the header, the include is an error (no silent fallback).
    f = parse_file(str(s), "k", AsmConfig(goroot=tmp_path / "empty-goroot"))
    assert any("textflag.h: file not found" in e.message for e in f.errors)


def test_missing_go_asm_h_leaves_names_unresolved_without_error(tmp_path: Path) -> None:
    s = write(tmp_path, "a.s", '#include "go_asm.h"\nTEXT ·f(SB), $0-0\n'
              "\tMOVQ $const_x, AX\n\tMOVQ g_m(R14), AX\n\tMOVQ (const_a*8)(AX), BX\n\tRET\n")
    f = parse_file(str(s), "k", AsmConfig())
    assert not f.errors
    assert f.unresolved_includes == ["go_asm.h"]
    a, b, c = f.texts[0].instructions[:3]
    assert isinstance(a.operands[0], Immediate) and a.operands[0].value is None
    assert isinstance(b.operands[0], Memory) and b.operands[0].base == "R14"
    assert b.operands[0].offset is None
    assert isinstance(c.operands[0], Memory) and c.operands[0].base == "AX"
    # Without the include the same name is an error, as cmd/asm says.
    s2 = write(tmp_path, "b.s", "TEXT ·f(SB), $0-0\n\tMOVQ $const_x, AX\n\tRET\n")
    assert [e.message for e in parse_file(str(s2), "k").errors] == [
        "illegal or missing addressing mode for symbol const_x"]


def test_ifdef_else_endif_nesting_and_predefined_target(tmp_path: Path) -> None:
    s = write(tmp_path, "a.s", "#ifdef GOOS_linux\n#ifdef GOARCH_arm64\nTEXT ·no(SB), $0\n"
              "#else\nTEXT ·yes(SB), $0\n#endif\n#else\nTEXT ·no2(SB), $0\n#endif\n"
              "#ifndef GOAMD64_v3\nTEXT ·v1(SB), $0\n#endif\n\tRET\n")
    f = parse_file(str(s), "k", AsmConfig())
    assert [t.symbol.local for t in f.texts] == ["yes", "v1"]
    f = parse_file(str(s), "k", AsmConfig(goamd64="v3"))
    assert [t.symbol.local for t in f.texts] == ["yes"]


def test_function_like_multiline_macros_expand_at_the_use_site(tmp_path: Path) -> None:
    s = write(tmp_path, "a.s",
              "#define SAVE(r, off) \\\n\tMOVQ r, off(SP); \\\n\tMOVQ r, off+8(SP)\n"
              "#define PAREN (1)\n#define NOARGS() NOP\n"
              "TEXT ·f(SB), $16\n\tSAVE(AX, 0)\n\tMOVQ $PAREN, BX\n\tNOARGS()\n\tRET\n"
              "#undef SAVE\n\tSAVE(AX, 0)\n")
    f = parse_file(str(s), "k", AsmConfig())
    ins = f.texts[0].instructions
    assert [i.mnemonic for i in ins] == ["MOVQ", "MOVQ", "MOVQ", "NOP", "RET"]
    # Both expanded statements carry the range of the invocation `SAVE(AX, 0)`.
    assert {(i.span.line, i.span.col, i.span.end_col) for i in ins[:2]} == {(7, 2, 13)}
    assert ins[1].operands[1].offset == 8  # type: ignore[union-attr]
    assert ins[2].operands[0].value == 1  # type: ignore[union-attr]
    assert [e.message for e in f.errors] == ["unrecognized instruction 'SAVE'"]


def test_self_referential_macro_and_include_cycle_terminate(tmp_path: Path) -> None:
    write(tmp_path, "a.h", '#include "b.h"\n')
    write(tmp_path, "b.h", '#include "a.h"\n')
    s = write(tmp_path, "x.s", '#include "a.h"\n#define X X\n#define Y Y Y\n'
              "TEXT ·f(SB), $0\n\tMOVQ $X, AX\n\tMOVQ $Y, AX\n\tRET\n")
    f = parse_file(str(s), "k", AsmConfig())
    msgs = sorted(e.message for e in f.errors)
    assert msgs == ["#include cycle: a.h -> b.h -> a.h", "recursive macro invocation: X",
                    "recursive macro invocation: Y"]


def test_macro_expansion_bomb_is_bounded(tmp_path: Path) -> None:
    defs = "#define A0 x\n" + "".join(
        f"#define A{i} A{i - 1} A{i - 1} A{i - 1} A{i - 1}\n" for i in range(1, 16))
    s = write(tmp_path, "bomb.s", defs + "TEXT ·f(SB), $0\n\tBYTE A15\n\tRET\n")
    with guard():  # bounded means quickly too: an unbounded fast path once took minutes
        f = parse_file(str(s), "k", AsmConfig())
    assert any("macro expansion too large" in e.message for e in f.errors)
