"""Wrapper effects and stack checks on machine code assembled by GNU as at test time:
the measured shapes and shapes no Go version emits yet (the analysis must follow them too)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from eggls.build.disasm import disassemble
from eggls.build.effects import find_stack_check, follow_to, frame_bytes
from eggls.build.elf import ElfImage
from eggls.build.symbols import read_symbols
from eggls.build.wrappers import ABI0_TO_ABI_INTERNAL, ABI_INTERNAL_TO_ABI0, classify_pair
from tests.build.synth import TEXT_ADDR, Sym, go_elf

pytestmark = pytest.mark.skipif(not (shutil.which("as") and shutil.which("objcopy")),
                                reason="needs GNU as and objcopy")
TARGET = 0x100  # `target:` is placed here by .org


def assemble(tmp_path: Path, body: str) -> bytes:
    src = tmp_path / "x.s"
    src.write_text(f".text\n{body}\n.org {TARGET:#x}\ntarget:\n ret\n")
    obj, raw = tmp_path / "x.o", tmp_path / "x.bin"
    subprocess.run(["as", "--64", "-o", str(obj), str(src)], check=True, capture_output=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", str(obj), str(raw)], check=True)
    return raw.read_bytes()


@pytest.mark.parametrize(("body", "pushed", "enters_by"), [
    ("call target\n xorps %xmm15,%xmm15\n mov %fs:-8,%r14\n ret", 8, "call"),
    ("push %rbp\n mov %rsp,%rbp\n call target\n pop %rbp\n ret", 16, "call"),
    ("sub $0x10,%rsp\n mov %rbp,8(%rsp)\n lea 8(%rsp),%rbp\n mov %rax,(%rsp)\n call target",
     24, "call"),
    ("push %rbp\n push %rbx\n sub $0x20,%rsp\n call target", 56, "call"),  # no Go emits this
    ("lea -0x18(%rsp),%rsp\n call target", 32, "call"),
    ("add $-0x80,%rsp\n call target", 136, "call"),
    ("pushw $1\n call target", 10, "call"),
    ("pushfq\n push %rax\n pop %rax\n call target", 16, "call"),
    ("xorps %xmm15,%xmm15\n mov %fs:-8,%r14\n jmp target", 0, "jmp"),
    ("cmp $0,%rax\n je 1f\n1:\n call target", 8, "call"),  # falls through a jcc
    ("mov %rbp,%rsp\n call target", None, "call"),  # RSP no longer followable
    ("and $-16,%rsp\n call target", None, "call"),
])
def test_pushed_bytes(tmp_path: Path, body: str, pushed: int | None, enters_by: str) -> None:
    t = follow_to(disassemble(assemble(tmp_path, body), 0), TARGET)
    assert t.found and t.enters_by == enters_by
    assert t.pushed_bytes == pushed


def test_sse_and_tls_before_and_after(tmp_path: Path) -> None:
    abi0_to_go = assemble(tmp_path, "sub $0x18,%rsp\n mov 0x20(%rsp),%rax\n"
                                    " xorps %xmm15,%xmm15\n mov %fs:-8,%r14\n call target\n"
                                    " add $0x18,%rsp\n ret")
    t = follow_to(disassemble(abi0_to_go, 0), TARGET)
    assert t.sse is not None and t.sse.text == "xorps %xmm15, %xmm15"
    assert t.tls_read is not None and (t.tls_read.segment, t.tls_read.offset) == ("fs", -8)
    assert t.sse_after is None and t.tls_after is None
    go_to_asm = assemble(tmp_path, "call target\n xorps %xmm15,%xmm15\n mov %gs:0x30,%r14\n ret")
    t = follow_to(disassemble(go_to_asm, 0), TARGET)
    assert t.sse is None and t.tls_read is None
    assert t.sse_after is not None and t.tls_after is not None
    assert (t.tls_after.segment, t.tls_after.offset) == ("gs", 0x30)
    spill = assemble(tmp_path, "movups %xmm0,(%rsp)\n lea %fs:0x10,%rax\n call target")
    t = follow_to(disassemble(spill, 0), TARGET)
    assert t.sse is not None and t.sse.mnemonic == "movups"
    assert t.tls_read is None  # LEA computes an address; it reads nothing


def test_transfer_missing(tmp_path: Path) -> None:
    code = disassemble(assemble(tmp_path, "ret\n call target"), 0)
    t = follow_to(code, TARGET)
    assert not t.found and t.pushed_bytes is None  # the path returns before the call


@pytest.mark.parametrize(("body", "live", "source"), [
    ("cmp 0x10(%r14),%rsp\n jbe 1f\n push %rbp\n1:\n ret", True, "r14"),
    ("lea -0x88(%rsp),%r12\n cmp 0x10(%r14),%r12\n jbe 1f\n1:\n ret", True, "r14"),
    ("mov %rsp,%r12\n sub $0x5000,%r12\n jb 1f\n cmp 0x10(%r14),%r12\n1:\n ret", True, "r14"),
    ("mov %fs:-8,%r14\n cmp 0x10(%r14),%rsp\n jbe 1f\n1:\n ret", False, "tls"),
    ("mov %fs:-8,%rcx\n mov 0x10(%rcx),%rdx\n cmp %rdx,%rsp\n1:\n ret", False, "tls"),
    ("cmp 0x10(%r14),%rsp\n ret", False, None),  # ABI0: R14 is not g
    ("cmp 0x10(%rax),%rsp\n ret", True, None),  # not through g
    ("mov %fs:-8,%r14\n mov $0,%r14\n cmp 0x10(%r14),%rsp\n ret", False, None),  # g overwritten
    ("push %rbp\n call target\n cmp 0x10(%r14),%rsp", True, None),  # after a call: no prologue
])
def test_stack_check(tmp_path: Path, body: str, live: bool, source: str | None) -> None:
    check = find_stack_check(disassemble(assemble(tmp_path, body), 0), g_register_live=live)
    assert (check.g_source if check else None) == source


def test_frame_bytes(tmp_path: Path) -> None:
    code = disassemble(assemble(tmp_path, "push %rbp\n mov %rsp,%rbp\n sub $0x28,%rsp\n"
                                          " call target"), 0)
    assert frame_bytes(code) == 0x30


def test_direction_from_bytes_and_dwarf_fallback(tmp_path: Path) -> None:
    """pkg.F calling pkg.F.abi0 makes pkg.F the wrapper; the reverse makes pkg.F.abi0 one;
    when neither enters the other, only DWARF's <autogenerated> can say."""
    base = TEXT_ADDR
    text = assemble(tmp_path, "call target\n ret\n.org 0x20\n xorps %xmm15,%xmm15\n"
                              " jmp bbody\n.org 0x40\nbbody:\n ret\n"
                              ".org 0x60\n nop\n ret\n.org 0x80\n nop\n ret")
    syms = [Sym("p.A", base, 6), Sym("p.A.abi0", base + TARGET, 1),
            Sym("p.B.abi0", base + 0x20, 9), Sym("p.B", base + 0x40, 1),
            Sym("p.C", base + 0x60, 2), Sym("p.C.abi0", base + 0x80, 2)]
    img = ElfImage.from_bytes(go_elf("go1.24.0", "inline", text=text, symbols=syms))
    idx = read_symbols(img)
    pairs = {a.name: (a, b) for a, b in idx.abi_pairs()}
    a = classify_pair(img, idx, *pairs["p.A"])
    assert a is not None and a.symbol.name == "p.A" and a.direction == ABI_INTERNAL_TO_ABI0
    assert a.evidence == "bytes" and a.pushed_bytes == 8
    b = classify_pair(img, idx, *pairs["p.B"])
    assert b is not None and b.symbol.name == "p.B.abi0" and b.direction == ABI0_TO_ABI_INTERNAL
    assert b.sse is not None and b.pushed_bytes == 0
    assert classify_pair(img, idx, *pairs["p.C"]) is None
    c = classify_pair(img, idx, *pairs["p.C"], autogenerated=frozenset({base + 0x80}))
    assert c is not None and c.symbol.name == "p.C.abi0" and c.evidence == "dwarf"
    assert not c.transfer.found and c.pushed_bytes is None
