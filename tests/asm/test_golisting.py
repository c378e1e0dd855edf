"""The `-S` listing parser on real `go build -a -asmflags=all=-S std` output (Go 1.24,
linux/amd64; GOROOT shortened to /g/src → /g/ so lines fit)."""

from __future__ import annotations

from tests.asm.golisting import ListedInstruction, parse_listing

SAMPLE = "\n".join([
    "# runtime",
    "runtime.testSPWrite STEXT asm size=64 args=0x0 locals=0x4008 funcid=0x0 align=0x0",
    "\t0x0000 00000 (/g/runtime/test_amd64.s:6)\tTEXT\truntime.testSPWrite(SB), $16392-0",
    "\t0x0000 00000 (/g/runtime/test_amd64.s:6)\tMOVQ\t(TLS), R14",
    "\t0x0009 00009 (/g/runtime/test_amd64.s:6)\tMOVQ\tSP, R12",
    "\t0x000c 00012 (/g/runtime/test_amd64.s:6)\tPCDATA\t$0, $-2",
    "\t0x000c 00012 (/g/runtime/test_amd64.s:6)\tSUBQ\t$16264, R12",
    "\t0x0013 00019 (/g/runtime/test_amd64.s:6)\tJCS\t57",
    "\t0x0015 00021 (/g/runtime/test_amd64.s:6)\tCMPQ\tR12, 16(R14)",
    "\t0x0019 00025 (/g/runtime/test_amd64.s:6)\tJLS\t57",
    "\t0x001b 00027 (/g/runtime/test_amd64.s:6)\tPCDATA\t$0, $-1",
    "\t0x001b 00027 (/g/runtime/test_amd64.s:6)\tPUSHQ\tBP",
    "\t0x001c 00028 (/g/runtime/test_amd64.s:6)\tMOVQ\tSP, BP",
    "\t0x001f 00031 (/g/runtime/test_amd64.s:6)\tSUBQ\t$16384, SP",
    "\t0x0026 00038 (/g/runtime/test_amd64.s:6)\tFUNCDATA\t$5, runtime.testSPWrite.arginfo0(SB)",
    "\t0x0026 00038 (/g/runtime/test_amd64.s:6)\tFUNCDATA\t$0, "
    "runtime.testSPWrite.args_stackmap(SB)",
    "\t0x0026 00038 (/g/runtime/test_amd64.s:8)\tMOVQ\tSP, AX",
    "\t0x0029 00041 (/g/runtime/test_amd64.s:9)\tANDQ\t$-16, SP",
    "\t0x002d 00045 (/g/runtime/test_amd64.s:10)\tMOVQ\tAX, SP",
    "\t0x0030 00048 (/g/runtime/test_amd64.s:11)\tADDQ\t$16384, SP",
    "\t0x0037 00055 (/g/runtime/test_amd64.s:11)\tPOPQ\tBP",
    "\t0x0038 00056 (/g/runtime/test_amd64.s:11)\tRET",
    "\t0x0039 00057 (/g/runtime/test_amd64.s:11)\tNOP",
    "\t0x0039 00057 (/g/runtime/test_amd64.s:6)\tPCDATA\t$1, $-1",
    "\t0x0039 00057 (/g/runtime/test_amd64.s:6)\tPCDATA\t$0, $-2",
    "\t0x0039 00057 (/g/runtime/test_amd64.s:6)\tCALL\truntime.morestack_noctxt(SB)",
    "\t0x003e 00062 (/g/runtime/test_amd64.s:6)\tPCDATA\t$0, $-1",
    "\t0x003e 00062 (/g/runtime/test_amd64.s:6)\tJMP\t0",
    "\t0x0000 64 4c 8b 34 25 00 00 00 00 49 89 e4 49 81 ec 88  dL.4%....I..I...",
    "\t0x0010 3f 00 00 72 24 4d 3b 66 10 76 1e 55 48 89 e5 48  ?..r$M;f.v.UH..H",
    "\t0x0020 81 ec 00 40 00 00 48 89 e0 48 83 e4 f0 48 89 c4  ...@..H..H...H..",
    "\t0x0030 48 81 c4 00 40 00 00 5d c3 e8 00 00 00 00 eb c0  H...@..]........",
    "\trel 5+4 t=R_TLS_LE TLS+0",
    "\trel 58+4 t=R_CALL runtime.morestack_noctxt+0",
    "_rt0_amd64 STEXT nosplit asm size=14 args=0xffffffff80000000 locals=0xfffffffffffffff8"
    " funcid=0x0 align=0x0",
    "\t0x0000 00000 (/g/runtime/asm_amd64.s:15)\tTEXT\t_rt0_amd64(SB), NOSPLIT|NOFRAME, $-8",
    "\t0x0000 00000 (/g/runtime/asm_amd64.s:16)\tMOVQ\t(SP), DI",
    "\t0x0004 00004 (/g/runtime/asm_amd64.s:17)\tLEAQ\t8(SP), SI",
    "\t0x0009 00009 (/g/runtime/asm_amd64.s:18)\tJMP\truntime.rt0_go(SB)",
    "\t0x0000 48 8b 3c 24 48 8d 74 24 08 e9 00 00 00 00        H.<$H.t$......",
    "\trel 10+4 t=R_CALL runtime.rt0_go+0",
    "# internal/chacha8rand",
    "internal/chacha8rand.rol16 SRODATA static size=16",
    "\t0x0000 02 03 00 01 06 07 04 05 0a 0b 08 09 0e 0f 0c 0d  ................",
    "# internal/bytealg",
    "internal/bytealg.Compare STEXT nosplit asm size=11 args=0x38 locals=0x0 funcid=0x0 align=0x0",
    "\t0x0000 00000 (/g/internal/bytealg/compare_amd64.s:9)\tTEXT\t"
    "internal/bytealg.Compare(SB), NOSPLIT|NOFRAME|ABIInternal, $0-56",
    "\t0x0000 00000 (/g/internal/bytealg/compare_amd64.s:16)\tMOVQ\tSI, DX",
    "\t0x0003 00003 (/g/internal/bytealg/compare_amd64.s:17)\tMOVQ\tAX, SI",
    "\t0x0006 00006 (/g/internal/bytealg/compare_amd64.s:18)\tJMP\tcmpbody(SB)",
    "\t0x0000 48 89 f2 48 89 c6 e9 00 00 00 00                 H..H.......",
    "\trel 7+4 t=R_CALL cmpbody+0",
    "cmpbody STEXT static nosplit asm size=557 args=0x0 locals=0x0 funcid=0x0 align=0x0",
    "\t0x0000 00000 (/g/internal/bytealg/compare_amd64.s:37)\tTEXT\t"
    "cmpbody<>(SB), NOSPLIT|NOFRAME|STATIC, $0-0",
    "\t0x0000 00000 (/g/internal/bytealg/compare_amd64.s:38)\tCMPQ\tSI, DI",
    "\t0x0003 00003 (/g/internal/bytealg/compare_amd64.s:39)\tJEQ\t299",
    "\t0x0023 00035 (/g/internal/bytealg/compare_amd64.s:49)\tCMPB\tinternal/cpu.X86+67(SB), $1",
    "\trel 37+4 t=R_PCREL internal/cpu.X86+66",
    "",
])

RT = "/g/runtime/test_amd64.s"


def test_symbols_packages_and_data():
    listing = parse_listing(SAMPLE)
    assert [t.name for t in listing.texts] == [
        "runtime.testSPWrite", "_rt0_amd64", "internal/bytealg.Compare", "cmpbody"]
    assert [t.package for t in listing.texts] == [
        "runtime", "runtime", "internal/bytealg", "internal/bytealg"]
    assert listing.packages == ["runtime", "internal/chacha8rand", "internal/bytealg"]
    assert listing.data_symbols == 1
    assert listing.unparsed == []


def test_header_and_text_line():
    spw, rt0, cmp, body = parse_listing(SAMPLE).texts
    # A frame with a call-free body still gets the stack-split check and a saved BP: +8.
    assert (spw.frame, spw.locals, spw.args, spw.size) == (16392, 0x4008, 0, 64)
    assert spw.text_flags == () and not spw.nosplit and spw.flags == frozenset()
    # No "-argsize": ArgsSizeUnknown; negative frames come out signed.
    assert (rt0.args, rt0.frame, rt0.locals) == (None, -8, -8)
    assert rt0.flags == {"NOSPLIT", "NOFRAME"}
    assert cmp.text_flags == ("NOSPLIT", "NOFRAME", "ABIInternal") and cmp.args == 56
    assert body.words == {"static", "nosplit", "asm"}
    assert body.flags == {"NOSPLIT", "NOFRAME", "STATIC"}
    assert (body.path, body.line) == ("/g/internal/bytealg/compare_amd64.s", 37)


def test_instructions_lines_and_relocations():
    spw, rt0, cmp, body = parse_listing(SAMPLE).texts
    assert spw.instructions[1] == ListedInstruction(0, RT, 6, "MOVQ\t(TLS), R14")
    assert len(spw.instructions) == 26
    assert spw.source_lines() == {(RT, n) for n in (6, 8, 9, 10, 11)}
    # The synthesised morestack call is visible both as an instruction and as R_CALL.
    assert spw.instructions[-3].branch_symbol == "runtime.morestack_noctxt"
    assert spw.call_targets == {"runtime.morestack_noctxt"}
    assert spw.reloc_syms("R_TLS_LE") == {"TLS"}
    assert rt0.call_targets == {"runtime.rt0_go"}
    assert cmp.call_targets == {"cmpbody"} and cmp.instructions[-1].branch_symbol == "cmpbody"
    # A branch to a label is printed as a PC: no symbol, no relocation.
    assert body.instructions[2].text == "JEQ\t299" and body.instructions[2].branch_symbol is None
    assert body.call_targets == set() and body.reloc_syms("R_PCREL") == {"internal/cpu.X86"}


def test_goroot_placeholder_and_line_directive_positions():
    text = "\n".join([
        "p.f STEXT nosplit asm size=1 args=0x0 locals=0x0 funcid=0x0 align=0x0",
        "\t0x0000 00000 ($GOROOT/src/p/a.s:3)\tTEXT\tp.f(SB), NOSPLIT|NOFRAME, $0-0",
        "\t0x0000 00000 (gen.s:7[/abs/p/a.s:4])\tRET",
        "garbage line",
    ])
    listing = parse_listing(text, goroot="/opt/go")
    (f,) = listing.texts
    assert (f.path, f.line) == ("/opt/go/src/p/a.s", 3)
    assert f.source_lines() == {("/abs/p/a.s", 4)}  # the physical position of a #line one
    assert listing.unparsed == ["garbage line"]


def test_go127_header_order():
    # Go 1.27 prints align= right after size= (and on data symbols too).
    text = "\n".join([
        "internal/cpu.cpuid STEXT nosplit asm size=27 align=0x0 args=0x18 locals=0x0 funcid=0x0",
        "\t0x0000 00000 (/g/internal/cpu/cpu_x86.s:10)\tTEXT\t"
        "internal/cpu.cpuid(SB), NOSPLIT|NOFRAME, $0-24",
        "\t0x001a 00026 (/g/internal/cpu/cpu_x86.s:18)\tRET",
        "p.mask SRODATA static size=16 align=0x0",
        "\t0x0000 0f 0e 0d 0c 0b 0a 09 08 07 06 05 04 03 02 01 00  ................",
    ])
    listing = parse_listing(text)
    (f,) = listing.texts
    assert (f.size, f.args, f.locals, f.align, f.words) == (27, 0x18, 0, 0, {"nosplit", "asm"})
    assert listing.data_symbols == 1 and listing.unparsed == []


def test_go121_empty_package_and_numeric_relocs():
    # Go 1.21 leaves `·f` as `"".f` and prints relocation types as numbers (7 = R_CALL).
    text = "\n".join([
        "# internal/cpu",
        '"".cpuid STEXT nosplit asm size=5 args=0x0 locals=0x0 funcid=0x0 align=0x0',
        '\t0x0000 00000 (/g/internal/cpu/a.s:3)\tTEXT\t"".cpuid(SB), NOSPLIT|NOFRAME, $0-0',
        '\t0x0000 00000 (/g/internal/cpu/a.s:4)\tJMP\t"".f(SB)',
        "\t0x0000 e9 00 00 00 00                                   .....",
        '\trel 1+4 t=7 "".f+0',
        "\trel 1+4 t=14 runtime.x+0",
    ])
    (f,) = parse_listing(text).texts
    assert f.name == "internal/cpu.cpuid" and f.call_targets == {"internal/cpu.f"}
    assert f.instructions[1].branch_symbol == "internal/cpu.f"
    assert f.reloc_syms("R_PCREL") == {"runtime.x"}
