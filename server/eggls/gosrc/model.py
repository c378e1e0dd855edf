"""The index of one Go source file: what the analysis needs, positions as Spans.

Everything here is plain data computed from one file's syntax. Expressions, frames and body
events are created once per indexed file and compare by identity (eq=False keeps them
hashable and cheap to build: a runtime-sized package makes ~100k of them); treat them as
read-only. Positions of those are byte ranges into the file; `.span` computes the Span.

Facts that need the whole package (constants defined in another file, functions declared
elsewhere, funcpc-like helpers in other files or packages) are left for the caller, with
enough recorded to finish the job:
`Expr.cexpr` can be re-evaluated against package constants (constants.evaluate), and
`idioms.package_idioms` resolves calls of funcpc-like functions across files and imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from eggls.diagnostics import Diagnostic, Severity, Span
from eggls.gosrc.buildtags import BuildExprError, build_satisfied, parse_build_expr, plus_build_ok
from eggls.gosrc.parse import SourceMap

# A constant expression in a form that survives the syntax tree: nested tuples.
#   ("int", v) | ("name", n) | ("qual", import_path_or_alias, n) | ("un", op, x)
#   | ("bin", op, x, y) | ("conv", type_name, x)
CExpr = tuple


@dataclass(frozen=True, slots=True)
class Import:
    path: str  # import path, unquoted
    alias: str | None  # as written: None, "_", "." or a name
    span: Span  # the whole import spec

    @property
    def name(self) -> str:
        """The name the file uses for the package (alias, else the last path element)."""
        if self.alias is not None:
            return self.alias
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Pragma:
    """A `//go:name args...` compiler directive."""

    name: str  # "nosplit", "linkname", "noescape", ...
    args: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Annotation:
    """An `// eggls:name args` comment (entry, interrupt, sink, sets, ignore, ...)."""

    name: str
    args: str  # the rest of the comment after the name, stripped
    span: Span  # the comment


@dataclass(frozen=True, slots=True)
class Linkname:
    """`//go:linkname local [remote]` anywhere in the file."""

    local: str
    remote: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Param:
    name: str | None  # None for unnamed parameters/results
    type: str  # type text as written ("...T" not included: see variadic)
    span: Span  # the name, or the type when unnamed
    variadic: bool = False
    annotations: tuple[Annotation, ...] = ()  # `/* eggls:sink */` comments on the same line


@dataclass(slots=True, eq=False)
class Expr:
    """An expression the analysis may have to follow.

    kind: "name" (identifier not declared in the enclosing function: a package-level function,
    var or const), "param" (a parameter or result of the enclosing function), "local" (declared
    inside the enclosing function, closures included), "qualified" (`pkg.Name`, pkg an
    import), "index" (`a[i]`; name = base identifier if any), "selector" (`x.f`; name = "f"),
    "funclit", "composite", "call", "literal" (number/rune/string), "deref" (`*p`), "addr"
    (`&x`; name = x when an identifier), "other". Parentheses around the expression are
    looked through for the kind.

    text and span are computed on access from the byte range (indexing a large package
    creates far more Exprs than anyone reads).
    """

    kind: str
    start: int  # byte offsets of the expression in the file
    end: int
    source: SourceMap = field(compare=False, repr=False)
    name: str | None = None
    pkg: str | None = None  # import path for "qualified"
    const: int | None = None  # value when constant with this file's knowledge
    cexpr: CExpr | None = None  # for re-evaluation with package-wide constants
    base: str | None = None  # "index"/"selector": text of the operand (`vectors`, `ctx`)

    @property
    def text(self) -> str:
        return self.source.text(self.start, self.end)

    @property
    def span(self) -> Span:
        return self.source.span_bytes(self.start, self.end)


@dataclass(slots=True, eq=False)
class Frame:
    """One level of nesting around an event (outermost first in an event's context).

    kind: "if" (then-branch), "else" (else-branch, also `else if`), "for" (loop body and
    post statement; the init, first condition and range expression are outside), "case"
    (a clause of an expression or type switch, default included), "select" (a select
    clause), "go", "defer", "closure" (a func literal's body), "cond" (right operand of
    `&&`/`||`). The statement (stmt_start/stmt) identifies the conditional; the branch is
    the nested part (block, clause, operand). Frames compare equal by kind and byte ranges.
    """

    kind: str
    stmt_start: int
    stmt_end: int
    branch_start: int
    branch_end: int
    source: SourceMap = field(compare=False, repr=False)

    @property
    def stmt(self) -> Span:
        return self.source.span_bytes(self.stmt_start, self.stmt_end)

    @property
    def branch(self) -> Span:
        return self.source.span_bytes(self.branch_start, self.branch_end)


@dataclass(slots=True, eq=False)
class Call:
    """A call (conversions to predeclared types, builtins such as len/append, unsafe.* and
    `(*T)(x)` forms are not recorded). start/end: the whole call expression."""

    start: int
    end: int
    source: SourceMap = field(compare=False, repr=False)
    callee: Expr
    args: tuple[Expr, ...]
    context: tuple[Frame, ...]
    spread: bool = False  # f(xs...)

    @property
    def span(self) -> Span:
        return self.source.span_bytes(self.start, self.end)

    @property
    def name(self) -> str | None:
        """Simple name called: `f` for f(), `Name` for pkg.Name() and x.Name()."""
        return self.callee.name

    @property
    def pkg(self) -> str | None:
        """Import path when the callee is `pkg.Name` with pkg an import of this file."""
        return self.callee.pkg


@dataclass(slots=True, eq=False)
class ValueUse:
    """An identifier or `pkg.Name` used as a value, not called: candidates for function
    values (identifiers known here as locals, parameters or constants are left out).

    role: "arg" (call argument; index = position, callee = callee text), "assign", "define"
    (`:=`), "var", "return", "element" (composite literal element or keyed value; key set),
    "send".
    """

    expr: Expr
    role: str
    context: tuple[Frame, ...]
    index: int | None = None
    callee: str | None = None
    key: str | None = None

    @property
    def span(self) -> Span:
        return self.expr.span


@dataclass(slots=True, eq=False)
class Assign:
    """`target op value` for `=`, `:=`, `op=` and `var x = v` (one per target).

    value is None when the right side does not pair one-to-one (`a, b = f()`); then
    value_text holds the whole right side. start/end: the whole statement.
    """

    start: int
    end: int
    source: SourceMap = field(compare=False, repr=False)
    target: Expr
    value: Expr | None
    op: str  # "=", ":=", "+=", "var", ...
    context: tuple[Frame, ...]
    value_text: str = ""

    @property
    def span(self) -> Span:
        return self.source.span_bytes(self.start, self.end)

    @property
    def field(self) -> str | None:
        """Field name when the target is a selector (`ctx.ip` → "ip")."""
        return self.target.name if self.target.kind == "selector" else None


@dataclass(slots=True, eq=False)
class CodeDeref:
    """A value converted to a pointer and then dereferenced, indexed or sliced.

    `(*[16]byte)(unsafe.Pointer(pc))[:]`, `*(*byte)(unsafe.Pointer(addr))`. address is the
    innermost operand after stripping unsafe.Pointer/uintptr conversions and parentheses.
    start/end: the deref/index/slice expression.
    """

    start: int
    end: int
    source: SourceMap = field(compare=False, repr=False)
    pointer_type: str  # the pointer type text, e.g. "*[16]byte"
    address: Expr
    mode: str  # "deref", "index" or "slice"
    write: bool  # the result is assigned to
    context: tuple[Frame, ...]

    @property
    def span(self) -> Span:
        return self.source.span_bytes(self.start, self.end)


@dataclass(slots=True, eq=False)
class Element:
    key: str | None  # keyed element's key text (`IP` in T{IP: x}); None when positional
    value: Expr


@dataclass(slots=True, eq=False)
class CompositeLit:
    start: int
    end: int
    source: SourceMap = field(compare=False, repr=False)
    type: str  # type text; "" for elided inner literals
    elements: tuple[Element, ...]  # direct elements only (nested literals are their own)
    context: tuple[Frame, ...]

    @property
    def span(self) -> Span:
        return self.source.span_bytes(self.start, self.end)


Event = Call | ValueUse | Assign | CodeDeref | CompositeLit


@dataclass(frozen=True, slots=True)
class IdiomSite:
    """An expression that yields the code address of a function.

    kind: "funcpc" (call of a funcpc-like function; callee/callee_pkg say which), "reflect"
    (`reflect.ValueOf(f).Pointer()` / `.UnsafePointer()`), "abi0" / "abiinternal"
    (`abi.FuncPCABI0(f)` / `abi.FuncPCABIInternal(f)`), "deref" (the code pointer read
    inline, `**(**uintptr)(unsafe.Pointer(&f))` with f a local or package variable).
    arg is the func value whose address is taken (follow it when its kind is "local",
    "param", "index", ...).
    """

    kind: str
    span: Span
    arg: Expr
    func: str | None  # FuncDecl.symbol of the enclosing declaration; None at package level
    context: tuple[Frame, ...] = ()
    callee: str | None = None  # callee text for "funcpc"
    callee_pkg: str | None = None  # import path of the callee for "funcpc" across packages


@dataclass(frozen=True, slots=True)
class ConstDecl:
    name: str
    span: Span  # the name
    value: int | None  # None: not an integer or not known from this file alone
    type: str | None  # declared or conversion type, None when untyped
    text: str | None  # expression text; for implicit repetition the repeated expression
    cexpr: CExpr | None  # iota substituted
    iota: int
    local_to: str | None = None  # FuncDecl.symbol for consts declared inside a body


@dataclass(frozen=True, slots=True)
class VarDecl:
    """A package-level `var` (one per name)."""

    name: str
    span: Span  # the name
    type: str | None
    value: Expr | None
    # Identifier / pkg.Name elements anywhere inside composite-literal values: the functions
    # a table such as `var vectors = [...]func(){trap0, trap1}` can hold.
    funcs: tuple[Expr, ...] = ()
    composite: CompositeLit | None = None


@dataclass(slots=True)
class FuncDecl:
    name: str
    recv_type: str | None  # base type name of the receiver ("T" for `(t *T)` or `(T[K])`)
    recv_pointer: bool
    params: tuple[Param, ...]  # flattened: `a, b int` gives two
    results: tuple[Param, ...]
    has_body: bool
    pragmas: tuple[Pragma, ...]
    annotations: tuple[Annotation, ...]
    doc: str | None  # the doc comment text, comment markers included
    name_span: Span
    span: Span  # the whole declaration, doc comment excluded
    body_span: Span | None
    events: list[Event] = field(default_factory=list)  # in source order (see index.py)
    locals: frozenset[str] = frozenset()  # names declared anywhere in the body
    # Funcpc-like: the body reads the code pointer out of parameter funcpc_param (index into
    # params); funcpc_span is the reading expression.
    funcpc_param: int | None = None
    funcpc_span: Span | None = None

    @property
    def symbol(self) -> str:
        """Name as the linker spells it after the package path: f, T.m, (*T).m."""
        if self.recv_type is None:
            return self.name
        if self.recv_pointer:
            return f"(*{self.recv_type}).{self.name}"
        return f"{self.recv_type}.{self.name}"

    def pragma(self, name: str) -> Pragma | None:
        for p in self.pragmas:
            if p.name == name:
                return p
        return None

    def has_pragma(self, name: str) -> bool:
        return self.pragma(name) is not None

    @property
    def nosplit(self) -> bool:
        return self.has_pragma("nosplit")

    @property
    def linkname(self) -> str | None:
        """Remote name of a `//go:linkname name remote` in the doc comment."""
        p = self.pragma("linkname")
        return p.args[1] if p is not None and len(p.args) > 1 else None

    def annotation(self, name: str) -> Annotation | None:
        for a in self.annotations:
            if a.name == name:
                return a
        return None

    def param_index(self, name: str) -> int | None:
        for i, p in enumerate(self.params):
            if p.name == name:
                return i
        return None


@dataclass(frozen=True, slots=True)
class GoSyntaxError:
    message: str
    span: Span

    def to_diagnostic(self) -> Diagnostic:
        return Diagnostic.at(self.span, "EGG901", Severity.ERROR, "syntax", self.message)


@dataclass(slots=True)
class GoFile:
    path: str
    package: str | None
    package_span: Span | None
    imports: list[Import] = field(default_factory=list)
    build_expr: str | None = None  # the `//go:build` expression text
    plus_build: tuple[str, ...] = ()  # `// +build` lines' text after "+build"
    build_span: Span | None = None
    funcs: list[FuncDecl] = field(default_factory=list)
    consts: dict[str, ConstDecl] = field(default_factory=dict)  # package-level, source order
    local_consts: list[ConstDecl] = field(default_factory=list)  # declared inside bodies
    vars: list[VarDecl] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)  # type name → type text (`T uint32`)
    linknames: list[Linkname] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)  # every eggls: comment
    package_events: list[Event] = field(default_factory=list)  # in package-level initializers
    idioms: list[IdiomSite] = field(default_factory=list)  # reflect / abi / deref sites
    errors: list[GoSyntaxError] = field(default_factory=list)

    def build_ok(self, goos: str, goarch: str, tags: Iterable[str] = (),
                 go_version: str | None = None) -> bool:
        """Does the file's build constraint hold for this configuration?

        Implied tags: goos, goarch, "unix" for Unix GOOSes, android→linux, illumos→solaris,
        ios→darwin, "gc" (unless "gccgo" is in tags), go1.1 … go1.N for go_version "1.N".
        A malformed //go:build line counts as satisfied (it is also in errors as EGG901).
        """
        ok = build_satisfied(goos, goarch, tags, go_version)
        if self.build_expr is not None:
            try:
                return parse_build_expr(self.build_expr)(ok)
            except BuildExprError:
                return True
        return plus_build_ok(self.plus_build, ok)

    def func(self, symbol: str) -> FuncDecl | None:
        for f in self.funcs:
            if f.symbol == symbol:
                return f
        return None

    def import_path(self, name: str) -> str | None:
        """Import path of the package this file calls `name`."""
        for imp in self.imports:
            if imp.name == name:
                return imp.path
        return None

    def diagnostics(self) -> list[Diagnostic]:
        return [e.to_diagnostic() for e in self.errors]
