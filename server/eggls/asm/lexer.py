"""Tokenizer for Go assembly, matching cmd/asm/internal/lex (text/scanner underneath).

Differences from a C lexer that matter: newline is a token (it ends a statement), identifiers
may contain `·` (U+00B7) and `∕` (U+2215), which are stored as `.` and `/` as cmd/asm's
lex.Make does; `<<`, `>>`, `->`, `@>` are single tokens; a `//go:build` comment is a token,
other comments vanish but their newlines still count for line numbers (a block comment that
spans lines does not end the statement, as in text/scanner).

A token is a plain tuple for speed (GOROOT's 158k lines of assembly lex in about 0.35 s):
(kind, text, line, col, end_col, src) — kind is one of the KIND_* strings below or the
punctuation itself; line/col are 1-based, col counts Unicode characters, end_col is exclusive.
`src` is the Source the token physically comes from (for a macro expansion: the use site).

With `lines=True` (what the preprocessor asks for) a *plain line* — one word, then only
ASCII identifiers, well-formed integers and operator characters, no `;`, `#`, `:`, quotes,
block comment or continuation — is not split into tokens: it becomes one LINE token (see
LINE_* below) followed by its NEWLINE. Most lines of real assembly are plain; the
preprocessor and parser handle them whole and ask line_tokens() for the real tokens only
when they need them (a macro use, an operand the parser's line path does not cover).
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
LINE = "LINE"  # a plain line, whole (tokenize(lines=True) only)

# A LINE token: (LINE, first word, line, col of the word, end_col of the last token, src,
# words, base, rest_start, rest_end). `words` over-approximates the line's identifiers (a
# superset: hex digits after 0x count too) for the macro test; `base` is the offset of the
# character before the line (col = offset - base); text[rest_start:rest_end] is everything
# after the first word up to the end of the last token.
LINE_WORDS, LINE_BASE, LINE_REST, LINE_REST_END = 6, 7, 8, 9

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
# Group numbers are what the tokenizer dispatches on (m.lastindex); alternatives start with
# distinct characters, so their order is free and follows frequency (GOROOT's mix).
_MASTER = re.compile(
    r"[ \t\r]*(?:"
    r"([A-Za-z_·∕][\w·∕]*|[^\W\d][\w·∕]*)"  # 1 identifier (ASCII start tried first)
    r"|(\n)"  # 2 newline
    r"|(<<|>>|->|@>|[,()$:;+*\-\[\]|&^~!<>=%@])"  # 3 operator (two-char ones first)
    r"|(" + _NUM + r")"  # 4 number
    r"|(//[^\n]*)"  # 5 line comment
    r"|(/\*(?:[^*]|\*(?!/))*(?:\*/)?)"  # 6 block comment (maybe unterminated)
    r"|('(?:[^'\\\n]|\\.)*'?)"  # 7 char
    r"|(\"(?:[^\"\\\n]|\\.)*\"?)"  # 8 string
    r"|(.)"  # 9 any other character
    r"|($)"  # 10 end (only trailing blanks left)
    r")",
    re.DOTALL,
)
_GO_BUILD = re.compile(r"//go:build(?:\s|$)")
# A plain line from its start (see the module doc). Integers must not run into letters,
# digits, `_` or `.` (which would make them other tokens, or errors); quantifiers are
# possessive, so a line that is not plain fails in linear time. Group 1: the first word;
# group 2: the rest up to the end of its last token. Blank and comment-only lines match
# with group 1 empty.
_PLAIN = re.compile(
    r"[ \t\r]*+"
    r"(?:([A-Za-z_][A-Za-z0-9_]*+)"
    r"((?:[ \t\r]*+(?:[A-Za-z_][A-Za-z0-9_]*+|(?:0[xX][0-9a-fA-F]++|[0-9]++)(?![\w.])"
    r"|[$(),+\-*\[\]|&^~<>.%!=@{}]))*+))?"
    r"[ \t\r]*+(?://(?!go:build)[^\n]*+)?\n"
)
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLOSED = {7: re.compile(r"'(?:[^'\\\n]|\\.)*'"), 8: re.compile(r'"(?:[^"\\\n]|\\.)*"')}
_UNDERSCORE_OK = re.compile(r"^(?:0[xXbBoO]_?)?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$")


def tokenize(src: Source, errors: list[LexError], lines: bool = False) -> list[Token]:
    """All tokens of src, ending with an EOF token; with `lines`, plain lines come as LINE
    tokens (see the module doc). Never raises."""
    text = src.text
    out: list[Token] = []
    translate = "·" in text or "∕" in text
    if not lines:
        line, base, _ = _lex(text, 0, 1, -1, src, errors, out, False, translate)
    else:
        append = out.append
        plain = _PLAIN.match
        words = _WORDS.findall
        pos = 0
        line = 1
        base = -1
        n = len(text)
        while pos < n:
            m = plain(text, pos)
            if m is None:
                # Token by token to the end of the line, and on while a line ends in `\`:
                # the lines of a #define body must stay tokens.
                while True:
                    line, base, pos = _lex(text, pos, line, base, src, errors, out, True,
                                           translate)
                    if pos < 0 or len(out) < 2 or out[-2][0] != "\\":
                        break
                if pos < 0:
                    break
                continue
            start, end = m.span(1)
            nl = m.end() - 1
            if start >= 0:
                last = m.end(2)
                append((LINE, text[start:end], line, start - base, last - base, src,
                        words(text, start, last), base, end, last))
            append((NEWLINE, "\n", line, nl - base, nl - base + 1, src))
            line += 1
            base = nl
            pos = nl + 1
    col = len(text) - base
    out.append((EOF, "", line, col, col, src))
    return out


def line_tokens(tok: Token) -> list[Token]:
    """The tokens a LINE token stands for (without its NEWLINE), as tokenize() makes them."""
    out: list[Token] = []
    src = tok[5]
    base = tok[LINE_BASE]  # type: ignore[misc]
    _, _, end = _lex(src.text, base + 1, tok[2], base, src, [], out, True, False)
    if end >= 0:
        out.pop()
    return out


def _lex(text: str, pos: int, line: int, base: int, src: Source, errors: list[LexError],
         out: list[Token], one_line: bool, translate: bool) -> tuple[int, int, int]:
    """Append the tokens of text from pos (a line start; base is the offset before it) to
    out; with one_line, stop after the first NEWLINE token. Returns (line, base, pos) after
    it, pos -1 when the text ended first. translate: whether text holds `·` or `∕`."""
    append = out.append
    # The master pattern matches at every position (group 9 takes any character), so
    # finditer walks the text token by token; branches are ordered by frequency.
    for m in _MASTER.finditer(text, pos):
        g = m.lastindex
        if g == 1:
            start, pos = m.span(1)
            tok = text[start:pos]
            if translate and ("·" in tok or "∕" in tok):
                tok = tok.replace("·", ".").replace("∕", "/")
            append((IDENT, tok, line, start - base, pos - base, src))
        elif g == 2:
            start = m.start(2)
            col = start - base
            append((NEWLINE, "\n", line, col, col + 1, src))
            line += 1
            base = start
            if one_line:
                return line, base, start + 1
        elif g == 3:
            start, pos = m.span(3)
            tok = text[start:pos]
            append((tok, tok, line, start - base, pos - base, src))
        elif g == 4:
            start, pos = m.span(4)
            tok = text[start:pos]
            col = start - base
            end_col = pos - base
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
        elif g == 5:
            start, pos = m.span(5)
            if text.startswith("//go:build", start):
                tok = text[start:pos]
                if _GO_BUILD.match(tok):
                    append((BUILD, tok, line, start - base, pos - base, src))
        elif g == 9:
            start = m.start(9)
            ch = text[start]
            col = start - base
            if ch < " " or ch in "\x7f\ufffd":
                # Files are decoded with errors="replace": U+FFFD marks an invalid byte.
                msg = ("invalid UTF-8 encoding" if ch == "\ufffd" else
                       "invalid character " + ("NUL" if ch == "\x00" else f"U+{ord(ch):04X}"))
                errors.append(LexError(src, line, col, col + 1, msg))
                append((BAD, ch, line, col, col + 1, src))
            else:
                append((ch, ch, line, col, col + 1, src))
        elif g == 6:
            start, pos = m.span(6)
            tok = text[start:pos]
            col = start - base
            if not tok.endswith("*/") or len(tok) < 4:
                errors.append(LexError(src, line, col, col + 2, "comment not terminated"))
            nl = tok.count("\n")
            if nl:
                line += nl
                base = start + tok.rfind("\n")
        elif g == 7 or g == 8:  # char, string
            start, pos = m.span(g)
            tok = text[start:pos]
            col = start - base
            end_col = pos - base
            if not _CLOSED[g].fullmatch(tok):
                errors.append(LexError(src, line, col, end_col, "literal not terminated"))
                append((BAD, tok, line, col, end_col, src))
            else:
                append((CHAR if g == 7 else STRING, tok, line, col, end_col, src))
    return line, base, -1
