"""hover_markdown: the wrapper of the build, predictions without one, the init state, the
rule explanation, and the 40-line limit."""

from __future__ import annotations

from pathlib import Path

from eggls.analysis.hover import MAX_LINES, HoverInput, hover_markdown
from eggls.analysis.registry import EGG005
from tests.analysis.nav_support import Analysed, analysed
from tests.support.kernels import KERNELS_DIR, kernel_elf


def hover(a: Analysed, path: Path, line: int, col: int) -> str | None:
    return hover_markdown(HoverInput(a.nav, a.result.context, a.diagnostics), str(path), line,
                          col)


def test_interrupt_entry_call_shows_fpu_state_and_rule() -> None:
    root = KERNELS_DIR / "idt"
    a = analysed(root, build=kernel_elf("idt", "1.21"))
    text = hover(a, root / "kernel_amd64.s", 60, 9)  # CALL ·timerTick(SB) in irqTimer
    assert text is not None
    assert "interrupt path" in text
    assert "interrupted FPU state saved: **no**" in text
    assert EGG005.explanation in text
    assert "timerTick.abi0" in text and "go1.21" in text
    later = hover(a, root / "kernel_amd64.s", 66, 9)  # CALL ·schedule(SB), after FXSAVE64
    assert later is not None and "interrupted FPU state saved: **yes**" in later
    assert "established at kernel_amd64.s:65 in irqTimer" in later


def test_without_register_abi_there_is_no_wrapper() -> None:
    root = KERNELS_DIR / "bootsse"
    a = analysed(root, go_version="1.16")
    text = hover(a, root / "kernel_amd64.s", 10, 9)
    assert text is not None and "has no register ABI" in text and "entered directly" in text


def test_unreached_functions_say_so() -> None:
    root = KERNELS_DIR / "trapret"
    a = analysed(root)
    # addrOfTrapret is only called from Go code the runtime runs (Main): no entry reaches it.
    text = hover(a, root / "kernel_amd64.s", 37, 8)
    assert text is not None and "reached from no entry" in text
    # trapret is an interrupt-style entry: its address is stored as a resume IP.
    text = hover(a, root / "kernel_amd64.s", 10, 8)
    assert text is not None and "interrupt path" in text
    assert "Leaves by IRETQ (kernel_amd64.s:27)" in text


def test_hover_never_exceeds_the_line_limit() -> None:
    for kernel in ("bootsse", "idt", "sysentry", "trapret", "gstack", "bootfs"):
        root = KERNELS_DIR / kernel
        a = analysed(root, build=kernel_elf(kernel, "1.19"))
        for path in (root / "kernel_amd64.s", root / "kernel.go"):
            lines = path.read_text().split("\n")
            for no, line in enumerate(lines, 1):
                for col in range(1, len(line) + 1, 3):
                    text = hover(a, path, no, col)
                    if text is not None:
                        assert len(text.split("\n")) <= MAX_LINES, (path, no, col)


def test_nothing_to_say_is_none() -> None:
    root = KERNELS_DIR / "bootsse"
    a = analysed(root)
    assert hover(a, root / "kernel_amd64.s", 1, 3) is None  # #include
    assert hover(a, root / "kernel.go", 36, 3) is None  # bootMagic = magic
