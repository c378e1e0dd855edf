"""The cmd/asm preprocessor: #include, #define (object- and function-like, multi-line),
#undef, #ifdef/#ifndef/#else/#endif, #line — modelled on cmd/asm/internal/lex/input.go.

Like cmd/asm it keeps an input stack (files and macro bodies) and re-scans macro bodies, so
nested macros expand. Unlike cmd/asm, errors do not stop the file: they are recorded and the
input is resynchronised at the next line. Every error condition that would make cmd/asm loop
or recurse (self-referential macros, include cycles, runaway expansion) becomes an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from eggls.asm.lexer import (
    BUILD,
    EOF,
    IDENT,
    INT,
    LINE,
    LINE_WORDS,
    NEWLINE,
    STRING,
    LexError,
    Source,
    Token,
    line_tokens,
    tokenize,
)

MAX_NESTING = 100  # cmd/asm: macro invocations without producing a token; input stack depth
MAX_EXPANDED = 400_000  # tokens from macro expansion in one file; GOROOT peaks near 38k


_LINE_BREAKERS = frozenset({NEWLINE, ";", "#", BUILD, EOF})


@dataclass(slots=True)
class Macro:
    name: str
    params: list[str] | None  # None: object-like
    body: list[Token]
    src: Source | None  # where it was defined (None for -D)
    line: int
    # Object-like macros whose body holds no newline, `;` or `#`: the body's token texts,
    # which the line fast path tests against the macro table at each use. None otherwise.
    keys: list[str] | None = None
    # The body holds no newline, `;` or `#` (what the line fast path can expand in place).
    flat: bool = False
    # Multi-line bodies (`\` continuations) without a `//go:build` token: their expansions
    # get line keys, so the lines inside them take the fast path too.
    lines: bool = False

    def __post_init__(self) -> None:
        kinds = {t[0] for t in self.body}
        self.flat = kinds.isdisjoint(_LINE_BREAKERS)
        if self.params is None and self.flat:
            self.keys = [t[1] for t in self.body]
        self.lines = NEWLINE in kinds and BUILD not in kinds


@dataclass(frozen=True, slots=True)
class PPError:
    src: Source
    line: int
    col: int
    end_col: int
    message: str


class _Frame:
    __slots__ = ("i", "keys", "line", "src", "toks")

    def __init__(self, toks: list[Token], src: Source | None,
                 keys: list[str] | None = None, line: bool = False) -> None:
        self.toks = toks
        self.i = 0
        self.line = line  # the tokens of one LINE token: part of its file, not an input
        self.src = src  # set for file frames only
        self.keys = keys  # line_keys(toks), for the whole-line fast path; or None


def line_keys(toks: list[Token]) -> list[str]:
    """Per token, what the whole-line fast path of statements() tests: the token's text,
    except "\n" for NEWLINE and EOF (the ends of lines) and "#" for `//go:build` (a
    statement of its own). So a line is toks[i:keys.index("\n", i)], it needs the slow path
    when "#" or ";" is among its keys, and it uses a macro unless the macro table is disjoint
    from them (only identifiers can equal a macro name)."""
    keys = [t[1] for t in toks]
    keys[-1] = "\n"
    # A LINE token is alone on its line and statements() tests for it before using keys,
    # so its key (its first word) is never read.
    if toks[0][5].text.find("//go:build") >= 0:
        for k, t in enumerate(toks):
            if t[0] is BUILD:
                keys[k] = "#"
    return keys


# resolve(name, including_src) -> (path, text) | None ; "go_asm.h"-style misses are told apart
Resolver = Callable[[str], "tuple[str, str] | None"]


class Preprocessor:
    def __init__(self, main: Source, resolve: Resolver, predefined: dict[str, str],
                 lex_errors: list[LexError], optional_headers: frozenset[str],
                 fast: bool = True) -> None:
        """fast=False turns off the line-level fast paths (LINE tokens, whole-line
        statements, flat macro expansion): the token-by-token reference they must equal."""
        self.errors: list[PPError] = []
        self.fast = fast
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
        toks = tokenize(main, lex_errors, lines=fast)
        self.stack: list[_Frame] = [_Frame(toks, main, line_keys(toks) if fast else None)]
        self.expanded = 0
        # The last token _raw() returned: where a function-like macro's arguments ended.
        self.last: Token | None = None

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

    def _depth(self) -> int:
        """Depth of the input stack as cmd/asm counts it (a LINE's frame is its file's)."""
        n = len(self.stack)
        if n > MAX_NESTING:
            n -= sum(1 for f in self.stack if f.line)
        return n

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
        names = macros.keys()
        stack = self.stack
        ifdef = self.ifdef
        stmt: list[Token] = []
        append = stmt.append
        while True:
            f = stack[-1]
            keys = f.keys
            if bol and keys is not None and not stmt:
                # Whole-line fast path: a line without directive or build comment, whose
                # macro uses are all simple (see _flat), is split at `;` into statements
                # straight from the token list, as the token-by-token path below would.
                i = f.i
                toks = f.toks
                first = toks[i]
                if first[0] is LINE:
                    # A plain line (see lexer): one statement, unless a word is a macro.
                    f.i = i + 2
                    if ifdef and not ifdef[-1]:
                        continue
                    if names.isdisjoint(first[LINE_WORDS]):  # type: ignore[misc]
                        yield [first]
                        continue
                    line_toks = line_tokens(first)
                    parts = self._flat(line_toks, ((0, len(line_toks)),))
                    if parts is not None:
                        if parts[0]:
                            yield parts[0]
                        continue
                    f.i = i + 1
                    self._push_line(first, line_toks)
                    continue
                j = keys.index("\n", i)
                line = keys[i:j]
                end = toks[j]
                if "#" not in line and end[0] is NEWLINE:
                    if ifdef and not ifdef[-1]:
                        f.i = j + 1
                        continue
                    if ";" not in line:
                        if names.isdisjoint(line):
                            f.i = j + 1
                            if j > i:
                                yield toks[i:j]
                            continue
                        parts = self._flat(toks, ((i, j),))
                    elif names.isdisjoint(line):
                        parts = [toks[a:b] for a, b in _split_at(keys, ";", i, j)]
                    else:
                        parts = self._flat(toks, _split_at(keys, ";", i, j))
                    if parts is not None:
                        f.i = j + 1
                        for part in parts:
                            if part:
                                yield part
                        continue
            tok = f.toks[f.i]
            kind = tok[0]
            if kind is not EOF:  # fast path of _raw() (self.last only matters to _invoke)
                f.i += 1
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
            if kind is LINE:
                self._push_line(tok)
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

    def _push_line(self, tok: Token, toks: list[Token] | None = None) -> None:
        """Read a LINE token as the tokens it stands for (an input frame of their own, which
        error recovery does not unwind, as it would not unwind the file's)."""
        toks = line_tokens(tok) if toks is None else toks
        toks.append((EOF, "", tok[2], tok[4], tok[4], tok[5]))
        self.stack.append(_Frame(toks, tok[5], None, True))

    def _flat(self, toks: list[Token], ranges: Iterable[tuple[int, int]]
              ) -> list[list[Token]] | None:
        """The token lists toks[a:b] for (a, b) in ranges with their macro uses expanded,
        when every use is of a macro whose body holds no newline, `;` or `#` and whose
        expansion uses no macro (a function-like one with its arguments inside the range):
        then this is what _expand produces, token for token. None when the line needs the
        token-by-token path (which also reports whatever is wrong)."""
        macros = self.macros
        names = macros.keys()
        expanded = self.expanded
        parts: list[list[Token]] = []
        for a, b in ranges:
            out: list[Token] = []
            k = a
            while k < b:
                tok = toks[k]
                k += 1
                m = macros.get(tok[1]) if tok[0] is IDENT else None
                if m is None:
                    out.append(tok)
                    continue
                line, col, end_col, src = tok[2], tok[3], tok[4], tok[5]
                if m.params is None:
                    keys = m.keys
                    if keys is None:
                        return None
                    body = m.body
                    if not names.isdisjoint(keys):
                        # Register aliases (`#define A3 T0`, `#define T0 X12`): expanded
                        # through, as _expand's re-scan would.
                        got = self._object_chain(body, 0, MAX_EXPANDED - expanded)
                        if got is None:
                            return None
                        body, n = got
                        expanded += n
                        out += [(t[0], t[1], line, col, end_col, src) for t in body]
                        continue
                else:
                    if k >= b or toks[k][0] != "(":
                        out.append(tok)  # named without arguments: stays as written
                        continue
                    if not m.flat:
                        return None
                    got = _arguments(toks, k + 1, b)
                    if got is None:
                        return None
                    args, k = got
                    actuals = _bind(m.params, args)
                    if actuals is None:
                        return None
                    body = _substitute(m.body, actuals)
                    if not names.isdisjoint([t[1] for t in body]):
                        return None
                    close = toks[k - 1]
                    if close[2] == line and close[5] is src:
                        end_col = close[4]
                expanded += len(body)
                if expanded > MAX_EXPANDED:
                    return None
                out += [(t[0], t[1], line, col, end_col, src) for t in body]
            parts.append(out)
        self.expanded = expanded
        return parts

    def _object_chain(self, body: list[Token], depth: int, budget: int
                      ) -> tuple[list[Token], int] | None:
        """body with every macro use in it expanded, when all are object-like with flat
        bodies, nested at most 16 deep, and the expansions produce at most `budget` tokens
        (as _invoke counts them, body included); with that count. Else None: a cycle, an
        expansion bomb or anything else is left to the token-by-token path."""
        if depth > 16 or len(body) > budget:
            return None
        macros = self.macros
        out: list[Token] = []
        count = len(body)
        for t in body:
            m = macros.get(t[1]) if t[0] is IDENT else None
            if m is None:
                out.append(t)
                continue
            if m.params is not None or m.keys is None:
                return None
            got = self._object_chain(m.body, depth + 1, budget - count)
            if got is None:
                return None
            out += got[0]
            count += got[1]
        return out, count

    def _expand(self, tok: Token) -> Token | None:
        """Expand the macro named by tok (and any macro its expansion starts with); the
        first token that is not a macro use, or None after a recursion error."""
        macros = self.macros
        nesting = 0
        kind = tok[0]
        while kind is IDENT and tok[1] in macros:
            nesting += 1
            if nesting > MAX_NESTING or self._depth() > MAX_NESTING:
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
        if self._depth() > MAX_NESTING:
            self._error(tok, "input recursion")
            return
        self.includes.append(path)
        src, toks, keys, errs = _header_tokens(path, text, self.fast)
        self.lex_errors.extend(errs)
        self.stack.append(_Frame(toks, src, keys))

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
            body = _substitute(macro.body, actuals)
        self.expanded += len(body)
        if self.expanded > MAX_EXPANDED:
            self._error(use, f"macro expansion too large: {macro.name}")
            self._unwind_macros()
            return True
        # Expanded tokens carry the use site, which is what the user can see.
        toks = [(t[0], t[1], line, col, end_col, src) for t in body]
        toks.append((EOF, "", line, end_col, end_col, src))
        keys = None
        if macro.lines and self.fast:
            keys = [t[1] for t in toks]
            keys[-1] = "\n"
        self.stack.append(_Frame(toks, None, keys))
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
        actuals = _bind(macro.params or [], args)
        if actuals is None:
            self._error(use, f"wrong arg count for macro {macro.name}")
        return actuals


def _bind(params: list[str], args: list[list[Token]]) -> dict[str, list[Token]] | None:
    """Parameters to arguments (`F()` passes none); None when the counts differ."""
    if not params and len(args) == 1 and not args[0]:
        args = []
    if len(args) != len(params):
        return None
    return dict(zip(params, args, strict=True))


def _substitute(body: list[Token], actuals: dict[str, list[Token]]) -> list[Token]:
    """A function-like macro's body with each parameter replaced by its argument."""
    out: list[Token] = []
    for t in body:
        sub = actuals.get(t[1]) if t[0] is IDENT else None
        if sub is None:
            out.append(t)
        else:
            out.extend(sub)
    return out


def _arguments(toks: list[Token], k: int, b: int) -> tuple[list[list[Token]], int] | None:
    """A macro use's arguments from toks[k] (after its `(`) as _collect_args reads them, and
    the index after the closing `)`; None when the range ends first or an argument holds a
    token that would end or split the statement."""
    args: list[list[Token]] = []
    cur: list[Token] = []
    nesting = 0
    while k < b:
        t = toks[k]
        k += 1
        kind = t[0]
        if nesting == 0 and (kind == ")" or kind == ","):
            args.append(cur)
            if kind == ")":
                return args, k
            cur = []
            continue
        if kind == "(":
            nesting += 1
        elif kind == ")":
            nesting -= 1
        elif kind in _LINE_BREAKERS:
            return None
        cur.append(t)
    return None


def _split_at(keys: list[str], sep: str, i: int, j: int) -> list[tuple[int, int]]:
    """The ranges of keys[i:j] between occurrences of sep."""
    out = []
    while True:
        try:
            k = keys.index(sep, i, j)
        except ValueError:
            out.append((i, j))
            return out
        out.append((i, k))
        i = k + 1


_HEADER_CACHE: dict[tuple[str, bool],
                    tuple[str, Source, list[Token], list[str] | None, list[LexError]]] = {}


def _header_tokens(path: str, text: str, fast: bool
                   ) -> tuple[Source, list[Token], list[str] | None, list[LexError]]:
    """Headers like textflag.h are included by nearly every file: lex each text once.
    Tokens are immutable tuples, so sharing them between files is safe."""
    hit = _HEADER_CACHE.get((path, fast))
    if hit is not None and hit[0] == text:
        return hit[1], hit[2], hit[3], hit[4]
    src = Source(path, text)
    errs: list[LexError] = []
    toks = tokenize(src, errs, lines=fast)
    keys = line_keys(toks) if fast else None
    if len(_HEADER_CACHE) > 512:
        _HEADER_CACHE.clear()
    _HEADER_CACHE[(path, fast)] = (text, src, toks, keys, errs)
    return src, toks, keys, errs


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
