"""Position queries over one analysed program: what is at a position (a function, a data
symbol, a label, a register), its definitions and references across `.s` and `.go` files,
highlights within a file, and document / workspace symbols.

Positions are the model's: 1-based lines, 1-based columns counting Unicode characters, ends
exclusive. Assembly occurrences come from the lexer run over the file text the program was
built from (so comments never match, and a symbol written inside a `#define` body counts where
it is written); Go occurrences from the Go index (declarations, calls, function values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from eggls.analysis.program import Func, Package, Program
from eggls.asm.amd64_tables import REGISTERS
from eggls.asm.lexer import IDENT, Source, Token, tokenize
from eggls.asm.model import AsmFile, Memory, Register, Text
from eggls.diagnostics import Span
from eggls.gosrc.model import Call, Expr, FuncDecl, GoFile, ValueUse

PSEUDO_REGISTERS = frozenset({"SB", "FP", "PC"})
JUMPS = frozenset({"CALL", "JMP", "JCC", "JCS", "JCXZL", "JCXZQ", "JEQ", "JGE", "JGT", "JHI",
                   "JHS", "JLE", "JLO", "JLS", "JLT", "JMI", "JNE", "JOC", "JOS", "JPC", "JPL",
                   "JPS", "LOOP", "LOOPEQ", "LOOPNE", "XBEGIN"})

TextOf = Callable[[str], str | None]


@dataclass(frozen=True)
class Entity:
    """What sits at a position."""

    kind: str  # "func", "data", "label" or "register"
    name: str  # linker name (func, data), label or register name
    span: Span  # the occurrence at the position
    func: Func | None = None
    scope: Text | None = None  # the TEXT block a label or register belongs to
    definition: bool = False  # the occurrence defines it (TEXT name, `label:`, func name)
    operand_of: str | None = None  # asm: the mnemonic whose operand this is (CALL, JMP, …)


@dataclass(frozen=True)
class Occurrence:
    span: Span
    write: bool = False  # a definition, or a register written by the instruction


@dataclass
class SymbolNode:
    """A document or workspace symbol."""

    name: str
    kind: str  # "function", "variable", "label", "field"
    range: Span
    selection: Span
    detail: str = ""
    container: str = ""
    children: list[SymbolNode] = field(default_factory=list)


def _contains(span: Span, line: int, col: int) -> bool:
    if (line, col) < (span.line, span.col):
        return False
    return (line, col) < (span.end_line, span.end_col) or (line, col) == (span.end_line,
                                                                          span.end_col)


def _tail(span: Span, name: str) -> Span:
    """The last len(name) characters of a one-line span (`kernel.F` → `F`)."""
    if span.line == span.end_line and span.end_col - span.col > len(name):
        return Span(span.path, span.line, span.end_col - len(name), span.end_line, span.end_col)
    return span


class Navigator:
    """Queries over one program; cheap to create, caches token lists per file."""

    def __init__(self, prog: Program, text_of: TextOf) -> None:
        self.prog = prog
        self.text_of = text_of
        self._tokens: dict[str, list[Token]] = {}
        self._asm_files: dict[str, tuple[Package, AsmFile]] = {}
        self._go_files: dict[str, tuple[Package, GoFile]] = {}
        for pkg in prog.packages.values():
            for af in pkg.asm:
                self._asm_files[af.path] = (pkg, af)
            for gf in pkg.go:
                self._go_files[gf.path] = (pkg, gf)

    # -- files ------------------------------------------------------------------------------

    def asm_file(self, path: str) -> tuple[Package, AsmFile] | None:
        return self._asm_files.get(path)

    def go_file(self, path: str) -> tuple[Package, GoFile] | None:
        return self._go_files.get(path)

    def tokens(self, path: str) -> list[Token]:
        got = self._tokens.get(path)
        if got is None:
            text = self.text_of(path)
            got = tokenize(Source(path, text), []) if text is not None else []
            self._tokens[path] = got
        return got

    @staticmethod
    def extent(af: AsmFile, t: Text) -> tuple[int, int]:
        """Lines of a TEXT block: its TEXT line to the line before the next TEXT."""
        texts = [x for x in af.texts if x.span.path == af.path]
        end = max(af.lines, t.end_line)
        for x in texts:
            if x.span.line > t.span.line:
                end = x.span.line - 1
                break
        return t.span.line, end

    def scope_at(self, af: AsmFile, line: int) -> Text | None:
        best = None
        for t in af.texts:
            if t.span.path == af.path and t.span.line <= line:
                best = t
        if best is not None and line > self.extent(af, best)[1]:
            return None
        return best

    @staticmethod
    def qualify(pkg: Package, written: str) -> str:
        """An assembly name as the linker spells it: `·f` is the package's."""
        return pkg.prefix + written if written.startswith(".") else written

    # -- what is at a position --------------------------------------------------------------

    def entity_at(self, path: str, line: int, col: int) -> Entity | None:
        if path in self._asm_files:
            return self._asm_entity(path, line, col)
        if path in self._go_files:
            return self._go_entity(path, line, col)
        return None

    def _asm_entity(self, path: str, line: int, col: int) -> Entity | None:
        pkg, af = self._asm_files[path]
        toks = self.tokens(path)
        for i, tok in enumerate(toks):
            if tok[2] != line or not tok[3] <= col <= tok[4] or tok[0] is not IDENT:
                continue
            if col == tok[4] and i + 1 < len(toks) and toks[i + 1][2] == line and \
                    toks[i + 1][3] == col and toks[i + 1][0] is IDENT:
                continue  # between two identifiers: the next one
            return self._classify(pkg, af, toks, i)
        return None

    def _statement_start(self, toks: list[Token], i: int) -> int:
        j = i
        while j > 0 and toks[j - 1][0] not in ("\n", ";"):
            j -= 1
        # Skip labels (`loop:`) at the start of the statement.
        while j + 1 < i and toks[j][0] is IDENT and toks[j + 1][0] == ":":
            j += 2
        return j

    def _classify(self, pkg: Package, af: AsmFile, toks: list[Token], i: int) -> Entity | None:
        tok = toks[i]
        name = tok[1]
        span = Span(af.path, tok[2], tok[3], tok[2], tok[4])
        scope = self.scope_at(af, tok[2])
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        start = self._statement_start(toks, i)
        mnemonic = toks[start][1] if toks[start][0] is IDENT and start != i else None
        if nxt is not None and nxt[0] == ":" and start == i:
            if scope is not None and name in scope.labels:
                return Entity("label", name, span, scope=scope, definition=True)
            return None
        if name in REGISTERS and name not in PSEUDO_REGISTERS:
            return Entity("register", name, span, scope=scope, operand_of=mnemonic)
        if scope is not None and name in scope.labels and "." not in name:
            return Entity("label", name, span, scope=scope, operand_of=mnemonic)
        if start == i:
            return None  # a mnemonic or pseudo-instruction
        q = self.qualify(pkg, name)
        f = self.prog.funcs.get(q)
        if f is not None:
            return Entity("func", q, span, func=f, definition=self.is_text_name(f, span),
                          operand_of=mnemonic)
        prev = toks[i - 1] if i > 0 else None
        symbolic = (nxt is not None and nxt[0] in ("(", "+", "-", "<")) or (
            prev is not None and prev[0] == "$")
        if symbolic and (name.startswith(".") or "." in name or self._data_defined(q)):
            return Entity("data", q, span, definition=mnemonic in ("GLOBL",),
                          operand_of=mnemonic)
        return None

    @staticmethod
    def is_text_name(f: Func, span: Span) -> bool:
        """Is span (a name token) the name in f's TEXT statement?"""
        s = f.span
        return f.text is not None and s.path == span.path and s.line == span.line and \
            s.col <= span.col < s.end_col

    def name_span(self, f: Func) -> Span:
        """Where f's name is written at its definition: the name token of a TEXT operand
        (`·f(SB)` → `·f`), the identifier of a Go declaration."""
        if f.text is None:
            return f.span
        for tok in self.tokens(f.span.path):
            if tok[2] == f.span.line and tok[0] is IDENT and \
                    f.span.col <= tok[3] < f.span.end_col:
                return Span(f.span.path, tok[2], tok[3], tok[2], tok[4])
        return f.span

    def _data_defined(self, q: str) -> bool:
        return any(g.symbol.name == q for _, af in self._asm_files.values() for g in af.globls)

    def _go_entity(self, path: str, line: int, col: int) -> Entity | None:
        pkg, gf = self._go_files[path]
        for fd in gf.funcs:
            if _contains(fd.name_span, line, col):
                f = self.prog.funcs.get(f"{pkg.prefix}.{fd.symbol}")
                if f is not None:
                    return Entity("func", f.name, fd.name_span, func=f, definition=True)
        for e in self._go_exprs(gf, line):
            if _contains(e.span, line, col):
                f = self.resolve_expr(pkg, e)
                if f is not None:
                    return Entity("func", f.name, _tail(e.span, e.name or ""), func=f)
        for v in gf.vars:
            if _contains(v.span, line, col):
                return Entity("data", f"{pkg.prefix}.{v.name}", v.span, definition=True)
        return None

    @staticmethod
    def _go_exprs(gf: GoFile, line: int | None = None) -> Iterator[Expr]:
        """Expressions naming functions: callees and function values (only in declarations
        spanning `line`, when given)."""
        scopes: list[list[object]] = []
        for fd in gf.funcs:
            if line is None or fd.span.line <= line <= fd.span.end_line:
                scopes.append(fd.events)  # type: ignore[arg-type]
        scopes.append(gf.package_events)  # type: ignore[arg-type]
        for events in scopes:
            for ev in events:
                if isinstance(ev, Call):
                    if ev.callee.kind in ("name", "qualified"):
                        yield ev.callee
                elif isinstance(ev, ValueUse) and ev.expr.kind in ("name", "qualified"):
                    yield ev.expr
        for v in gf.vars:
            yield from v.funcs

    def resolve_expr(self, pkg: Package, e: Expr) -> Func | None:
        if e.kind == "name" and e.name:
            return self.prog.resolve(pkg, e.name)
        if e.kind == "qualified" and e.name and e.pkg:
            return self.prog.resolve(pkg, e.name, e.pkg)
        return None

    # -- definitions and references ---------------------------------------------------------

    def definitions(self, ent: Entity) -> list[Span]:
        if ent.kind == "label" and ent.scope is not None:
            s = ent.scope.labels.get(ent.name)
            return [s] if s is not None else []
        if ent.kind == "func" and ent.func is not None:
            f = ent.func
            if ent.definition and f.text is not None and f.decl is not None and \
                    self.is_text_name(f, ent.span):
                # And back: a TEXT goes to its Go declaration; a bodyless Go declaration
                # (like every reference) to the TEXT.
                return [f.decl.name_span]
            return [self.name_span(f)]
        if ent.kind == "data":
            return self._data_definitions(ent.name)
        return []

    def _data_definitions(self, q: str) -> list[Span]:
        out = [g.span for _, af in self._asm_files.values() for g in af.globls
               if g.symbol.name == q]
        for pkg, gf in self._go_files.values():
            for v in gf.vars:
                if f"{pkg.prefix}.{v.name}" == q:
                    out.append(v.span)
        return out

    def references(self, ent: Entity, include_declaration: bool = True) -> list[Occurrence]:
        if ent.kind == "func":
            occ = self._func_references(ent.name, ent.func)
        elif ent.kind == "data":
            occ = self._asm_symbol_occurrences(ent.name)
            occ += [Occurrence(s, True) for s in self._data_definitions(ent.name)
                    if not s.path.endswith(".s")]
        elif ent.kind in ("label", "register") and ent.scope is not None:
            occ = self._scoped_occurrences(ent)
        else:
            occ = []
        if not include_declaration:
            occ = [o for o in occ if not o.write or ent.kind == "register"]
        seen: set[Span] = set()
        out = []
        for o in sorted(occ, key=lambda o: (o.span.path, o.span.line, o.span.col)):
            if o.span not in seen:
                seen.add(o.span)
                out.append(o)
        return out

    def _func_references(self, name: str, f: Func | None) -> list[Occurrence]:
        out: list[Occurrence] = []
        if f is not None:
            if f.text is None:
                out.append(Occurrence(f.span, True))  # the Go declaration (asm: lexed below)
            if f.decl is not None:
                out.append(Occurrence(f.decl.name_span, True))
        for pkg, gf in self._go_files.values():
            for e in self._go_exprs(gf):
                if e.name and e.name == name.rsplit(".", 1)[-1]:
                    g = self.resolve_expr(pkg, e)
                    if g is not None and g.name == name:
                        out.append(Occurrence(_tail(e.span, e.name)))
        for o in self._asm_symbol_occurrences(name):
            out.append(Occurrence(o.span, f is not None and self.is_text_name(f, o.span)))
        return out

    def _asm_symbol_occurrences(self, name: str) -> list[Occurrence]:
        out = []
        local = name.rsplit(".", 1)[-1]
        for path, (pkg, _af) in self._asm_files.items():
            for tok in self.tokens(path):
                if tok[0] is IDENT and tok[1].endswith(local) and \
                        self.qualify(pkg, tok[1]) == name:
                    out.append(Occurrence(Span(path, tok[2], tok[3], tok[2], tok[4])))
        return out

    def _scoped_occurrences(self, ent: Entity) -> list[Occurrence]:
        assert ent.scope is not None
        path = ent.span.path
        got = self.asm_file(path)
        if got is None:
            return []
        _, af = got
        first, last = self.extent(af, ent.scope)
        toks = self.tokens(path)
        out = []
        for i, tok in enumerate(toks):
            if tok[0] is not IDENT or tok[1] != ent.name or not first <= tok[2] <= last:
                continue
            span = Span(path, tok[2], tok[3], tok[2], tok[4])
            if ent.kind == "label":
                is_def = i + 1 < len(toks) and toks[i + 1][0] == ":" and \
                    self._statement_start(toks, i) == i
                out.append(Occurrence(span, is_def))
            else:
                out.append(Occurrence(span, self._register_written(ent.scope, span)))
        return out

    @staticmethod
    def _register_written(t: Text, span: Span) -> bool:
        """Is the register at span the destination (last operand) of its instruction?"""
        for ins in t.instructions:
            if ins.span.line != span.line or not ins.operands:
                continue
            last = ins.operands[-1]
            if isinstance(last, Register | Memory) and last.span.line == span.line and \
                    last.span.col <= span.col < last.span.end_col:
                return isinstance(last, Register) and ins.mnemonic not in JUMPS and \
                    not ins.mnemonic.startswith(("CMP", "TEST", "BT", "PUSH"))
        return False

    def highlights(self, ent: Entity) -> list[Occurrence]:
        path = ent.span.path
        return [o for o in self.references(ent, True) if o.span.path == path]

    # -- symbols ----------------------------------------------------------------------------

    def document_symbols(self, path: str) -> list[SymbolNode]:
        got = self.asm_file(path)
        if got is None:
            return []
        _, af = got
        out: list[SymbolNode] = []
        for t in af.texts:
            if t.span.path != path:
                continue
            first, last = self.extent(af, t)
            end = max(t.end_line, first)
            rng = Span(path, first, 1, end, 10_000)
            flags = "|".join(fl.name for fl in t.flags)
            frame = f"${t.frame_size}" + (f"-{t.arg_size}" if t.arg_size is not None else "")
            node = SymbolNode(t.symbol.local, "function", rng, t.name_span,
                              ", ".join(x for x in (flags, frame) if x))
            for label, ls in sorted(t.labels.items(), key=lambda kv: kv[1].line):
                if first <= ls.line <= last:
                    node.children.append(SymbolNode(label, "label", ls, ls))
            out.append(node)
        data_by: dict[str, list[Span]] = {}
        for d in af.data:
            if d.span.path == path:
                data_by.setdefault(d.symbol.name, []).append(d.span)
        for g in af.globls:
            if g.span.path != path:
                continue
            spans = [*data_by.pop(g.symbol.name, []), g.span]
            rng = Span(path, min(s.line for s in spans), 1, max(s.end_line for s in spans),
                       10_000)
            node = SymbolNode(g.symbol.local, "variable", rng, g.span,
                              f"{g.size} bytes" if g.size is not None else "")
            node.children = [SymbolNode(f"{g.symbol.local}+{d.offset}/{d.size}", "field",
                                        d.span, d.span)
                             for d in af.data if d.span.path == path and
                             d.symbol.name == g.symbol.name]
            out.append(node)
        for name, spans in data_by.items():
            rng = Span(path, spans[0].line, 1, spans[-1].end_line, 10_000)
            out.append(SymbolNode(name.rsplit(".", 1)[-1], "variable", rng, spans[0]))
        out.sort(key=lambda n: (n.range.line, n.range.col))
        return out

    def workspace_symbols(self, query: str, limit: int = 500) -> list[SymbolNode]:
        q = query.lower()

        def match(name: str) -> bool:
            it = iter(name.lower())
            return all(ch in it for ch in q)  # a subsequence, as editors filter

        out: list[SymbolNode] = []
        for f in self.prog.funcs.values():
            if f.lang == "decl" or not match(f.local):
                continue
            pkg = self.prog.package_of(f.path)
            container = (pkg.import_path if pkg is not None and pkg.import_path is not None
                         else f.package)
            detail = "asm" if f.lang == "asm" else "go"
            out.append(SymbolNode(f.local, "function", f.span, f.span, detail, container))
            if len(out) >= limit:
                return out
        for pkg, af in self._asm_files.values():
            for g in af.globls:
                if match(g.symbol.local):
                    out.append(SymbolNode(g.symbol.local, "variable", g.span, g.span, "asm",
                                          pkg.import_path or pkg.prefix))
        return out[:limit]

    # -- helpers for hovers and fixes -------------------------------------------------------

    def func_decl(self, f: Func) -> FuncDecl | None:
        return f.decl


__all__ = ["Entity", "Navigator", "Occurrence", "SymbolNode"]
