"""Re-parse only the TEXT block an edit touched, and splice it into the file's previous parse.

Typing in a 2000-line assembly file (runtime's asm_amd64.s) should not cost a full parse of
the file. A TEXT block's *extent* runs from its TEXT line to the line before the next TEXT (or
the end of the file); when every changed line lies inside one extent, below its TEXT line,
and touches nothing with file-wide effect (preprocessor directives and their continuation
lines, block comments, `//go:build`, DATA/GLOBL), the block is re-parsed from a copy of the
file in which everything outside the extent is blank except the directives (so the same
macros are defined, and line numbers stay put). Blocks below the edit move by the number of
lines added or removed.

An edit inside the body of a multi-line `#define` (its `#define NAME` line untouched) changes
what the macro's uses expand to: the region re-parsed then runs from the block holding the
definition to the block holding its last use, provided the name appears nowhere else that
could carry it further (another directive or macro body, an earlier line, an `#include`
after the definition). Anything else returns None and the caller parses the whole file.

tests/analysis/test_asmsplice.py checks the result against a full parse for random edits.
"""

from __future__ import annotations

import re

from eggls.asm import AsmConfig, AsmFile, parse_file
from eggls.asm.model import (
    AsmError,
    Branch,
    Data,
    FloatImm,
    Globl,
    Immediate,
    Instruction,
    Memory,
    Operand,
    Register,
    RegisterList,
    StringImm,
    Text,
)
from eggls.diagnostics import Span

# A changed line containing any of these may change how the rest of the file parses.
_GLOBAL = re.compile(r"#|/\*|\*/|go:build|\b(?:DATA|GLOBL)\b")
_DIRECTIVE = re.compile(r"^\s*#")


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_suffix(a: list[str], b: list[str], limit: int) -> int:
    i = 0
    la, lb = len(a), len(b)
    while i < limit and a[la - 1 - i] == b[lb - 1 - i]:
        i += 1
    return i


def _continued(line: str) -> bool:
    """Does the lexer see `\\` then the newline (a comment may sit between)?"""
    k = line.find("//")
    if k >= 0:
        line = line[:k]
    return line.rstrip().endswith("\\")


def _kept_lines(lines: list[str], lo: int, hi: int) -> list[str]:
    """lines[:hi + 1] with everything before lo (0-based) blank except directives, their
    continuation lines and block comments (so comment state cannot differ). Lines after the
    region cannot change it: they are left out."""
    out = [""] * lo
    in_comment = False
    continued = False
    for i in range(lo):
        line = lines[i]
        if not in_comment and not continued and "#" not in line and "/*" not in line:
            continue  # the common case: code or a line comment, blanked
        keep = in_comment or continued or bool(_DIRECTIVE.match(line))
        # Track block comments outside line comments (approximate; the caller rejects edits
        # that add or remove comment delimiters, so both parses see the same comments).
        j = 0
        n = len(line)
        while j < n:
            if in_comment:
                k = line.find("*/", j)
                if k < 0:
                    j = n
                else:
                    in_comment = False
                    keep = True
                    j = k + 2
                continue
            k_line = line.find("//", j)
            k_block = line.find("/*", j)
            if k_block < 0 or (0 <= k_line < k_block):
                break
            in_comment = True
            keep = True
            j = k_block + 2
        if keep:
            out[i] = line
        directive_line = continued or bool(_DIRECTIVE.match(line))
        continued = directive_line and _continued(line)
    out.extend(lines[lo:hi + 1])
    out.append("")  # end the last line (a macro definition needs its newline)
    return out


def _shift_span(s: Span, path: str, delta: int) -> Span:
    if s.path != path:
        return s
    return Span(s.path, s.line + delta, s.col, s.end_line + delta, s.end_col)


def _shift_memory(m: Memory, path: str, d: int) -> Memory:
    return Memory(_shift_span(m.span, path, d), m.offset, m.base, m.index, m.scale, m.segment,
                  m.symbol, m.indirect)


def _shift_operand(op: Operand, path: str, d: int) -> Operand:
    sp = _shift_span(op.span, path, d)
    if isinstance(op, Register):
        return Register(op.name, sp)
    if isinstance(op, Immediate):
        return Immediate(op.value, op.text, sp, op.symbol)
    if isinstance(op, Memory):
        return _shift_memory(op, path, d)
    if isinstance(op, Branch):
        return Branch(sp, op.label, op.pc_offset, op.register, op.symbol,
                      _shift_memory(op.memory, path, d) if op.memory is not None else None)
    if isinstance(op, RegisterList):
        return RegisterList(op.low, op.high, sp)
    if isinstance(op, FloatImm):
        return FloatImm(op.value, sp)
    if isinstance(op, StringImm):
        return StringImm(op.value, sp)
    raise TypeError(f"unknown operand {op!r}")


def _shift_text(t: Text, path: str, d: int) -> Text:
    ins = [Instruction(i.mnemonic, [_shift_operand(o, path, d) for o in i.operands],
                       _shift_span(i.span, path, d), i.suffix, i.labels, i.data)
           for i in t.instructions]
    return Text(t.symbol, _shift_span(t.span, path, d), _shift_span(t.name_span, path, d),
                t.flags, t.flag_value, t.frame_size, t.arg_size, ins,
                {k: _shift_span(v, path, d) for k, v in t.labels.items()},
                [(a, b, _shift_span(s, path, d)) for a, b, s in t.pcdata],
                [(a, b, _shift_span(s, path, d)) for a, b, s in t.funcdata],
                t.end_line + d)


_DEFINE = re.compile(r"^\s*#\s*define\s+([^\s(]+)")


def _define_around(lines: list[str], i: int) -> tuple[int, int, str] | None:
    """(first, last, name) of the multi-line #define whose body holds line i (0-based)."""
    start = i
    while start > 0 and _continued(lines[start - 1]):
        start -= 1
    if start == i:
        return None
    m = _DEFINE.match(lines[start])
    if m is None:
        return None
    end = start
    while end + 1 < len(lines) and _continued(lines[end]):
        end += 1
    return start, end, m.group(1)


def _macro_region(old_lines: list[str], new_lines: list[str], p: int, old_hi: int,
                  new_hi: int, delta: int) -> tuple[int, int] | None:
    """For an edit of old lines p+1..old_hi (new p+1..new_hi, 1-based) inside a #define
    body: the old lines from the definition to its last use (1-based, inclusive), or None."""
    got = _define_around(old_lines, p)
    new = _define_around(new_lines, p)
    if got is None or new is None:
        return None
    start, end, name = got
    if new != (start, end + delta, name) or old_hi - 1 > end or new_hi - 1 > end + delta:
        return None
    for line in (*old_lines[p:old_hi], *new_lines[p:new_hi]):
        if _GLOBAL.search(line):
            return None
    word = re.compile(r"(?<![\w·∕])" + re.escape(name) + r"(?![\w·∕])")
    last = end + delta
    directive = False
    for i, line in enumerate(new_lines):
        starts = not directive and bool(_DIRECTIVE.match(line))
        in_directive = directive or starts
        directive = in_directive and _continued(line)
        if start <= i <= end + delta:
            continue
        if in_directive and i > start and "include" in line:
            return None  # a header read after the definition could use the macro
        if name not in line or not word.search(line):
            continue
        if i < start or in_directive:
            return None
        last = i
    # Back to old line numbers (1-based): the last use lies after the edit, so it moved.
    return start + 1, (last - delta if last > end + delta else end) + 1


def reparse_region(old: AsmFile, old_text: str, new_text: str, prefix: str,
                   cfg: AsmConfig) -> AsmFile | None:
    """The parse of new_text, from old (the parse of old_text) and a parse of the TEXT
    blocks the edit touched; None when the edit is not confined to them."""
    if old.errors and any(e.span.path != old.path for e in old.errors):
        return None  # errors from included files: keep it simple
    old_lines = old_text.split("\n")
    new_lines = new_text.split("\n")
    p = _common_prefix(old_lines, new_lines)
    if p == len(old_lines) == len(new_lines):
        return old
    s = _common_suffix(old_lines, new_lines, min(len(old_lines), len(new_lines)) - p)
    lo = p + 1  # first changed line, 1-based (old and new)
    old_hi = len(old_lines) - s  # last changed old line (< lo: pure insertion)
    new_hi = len(new_lines) - s
    delta = len(new_lines) - len(old_lines)
    texts = [t for t in old.texts if t.span.path == old.path]
    if len(texts) != len(old.texts):
        return None
    region = _macro_region(old_lines, new_lines, p, old_hi, new_hi, delta)
    if region is None:
        for line in (*old_lines[p:old_hi], *new_lines[p:new_hi]):
            if _GLOBAL.search(line) or _continued(line):
                return None
        if p >= 1 and _continued(old_lines[p - 1]):
            return None
        first, last = lo, max(old_hi, lo - 1)
    else:
        first, last = region
    # The blocks whose extents cover first..last; the first one's TEXT line unchanged.
    k = None
    for i, t in enumerate(texts):
        if t.span.line < first:
            k = i
    if k is None:
        return None
    k2 = k
    while k2 + 1 < len(texts) and texts[k2 + 1].span.line <= last:
        k2 += 1
    block = texts[k]
    ext_end = texts[k2 + 1].span.line - 1 if k2 + 1 < len(texts) else len(old_lines)
    # DATA/GLOBL after the last block's code end its extent early (they are file-wide
    # state); inside the region they make it give up.
    for item in (*old.data, *old.globls):
        if item.span.path == old.path and block.span.line <= item.span.line <= ext_end:
            if item.span.line <= texts[k2].end_line:
                return None
            ext_end = item.span.line - 1
    if last > ext_end:
        return None
    new_end = ext_end + delta
    padded = "\n".join(_kept_lines(new_lines, block.span.line - 1, new_end - 1))
    part = parse_file(old.path, prefix, cfg, padded)
    if part.data or part.globls:
        return None

    def inside(line: int) -> bool:
        return block.span.line <= line <= new_end

    new_texts = [t for t in part.texts if t.span.path == old.path and inside(t.span.line)]
    if len(new_texts) != len(part.texts):
        return None
    errors: list[AsmError] = []
    for e in old.errors:
        if e.span.line < block.span.line:
            errors.append(e)
    errors += [e for e in part.errors if inside(e.span.line)]
    for e in old.errors:
        if e.span.line > ext_end:
            errors.append(AsmError(_shift_span(e.span, old.path, delta), e.message))
    after = texts[k2 + 1:]
    if delta:
        after = [_shift_text(t, old.path, delta) for t in after]
    out = AsmFile(path=old.path, package=old.package)
    out.texts = [*texts[:k], *new_texts, *after]
    out.data = [d if d.span.line < block.span.line or not delta else
                Data(d.symbol, d.offset, d.size,
                     _shift_operand(d.value, old.path, delta) if d.value is not None else None,
                     _shift_span(d.span, old.path, delta)) for d in old.data]
    out.globls = [g if g.span.line < block.span.line or not delta else
                  Globl(g.symbol, g.flags, g.flag_value, g.size,
                        _shift_span(g.span, old.path, delta)) for g in old.globls]
    out.errors = errors
    out.includes = list(old.includes)
    out.unresolved_includes = list(old.unresolved_includes)
    out.lines = new_text.count("\n") + 1
    return out


__all__ = ["reparse_region"]
