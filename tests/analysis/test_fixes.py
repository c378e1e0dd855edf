"""Quick fixes as text edits: applied to the files' texts and analysed again, the diagnostic
is gone and nothing new appears."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eggls.analysis.fixes import Edit, Fix, establishing_functions, fixes_for
from eggls.analysis.initstate import FS, SSE
from tests.analysis.nav_support import Analysed, analysed
from tests.analysis.test_want import KERNELS
from tests.support.kernels import KERNELS_DIR


def apply(text: str, edits: list[Edit]) -> str:
    lines = text.split("\n")

    def off(line: int, col: int) -> int:
        return sum(len(x) + 1 for x in lines[: line - 1]) + col - 1

    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e.span.line, e.span.col)):
        start, end = off(e.span.line, e.span.col), off(e.span.end_line, e.span.end_col)
        assert start >= pos
        out += [text[pos:start], e.text]
        pos = end
    return "".join([*out, text[pos:]])


def applied(a: Analysed, fix: Fix) -> Analysed:
    texts = dict(a.texts)
    by_path: dict[str, list[Edit]] = {}
    for e in fix.edits:
        by_path.setdefault(e.path, []).append(e)
    for path, edits in by_path.items():
        texts[path] = apply(a.text_of(path) or "", edits)
    return analysed(a.root, texts=texts)


def findings(a: Analysed) -> Counter[tuple[str, str, str]]:
    return Counter((d.path, d.code, d.message) for d in a.diagnostics)


@pytest.mark.parametrize("kernel", KERNELS)
def test_each_fix_removes_its_diagnostic(kernel: str) -> None:
    a = analysed(KERNELS_DIR / kernel)
    before = findings(a)
    for d in a.diagnostics:
        for fix in fixes_for(a.result.context, d, a.text_of):
            after = findings(applied(a, fix))
            key = (d.path, d.code, d.message)
            assert after[key] == before[key] - 1, fix.title
            assert not after - before, (fix.title, after - before)


def test_ignore_goes_on_the_line_above_with_its_indentation() -> None:
    a = analysed(KERNELS_DIR / "idt")
    d = next(x for x in a.diagnostics if x.code == "EGG003")
    fix = next(f for f in fixes_for(a.result.context, d, a.text_of)
               if f.title.startswith("Suppress"))
    (edit,) = fix.edits
    assert (edit.span.line, edit.span.col) == (d.line, 1)
    assert edit.text == "\t\t// eggls:ignore EGG003 reason: explain why this is safe\n"


def test_an_unused_ignore_is_removed() -> None:
    root = KERNELS_DIR / "bootsse"
    asm = str(root / "kernel_amd64.s")
    text = Path(asm).read_text().replace("\tMOVQ AX, 0(SP)\n",
                                         "\t// eggls:ignore EGG004 stale\n\tMOVQ AX, 0(SP)\n")
    a = analysed(root, texts={asm: text})
    d = next(x for x in a.diagnostics if x.code == "EGG010")
    (fix,) = fixes_for(a.result.context, d, a.text_of)
    assert fix.title == "Remove the unused eggls:ignore comment"
    fixed = applied(a, fix)
    assert not [x for x in fixed.diagnostics if x.code == "EGG010"]
    assert fixed.texts[asm] == Path(asm).read_text()


def test_helpers_must_return_with_the_fact() -> None:
    a = analysed(KERNELS_DIR / "bootsse")
    ctx = a.result.context
    assert ctx is not None
    # apentry sets up SSE and FS but never returns: no helper to call.
    assert establishing_functions(ctx, "example.com/kernels/bootsse", SSE) == []
    assert establishing_functions(ctx, "example.com/kernels/bootsse", FS) == []


def test_insert_after_the_last_line_without_newline() -> None:
    from eggls.analysis.fixes import _insert_after_line

    e = _insert_after_line("f.s", ["a", "b"], 2, "X\n")
    assert apply("a\nb", [e]) == "a\nb\nX"
    e = _insert_after_line("f.s", ["a", "b", ""], 2, "X\n")
    assert apply("a\nb\n", [e]) == "a\nb\nX\n"
