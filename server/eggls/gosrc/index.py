"""Index one Go file: `index_go_file(path, text=None) -> GoFile`.

One tree-sitter query pass collects every node of interest (declarations, calls, assignments,
value uses, nesting frames, pointer conversions, `&x`, error nodes); Python then only looks at
those nodes. Nesting contexts come from a sweep over byte ranges instead of walking parents.
Comments that matter (`//go:`, `eggls:`) are found by a byte scan of the source; build
constraints by a header scan (buildtags.read_header).

Events of a function are in source order: sorted by start position, an enclosing expression
before the expressions inside it (pre-order). Sorting by span end instead gives evaluation
order for nested calls (`f(g())`: g before f).
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node, QueryCursor

from eggls.diagnostics import Span
from eggls.gosrc import constants as C
from eggls.gosrc.buildtags import BuildExprError, parse_build_expr, read_header
from eggls.gosrc.idioms import (
    ABI_FUNCS,
    CodePointerRead,
    find_code_pointer_reads,
    flows_to_result,
)
from eggls.gosrc.model import (
    Annotation,
    Assign,
    Call,
    CodeDeref,
    CompositeLit,
    ConstDecl,
    Element,
    Event,
    Expr,
    Frame,
    FuncDecl,
    GoFile,
    GoSyntaxError,
    IdiomSite,
    Import,
    Linkname,
    Param,
    Pragma,
    ValueUse,
    VarDecl,
)
from eggls.gosrc.parse import SourceMap, encode, parse, query
from eggls.gosrc.parse import named as _named
from eggls.gosrc.parse import names as _names

_VALUE = "[(identifier) (selector_expression)]"
_QUERY = f"""
(package_clause (package_identifier) @package)
(import_spec) @import
(function_declaration) @func
(method_declaration) @func
(const_declaration) @const
(type_spec) @type
(type_alias) @type
(var_spec) @var
(call_expression) @call
(assignment_statement) @assign
(short_var_declaration) @assign
(composite_literal) @complit
(literal_element (literal_value) @complit)
(return_statement (expression_list {_VALUE} @val.return))
(send_statement value: {_VALUE} @val.send)
(if_statement consequence: (block) @frame.if)
(if_statement alternative: (_) @frame.else)
(for_statement body: (block) @frame.for)
(for_clause update: (_) @frame.for)
(expression_case) @frame.case
(type_case) @frame.case
(default_case) @frame.default
(communication_case) @frame.select
(go_statement) @frame.go
(defer_statement) @frame.defer
(func_literal body: (block) @frame.closure)
(binary_expression operator: ["&&" "||"] right: (_) @frame.cond)
(type_conversion_expression type: (parenthesized_type (pointer_type))) @conv
(call_expression function: (parenthesized_expression (unary_expression operator: "*"))) @conv
(unary_expression operator: "&" operand: (identifier)) @addrof
(short_var_declaration left: (expression_list (identifier) @decl))
(range_clause left: (expression_list (identifier) @decl))
(func_literal parameters: (parameter_list
  [(parameter_declaration name: (identifier) @decl)
   (variadic_parameter_declaration name: (identifier) @decl)]))
(type_switch_statement alias: (expression_list (identifier) @decl))
(var_spec name: (identifier) @decl)
(const_spec name: (identifier) @decl)
(ERROR) @error
(MISSING) @missing
"""

# Comments worth reading; everything else is skipped without being visited.
_COMMENT_HINT = re.compile(rb"//go:|eggls:")
_ANNOTATION = re.compile(r"^(?://|/\*)\s*eggls:([A-Za-z_][\w-]*)(.*?)(?:\*/)?\s*$", re.S)
_CONSTISH = frozenset({"int_literal", "rune_literal", "binary_expression", "unary_expression",
                       "parenthesized_expression", "call_expression", "iota",
                       "type_conversion_expression"})
_LITERALS = frozenset({"int_literal", "float_literal", "imaginary_literal", "rune_literal",
                       "interpreted_string_literal", "raw_string_literal", "true", "false",
                       "nil"})
_BASIC_TYPES = ("bool", "byte", "rune", "string", "int", "int8", "int16", "int32", "int64",
                "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "float32", "float64",
                "complex64", "complex128")
# Predeclared identifiers that are never function values.
_PREDECLARED = frozenset((*_BASIC_TYPES, "nil", "true", "false", "iota", "any", "error"))
# Conversions to predeclared types and builtins that cannot lead anywhere: not recorded as
# calls (their arguments are: nested calls and value uses are captured on their own).
_NOT_CALLS = frozenset(x.encode() for x in (
    *_BASIC_TYPES, "len", "cap", "append", "make", "new", "copy", "min", "max", "complex",
    "real", "imag"))


def index_go_file(path: str, text: str | None = None) -> GoFile:
    """Index a Go source file. Reads path when text is None (OSError propagates).

    Syntax errors never raise: they are in GoFile.errors and the rest is indexed.
    """
    data = Path(path).read_bytes() if text is None else encode(text)
    return _Indexer(path, data).run()




# An event waiting for its nesting context: (start byte, -end byte, kind order, node,
# (event class, fields before `context`, fields after `context`)).
_Pending = tuple[int, int, int, Node | None, tuple[type, tuple, tuple]]
_pending_key = operator.itemgetter(0, 1, 2)


def _start(n: Node) -> int:
    return n.start_byte


def _frame_key(f: tuple[int, int, Frame]) -> tuple[int, int]:
    return f[0], -f[1]  # outer frame first when two start together


@dataclass(slots=True)
class _Scope:
    """What the names inside one function body refer to."""

    func: FuncDecl | None
    params: frozenset[str]
    locals: frozenset[str]
    consts: dict[str, C.ConstVal] = field(default_factory=dict)
    lookup: C.Lookup | None = None  # constant lookup, built once consts are final


class _Indexer:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.src = data
        self.lm = SourceMap(path, data)
        self.tree = parse(data)
        self.root = self.tree.root_node
        self.file = GoFile(path=path, package=None, package_span=None)
        self.imports: dict[str, str] = {}  # package name in this file → import path
        self.const_vals: dict[str, C.ConstVal] = {}
        # Function ranges (body start/end bytes) for locating events; parallel lists.
        self._fstart: list[int] = []
        self._fend: list[int] = []
        self._fscope: list[_Scope] = []
        self._pkg_scope = _Scope(None, frozenset(), frozenset())
        self._ann_at: list[tuple[int, Annotation]] = []  # (comment start byte, annotation)
        self._unsafe = False  # the file imports "unsafe" as unsafe

    # -- small helpers -------------------------------------------------------------------
    def text(self, node: Node) -> str:
        return self.src[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def span(self, node: Node) -> Span:
        return self.lm.span(node)

    # -- driver --------------------------------------------------------------------------
    def run(self) -> GoFile:
        caps = QueryCursor(query(_QUERY)).captures(self.root)

        def get(name: str) -> list[Node]:
            # Capture lists are not always in document order.
            return sorted(caps.get(name, ()), key=_start)

        f = self.file
        for n in get("package"):
            f.package = self.text(n)
            f.package_span = self.span(n)
            break
        for n in get("import"):
            self._import(n)
        self._comments()
        for n in get("type"):
            name = n.child_by_field_name("name")
            typ = n.child_by_field_name("type")
            if name is not None and typ is not None:
                f.types.setdefault(self.text(name), self.text(typ))
        for n in get("func"):
            self._func(n)
        self._scopes(caps.get("decl", []))
        self._consts(get("const"))
        self._errors(caps.get("error", []), caps.get("missing", []))
        frames = self._frames(caps)
        events: list[_Pending] = []
        self._calls(caps.get("call", []), events)
        self._assigns(caps.get("assign", []), events)
        self._vars(get("var"), events)
        self._values(caps, events)
        self._complits(caps.get("complit", []), events)
        self._convs(caps.get("conv", []), events)
        self._distribute(events, frames)
        self._code_pointer_reads(get("addrof"), frames)
        f.idioms.sort(key=lambda site: (site.span.line, site.span.col))
        return f

    # -- header --------------------------------------------------------------------------
    def _import(self, n: Node) -> None:
        p = n.child_by_field_name("path")
        if p is None:
            return
        path = self.text(p).strip("\"`")
        a = n.child_by_field_name("name")
        imp = Import(path, self.text(a) if a is not None else None, self.span(n))
        self.file.imports.append(imp)
        if imp.name not in ("_", "."):
            self.imports[imp.name] = path
        if imp.name == "unsafe" and path == "unsafe":
            self._unsafe = True

    def _comments(self) -> None:
        f = self.file
        self._build_constraints()
        seen: set[int] = set()
        for m in _COMMENT_HINT.finditer(self.src):
            node = self.root.descendant_for_byte_range(m.start(), m.start() + 1)
            if node is None or node.type != "comment" or node.start_byte in seen:
                continue
            seen.add(node.start_byte)
            text = self.text(node)
            span = self.span(node)
            if text.startswith("//go:linkname"):
                parts = text[2:].split()
                if len(parts) >= 2:
                    f.linknames.append(Linkname(parts[1], parts[2] if len(parts) > 2 else None,
                                                span))
            am = _ANNOTATION.match(text)
            if am:
                ann = Annotation(am.group(1), am.group(2).strip(), span)
                f.annotations.append(ann)
                self._ann_at.append((node.start_byte, ann))

    def _build_constraints(self) -> None:
        f = self.file
        h = read_header(self.src)
        f.plus_build = h.plus_build
        for k, (off, expr) in enumerate(h.go_build):
            end = self.src.find(b"\n", off)
            end = len(self.src) if end < 0 else end
            if self.src[end - 1:end] == b"\r":
                end -= 1
            span = self.lm.span_bytes(off, end)
            if k > 0:
                f.errors.append(GoSyntaxError("multiple //go:build lines", span))
                continue
            f.build_expr = expr
            f.build_span = span
            try:
                parse_build_expr(expr)
            except BuildExprError as e:
                f.errors.append(GoSyntaxError(f"invalid //go:build line: {e}", span))

    # -- functions -----------------------------------------------------------------------
    def _func(self, n: Node) -> None:
        name_node = n.child_by_field_name("name")
        if name_node is None:
            return
        recv_type: str | None = None
        recv_ptr = False
        recv = n.child_by_field_name("receiver")
        if recv is not None:
            decls = _named(recv)
            if decls:
                recv_type, recv_ptr = self._recv(decls[0].child_by_field_name("type"))
            else:
                recv_type = ""
        params = tuple(self._params(n.child_by_field_name("parameters")))
        res = n.child_by_field_name("result")
        if res is None:
            results: tuple[Param, ...] = ()
        elif res.type == "parameter_list":
            results = tuple(self._params(res))
        else:
            results = (Param(None, self.text(res), self.span(res)),)
        body = n.child_by_field_name("body")
        doc_lines = self._doc_lines(n.start_byte)
        pragmas: list[Pragma] = []
        for b0, line in doc_lines:
            if line.startswith("//go:"):
                parts = line[5:].split()
                if parts:
                    pragmas.append(Pragma(parts[0], tuple(parts[1:]),
                                          self.lm.span_bytes(b0, b0 + len(encode(line)))))
        # Annotations in the doc comment or trailing on the declaration's first line.
        lo = doc_lines[0][0] if doc_lines else n.start_byte
        hi = self.src.find(b"\n", n.start_byte)
        hi = len(self.src) if hi < 0 else hi
        annotations = [a for b, a in self._ann_at if lo <= b < hi]
        fd = FuncDecl(
            name=self.text(name_node),
            recv_type=recv_type,
            recv_pointer=recv_ptr,
            params=params,
            results=results,
            has_body=body is not None,
            pragmas=tuple(pragmas),
            annotations=tuple(annotations),
            doc="\n".join(line for _, line in doc_lines) if doc_lines else None,
            name_span=self.span(name_node),
            span=self.span(n),
            body_span=self.span(body) if body is not None else None,
        )
        self.file.funcs.append(fd)
        if body is not None:
            self._fstart.append(body.start_byte)
            self._fend.append(body.end_byte)
            names = frozenset(p.name for p in (*params, *results) if p.name)
            self._fscope.append(_Scope(fd, names, frozenset()))

    def _recv(self, t: Node | None) -> tuple[str | None, bool]:
        ptr = False
        while t is not None and t.type in ("pointer_type", "parenthesized_type", "generic_type"):
            if t.type == "pointer_type":
                ptr = True
            inner = t.child_by_field_name("type") if t.type == "generic_type" else None
            t = inner if inner is not None else (_named(t) or [None])[0]
        return (self.text(t) if t is not None else None), ptr

    def _params(self, plist: Node | None) -> Iterable[Param]:
        decls = [d for d in _named(plist)
                 if d.type in ("parameter_declaration", "variadic_parameter_declaration")]
        anns = self._param_annotations(plist, decls) if plist is not None else {}
        for k, d in enumerate(decls):
            t = d.child_by_field_name("type")
            typ = self.text(t) if t is not None else ""
            variadic = d.type == "variadic_parameter_declaration"
            mine = tuple(anns.get(k, ()))
            names = _names(d)
            if not names:
                yield Param(None, typ, self.span(t if t is not None else d), variadic, mine)
            for nm in names:
                yield Param(self.text(nm), typ, self.span(nm), variadic, mine)

    def _param_annotations(self, plist: Node, decls: list[Node]
                           ) -> dict[int, list[Annotation]]:
        """eggls: comments inside a parameter list: each belongs to the parameter it trails
        on the same line, else to the next parameter."""
        out: dict[int, list[Annotation]] = {}
        for b, a in self._ann_at:
            if not plist.start_byte <= b < plist.end_byte:
                continue
            row = self.lm.row_of(b)
            target = None
            for k, d in enumerate(decls):
                if d.end_byte <= b and d.end_point[0] == row:
                    target = k
            if target is None:
                target = next((k for k, d in enumerate(decls) if d.start_byte >= b), None)
            if target is not None:
                out.setdefault(target, []).append(a)
        return out

    def _doc_lines(self, start: int) -> list[tuple[int, str]]:
        """Comment lines directly above the line holding byte start (no blank line between),
        top first, as (byte offset of the comment text, stripped line)."""
        src = self.src
        out: list[tuple[int, bytes]] = []
        line_start = src.rfind(b"\n", 0, start) + 1
        in_block = False
        while line_start > 0:
            end = line_start - 1
            line_start = src.rfind(b"\n", 0, end) + 1
            raw = src[line_start:end]
            line = raw.strip()
            if in_block:
                out.append((line_start + raw.find(line[:1]), line))
                if line.startswith(b"/*"):
                    in_block = False
                continue
            if line.startswith(b"//"):
                out.append((line_start + raw.find(b"//"), line))
            elif line.endswith(b"*/"):
                out.append((line_start + raw.find(line[:1]), line))
                in_block = not line.startswith(b"/*")
            else:
                break
        out.reverse()
        return [(b, line.decode("utf-8", "replace")) for b, line in out]

    def _scopes(self, decls: Iterable[Node]) -> None:
        names: list[set[str]] = [set() for _ in self._fscope]
        for d in decls:
            i = self._func_at(d.start_byte)
            if i is not None:
                names[i].add(self.text(d))
        for i, s in enumerate(self._fscope):
            s.locals = frozenset(names[i] - {"_"})
            assert s.func is not None
            s.func.locals = s.locals

    def _func_at(self, pos: int) -> int | None:
        i = bisect.bisect_right(self._fstart, pos) - 1
        if i >= 0 and pos < self._fend[i]:
            return i
        return None

    def _scope_at(self, pos: int) -> _Scope:
        i = self._func_at(pos)
        return self._pkg_scope if i is None else self._fscope[i]

    # -- constants -----------------------------------------------------------------------
    def _consts(self, decls: Iterable[Node]) -> None:
        f = self.file
        pkg: list[ConstDecl] = []
        local: list[tuple[int, ConstDecl]] = []
        for d in decls:
            i = self._func_at(d.start_byte)
            owner = self._fscope[i].func.symbol if i is not None and self._fscope[i].func else None
            for cd in self._const_specs(d, owner):
                if i is None:
                    pkg.append(cd)
                else:
                    local.append((i, cd))
        vals = C.resolve_all(((c.name, c.cexpr, c.type) for c in pkg), types=f.types)
        self.const_vals = vals
        for c in pkg:
            v = vals.get(c.name)
            f.consts[c.name] = _with_value(c, v)
        for i, c in local:
            scope = self._fscope[i]
            r = C.resolve_all([(c.name, c.cexpr, c.type)], outer=self._lookup_in(scope),
                              types=f.types)
            v = r.get(c.name)
            if v is not None:
                scope.consts[c.name] = v
            f.local_consts.append(_with_value(c, v))

    def _const_specs(self, d: Node, owner: str | None) -> Iterable[ConstDecl]:
        last_vals: list[Node] = []
        last_type: Node | None = None
        iota = 0
        for spec in _named(d):
            if spec.type != "const_spec":
                continue
            value = spec.child_by_field_name("value")
            typ = spec.child_by_field_name("type")
            if value is not None:
                last_vals = _named(value)
                last_type = typ
            for k, nm in enumerate(_names(spec)):
                name = self.text(nm)
                expr = last_vals[k] if k < len(last_vals) else None
                cx = C.to_cexpr(expr, self.src, self.imports) if expr is not None else None
                if cx is not None:
                    cx = C.substitute_iota(cx, iota)
                if name != "_":
                    yield ConstDecl(name, self.span(nm), None,
                                    self.text(last_type) if last_type is not None else None,
                                    self.text(expr) if expr is not None else None, cx, iota,
                                    owner)
            iota += 1

    def _lookup_in(self, scope: _Scope) -> C.Lookup:
        if scope.lookup is not None:
            return scope.lookup
        consts, pkg, shadow = scope.consts, self.const_vals, scope.params | scope.locals

        def look(name: str) -> C.ConstVal | None:
            if name in consts:
                return consts[name]
            if name in shadow:
                return None
            return pkg.get(name)

        scope.lookup = look
        return look

    # -- syntax errors -------------------------------------------------------------------
    def _errors(self, errs: Iterable[Node], missing: Iterable[Node]) -> None:
        if not self.root.has_error:
            if self.file.package is None:
                # tree-sitter accepts a file without a package clause; Go does not.
                end = self.src.find(b"\n")
                end = len(self.src) if end < 0 else end
                self.file.errors.append(GoSyntaxError("syntax error: missing package clause",
                                                      self.lm.span_bytes(0, end)))
            return
        out: list[tuple[int, GoSyntaxError]] = []
        last_end = -1
        for n in sorted(errs, key=lambda x: (x.start_byte, -x.end_byte)):
            if n.start_byte < last_end:
                continue  # nested inside an error already reported
            last_end = max(n.end_byte, n.start_byte + 1)
            tok = self.text(n).strip().split("\n", 1)[0][:40]
            msg = f"syntax error: unexpected {tok!r}" if tok else "syntax error"
            out.append((n.start_byte, GoSyntaxError(msg, self.span(n))))
        for n in missing:
            out.append((n.start_byte, GoSyntaxError(f"syntax error: missing {n.type!r}",
                                                    self.span(n))))
        errors = self.file.errors
        errors.extend(e for _, e in out)
        errors.sort(key=lambda e: (e.span.line, e.span.col))

    # -- expressions ---------------------------------------------------------------------
    def expr(self, node: Node, scope: _Scope) -> Expr:
        lm = self.lm
        start, end = node.start_byte, node.end_byte
        inner = node
        while inner.type == "parenthesized_expression":
            kids = _named(inner)
            if len(kids) != 1:
                break
            inner = kids[0]
        t = inner.type
        if t == "identifier":
            name = self.text(inner)
            if name in scope.params:
                return Expr("param", start, end, lm, name)
            if name in scope.locals and name not in scope.consts:
                return Expr("local", start, end, lm, name)
            v = scope.consts.get(name) or self.const_vals.get(name)
            return Expr("name", start, end, lm, name, None, v.value if v else None,
                        ("name", name))
        if t == "selector_expression":
            op = inner.child_by_field_name("operand")
            fld = inner.child_by_field_name("field")
            fname = self.text(fld) if fld is not None else None
            if op is not None and op.type == "identifier":
                q = self.text(op)
                if q in self.imports and q not in scope.params and q not in scope.locals:
                    return Expr("qualified", start, end, lm, fname, self.imports[q], None,
                                ("qual", self.imports[q], fname))
            return Expr("selector", start, end, lm, fname,
                        base=self.text(op) if op is not None else None)
        if t == "index_expression":
            op = inner.child_by_field_name("operand")
            base = self.text(op) if op is not None else None
            name = base if op is not None and op.type == "identifier" else None
            return Expr("index", start, end, lm, name, base=base)
        if t == "func_literal":
            return Expr("funclit", start, end, lm)
        if t in ("composite_literal", "literal_value"):
            return Expr("composite", start, end, lm)
        kind = "other"
        name = None
        if t == "unary_expression":
            op = inner.child_by_field_name("operator")
            x = inner.child_by_field_name("operand")
            if op is not None and op.type == "&":
                kind = "addr"
                name = self.text(x) if x is not None and x.type == "identifier" else None
            elif op is not None and op.type == "*":
                kind = "deref"
        elif t == "call_expression":
            kind = "call"
        elif t in _LITERALS:
            kind = "literal"
        if t in _CONSTISH:
            cx = C.to_cexpr(inner, self.src, self.imports)
            if cx is not None:
                v = C.evaluate_typed(cx, self._lookup_in(scope), types=self.file.types)
                return Expr(kind, start, end, lm, name, None, v.value if v else None, cx)
        return Expr(kind, start, end, lm, name)

    # -- events --------------------------------------------------------------------------
    def _value_use(self, e: Expr, role: str, out: list[_Pending], index: int | None = None,
                   callee: str | None = None, key: str | None = None) -> None:
        """Record e as a possible function value unless it is known not to be one."""
        k = e.kind
        if k == "qualified" or (k == "name" and e.const is None and e.name not in _PREDECLARED):
            out.append((e.start, -e.end, 2, None, (ValueUse, (e, role), (index, callee, key))))

    def _calls(self, calls: Iterable[Node], out: list[_Pending]) -> None:
        src = self.src
        lm = self.lm
        for n in calls:
            fn = n.child_by_field_name("function")
            if fn is None:
                continue
            ft = fn.type
            if ft == "parenthesized_expression":
                continue  # `(*T)(x)`: a conversion (or a call through *func: indirect anyway)
            scope = self._scope_at(n.start_byte)
            if ft == "identifier":
                name = src[fn.start_byte:fn.end_byte]
                if name in _NOT_CALLS and name.decode() not in scope.locals \
                        and name.decode() not in scope.params:
                    continue
            elif (ft == "selector_expression" and self._unsafe
                  and src[fn.start_byte:fn.start_byte + 7] == b"unsafe."):
                continue
            callee = self.expr(fn, scope)
            spread = False
            args: list[Expr] = []
            ctext = None
            for k, a in enumerate(_named(n.child_by_field_name("arguments"))):
                if a.type == "variadic_argument":
                    spread = True
                    kids = _named(a)
                    if not kids:
                        continue
                    a = kids[0]
                e = self.expr(a, scope)
                args.append(e)
                if e.kind in ("name", "qualified"):
                    if ctext is None:
                        ctext = callee.text
                    self._value_use(e, "arg", out, k, ctext)
            out.append((n.start_byte, -n.end_byte, 0, n,
                        (Call, (n.start_byte, n.end_byte, lm, callee, tuple(args)), (spread,))))

    def _assigns(self, stmts: Iterable[Node], out: list[_Pending]) -> None:
        for n in stmts:
            left = _named(n.child_by_field_name("left"))
            rnode = n.child_by_field_name("right")
            right = _named(rnode)
            if n.type == "short_var_declaration":
                op = ":="
            else:
                o = n.child_by_field_name("operator")
                op = o.type if o is not None else "="
            self._emit_assign(n, left, right, rnode, op, out)

    def _emit_assign(self, n: Node, left: list[Node], right: list[Node], rnode: Node | None,
                     op: str, out: list[_Pending]) -> None:
        scope = self._scope_at(n.start_byte)
        paired = len(left) == len(right)
        rtext = self.text(rnode) if rnode is not None and not paired else ""
        role = "define" if op == ":=" else "var" if op == "var" else "assign"
        for k, t in enumerate(left):
            target = self.expr(t, scope)
            value = self.expr(right[k], scope) if paired else None
            out.append((n.start_byte, -n.end_byte, 1, n,
                        (Assign, (n.start_byte, n.end_byte, self.lm, target, value, op),
                         (rtext,))))
            if value is not None:
                self._value_use(value, role, out)

    def _vars(self, specs: Iterable[Node], out: list[_Pending]) -> None:
        for n in specs:
            names = _names(n)
            vnode = n.child_by_field_name("value")
            values = _named(vnode)
            if self._func_at(n.start_byte) is not None:
                if values:
                    self._emit_assign(n, names, values, vnode, "var", out)
                continue
            typ = n.child_by_field_name("type")
            paired = len(values) == len(names)
            for k, nm in enumerate(names):
                value = self.expr(values[k], self._pkg_scope) if paired else None
                funcs: tuple[Expr, ...] = ()
                comp = None
                if paired and values[k].type == "composite_literal":
                    funcs = tuple(self._table_funcs(values[k]))
                    ctyp, elems = self._complit(values[k], self._pkg_scope)
                    comp = CompositeLit(values[k].start_byte, values[k].end_byte, self.lm,
                                        ctyp, elems, ())
                self.file.vars.append(VarDecl(self.text(nm), self.span(nm),
                                              self.text(typ) if typ is not None else None,
                                              value, funcs, comp))
            if values:
                self._emit_assign(n, names, values, vnode, "var", out)

    def _table_funcs(self, lit: Node) -> Iterable[Expr]:
        """Identifier / pkg.Name values anywhere inside a composite literal (keys skipped)."""
        stack = [lit]
        found: list[Expr] = []
        while stack:
            x = stack.pop()
            for c in _named(x):
                t = c.type
                if t in ("literal_value", "composite_literal", "literal_element"):
                    stack.append(c)
                elif t == "keyed_element":
                    v = c.child_by_field_name("value")
                    if v is not None:
                        stack.append(v)
                elif t in ("identifier", "selector_expression") and x.type == "literal_element":
                    e = self.expr(c, self._pkg_scope)
                    if e.kind == "qualified" or (e.kind == "name" and e.const is None
                                                 and e.name not in _PREDECLARED):
                        found.append(e)
        found.sort(key=lambda e: e.start)
        return found

    def _values(self, caps: dict[str, list[Node]], out: list[_Pending]) -> None:
        """Value uses outside calls and assignments: return values and sent values."""
        for cap, role in (("val.return", "return"), ("val.send", "send")):
            for n in caps.get(cap, ()):
                self._value_use(self.expr(n, self._scope_at(n.start_byte)), role, out)

    def _complit(self, n: Node, scope: _Scope, out: list[_Pending] | None = None
                 ) -> tuple[str, tuple[Element, ...]]:
        if n.type == "composite_literal":
            t = n.child_by_field_name("type")
            typ = self.text(t) if t is not None else ""
            body = n.child_by_field_name("body")
        else:
            typ, body = "", n
        elems: list[Element] = []
        for c in _named(body):
            key = None
            if c.type == "keyed_element":
                k = c.child_by_field_name("key")
                key = self.text(k) if k is not None else None
                c = c.child_by_field_name("value")
            if c is None or c.type != "literal_element":
                continue
            vk = _named(c)
            if vk:
                e = self.expr(vk[0], scope)
                elems.append(Element(key, e))
                if out is not None:
                    self._value_use(e, "element", out, key=key)
        return typ, tuple(elems)

    def _complits(self, lits: Iterable[Node], out: list[_Pending]) -> None:
        for n in lits:
            typ, elems = self._complit(n, self._scope_at(n.start_byte), out)
            out.append((n.start_byte, -n.end_byte, 3, n,
                        (CompositeLit, (n.start_byte, n.end_byte, self.lm, typ, elems), ())))

    def _convs(self, convs: Iterable[Node], out: list[_Pending]) -> None:
        for n in convs:
            if n.type == "type_conversion_expression":
                tnode = n.child_by_field_name("type")
                operand = n.child_by_field_name("operand")
            else:
                tnode = n.child_by_field_name("function")
                operand = next(iter(_named(n.child_by_field_name("arguments"))), None)
            if tnode is None or operand is None:
                continue
            ptype = self.text(tnode)[1:-1].strip()  # drop the parentheses
            # The conversion must be the operand of a deref, index or slice.
            top = n
            par = n.parent
            while par is not None and par.type == "parenthesized_expression":
                top, par = par, par.parent
            if par is None:
                continue
            mode = None
            if par.type == "unary_expression":
                o = par.child_by_field_name("operator")
                if o is not None and o.type == "*":
                    mode = "deref"
            elif par.type in ("index_expression", "slice_expression"):
                opnd = par.child_by_field_name("operand")
                if opnd is not None and opnd.id == top.id:
                    mode = "index" if par.type == "index_expression" else "slice"
            if mode is None:
                continue
            addr = _strip_conversions(operand, self.src)
            scope = self._scope_at(n.start_byte)
            out.append((par.start_byte, -par.end_byte, 4, par,
                        (CodeDeref, (par.start_byte, par.end_byte, self.lm, ptype,
                                     self.expr(addr, scope), mode, self._is_written(par)),
                         ())))

    def _is_written(self, n: Node) -> bool:
        p = n.parent
        while p is not None and p.type == "parenthesized_expression":
            n, p = p, p.parent
        if p is None:
            return False
        if p.type in ("inc_statement", "dec_statement"):
            return True
        if p.type == "expression_list":
            stmt = p.parent
            if stmt is not None and stmt.type == "assignment_statement":
                left = stmt.child_by_field_name("left")
                return left is not None and left.id == p.id
        return False

    # -- nesting frames ------------------------------------------------------------------
    def _frames(self, caps: dict[str, list[Node]]) -> list[tuple[int, int, Frame]]:
        frames: list[tuple[int, int, Frame]] = []
        lm = self.lm
        for cap, kind in (("frame.if", "if"), ("frame.else", "else"), ("frame.for", "for"),
                          ("frame.case", "case"), ("frame.default", None),
                          ("frame.select", "select"), ("frame.go", "go"),
                          ("frame.defer", "defer"), ("frame.closure", "closure"),
                          ("frame.cond", "cond")):
            for n in caps.get(cap, ()):
                k = kind
                if cap in ("frame.go", "frame.defer"):
                    stmt = n
                else:
                    stmt = n.parent
                    if cap == "frame.for" and stmt is not None and stmt.type == "for_clause":
                        stmt = stmt.parent
                    if cap == "frame.default" and stmt is not None:
                        k = "select" if stmt.type == "select_statement" else "case"
                if stmt is None or k is None:
                    continue
                b0, b1 = n.start_byte, n.end_byte
                frames.append((b0, b1, Frame(k, stmt.start_byte, stmt.end_byte, b0, b1, lm)))
        frames.sort(key=_frame_key)
        return frames

    def _distribute(self, events: list[_Pending], frames: list[tuple[int, int, Frame]]
                    ) -> None:
        events.sort(key=_pending_key)
        fi = 0
        nframes = len(frames)
        stack: list[tuple[int, int, Frame]] = []
        ctx: tuple[Frame, ...] = ()
        funcs = [s.func for s in self._fscope]
        fstart, fend = self._fstart, self._fend
        pkg_events = self.file.package_events
        for pos, _neg_end, _k, node, (cls, before, after) in events:
            changed = False
            while fi < nframes and frames[fi][0] <= pos:
                fr = frames[fi]
                fi += 1
                while stack and stack[-1][1] <= fr[0]:
                    stack.pop()
                stack.append(fr)
                changed = True
            while stack and stack[-1][1] <= pos:
                stack.pop()
                changed = True
            if changed:
                ctx = tuple(f[2] for f in stack)
            ev: Event = cls(*before, ctx, *after)
            i = bisect.bisect_right(fstart, pos) - 1
            fd = funcs[i] if i >= 0 and pos < fend[i] else None
            if fd is None:
                pkg_events.append(ev)
            else:
                fd.events.append(ev)
            if cls is Call:
                ck = ev.callee.kind  # type: ignore[union-attr]
                if ck == "qualified" or ck == "selector":
                    self._abi_reflect_idiom(ev, node, fd)  # type: ignore[arg-type]

    def _context_at(self, pos: int, frames: list[tuple[int, int, Frame]]) -> tuple[Frame, ...]:
        return tuple(f for s, e, f in frames if s <= pos < e)

    # -- idioms --------------------------------------------------------------------------
    def _abi_reflect_idiom(self, call: Call, n: Node, fd: FuncDecl | None) -> None:
        callee = call.callee
        func = fd.symbol if fd is not None else None
        if callee.kind == "qualified" and callee.pkg == "internal/abi":
            kind = ABI_FUNCS.get(callee.name or "")
            if kind and call.args:
                self.file.idioms.append(IdiomSite(kind, call.span, call.args[0], func,
                                                  call.context, callee.text, callee.pkg))
            return
        if (callee.kind == "selector" and callee.name in ("Pointer", "UnsafePointer")
                and not call.args):
            fn = n.child_by_field_name("function")
            inner = fn.child_by_field_name("operand") if fn is not None else None
            while inner is not None and inner.type == "parenthesized_expression":
                kids = _named(inner)
                inner = kids[0] if len(kids) == 1 else None
            if inner is None or inner.type != "call_expression":
                return
            vf = inner.child_by_field_name("function")
            vargs = _named(inner.child_by_field_name("arguments"))
            if vf is None or len(vargs) != 1 or vf.type != "selector_expression":
                return
            scope = self._scope_at(n.start_byte)
            ve = self.expr(vf, scope)
            if ve.kind == "qualified" and ve.pkg == "reflect" and ve.name == "ValueOf":
                self.file.idioms.append(IdiomSite("reflect", call.span,
                                                  self.expr(vargs[0], scope), func,
                                                  call.context, callee.text, "reflect"))

    def _code_pointer_reads(self, addrofs: list[Node],
                            frames: list[tuple[int, int, Frame]]) -> None:
        if not addrofs:
            return
        for read in find_code_pointer_reads(addrofs, self.src, self._body_of):
            self._record_read(read, frames)

    def _body_of(self, pos: int) -> Node | None:
        i = self._func_at(pos)
        if i is None:
            return None
        return self.root.descendant_for_byte_range(self._fstart[i], self._fend[i])

    def _record_read(self, read: CodePointerRead, frames: list[tuple[int, int, Frame]]) -> None:
        scope = self._scope_at(read.top.start_byte)
        fd = scope.func
        name = read.name
        if fd is not None and name in scope.params and name not in scope.locals:
            idx = fd.param_index(name)
            if idx is None or not _code_carrier_type(fd.params[idx].type):
                return
            # Funcpc-like when the code pointer is what the function returns.
            if flows_to_result(read.top, self.src, self._body_of(read.top.start_byte),
                               [p.name for p in fd.results if p.name]):
                if fd.funcpc_param is None:
                    fd.funcpc_param = idx
                    fd.funcpc_span = self.span(read.top)
                return
            if read.via_data:
                return  # reading an `any` parameter's data word is how values get printed
            # Otherwise an inline read whose func value is the parameter: a "deref" site.
        site = IdiomSite("deref", self.span(read.top), self.expr(read.base, scope),
                         fd.symbol if fd is not None else None,
                         self._context_at(read.top.start_byte, frames))
        self.file.idioms.append(site)


# Parameter types that cannot hold a func value: reading two words through &p of these is
# pointer chasing, not a code address (`**(**uintptr)(unsafe.Pointer(&sym))` for a dlsym
# result).
_NOT_CODE = frozenset({"uintptr", "unsafe.Pointer", "string", "bool", "byte", "rune",
                       "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
                       "uint32", "uint64", "float32", "float64", "complex64", "complex128"})


def _code_carrier_type(typ: str) -> bool:
    t = typ.strip()
    if t in _NOT_CODE:
        return False
    return not t.startswith(("*", "[", "map[", "chan ", "<-chan", "chan<-"))


def _strip_conversions(n: Node, src: bytes) -> Node:
    """`unsafe.Pointer(uintptr(x))` → x; parentheses dropped."""
    for _ in range(32):
        if n.type == "parenthesized_expression":
            kids = _named(n)
            if len(kids) != 1:
                return n
            n = kids[0]
            continue
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            args = _named(n.child_by_field_name("arguments"))
            if fn is not None and len(args) == 1 and \
                    src[fn.start_byte:fn.end_byte] in (b"unsafe.Pointer", b"uintptr"):
                n = args[0]
                continue
        return n
    return n


def _with_value(c: ConstDecl, v: C.ConstVal | None) -> ConstDecl:
    if v is None:
        return c
    return ConstDecl(c.name, c.span, v.value, v.type or c.type, c.text, c.cexpr, c.iota,
                     c.local_to)
