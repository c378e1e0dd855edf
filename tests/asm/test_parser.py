from __future__ import annotations

from pathlib import Path

from eggls.asm import AsmConfig, parse_file
from eggls.asm.model import (
    AsmFile,
    Branch,
    FloatImm,
    Immediate,
    Memory,
    Register,
    RegisterList,
    StringImm,
)


def parse(tmp: Path, text: str, package: str = "example.com/k") -> AsmFile:
    p = tmp / "x_amd64.s"
    p.write_text(text)
    return parse_file(str(p), package, AsmConfig())


def test_text_block_symbol_flags_sizes_and_abi(tmp_path: Path) -> None:
    f = parse(tmp_path, '#include "textflag.h"\n'
              "TEXT ·trapret(SB), NOSPLIT|NOFRAME, $0-8\n\tIRETQ\n"
              "TEXT runtime·f<ABIInternal>(SB), NOSPLIT, $16\n\tRET\n"
              "TEXT a∕b·c(SB), 7, $-4-16\n\tRET\n"
              "TEXT ·stat<>(SB), $0\n\tRET\n")
    assert not f.errors
    t, r, c, s = f.texts
    assert (t.name, t.symbol.package, t.symbol.local) == (
        "example.com/k.trapret", "example.com/k", "trapret")
    assert [(fl.name, fl.value) for fl in t.flags] == [("NOSPLIT", 4), ("NOFRAME", 512)]
    assert (t.flag_value, t.frame_size, t.arg_size) == (516, 0, 8)
    assert t.has_flag("NOSPLIT") and not t.has_flag("WRAPPER")
    assert (r.name, r.symbol.abi, r.frame_size, r.arg_size) == ("runtime.f", "ABIInternal", 16,
                                                                 None)
    assert (c.name, c.symbol.package) == ("a/b.c", "a/b")
    assert [fl.name for fl in c.flags] == ["DUPOK", "NOPROF", "NOSPLIT"] or {
        fl.name for fl in c.flags} == {"NOPROF", "DUPOK", "NOSPLIT"}
    assert (c.frame_size, c.arg_size) == (-4, 16)
    assert s.symbol.static
    assert (t.span.line, t.name_span.col, t.name_span.end_col) == (2, 6, 18)


def test_operand_kinds(tmp_path: Path) -> None:
    f = parse(tmp_path, "TEXT ·f(SB), $0-16\n"
              "\tMOVQ x+8(FP), AX\n"          # 2: param
              "\tMOVQ $·g(SB), BX\n"          # 3: address of symbol
              "\tMOVQ (TLS), R14\n"           # 4: TLS segment
              "\tMOVQ 16(FS), CX\n"           # 5: FS segment
              "\tMOVQ -8(SP)(AX*8), DX\n"     # 6: base/index/scale
              "\tMOVQ ·tab<>+8(SB)(AX*8), DX\n"  # 7: static symbol with index
              "\tMOVSD $1.5, X0\n"            # 8: float
              "\tMOVQ $'a'|0x100, AX\n"       # 9: expression
              "\tVZEROUPPER\n"
              "\tMOVQ g, AX\n"                 # 11: g aliases R14
              "\tMOVQ $-1, AX\n"
              "\tMOVQ $(1<<63), AX\n")
    assert not f.errors, f.errors
    ins = f.texts[0].instructions
    m = ins[0].operands[0]
    assert isinstance(m, Memory) and m.symbol and m.symbol.pseudo == "FP" and m.offset == 8
    imm = ins[1].operands[0]
    assert isinstance(imm, Immediate) and imm.symbol and imm.symbol.name == "example.com/k.g"
    tls = ins[2].operands[0]
    assert isinstance(tls, Memory) and (tls.segment, tls.base, tls.offset) == ("TLS", "TLS", 0)
    fs = ins[3].operands[0]
    assert isinstance(fs, Memory) and (fs.segment, fs.offset) == ("FS", 16)
    bis = ins[4].operands[0]
    assert isinstance(bis, Memory) and (bis.base, bis.index, bis.scale, bis.offset) == (
        "SP", "AX", 8, -8)
    st = ins[5].operands[0]
    assert isinstance(st, Memory) and st.symbol and st.symbol.static and st.index == "AX"
    assert isinstance(ins[6].operands[0], FloatImm) and ins[6].operands[0].value == 1.5
    assert isinstance(ins[7].operands[0], Immediate) and ins[7].operands[0].value == 0x161
    assert isinstance(ins[9].operands[0], Register) and ins[9].operands[0].name == "R14"
    assert ins[10].operands[0].value == -1  # type: ignore[union-attr]
    assert ins[11].operands[0].value == -(1 << 63)  # type: ignore[union-attr]


def test_branch_targets_labels_and_pc_relative(tmp_path: Path) -> None:
    f = parse(tmp_path, "TEXT ·f(SB), $0\n"
              "loop:\n\tDECQ AX\n\tJNZ loop\n"
              "\tJMP 2(PC)\n\tCALL AX\n\tJMP *BX\n\tJMP (CX)\n"
              "\tCALL runtime·morestack_noctxt(SB)\n\tJMP ·g<>(SB)\n"
              "done: RET\n")
    assert not f.errors, f.errors
    t = f.texts[0]
    assert set(t.labels) == {"loop", "done"}
    ins = t.instructions
    assert ins[0].labels == ("loop",) and ins[-1].labels == ("done",)
    targets = [i.operands[-1] for i in ins[1:-1]]
    assert all(isinstance(b, Branch) for b in targets)
    b = targets
    assert b[0].label == "loop" and b[1].pc_offset == 2  # type: ignore[union-attr]
    assert b[2].register == "AX" and b[3].register == "BX"  # type: ignore[union-attr]
    assert b[4].memory is not None and b[4].memory.base == "CX"  # type: ignore[union-attr]
    assert b[5].symbol.name == "runtime.morestack_noctxt"  # type: ignore[union-attr]
    assert b[6].symbol.static and b[6].symbol.name == "example.com/k.g"  # type: ignore[union-attr]


def test_raw_bytes_inside_text(tmp_path: Path) -> None:
    f = parse(tmp_path, "TEXT ·sysret(SB), $0\n\tBYTE $0x48; BYTE $0x0f; BYTE $0x07\n"
              "\tWORD $0x0b0f\n\tLONG $0x12345678\n\tQUAD $-1\n")
    assert not f.errors
    ins = f.texts[0].instructions
    assert b"".join(i.data or b"" for i in ins[:3]) == b"\x48\x0f\x07"
    assert ins[3].data == b"\x0f\x0b" and ins[4].data == b"\x78\x56\x34\x12"
    assert ins[5].data == b"\xff" * 8
    # Three statements on one line keep their own columns.
    assert [i.span.col for i in ins[:3]] == [2, 14, 26]


def test_data_globl_pcdata_funcdata(tmp_path: Path) -> None:
    f = parse(tmp_path, '#include "funcdata.h"\n'
              'DATA ·msg<>+0(SB)/8, $"hello\\n\\x00"\nDATA ·msg<>+8(SB)/8, $·f(SB)\n'
              "GLOBL ·msg<>(SB), 8, $16\n"
              "TEXT ·f(SB), $8-8\n\tNO_LOCAL_POINTERS\n\tPCDATA $0, $-2\n\tRET\n"
              "DATA ·msg<>+4(SB)/4, $1\n")
    d1, d2 = f.data
    assert (d1.symbol.static, d1.offset, d1.size) == (True, 0, 8)
    assert isinstance(d1.value, StringImm) and d1.value.value == "hello\n\x00"
    assert isinstance(d2.value, Immediate) and d2.value.symbol is not None
    g = f.globls[0]
    assert (g.size, g.flag_value, [x.name for x in g.flags]) == (16, 8, ["RODATA"])
    t = f.texts[0]
    assert t.pcdata[0][:2] == (0, -2) and t.funcdata[0][0] == 1
    assert [e.message for e in f.errors] == ["overlapping DATA entry for ·msg"]


def test_register_list_and_suffixes(tmp_path: Path) -> None:
    f = parse(tmp_path, "TEXT ·f(SB), $0\n\tVADDPD.Z X1, X2, K1, X3\n"
              "\tVP4DPWSSD Z1, [Z2-Z5], K1, Z6\n\tRET\n")
    assert not f.errors, f.errors
    a, b, _ = f.texts[0].instructions
    assert a.suffix == ".Z"
    assert isinstance(b.operands[1], RegisterList) and (b.operands[1].low, b.operands[1].high) == (
        "Z2", "Z5")


def test_errors_recover_at_the_next_statement(tmp_path: Path) -> None:
    f = parse(tmp_path, "TEXT ·f(SB), $0\n\tMOVQ $, AX; MOVQ BX, CX\n\t123\n\tRET\n")
    assert [(e.span.line, e.message.split(",")[0]) for e in f.errors] == [
        (2, "unexpected EOF in operand"), (3, "expected identifier")]
    assert [i.mnemonic for i in f.texts[0].instructions] == ["MOVQ", "RET"]


def test_package_main_and_escaped_paths(tmp_path: Path) -> None:
    from eggls.gomod import path_to_prefix, symbol_prefix

    assert path_to_prefix("gopkg.in/yaml.v2") == "gopkg.in/yaml%2ev2"
    (tmp_path / "go.mod").write_text("module example.com/kern\n\ngo 1.21\n")
    sub = tmp_path / "arch"
    sub.mkdir()
    (sub / "a.go").write_text("// doc\npackage arch\n")
    assert symbol_prefix(str(sub)) == "example.com/kern/arch"
    (tmp_path / "main.go").write_text("package main\n")
    assert symbol_prefix(str(tmp_path)) == "main"


def test_std_import_paths_have_no_std_prefix(tmp_path: Path) -> None:
    from eggls.gomod import import_path

    goroot = tmp_path / "goroot"
    (goroot / "src" / "internal" / "cpu").mkdir(parents=True)
    (goroot / "src" / "go.mod").write_text("module std\n")
    assert import_path(str(goroot / "src" / "internal" / "cpu"), str(goroot)) == "internal/cpu"


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """Parentheses and unary operators nest by recursion: past a depth no real code reaches,
    the operand is an error on its line and the next line still parses."""
    deep = [
        "\tMOVQ $" + "(" * 5000 + "1" + ")" * 5000 + ", AX\n",
        "\tMOVQ $" + "-" * 50000 + "1, AX\n",
        "\tMOVQ " + "(" * 50000 + "\n",
        "DATA x+0(SB)/8, $" + "-" * 50000 + "1.5\n",
    ]
    f = parse(tmp_path, "TEXT ·f(SB), $0\n" + "".join(deep) + "\tMOVQ $((1)), AX\n")
    assert [(e.span.line, e.message) for e in f.errors] == [
        (n, "expression nested too deeply") for n in range(2, 2 + len(deep))]
    assert f.texts[0].instructions[-1].operands[0] == Immediate(1, "$((1))", f.texts[0]
                                                                .instructions[-1].operands[0].span)
