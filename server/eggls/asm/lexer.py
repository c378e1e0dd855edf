"""Tokenizer for Go assembly, matching cmd/asm/internal/lex (text/scanner underneath).

Differences from a C lexer that matter: newline is a token (it ends a statement), identifiers
may contain `·` (U+00B7) and `∕` (U+2215), which are stored as `.` and `/` as cmd/asm's
lex.Make does; `<<`, `>>`, `->`, `@>` are single tokens; a `//go:build` comment is a token,
other comments vanish but their newlines still count for line numbers (a block comment that
spans lines does not end the statement, as in text/scanner).

A token is a plain tuple for speed (the whole GOROOT is lexed in about a second):
(kind, text, line, col, end_col, src) — kind is one of the KIND_* strings below or the
punctuation itself; line/col are 1-based, col counts Unicode characters, end_col is exclusive.
`src` is the Source the token physically comes from (for a macro expansion: the use site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

IDENT = "IDENT"
INT = "INT"
FLOAT = "FLOAT"
CHAR = "CHAR"
STRING = "STRING"
NEWLINE = "\n"
BUILD = "BUILD"  # //go:build comment
EOF = "EOF"
BAD = "BAD"  # a character or literal text/scanner rejects

# Token tuple indices.
K, T, L, C, E, S = 0, 1, 2, 3, 4, 5

Token = tuple[str, str, int, int, int, "Source"]


@dataclass(eq=False, slots=True)
class Source:
    """One physical file (or command-line / built-in header) that tokens come from."""

    path: str
    text: str
    lines_cache: list[str] | None = field(default=None, repr=False)

    def line_text(self, line: int) -> str:
        if self.lines_cache is None:
            self.lines_cache = self.text.split("\n")
        if 1 <= line <= len(self.lines_cache):
            return self.lines_cache[line - 1]
        return ""


@dataclass(frozen=True, slots=True)
class LexError:
    src: Source
    line: int
    col: int
    end_col: int
    message: str


_NUM = (
    r"0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?"
    r"|0[bB][01_]*|0[oO][0-7_]*"
    r"|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?"
)
# Group numbers are what the tokenizer dispatches on (m.lastindex).
_MASTER = re.compile(
    r"[ \t\r]*(?:"
    r"(\n)"  # 1 newline
    r"|(//[^\n]*)"  # 2 line comment
    r"|(/\*(?:[^*]|\*(?!/))*(?:\*/)?)"  # 3 block comment (maybe unterminated)
    r"|((?:[^\W\d]|[·∕])[\w·∕]*)"  # 4 identifier
    r"|(" + _NUM + r")"  # 5 number
    r"|('(?:[^'\\\n]|\\.)*'?)"  # 6 char
    r"|(\"(?:[^\"\\\n]|\\.)*\"?)"  # 7 string
    r"|(<<|>>|->|@>)"  # 8 two-char operator
    r"|(.)"  # 9 any other character
    r"|($)"  # 10 end (only trailing blanks left)
    r")",
    re.DOTALL,
)
_GO_BUILD = re.compile(r"//go:build(?:\s|$)")
_CLOSED = {6: re.compile(r"'(?:[^'\\\n]|\\.)*'"), 7: re.compile(r'"(?:[^"\\\n]|\\.)*"')}
_UNDERSCORE_OK = re.compile(r"^(?:0[xXbBoO]_?)?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$")


def tokenize(src: Source, errors: list[LexError]) -> list[Token]:
    """All tokens of src, ending with an EOF token. Never raises."""
    text = src.text
    out: list[Token] = []
    append = out.append
    line = 1
    line_start = 0
    pos = 0
    # The master pattern matches at every position (group 9 takes any character), so
    # finditer walks the text token by token; branches are ordered by frequency.
    for m in _MASTER.finditer(text):
        g = m.lastindex
        if g is None or g == 10:  # trailing blanks
            pos = m.end()
            continue
        start, pos = m.span(g)
        if g == 4:
            tok = text[start:pos]
            if "·" in tok or "∕" in tok:
                tok = tok.replace("·", ".").replace("∕", "/")
            append((IDENT, tok, line, start - line_start + 1, pos - line_start + 1, src))
        elif g == 9:
            ch = text[start]
            col = start - line_start + 1
            if ch < " " or ch in "\x7f\ufffd":
                # Files are decoded with errors="replace": U+FFFD marks an invalid byte.
                msg = ("invalid UTF-8 encoding" if ch == "\ufffd" else
                       "invalid character " + ("NUL" if ch == "\x00" else f"U+{ord(ch):04X}"))
                errors.append(LexError(src, line, col, col + 1, msg))
                append((BAD, ch, line, col, col + 1, src))
            else:
                append((ch, ch, line, col, col + 1, src))
        elif g == 1:
            col = start - line_start + 1
            append((NEWLINE, "\n", line, col, col + 1, src))
            line += 1
            line_start = pos
        elif g == 5:
            tok = text[start:pos]
            col = start - line_start + 1
            end_col = pos - line_start + 1
            kind = INT
            low = tok.lower()
            if "." in tok or ("e" in low and not low.startswith("0x")) or (
                low.startswith("0x") and "p" in low
            ):
                kind = FLOAT
            elif "_" in tok and not _UNDERSCORE_OK.match(tok):
                errors.append(LexError(src, line, col, end_col,
                                       "'_' must separate successive digits"))
            elif low in ("0x", "0b", "0o"):
                errors.append(LexError(src, line, col, end_col, f"{tok} has no digits"))
            append((kind, tok, line, col, end_col, src))
        elif g == 2:
            if text.startswith("//go:build", start):
                tok = text[start:pos]
                if _GO_BUILD.match(tok):
                    append((BUILD, tok, line, start - line_start + 1, pos - line_start + 1,
                            src))
        elif g == 8:
            tok = text[start:pos]
            append((tok, tok, line, start - line_start + 1, pos - line_start + 1, src))
        elif g == 3:
            tok = text[start:pos]
            col = start - line_start + 1
            if not tok.endswith("*/") or len(tok) < 4:
                errors.append(LexError(src, line, col, col + 2, "comment not terminated"))
            nl = tok.count("\n")
            if nl:
                line += nl
                line_start = start + tok.rfind("\n") + 1
        else:  # 6 char, 7 string
            tok = text[start:pos]
            col = start - line_start + 1
            end_col = pos - line_start + 1
            if not _CLOSED[g].fullmatch(tok):
                errors.append(LexError(src, line, col, end_col, "literal not terminated"))
                append((BAD, tok, line, col, end_col, src))
            else:
                append((CHAR if g == 6 else STRING, tok, line, col, end_col, src))
    col = pos - line_start + 1
    append((EOF, "", line, col, col, src))
    return out
