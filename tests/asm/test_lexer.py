from __future__ import annotations

from eggls.asm.lexer import (
    BUILD,
    CHAR,
    EOF,
    FLOAT,
    IDENT,
    INT,
    NEWLINE,
    STRING,
    LexError,
    Source,
    tokenize,
)


def lex(text: str) -> tuple[list[tuple[str, str, int, int, int]], list[LexError]]:
    errors: list[LexError] = []
    toks = tokenize(Source("t.s", text), errors)
    return [t[:5] for t in toks], errors


def kinds(text: str) -> list[tuple[str, str]]:
    return [(k, t) for k, t, *_ in lex(text)[0] if k not in (NEWLINE, EOF)]


def test_qualified_identifiers_translate_middle_dot_and_division_slash() -> None:
    assert kinds("runtime·morestack a∕b·c ·f sym<>") == [
        (IDENT, "runtime.morestack"), (IDENT, "a/b.c"), (IDENT, ".f"), (IDENT, "sym"),
        ("<", "<"), (">", ">")]


def test_numbers_in_every_base_chars_and_strings() -> None:
    assert kinds("10 0x1F 0X1f 017 0b101 0o17 1_000 1.5 .5 1e3 0x1p-2 'a' '\\n' \"s\\\"t\"") == [
        (INT, "10"), (INT, "0x1F"), (INT, "0X1f"), (INT, "017"), (INT, "0b101"),
        (INT, "0o17"), (INT, "1_000"), (FLOAT, "1.5"), (FLOAT, ".5"), (FLOAT, "1e3"),
        (FLOAT, "0x1p-2"), (CHAR, "'a'"), (CHAR, "'\\n'"), (STRING, '"s\\"t"')]


def test_operators_and_statement_separators() -> None:
    assert kinds("1<<3>>1 -> @> ; $-8") == [
        (INT, "1"), ("<<", "<<"), (INT, "3"), (">>", ">>"), (INT, "1"), ("->", "->"),
        ("@>", "@>"), (";", ";"), ("$", "$"), ("-", "-"), (INT, "8")]


def test_comments_vanish_but_count_lines_and_go_build_is_a_token() -> None:
    toks, errors = lex("//go:build amd64\nA /* x\ny */ B // c\nC")
    assert not errors
    assert [(k, t, line) for k, t, line, *_ in toks if k != NEWLINE] == [
        (BUILD, "//go:build amd64", 1), (IDENT, "A", 2), (IDENT, "B", 3), (IDENT, "C", 4),
        (EOF, "", 4)]
    # The block comment spans a line break without producing a newline token.
    assert [t[2] for t in toks if t[0] == NEWLINE] == [1, 3]


def test_columns_count_unicode_characters() -> None:
    toks, _ = lex("\tCALL ·f(SB); MOVQ $'é', AX")
    by_text = {t[1]: t for t in toks}
    assert by_text[".f"][3:5] == (7, 9)  # `·f` is two characters
    assert by_text["MOVQ"][3] == 15
    assert by_text["'é'"][3:5] == (21, 24)


def test_errors_for_unterminated_literals_and_bad_characters() -> None:
    _, errors = lex('"abc\n\'x\n/* never closed\n')
    assert [(e.line, e.col, e.message) for e in errors] == [
        (1, 1, "literal not terminated"), (2, 1, "literal not terminated"),
        (3, 1, "comment not terminated")]
    _, errors = lex("A \x00 B \ufffd")
    assert [e.message for e in errors] == ["invalid character NUL", "invalid UTF-8 encoding"]
