"""The cmd/asm preprocessor: #include, #define (object- and function-like, multi-line),
#undef, #ifdef/#ifndef/#else/#endif, #line — modelled on cmd/asm/internal/lex/input.go.

Like cmd/asm it keeps an input stack (files and macro bodies) and re-scans macro bodies, so
nested macros expand. Unlike cmd/asm, errors do not stop the file: they are recorded and the
input is resynchronised at the next line. Every error condition that would make cmd/asm loop
or recurse (self-referential macros, include cycles, runaway expansion) becomes an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from eggls.asm.lexer import (
    BUILD,
    EOF,
    IDENT,
    INT,
    NEWLINE,
    STRING,
    LexError,
    Source,
    Token,
    tokenize,
)

MAX_NESTING = 100  # cmd/asm: macro invocations without producing a token; input stack depth
MAX_EXPANDED = 400_000  # tokens from macro expansion in one file; GOROOT peaks near 38k


@dataclass(slots=True)
class Macro:
    name: str
    params: list[str] | None  # None: object-like
    body: list[Token]
    src: Source | None  # where it was defined (None for -D)
    line: int


@dataclass(frozen=True, slots=True)
class PPError:
    src: Source
    line: int
    col: int
    end_col: int
    message: str


class _Frame:
    __slots__ = ("i", "src", "toks")

    def __init__(self, toks: list[Token], src: Source | None) -> None:
        self.toks = toks
        self.i = 0
        self.src = src  # set for file frames only


# resolve(name, including_src) -> (path, text) | None ; "go_asm.h"-style misses are told apart
Resolver = Callable[[str], "tuple[str, str] | None"]


class Preprocessor:
    def __init__(self, main: Source, resolve: Resolver, predefined: dict[str, str],
                 lex_errors: list[LexError], optional_headers: frozenset[str]) -> None:
        self.errors: list[PPError] = []
        self.lex_errors = lex_errors
        self.resolve = resolve
        self.optional_headers = optional_headers
        self.includes: list[str] = []
        self.unresolved_includes: list[str] = []
        self.macros: dict[str, Macro] = {}
        for name, value in predefined.items():
            body = tokenize(Source("command line", value), [])[:-1]
            self.macros[name] = Macro(name, None, body, None, 0)
        self.ifdef: list[bool] = []
        self.ifdef_pos: list[Token] = []
        self.stack: list[_Frame] = [_Frame(tokenize(main, lex_errors), main)]
        self.expanded = 0
        self.last: Token | None = None  # last raw token, for error positions

    # -- raw input stack (no macro expansion), as lex.Stack ------------------------------
    def _raw(self) -> Token:
        stack = self.stack
        while True:
            f = stack[-1]
            tok = f.toks[f.i]
            if tok[0] is EOF and len(stack) > 1:
                stack.pop()
                continue
            if tok[0] is not EOF:
                f.i += 1
            self.last = tok
            return tok

    def _peek_raw(self) -> Token:
        for f in reversed(self.stack):
            tok = f.toks[f.i]
            if tok[0] is not EOF:
                return tok
        return self.stack[0].toks[-1]

    def _error(self, tok: Token | None, message: str) -> None:
        tok = tok or self.last
        if tok is None:
            return
        self.errors.append(PPError(tok[5], tok[2], tok[3], tok[4], message))

    def _skip_line(self) -> None:
        """Resynchronise after a bad directive: drop raw tokens through the newline."""
        while True:
            tok = self._raw()
            if tok[0] is NEWLINE or tok[0] is EOF:
                return

    def _enabled(self) -> bool:
        return not self.ifdef or self.ifdef[-1]

    # -- the token stream the parser reads --------------------------------------------------
    def statements(self) -> Iterator[list[Token]]:
        """The preprocessed input split into statements (at newlines and `;`), each a
        non-empty token list; a `//go:build` comment comes as a statement of its own."""
        bol = True
        macros = self.macros
        stack = self.stack
        ifdef = self.ifdef
        stmt: list[Token] = []
        append = stmt.append
        while True:
            f = stack[-1]
            tok = f.toks[f.i]
            kind = tok[0]
            if kind is not EOF:  # fast path of _raw()
                f.i += 1
                self.last = tok
            else:
                tok = self._raw()
                kind = tok[0]
            if kind is IDENT:
                if tok[1] in macros and (not ifdef or ifdef[-1]):
                    tok = self._expand(tok)
                    if tok is None:
                        continue
                    kind = tok[0]
                    if kind == "#":
                        self._error(tok, "'#' must be first item on line")
                        continue
                if kind is IDENT:
                    bol = False
                    if not ifdef or ifdef[-1]:
                        append(tok)
                    continue
            if kind is NEWLINE or kind == ";":
                bol = kind is NEWLINE
                if stmt:
                    yield stmt
                    stmt = []
                    append = stmt.append
                continue
            if kind == "#":
                if not bol:
                    self._error(tok, "'#' must be first item on line")
                    self._skip_line()
                    bol = True
                    if stmt:
                        yield stmt
                        stmt = []
                        append = stmt.append
                    continue
                bol = self._directive(tok)
                continue
            if kind is EOF:
                if self.ifdef:
                    self._error(self.ifdef_pos[-1], "unclosed #ifdef or #ifndef")
                    self.ifdef.clear()
                if stmt:
                    yield stmt
                return
            bol = False
            if not ifdef or ifdef[-1]:
                if kind is BUILD:
                    if stmt:
                        yield stmt
                        stmt = []
                        append = stmt.append
                    yield [tok]
                else:
                    append(tok)

    def _expand(self, tok: Token) -> Token | None:
        """Expand the macro named by tok (and any macro its expansion starts with); the
        first token that is not a macro use, or None after a recursion error."""
        macros = self.macros
        nesting = 0
        kind = tok[0]
        while kind is IDENT and tok[1] in macros:
            nesting += 1
            if nesting > MAX_NESTING or len(self.stack) > MAX_NESTING:
                self._error(tok, f"recursive macro invocation: {tok[1]}")
                self._unwind_macros()
                return None
            if not self._invoke(macros[tok[1]], tok):
                return tok
            tok = self._raw()
            kind = tok[0]
        return tok

    def _unwind_macros(self) -> None:
        while len(self.stack) > 1 and self.stack[-1].src is None:
            self.stack.pop()

    # -- directives -------------------------------------------------------------------------
    def _directive(self, hash_tok: Token) -> bool:
        tok = self._raw()
        if tok[0] is not IDENT:
            self._error(tok, "expected identifier after '#'")
            if tok[0] is not NEWLINE:
                self._skip_line()
            return True
        word = tok[1]
        if not self._enabled() and word not in ("else", "endif", "ifdef", "ifndef", "line"):
            return False
        handler = _DIRECTIVES.get(word)
        if handler is None:
            self._error(tok, f"unexpected token after '#': {word}")
            self._skip_line()
            return True
        # Directive errors are anchored on `#word`, which is what the user sees.
        handler(self, (tok[0], tok[1], tok[2], hash_tok[3], tok[4], tok[5]))
        return True

    def _expect_newline(self, directive: str) -> None:
        tok = self._raw()
        if tok[0] is not NEWLINE and tok[0] is not EOF:
            self._error(tok, f"expected newline after {directive}; got {tok[1]!r}")
            self._skip_line()

    def _macro_name(self) -> Token | None:
        tok = self._raw()
        if tok[0] is not IDENT:
            self._error(tok, "expected identifier after # directive")
            if tok[0] is not NEWLINE:
                self._skip_line()
            return None
        return tok

    def _define(self, _: Token) -> None:
        name_tok = self._macro_name()
        if name_tok is None:
            return
        name = name_tok[1]
        params: list[str] | None = None
        tok = self._raw()
        body: list[Token] = []
        # `#define A(x)` has parameters, `#define A (x)` does not: adjacency decides.
        if tok[0] == "(" and tok[2] == name_tok[2] and tok[3] == name_tok[4]:
            params = []
            accept = True
            while True:
                tok = self._raw()
                if tok[0] == ")":
                    tok = self._raw()
                    break
                if tok[0] == "," and not accept:
                    accept = True
                    continue
                if tok[0] is IDENT and accept:
                    if tok[1] in params:
                        self._error(tok, f"duplicate argument {tok[1]} in definition for "
                                         f"macro: {name}")
                    params.append(tok[1])
                    accept = False
                    continue
                self._error(tok, f"bad definition for macro: {name}")
                if tok[0] is not NEWLINE:
                    self._skip_line()
                return
        while tok[0] is not NEWLINE:
            if tok[0] is EOF:
                self._error(tok, f"missing newline in definition for macro: {name}")
                break
            if tok[0] == "\\":
                nxt = self._raw()
                if nxt[0] is not NEWLINE and nxt[0] != "\\":
                    self._error(nxt, f"can only escape \\ or \\n in definition for macro: {name}")
                    if nxt[0] is not NEWLINE:
                        self._skip_line()
                    return
                tok = nxt
            body.append(tok)
            tok = self._raw()
        if name in self.macros:
            self._error(name_tok, f"redefinition of macro: {name}")
            return
        self.macros[name] = Macro(name, params, body, name_tok[5], name_tok[2])

    def _undef(self, _: Token) -> None:
        name_tok = self._macro_name()
        if name_tok is None:
            return
        if name_tok[1] not in self.macros:
            self._error(name_tok, f"#undef for undefined macro: {name_tok[1]}")
        else:
            del self.macros[name_tok[1]]
        self._expect_newline("#undef")

    def _ifdef_common(self, tok: Token, truth: bool) -> None:
        name_tok = self._macro_name()
        if name_tok is None:
            self.ifdef.append(False)
            self.ifdef_pos.append(tok)
            return
        self._expect_newline("#if[n]def")
        if not self._enabled():
            truth = False
        elif name_tok[1] not in self.macros:
            truth = not truth
        self.ifdef.append(truth)
        self.ifdef_pos.append(tok)

    def _ifdef(self, tok: Token) -> None:
        self._ifdef_common(tok, True)

    def _ifndef(self, tok: Token) -> None:
        self._ifdef_common(tok, False)

    def _else(self, tok: Token) -> None:
        self._expect_newline("#else")
        if not self.ifdef:
            self._error(tok, "unmatched #else")
            return
        if len(self.ifdef) == 1 or self.ifdef[-2]:
            self.ifdef[-1] = not self.ifdef[-1]

    def _endif(self, tok: Token) -> None:
        self._expect_newline("#endif")
        if not self.ifdef:
            self._error(tok, "unmatched #endif")
            return
        self.ifdef.pop()
        self.ifdef_pos.pop()

    def _include(self, _: Token) -> None:
        tok = self._raw()
        if tok[0] is not STRING:
            self._error(tok, f"expected string after #include; got {tok[1]!r}")
            if tok[0] is not NEWLINE:
                self._skip_line()
            return
        name = _unquote(tok[1])
        self._expect_newline("#include")
        found = self.resolve(name)
        if found is None:
            if os.path.basename(name) in self.optional_headers:
                self.unresolved_includes.append(name)
            else:
                self._error(tok, f"#include: {name}: file not found")
            return
        path, text = found
        chain = [f.src.path for f in self.stack if f.src is not None]
        if path in chain:
            cycle = " -> ".join(os.path.basename(p) for p in [*chain[chain.index(path):], path])
            self._error(tok, f"#include cycle: {cycle}")
            return
        if len(self.stack) > MAX_NESTING:
            self._error(tok, "input recursion")
            return
        self.includes.append(path)
        src, toks, errs = _header_tokens(path, text)
        self.lex_errors.extend(errs)
        self.stack.append(_Frame(toks, src))

    def _line(self, tok: Token) -> None:
        # Only the Plan 9 form `#line 337 "file"`; positions stay physical for the editor.
        n = self._raw()
        f = self._raw() if n[0] is INT else n
        if n[0] is not INT or f[0] is not STRING:
            self._error(tok, "expected line number and file name after #line")
            if f[0] is not NEWLINE:
                self._skip_line()
            return
        self._expect_newline("#line")

    # -- macro invocation -------------------------------------------------------------------
    def _invoke(self, macro: Macro, use: Token) -> bool:
        """Push the expansion of macro used at `use`. False when `use` must stay as written
        (a function-like macro named without arguments)."""
        line, col, end_col, src = use[2], use[3], use[4], use[5]
        if macro.params is None:
            body = macro.body
        else:
            nxt = self._peek_raw()
            if nxt[0] != "(":
                return False
            self._raw()
            actuals = self._collect_args(macro, use)
            if actuals is None:
                return True
            last = self.last
            if last is not None and last[2] == line and last[5] is src:
                end_col = last[4]
            body = []
            for t in macro.body:
                sub = actuals.get(t[1]) if t[0] is IDENT else None
                if sub is None:
                    body.append(t)
                else:
                    body.extend(sub)
        self.expanded += len(body)
        if self.expanded > MAX_EXPANDED:
            self._error(use, f"macro expansion too large: {macro.name}")
            self._unwind_macros()
            return True
        # Expanded tokens carry the use site, which is what the user can see.
        toks = [(t[0], t[1], line, col, end_col, src) for t in body]
        toks.append((EOF, "", line, end_col, end_col, src))
        self.stack.append(_Frame(toks, None))
        return True

    def _collect_args(self, macro: Macro, use: Token) -> dict[str, list[Token]] | None:
        args: list[list[Token]] = []
        cur: list[Token] = []
        nesting = 0
        while True:
            if self._peek_raw()[0] in (EOF, NEWLINE):  # leave the newline: it ends the line
                self._error(use, f"unterminated arg list invoking macro: {macro.name}")
                return None
            tok = self._raw()
            kind = tok[0]
            if nesting == 0 and kind in (")", ","):
                args.append(cur)
                cur = []
                if kind == ")":
                    break
                continue
            if kind == "(":
                nesting += 1
            elif kind == ")":
                nesting -= 1
            cur.append(tok)
        params = macro.params or []
        if not params and len(args) == 1 and not args[0]:
            args = []
        if len(args) != len(params):
            self._error(use, f"wrong arg count for macro {macro.name}")
            return None
        return dict(zip(params, args, strict=True))


_HEADER_CACHE: dict[str, tuple[str, Source, list[Token], list[LexError]]] = {}


def _header_tokens(path: str, text: str) -> tuple[Source, list[Token], list[LexError]]:
    """Headers like textflag.h are included by nearly every file: lex each text once.
    Tokens are immutable tuples, so sharing them between files is safe."""
    hit = _HEADER_CACHE.get(path)
    if hit is not None and hit[0] == text:
        return hit[1], hit[2], hit[3]
    src = Source(path, text)
    errs: list[LexError] = []
    toks = tokenize(src, errs)
    if len(_HEADER_CACHE) > 512:
        _HEADER_CACHE.clear()
    _HEADER_CACHE[path] = (text, src, toks, errs)
    return src, toks, errs


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] == '"':
        s = s[1:-1]
    return s.replace('\\"', '"').replace("\\\\", "\\")


_DIRECTIVES: dict[str, Callable[[Preprocessor, Token], None]] = {
    "define": Preprocessor._define,
    "undef": Preprocessor._undef,
    "ifdef": Preprocessor._ifdef,
    "ifndef": Preprocessor._ifndef,
    "else": Preprocessor._else,
    "endif": Preprocessor._endif,
    "include": Preprocessor._include,
    "line": Preprocessor._line,
}

__all__ = ["BUILD", "Macro", "PPError", "Preprocessor"]
