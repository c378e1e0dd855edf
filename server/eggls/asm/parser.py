"""Statement and operand parser for Go assembly, modelled on cmd/asm/internal/asm/parse.go.

The operand grammar (prefixes `$`/`*`, symbol references with `<>`/`<ABI>` and `+off(SB)`,
register indirection `off(R)(I*s)`, constant expressions with Go's uint64 arithmetic) follows
cmd/asm closely so the same text means the same thing. amd64 is the architecture with tables;
for others the parser still runs (it never raises) but does not validate mnemonics/registers.
Errors are values with ranges; after an error the parser resumes at the next statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from eggls.asm import amd64_tables
from eggls.asm.lexer import (
    BUILD,
    CHAR,
    EOF,
    FLOAT,
    IDENT,
    INT,
    LINE,
    LINE_BASE,
    LINE_REST,
    LINE_REST_END,
    STRING,
    Source,
    Token,
    line_tokens,
)
from eggls.asm.model import (
    AsmError,
    AsmFile,
    Branch,
    Data,
    Flag,
    FloatImm,
    Globl,
    Immediate,
    Instruction,
    Memory,
    Operand,
    Register,
    RegisterList,
    StringImm,
    SymbolRef,
    Text,
)
from eggls.asm.textflag import TEXTFLAG_VALUES, flag_names
from eggls.diagnostics import Span

MASK = (1 << 64) - 1
# Parentheses and unary operators nest by recursion; cmd/asm has no limit, but Python's stack
# does. Real code nests a few levels.
MAX_EXPR_DEPTH = 100
SEGMENTS = frozenset({"FS", "GS", "TLS"})
# On amd64, SP is the hardware register unless a symbol precedes it (x-8(SP)).
PSEUDO = frozenset({"SB", "FP", "PC"})
DATA_SIZES = {"BYTE": 1, "WORD": 2, "LONG": 4, "QUAD": 8}


class ParseError(Exception):
    def __init__(self, message: str, tok: Token | None = None) -> None:
        super().__init__(message)
        self.tok = tok


@dataclass(slots=True)
class _Addr:
    """cmd/internal/obj.Addr, reduced to what eggls uses."""

    type: str = "NONE"  # REG MEM ADDR CONST FCONST SCONST BRANCH INDIR REGLIST
    reg: str | None = None
    index: str | None = None
    scale: int = 0
    offset: int | None = 0
    name: str = "NONE"  # NONE EXTERN STATIC PARAM AUTO
    sym: SymbolRef | None = None
    fval: float = 0.0
    sval: str = ""
    reg2: str | None = None  # register lists [X0-X3]


def _span(a: Token, b: Token) -> Span:
    src, line = a[5], a[2]
    end = a[4]
    if b[5] is src and b[2] == line and b[4] > end:
        end = b[4]
    return Span(src.path, line, a[3], line, end)


class _OperandParser:
    """Parses one operand's tokens (p.input / p.inputPos in cmd/asm)."""

    __slots__ = ("arch_regs", "depth", "input", "is_jump", "pkg", "pos", "unresolved")

    def __init__(self, pkg: str, regs: frozenset[str] | None, unresolved: list[str]) -> None:
        self.pkg = pkg
        self.arch_regs = regs
        self.unresolved = unresolved  # includes that could not be found (go_asm.h)
        self.input: list[Token] = []
        self.pos = 0
        self.is_jump = False
        self.depth = 0  # of factor/float_expr calls: deep nesting is an error, not a crash

    # token cursor
    def peek(self) -> str:
        return self.input[self.pos][0] if self.pos < len(self.input) else EOF

    def next(self) -> Token:
        if self.pos >= len(self.input):
            last = self.input[-1]
            return (EOF, "EOF", last[2], last[4], last[4], last[5])
        tok = self.input[self.pos]
        self.pos += 1
        return tok

    def back(self) -> None:
        self.pos -= 1

    def get(self, kind: str) -> Token:
        tok = self.next()
        if tok[0] != kind:
            raise ParseError(f"expected {_describe_kind(kind)}, found {tok[1] or 'EOF'}", tok)
        return tok

    def expect_end(self) -> None:
        if self.pos < len(self.input):
            tok = self.input[self.pos]
            raise ParseError(f"expected end of operand, found {tok[1]}", tok)

    def is_register(self, name: str) -> bool:
        if self.arch_regs is None:
            return False
        return name in self.arch_regs or name == "g"

    def at_start_of_register(self, name: str) -> bool:
        return self.is_register(name) or name in PSEUDO

    # operand
    def operand(self, toks: list[Token], is_jump: bool) -> _Addr:
        self.input = toks
        self.pos = 0
        self.is_jump = is_jump
        self.depth = 0
        a = _Addr()
        prefix = ""
        if self.peek() in ("$", "*"):
            prefix = self.next()[0]
        tok = self.next()
        name = tok[1]
        if tok[0] is IDENT and not self.at_start_of_register(name):
            if self.symbol_reference(a, name, prefix, tok):
                return a
            if self.peek() is EOF:
                return a
        if tok[0] == "[":
            if prefix:
                raise ParseError("illegal use of register list", tok)
            self.register_list(a)
            self.expect_end()
            return a
        if tok[0] is IDENT and self.at_start_of_register(name):
            r1, r2, scale = self.register(name, prefix, tok)
            if scale:
                raise ParseError("expected simple register reference", tok)
            a.type = "REG"
            a.reg = r1
            if r2:
                a.reg2 = r2
            self.expect_end()
            return a
        have_constant = False
        if tok[0] in (INT, FLOAT, STRING, CHAR, "+", "-", "~"):
            have_constant = True
        elif tok[0] == "(":
            nxt = self.next()
            if nxt[0] is EOF:
                raise ParseError("missing right parenthesis", tok)
            self.back()
            have_constant = not (nxt[0] is IDENT and self.at_start_of_register(nxt[1]))
            if not have_constant:
                self.back()
        elif tok[0] is IDENT and self.unresolved and a.type == "NONE":
            have_constant = True
        if have_constant:
            self.back()
            if any(t[0] is FLOAT for t in self.input[self.pos :]):
                if prefix != "$":
                    raise ParseError("floating-point constant must be an immediate", tok)
                a.type = "FCONST"
                a.fval = self.float_expr()
                self.expect_end()
                return a
            if any(t[0] is STRING for t in self.input[self.pos :]):
                if prefix != "$":
                    raise ParseError("string constant must be an immediate", tok)
                s = self.get(STRING)
                a.type = "SCONST"
                a.sval = _unquote_go(s[1])
                self.expect_end()
                return a
            a.offset = self.expr()
            if self.peek() != "(":
                a.type = {"$": "CONST", "*": "INDIR"}.get(prefix, "MEM")
                self.expect_end()
                return a
        elif a.type == "NONE" and tok[0] != "(":
            raise ParseError(f"unexpected {tok[1] or 'EOF'} in operand", tok)
        if a.type == "NONE" and tok[0] == "(" and not have_constant:
            pass
        self.register_indirect(a, prefix)
        self.expect_end()
        return a

    def symbol_reference(self, a: _Addr, name: str, prefix: str, tok: Token) -> bool:
        """Fills a symbol reference; True when the operand is complete (returned early)."""
        a.type = {"": "MEM", "$": "ADDR", "*": "INDIR"}[prefix]
        static, abi = False, None
        if self.peek() == "<":
            self.next()
            if self.peek() == ">":
                static = True
            elif self.peek() is IDENT:
                abi = self.next()[1]
                if abi not in ("ABI0", "ABIInternal"):
                    raise ParseError(
                        f"malformed ABI selector {abi!r} in reference to {name!r}", tok)
            self.get(">")
        offset: int | None = 0
        if self.peek() in ("+", "-"):
            offset = self.expr()
        qualified = self.pkg + name if name.startswith(".") else name
        sym = SymbolRef(qualified, name, offset or 0, static, abi, None)
        a.sym = sym
        if self.peek() is EOF:
            if prefix == "" and self.is_jump:
                return True
            if self.unresolved and not static and abi is None:
                # A constant from the compiler-generated go_asm.h, which we cannot see.
                a.sym = None
                a.type = "CONST" if prefix == "$" else "MEM"
                a.offset = None
                return True
            raise ParseError(
                f"illegal or missing addressing mode for symbol {_shown(name)}", tok)
        lp = self.get("(")
        reg = self.get(IDENT)
        if (self.unresolved and self.is_register(reg[1]) and not static and abi is None
                and offset == 0):
            # `const_off(R14)` with const_off from go_asm.h: memory at an unknown offset.
            self.back()
            self.back()
            a.sym = None
            a.offset = None
            self.register_indirect(a, prefix)
            self.expect_end()
            return True
        del lp
        self.get(")")
        self.set_pseudo(a, reg[1], static, prefix, reg)
        return False

    def set_pseudo(self, a: _Addr, reg: str, static: bool, prefix: str, tok: Token) -> None:
        if reg == "FP":
            a.name = "PARAM"
        elif reg == "PC":
            if prefix:
                raise ParseError("illegal addressing mode for PC", tok)
            a.type = "BRANCH"
        elif reg == "SB":
            a.name = "STATIC" if static else "EXTERN"
        elif reg == "SP":
            a.name = "AUTO"
        else:
            raise ParseError(f"expected pseudo-register; found {reg}", tok)
        if a.sym is not None:
            s = a.sym
            a.sym = SymbolRef(s.name, s.written, s.offset, s.static, s.abi, reg)
        if prefix == "$":
            a.type = "ADDR"

    def register(self, name: str, prefix: str, tok: Token) -> tuple[str, str | None, int]:
        if not self.is_register(name) and name not in PSEUDO:
            raise ParseError(f"expected register; found {name}", tok)
        if prefix and prefix != "*":
            raise ParseError(f"prefix {prefix} not allowed for register: {prefix}{name}", tok)
        r1 = "R14" if name == "g" else name
        r2 = None
        c = self.peek()
        if c in (":", ",", "+"):
            sep = self.next()
            if sep[0] != ":":
                raise ParseError(
                    f"(register{sep[0]}register) not supported on this architecture", sep)
            t2 = self.next()
            if not self.is_register(t2[1]):
                raise ParseError(f"expected register; found {t2[1]}", t2)
            r2 = t2[1]
        scale = 0
        if self.peek() == "*":
            self.next()
            st = self.next()
            if st[1] not in ("1", "2", "4", "8"):
                raise ParseError(f"bad scale: {st[1]}", st)
            scale = int(st[1])
        return r1, r2, scale

    def register_indirect(self, a: _Addr, prefix: str) -> None:
        lp = self.get("(")
        tok = self.next()
        name = tok[1]
        if tok[0] is not IDENT or not (self.is_register(name)
                                       or name in PSEUDO):
            raise ParseError(f"indirect through non-register {name or 'EOF'}", tok)
        r1, r2, scale = self.register(name, "", tok)
        self.get(")")
        a.type = "MEM"
        if name in PSEUDO:
            if r2:
                raise ParseError("cannot use pseudo-register in pair", tok)
            if name != "PC" and a.name == "NONE":
                raise ParseError(f"cannot reference {name} without a symbol", tok)
            self.set_pseudo(a, name, False, prefix, tok)
            return
        del lp
        a.reg = r1
        if r2:
            raise ParseError("indirect through register pair", tok)
        if prefix == "$":
            a.type = "ADDR"
        if scale == 0 and self.peek() == "(":
            self.next()
            t = self.next()
            i1, i2, iscale = self.register(t[1], "", t)
            if i2:
                raise ParseError("unimplemented two-register form", t)
            a.index = i1
            a.scale = iscale
            self.get(")")
        elif scale:
            a.reg = None
            a.index = r1
            a.scale = scale

    def register_list(self, a: _Addr) -> None:
        lo = self.next()
        if not self.is_register(lo[1]):
            raise ParseError(f"register list: bad low register in `[{lo[1]}`", lo)
        dash = self.next()
        if dash[0] != "-":
            raise ParseError(f"register list: expected '-' after `[{lo[1]}`", dash)
        hi = self.next()
        if not self.is_register(hi[1]):
            raise ParseError(f"register list: bad high register in `[{lo[1]}-{hi[1]}`", hi)
        self.get("]")
        a.type = "REGLIST"
        a.reg = lo[1]
        a.reg2 = hi[1]

    # constant expressions: uint64 arithmetic as cmd/asm; None propagates "unknown"
    def expr(self) -> int | None:
        value = self.term()
        while True:
            op = self.peek()
            if op == "+":
                self.next()
                value = _arith(value, self.term(), lambda x, y: x + y)
            elif op == "-":
                self.next()
                value = _arith(value, self.term(), lambda x, y: x - y)
            elif op == "|":
                self.next()
                value = _arith(value, self.term(), lambda x, y: x | y)
            elif op == "^":
                self.next()
                value = _arith(value, self.term(), lambda x, y: x ^ y)
            else:
                return value

    def term(self) -> int | None:
        value = self.factor()
        while True:
            op = self.peek()
            if op == "*":
                self.next()
                value = _arith(value, self.factor(), lambda x, y: x * y)
            elif op in ("/", "%"):
                tok = self.next()
                if value is not None and value >> 63:
                    raise ParseError("divide of value with high bit set", tok)
                d = self.factor()
                if d == 0:
                    raise ParseError("division by zero" if op == "/" else "modulo by zero", tok)
                value = _arith(value, d, (lambda x, y: x // y) if op == "/" else
                               (lambda x, y: x % y))
            elif op == "<<":
                self.next()
                shift = self.factor()
                if shift is not None and shift >> 63:
                    raise ParseError("negative left shift count", self.input[self.pos - 1])
                return _arith(value, shift, lambda x, y: x << y if y < 64 else 0)
            elif op == ">>":
                tok = self.next()
                shift = self.term()
                if shift is not None and shift >> 63:
                    raise ParseError("negative right shift count", tok)
                if value is not None and value >> 63:
                    raise ParseError("right shift of value with high bit set", tok)
                value = _arith(value, shift, lambda x, y: x >> y)
            elif op == "&":
                self.next()
                value = _arith(value, self.factor(), lambda x, y: x & y)
            else:
                return value

    def factor(self) -> int | None:
        self.depth += 1
        try:
            return self._factor()
        finally:
            self.depth -= 1

    def _factor(self) -> int | None:
        tok = self.next()
        if self.depth > MAX_EXPR_DEPTH:
            raise ParseError("expression nested too deeply", tok)
        kind = tok[0]
        if kind is INT:
            try:
                v = int(tok[1].replace("_", ""), 0) if not _is_octal(tok[1]) else int(tok[1], 8)
            except ValueError:
                raise ParseError(f"invalid integer {tok[1]}", tok) from None
            if v > MASK:
                raise ParseError(f"{tok[1]} overflows uint64", tok)
            return v
        if kind is CHAR:
            s = _unquote_go(tok[1])
            if len(s) != 1:
                raise ParseError(f"invalid character constant {tok[1]}", tok)
            return ord(s)
        if kind == "+":
            return self.factor()
        if kind == "-":
            v = self.factor()
            return None if v is None else (-v) & MASK
        if kind == "~":
            v = self.factor()
            return None if v is None else (~v) & MASK
        if kind == "(":
            v = self.expr()
            if self.next()[0] != ")":
                raise ParseError("missing closing paren", tok)
            return v
        if kind is IDENT and self.unresolved:
            return None
        raise ParseError(f"unexpected {tok[1] or 'EOF'} evaluating expression", tok)

    def float_expr(self) -> float:
        self.depth += 1
        try:
            return self._float_expr()
        finally:
            self.depth -= 1

    def _float_expr(self) -> float:
        tok = self.next()
        if self.depth > MAX_EXPR_DEPTH:
            raise ParseError("expression nested too deeply", tok)
        if tok[0] == "(":
            v = self.float_expr()
            if self.next()[0] != ")":
                raise ParseError("missing closing paren", tok)
            return v
        if tok[0] == "+":
            return self.float_expr()
        if tok[0] == "-":
            return -self.float_expr()
        if tok[0] is FLOAT:
            try:
                return float.fromhex(tok[1]) if tok[1][:2] in ("0x", "0X") else float(
                    tok[1].replace("_", ""))
            except ValueError:
                raise ParseError(f"invalid float {tok[1]}", tok) from None
        raise ParseError(f"unexpected {tok[1] or 'EOF'} evaluating float expression", tok)


def _arith(a: int | None, b: int | None, f) -> int | None:  # type: ignore[no-untyped-def]
    if a is None or b is None:
        return None
    return f(a, b) & MASK


def _is_octal(s: str) -> bool:
    return len(s) > 1 and s[0] == "0" and s[1].isdigit()


def _unquote_go(s: str) -> str:
    body = s[1:-1]
    if "\\" not in body:
        return body
    try:
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return body


def _shown(name: str) -> str:
    """A name in a message as the user wrote it: `·f`, not `.f`."""
    return "·" + name[1:] if name.startswith(".") else name


def _describe_kind(kind: str) -> str:
    return {IDENT: "identifier", INT: "integer constant", EOF: "EOF"}.get(kind, repr(kind))


def _signed(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


class StatementParser:
    """Builds the AsmFile from the preprocessed token stream."""

    def __init__(self, out: AsmFile, goarch: str, main: Source, unresolved: list[str],
                 fast: bool = True) -> None:
        self.out = out
        self.fast = fast  # False: no shortcuts (the reference the shortcuts must equal)
        self.goarch = goarch
        self.main = main
        self.amd64 = goarch == "amd64"
        regs = amd64_tables.REGISTERS if self.amd64 else None
        self.ops = _OperandParser(out.package, regs, unresolved)
        self.text: Text | None = None
        self.pending_labels: list[tuple[str, Token]] = []
        self.data_end: dict[str, int] = {}
        self.jumps: list[tuple[str, Token]] = []  # label references of the current TEXT

    def error(self, tok: Token | None, message: str) -> None:
        if tok is None:
            return
        self.out.errors.append(AsmError(Span(tok[5].path, tok[2], tok[3], tok[2], tok[4]),
                                        message))

    def run(self, statements: Iterator[list[Token]]) -> None:
        statement = self._statement
        saw_code = False
        for stmt in statements:
            first = stmt[0]
            kind = first[0]
            if kind is BUILD:
                if saw_code:
                    self.error(first, "misplaced //go:build comment")
                continue
            saw_code = True
            try:
                if kind is LINE:
                    self._line(first)
                else:
                    statement(stmt)
            except ParseError as e:
                # Only amd64 has register/mnemonic tables; elsewhere errors would be noise.
                if self.amd64:
                    self.error(e.tok or first, str(e))
        self.finish_text()

    def _line(self, tok: Token) -> None:
        """A plain line (a LINE token): an instruction built straight from its text when
        that is one of the common shapes, else the statement of the tokens it stands for."""
        word = tok[1]
        if word not in _PSEUDO:
            src = tok[5]
            line = tok[2]
            if not self.amd64:
                self.append(Instruction(word, [], Span(src.path, line, tok[3], line, tok[4]),
                                        "", self.label_names()))
                return
            if word in _LINE_MNEMONICS:
                ops = _line_operands(tok)
                if ops is not None:
                    self.append(Instruction(word, ops,
                                            Span(src.path, line, tok[3], line, tok[4]), "",
                                            self.label_names()))
                    return
        self._statement(line_tokens(tok))

    def _statement(self, toks: list[Token]) -> None:
        while True:
            first = toks[0]
            if first[0] is not IDENT:
                raise ParseError(f"expected identifier, found {first[1]!r}", first)
            word = first[1]
            n = len(toks)
            if n > 1 and toks[1][0] == ":":
                self.pending_labels.append((word, first))
                toks = toks[2:]
                if not toks:
                    return
                continue
            break
        i = 1
        suffix = ""
        if self.amd64:
            while i + 1 < n and toks[i][0] == ".":
                if toks[i + 1][0] is not IDENT:
                    raise ParseError(
                        f"instruction suffix expected identifier, found {toks[i + 1][1]}",
                        toks[i + 1])
                suffix += "." + toks[i + 1][1]
                i += 2
        # _span(first, toks[-1]), inlined: this runs for every statement.
        src, line, end = first[5], first[2], first[4]
        last = toks[-1]
        if last[5] is src and last[2] == line and last[4] > end:
            end = last[4]
        span = Span(src.path, line, first[3], line, end)
        pseudo = _PSEUDO.get(word)
        if pseudo is not None:
            pseudo(self, first, self._split(toks, i), span)
            return
        if not self.amd64:
            # No operand tables for this architecture: keep the statement, not its operands.
            self.append(Instruction(word, [], span, suffix, self.label_names()))
            return
        operands = self._split(toks, i) if n > i else []
        if word not in amd64_tables.INSTRUCTIONS:
            raise ParseError(f"unrecognized instruction {word!r}", first)
        self.instruction(word, suffix, operands, span, first)

    def label_names(self) -> tuple[str, ...]:
        pending = self.pending_labels
        return tuple(n for n, _ in pending) if pending else ()

    def _split(self, toks: list[Token], i: int) -> list[list[Token]]:
        operands: list[list[Token]] = []
        items: list[Token] = []
        nesting = 0
        colon = -1
        n = len(toks)
        while i < n:
            tok = toks[i]
            kind = tok[0]
            i += 1
            if nesting == 0 and (kind == "," or kind == ":"):
                if kind == ":":
                    if colon >= 0:
                        raise ParseError("invalid ':' in operand", tok)
                    colon = len(operands)
                if not items:
                    raise ParseError("missing operand", tok)
                operands.append(items)
                items = []
                continue
            if kind == "(" or kind == "[":
                nesting += 1
            elif kind == ")" or kind == "]":
                nesting -= 1
            items.append(tok)
        if items:
            operands.append(items)
        elif operands:
            raise ParseError("missing operand", toks[-1])
        if colon >= 0 and len(operands) >= colon + 2:
            operands[colon], operands[colon + 1] = operands[colon + 1], operands[colon]
        return operands

    # -- instructions -----------------------------------------------------------------------
    def instruction(self, word: str, suffix: str, operands: list[list[Token]], span: Span,
                    first: Token) -> None:
        is_jump = _is_jump(word)
        if not is_jump and self.fast:
            fast = self._simple_operands(operands)
            if fast is not None:
                data = None
                size = DATA_SIZES.get(word)
                if size is not None and self.text is not None and len(fast) == 1:
                    # BYTE $0x0f inside TEXT: raw bytes, as below (a register gives none).
                    op = fast[0]
                    value = op.value if isinstance(op, Immediate) else (
                        op.offset if isinstance(op, Memory) else None)
                    if value is not None:
                        data = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
                self.append(Instruction(word, fast, span, suffix, self.label_names(), data))
                return
        elif is_jump and self.fast and len(operands) == 1 and len(operands[0]) == 1:
            # `JNE loop`: a label, as symbol_reference + to_operand would make it.
            t0 = operands[0][0]
            name = t0[1]
            if t0[0] is IDENT and not self.ops.at_start_of_register(name):
                target = Branch(Span(t0[5].path, t0[2], t0[3], t0[2], t0[4]), label=name)
                ins = Instruction(word, [target], span, suffix, self.label_names())
                if self.append(ins):
                    self.jumps.append((name, ins))
                return
        addrs: list[tuple[_Addr, list[Token]]] = []
        for op in operands:
            a = self.ops.operand(op, is_jump)
            if not is_jump and a.reg in PSEUDO and a.type == "REG":
                raise ParseError(f"illegal use of pseudo-register in {word}", op[0])
            addrs.append((a, op))
        if is_jump and (not addrs or len(addrs) > 2):
            raise ParseError(f"wrong number of arguments to {word} instruction", first)
        model_ops = [self.to_operand(a, op, is_jump and k == len(addrs) - 1)
                     for k, (a, op) in enumerate(addrs)]
        data = None
        if word in DATA_SIZES and self.text is not None and len(addrs) == 1:
            a = addrs[0][0]
            if a.type in ("CONST", "MEM") and a.offset is not None:
                size = DATA_SIZES[word]
                data = (a.offset & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        ins = Instruction(word, model_ops, span, suffix, self.label_names(), data)
        if self.append(ins) and is_jump:
            for op in model_ops:
                if isinstance(op, Branch) and op.label is not None:
                    self.jumps.append((op.label, ins))

    def append(self, ins: Instruction) -> bool:
        """Add ins to the current TEXT block; False when there is none."""
        text = self.text
        if text is None:
            # cmd/internal/obj drops instructions outside TEXT without a word; so do we.
            self.pending_labels.clear()
            return False
        if self.pending_labels:
            self.bind_labels()
        text.instructions.append(ins)
        sp = ins.span
        if sp.line > text.end_line and sp.path == self.main.path:
            text.end_line = sp.line
        return True

    def _simple_operands(self, operands: list[list[Token]]) -> list[Operand] | None:
        """The common operands (a register; `$integer`; `off(REG)`) without the general
        operand grammar: the same values to_operand would build. None when any operand is
        other."""
        out: list[Operand] = []
        regs = amd64_tables.REGISTERS
        for op in operands:
            t0 = op[0]
            n = len(op)
            if n == 1:
                if t0[0] is IDENT and t0[1] in regs:
                    out.append(Register(t0[1], Span(t0[5].path, t0[2], t0[3], t0[2], t0[4])))
                    continue
                return None
            if n == 2 and t0[0] == "$":
                t1 = op[1]
                if t1[0] is not INT:
                    return None
                v = _plain_int(t1[1])
                if v is None:
                    return None
                out.append(Immediate(_signed(v), _text_of(op), _span(t0, t1)))
                continue
            # off(REG), -off(REG), (REG)
            if n < 3 or n > 5 or op[-1][0] != ")" or op[-3][0] != "(":
                return None
            base = op[-2]
            if base[0] is not IDENT or base[1] not in regs:
                return None
            if n == 3:
                v = 0
            elif n == 4 and t0[0] is INT:
                v = _plain_int(t0[1])
            elif n == 5 and t0[0] == "-" and op[1][0] is INT:
                v = _plain_int(op[1][1])
                if v is not None:
                    v = -v & MASK
            else:
                return None
            if v is None:
                return None
            reg = base[1]
            out.append(Memory(_span(t0, op[-1]), _signed(v), reg, None, 0,
                              reg if reg in SEGMENTS else None, None, False))
        return out

    def bind_labels(self) -> None:
        """Attach pending labels to the statement being appended (cmd/asm: p.append)."""
        text = self.text
        if text is not None:
            for name, tok in self.pending_labels:
                if name in text.labels:
                    self.error(tok, f"label {name!r} multiply defined")
                else:
                    text.labels[name] = _span(tok, tok)
        self.pending_labels.clear()

    def error_span(self, span: Span, message: str) -> None:
        self.out.errors.append(AsmError(span, message))

    def to_operand(self, a: _Addr, toks: list[Token], is_target: bool) -> Operand:
        span = _span(toks[0], toks[-1])
        t = a.type
        if is_target:
            if t == "BRANCH":
                return Branch(span, pc_offset=_signed(a.offset or 0))
            if t == "REG" or (t == "INDIR" and a.reg):
                return Branch(span, register=a.reg)
            if a.sym is not None and a.name in ("EXTERN", "STATIC"):
                return Branch(span, symbol=a.sym)
            if t == "MEM" and a.sym is not None and a.name == "NONE" and a.reg is None:
                return Branch(span, label=a.sym.written)
            if t == "CONST":
                return Branch(span, pc_offset=None)
            if t in ("MEM", "INDIR"):
                return Branch(span, memory=self._memory(a, span, t == "INDIR"))
            raise ParseError("cannot assemble jump", toks[0])
        if t == "REG":
            return Register(a.reg or "", span)
        if t == "CONST":
            return Immediate(None if a.offset is None else _signed(a.offset),
                             _text_of(toks), span)
        if t == "ADDR":
            if a.sym is not None and a.reg is None:
                return Immediate(None, _text_of(toks), span, symbol=a.sym)
            return Immediate(None, _text_of(toks), span)
        if t == "FCONST":
            return FloatImm(a.fval, span)
        if t == "SCONST":
            return StringImm(a.sval, span)
        if t == "REGLIST":
            return RegisterList(a.reg or "", a.reg2 or "", span)
        if t == "BRANCH":
            return Branch(span, pc_offset=_signed(a.offset or 0))
        return self._memory(a, span, t == "INDIR")

    @staticmethod
    def _memory(a: _Addr, span: Span, indirect: bool) -> Memory:
        seg = a.reg if a.reg in SEGMENTS else None
        off = None if a.offset is None else _signed(a.offset)
        if a.sym is not None:
            off = a.sym.offset
        return Memory(span, off, a.reg, a.index, a.scale, seg, a.sym, indirect)

    # -- pseudo-instructions ----------------------------------------------------------------
    def finish_text(self) -> None:
        text = self.text
        if text is None:
            return
        for label, ins in self.jumps:
            if label not in text.labels:
                sp = ins.span  # type: ignore[attr-defined]
                for op in ins.operands:  # type: ignore[attr-defined]
                    if isinstance(op, Branch) and op.label == label:
                        sp = op.span
                self.error_span(sp, f"undefined label {label}")
        self.jumps = []
        if self.pending_labels:
            for name, tok in self.pending_labels:
                self.error(tok, f"label {name!r} at end of TEXT block labels no instruction")
            self.pending_labels.clear()
        self.text = None

    def p_text(self, first: Token, operands: list[list[Token]], span: Span) -> None:
        self.finish_text()
        if len(operands) not in (2, 3):
            raise ParseError("expect two or three operands for TEXT", first)
        sym = self._plain_sb_symbol(operands[0]) if self.fast else None
        if sym is None:
            name_addr = self.ops.operand(operands[0], False)
            sym = self.valid_symbol("TEXT", name_addr, operands[0], offset_ok=False)
        flags: tuple[Flag, ...] = ()
        flag_value = 0
        nxt = 1
        if len(operands) == 3:
            flag_value, flags = self.flags("TEXT", operands[1])
            nxt = 2
        if sym.abi == "ABIInternal" and not flag_value & TEXTFLAG_VALUES["NOSPLIT"]:
            raise ParseError(f"TEXT {sym.name!r}: ABIInternal requires NOSPLIT", first)
        op = operands[nxt]
        shown = _shown(sym.written)
        if len(op) < 2 or op[0][0] != "$":
            raise ParseError(f"TEXT {shown}: frame size must be an immediate constant", op[0])
        rest = op[1:]
        negative = False
        if rest[0][0] == "-":
            negative = True
            rest = rest[1:]
        if not rest or rest[0][0] is not INT:
            raise ParseError(f"TEXT {shown}: frame size must be an immediate constant", op[0])
        frame = _atoi(rest[0])
        if negative:
            frame = -frame
        rest = rest[1:]
        argsize: int | None = None
        if rest:
            if len(rest) != 2 or rest[0][0] != "-" or rest[1][0] is not INT:
                raise ParseError(f"TEXT {shown}: argument size must be of form -integer",
                                 rest[0])
            argsize = _atoi(rest[1])
        text = Text(sym, span, _span(operands[0][0], operands[0][-1]), flags, flag_value,
                    frame, argsize, end_line=span.line)
        self.out.texts.append(text)
        self.text = text
        self.bind_labels()

    def valid_symbol(self, pseudo: str, a: _Addr, toks: list[Token], offset_ok: bool
                     ) -> SymbolRef:
        if a.sym is None or a.name not in ("EXTERN", "STATIC") or a.scale or a.reg:
            raise ParseError(f"{pseudo} symbol {_text_of(toks)!r} must be a symbol(SB)", toks[0])
        if not offset_ok and a.sym.offset:
            shown = _shown(a.sym.written)
            raise ParseError(f"{pseudo} symbol {shown!r} must not be offset from SB", toks[0])
        return a.sym

    def _plain_sb_symbol(self, toks: list[Token]) -> SymbolRef | None:
        """`name(SB)`, as operand + valid_symbol would read it; None for anything else."""
        if len(toks) != 4:
            return None
        t0, t1, t2, t3 = toks
        name = t0[1]
        if (t0[0] is not IDENT or t1[0] != "(" or t2[0] is not IDENT or t2[1] != "SB"
                or t3[0] != ")" or self.ops.at_start_of_register(name)):
            return None
        qualified = self.out.package + name if name.startswith(".") else name
        return SymbolRef(qualified, name, 0, False, None, "SB")

    def flags(self, pseudo: str, toks: list[Token]) -> tuple[int, tuple[Flag, ...]]:
        if self.fast:
            value = _plain_flags(toks)
            if value is not None:
                return value, _flags_as_written(toks, value)
        a = self.ops.operand(toks, False)
        if a.type != "MEM" or a.name != "NONE" or a.reg or a.index or a.sym is not None:
            raise ParseError(f"{pseudo}: expected integer constant; found {_text_of(toks)}",
                             toks[0])
        value = a.offset or 0
        return value, _flags_as_written(toks, value)

    def p_data(self, first: Token, operands: list[list[Token]], span: Span) -> None:
        if len(operands) != 2:
            raise ParseError("expect two operands for DATA", first)
        op = operands[0]
        n = len(op)
        if n < 3 or op[n - 2][0] != "/" or op[n - 1][0] is not INT:
            raise ParseError("expect /size for DATA argument", op[0])
        size = _atoi(op[n - 1])
        a = self.ops.operand(op[: n - 2], False)
        sym = self.valid_symbol("DATA", a, op, offset_ok=True)
        va = self.ops.operand(operands[1], False)
        if va.type not in ("CONST", "FCONST", "SCONST", "ADDR"):
            raise ParseError("DATA value must be an immediate constant or address",
                             operands[1][0])
        last = self.data_end.get(sym.name)
        if last is not None and sym.offset < last:
            raise ParseError(f"overlapping DATA entry for {_shown(sym.written)}", op[0])
        self.data_end[sym.name] = sym.offset + size
        if va.type == "CONST" and size not in (1, 2, 4, 8):
            raise ParseError(f"bad int size for DATA argument: {size}", op[-1])
        if va.type == "FCONST" and size not in (4, 8):
            raise ParseError(f"bad float size for DATA argument: {size}", op[-1])
        if va.type == "ADDR" and size != 8 and self.amd64:
            raise ParseError(f"bad addr size for DATA argument: {size}", op[-1])
        value = self.to_operand(va, operands[1], False)
        self.out.data.append(Data(sym, sym.offset, size, value, span))

    def p_globl(self, first: Token, operands: list[list[Token]], span: Span) -> None:
        if len(operands) not in (2, 3):
            raise ParseError("expect two or three operands for GLOBL", first)
        a = self.ops.operand(operands[0], False)
        sym = self.valid_symbol("GLOBL", a, operands[0], offset_ok=False)
        flags: tuple[Flag, ...] = ()
        value = 0
        nxt = 1
        if len(operands) == 3:
            value, flags = self.flags("GLOBL", operands[1])
            nxt = 2
        sa = self.ops.operand(operands[nxt], False)
        if sa.type != "CONST" or sa.reg or sa.index:
            raise ParseError("GLOBL: expected immediate constant", operands[nxt][0])
        size = None if sa.offset is None else _signed(sa.offset)
        self.out.globls.append(Globl(sym, flags, value, size, span))

    def p_pcdata(self, first: Token, operands: list[list[Token]], span: Span) -> None:
        if len(operands) != 2:
            raise ParseError("expect two operands for PCDATA", first)
        k = self.immediate("PCDATA", operands[0])
        v = self.immediate("PCDATA", operands[1])
        if self.text is not None:
            self.text.pcdata.append((k, v, span))
        self.bind_labels()

    def p_funcdata(self, first: Token, operands: list[list[Token]], span: Span) -> None:
        if len(operands) != 2:
            raise ParseError("expect two operands for FUNCDATA", first)
        k = self.immediate("FUNCDATA", operands[0])
        a = self.ops.operand(operands[1], False)
        sym = self.valid_symbol("FUNCDATA", a, operands[1], offset_ok=True)
        if self.text is not None:
            self.text.funcdata.append((k, sym, span))
        self.bind_labels()

    def p_pcalign(self, first: Token, operands: list[list[Token]], span: Span) -> None:
        if len(operands) != 1:
            raise ParseError("expect one operand for PCALIGN", first)
        self.immediate("PCALIGN", operands[0])
        self.bind_labels()

    def immediate(self, pseudo: str, toks: list[Token]) -> int | None:
        a = self.ops.operand(toks, False)
        if a.type != "CONST" or a.reg or a.index:
            raise ParseError(f"{pseudo}: expected immediate constant; found {_text_of(toks)}",
                             toks[0])
        return None if a.offset is None else _signed(a.offset)


def _is_jump(word: str) -> bool:
    return word[0] == "J" or word == "CALL" or word.startswith("LOOP") or word == "XBEGIN"


# amd64 mnemonics whose plain lines _line may build directly: not jumps (their targets are
# labels or symbols) and not BYTE/WORD/LONG/QUAD (they carry raw bytes).
_LINE_MNEMONICS = frozenset(w for w in amd64_tables.INSTRUCTIONS
                            if w not in DATA_SIZES and not _is_jump(w))


def _line_operands(tok: Token) -> list[Operand] | None:
    """The operands of a plain amd64 line in the shapes _simple_operands takes — REG, $INT,
    INT(REG), -INT(REG), (REG), written without blanks inside — built as it builds them from
    tokens; None when any is of another shape (the caller then takes the tokens)."""
    src = tok[5]
    text = src.text
    start = tok[LINE_REST]  # type: ignore[misc]
    end = tok[LINE_REST_END]  # type: ignore[misc]
    out: list[Operand] = []
    if start == end:
        return out
    if text[start] not in " \t\r":
        return None  # `MOVQ.Z` style suffix or `MOVQ(…)`: the token path decides
    path = src.path
    line = tok[2]
    regs = amd64_tables.REGISTERS
    col = start - tok[LINE_BASE]  # type: ignore[misc]
    for piece in text[start:end].split(","):
        op = piece.lstrip(" \t\r")
        a = col + len(piece) - len(op)
        col += len(piece) + 1
        op = op.rstrip(" \t\r")
        b = a + len(op)
        if op in regs:
            out.append(Register(op, Span(path, line, a, line, b)))
            continue
        if not op:
            return None
        if op[0] == "$":
            digits = op[1:]
            if not (digits[:1].isdigit() and digits.isalnum()):
                return None
            v = _plain_int(digits)
            if v is None:
                return None
            out.append(Immediate(_signed(v), op, Span(path, line, a, line, b)))
            continue
        if op[-1] != ")":
            return None
        k = op.find("(")
        reg = op[k + 1:-1]
        if k < 0 or reg not in regs:
            return None
        digits = op[:k]
        minus = digits[:1] == "-"
        if minus:
            digits = digits[1:]
        if not digits:
            if minus:
                return None
            v = 0
        else:
            if not (digits[0].isdigit() and digits.isalnum()):
                return None
            v = _plain_int(digits)
            if v is None:
                return None
            if minus:
                v = -v & MASK
        out.append(Memory(Span(path, line, a, line, b), _signed(v), reg, None, 0,
                          reg if reg in SEGMENTS else None, None, False))
    return out


def _plain_int(text: str) -> int | None:
    """A decimal/hex/binary literal without `_` or leading-zero octal, as uint64; None for
    anything the general expression parser must see (it reports the errors)."""
    if _is_octal(text) or "_" in text:
        return None
    try:
        v = int(text, 0)
    except ValueError:
        return None
    return v if v <= MASK else None


def _plain_flags(toks: list[Token]) -> int | None:
    """A flag operand that is integers joined by `|` (what NOSPLIT|NOFRAME expands to), as
    the expression parser evaluates it; None for anything else."""
    value = 0
    n = len(toks)
    for k in range(0, n, 2):
        t = toks[k]
        if t[0] is not INT or (k + 1 < n and toks[k + 1][0] != "|"):
            return None
        v = _plain_int(t[1])
        if v is None:
            return None
        value |= v
    return value if n % 2 else None


def _atoi(tok: Token) -> int:
    try:
        return int(tok[1], 8) if _is_octal(tok[1]) else int(tok[1].replace("_", ""), 0)
    except ValueError:
        raise ParseError(f"invalid integer {tok[1]}", tok) from None


def _text_of(toks: list[Token]) -> str:
    """The operand as the user wrote it (from the source line), falling back to tokens."""
    a, b = toks[0], toks[-1]
    if a[5] is b[5] and a[2] == b[2]:
        line = a[5].line_text(a[2])
        s = line[a[3] - 1 : b[4] - 1]
        if s:
            return s
    return "".join(t[1] for t in toks)


def _flags_as_written(toks: list[Token], value: int) -> tuple[Flag, ...]:
    written = _text_of(toks)
    names = [p.strip() for p in written.replace("+", "|").split("|")]
    if all(n in TEXTFLAG_VALUES for n in names):
        return tuple(Flag(n, TEXTFLAG_VALUES[n]) for n in names)
    return tuple(Flag(n, TEXTFLAG_VALUES.get(n, 0)) for n in flag_names(value))


_PSEUDO = {
    "TEXT": StatementParser.p_text,
    "DATA": StatementParser.p_data,
    "GLOBL": StatementParser.p_globl,
    "PCDATA": StatementParser.p_pcdata,
    "FUNCDATA": StatementParser.p_funcdata,
    "PCALIGN": StatementParser.p_pcalign,
}
