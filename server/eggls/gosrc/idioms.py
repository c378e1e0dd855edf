"""Code-address idioms: expressions that turn a Go func value into a code address.

Three families (all recorded as IdiomSite):
- reading the code pointer out of a func value, `**(**uintptr)(unsafe.Pointer(&f))`, with or
  without the interface data-word offset (`uintptr(unsafe.Pointer(&f)) + 8`, `add(…, 8)`,
  `efaceOf(&f).data`, also through one local variable). When f is a parameter the enclosing
  function is *funcpc-like* (FuncDecl.funcpc_param) and each call of it is a "funcpc" site;
  otherwise the read itself is a "deref" site;
- `reflect.ValueOf(f).Pointer()` / `.UnsafePointer()` ("reflect");
- `abi.FuncPCABI0(f)` / `abi.FuncPCABIInternal(f)` ("abi0" / "abiinternal").

The per-file part (find_code_pointer_reads) runs during indexing; funcpc_like and
package_idioms resolve calls across the files of a package and, through a resolver, across
imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from tree_sitter import Node

from eggls.diagnostics import Span
from eggls.gosrc.model import Call, GoFile, IdiomSite
from eggls.gosrc.parse import named as _named
from eggls.gosrc.parse import names as _names

ABI_FUNCS = {"FuncPCABI0": "abi0", "FuncPCABIInternal": "abiinternal"}

# (import path, function name) → index of the func-value parameter, or None.
FuncPCResolver = Callable[[str, str], int | None]

_CONVERSIONS = (b"unsafe.Pointer", b"uintptr")
_OFFSET_FUNCS = (b"add", b"unsafe.Add")  # runtime's add(p, x) and unsafe.Add
_EFACE_FUNCS = (b"efaceOf",)
_MAX_CLIMB = 64
_WORD_TYPES = frozenset({b"uintptr", b"unsafe.Pointer", b"uint64", b"funcval"})


@dataclass(frozen=True, slots=True)
class CodePointerRead:
    """`&name` … two loads later: the code pointer of the func value in `name`."""

    name: str
    base: Node  # the identifier `name` in `&name`
    top: Node  # the expression that yields the code pointer
    via_data: bool  # read through an eface data word (also how any values are printed)


@dataclass(frozen=True, slots=True)
class FuncPCLike:
    name: str  # package-level function name
    param: int  # index of the func-value parameter
    path: str  # file declaring it
    span: Span  # the code-pointer read, or the forwarding call
    via: str | None = None  # callee text when it forwards its parameter to another one




def _word_pointer(conv: bytes) -> int:
    """How many loads `(*…T)` allows: its pointer depth when T is a machine word a code
    pointer can be read as, else 0."""
    t = conv.strip(b"() \t")
    base = t.lstrip(b"*")
    return len(t) - len(base) if base.strip() in _WORD_TYPES else 0


@dataclass(slots=True)
class _Chain:
    """State while following `&x` outwards."""

    loads: int = 0
    eface: bool = False  # the value is a pointer to an eface (efaceOf(&x), (*eface)(…))
    via_data: bool = False  # a load went through an eface's data word


def _climb(node: Node, src: bytes, st: _Chain) -> tuple[Node, Node | None]:
    """Follow the expression around node outwards through pointer conversions, offsets and
    loads, updating st. Returns (outermost node reached, node where loads reached 2).

    A load is `*p` through a pointer to a word type, or `.data` of an eface pointer
    (efaceOf(&x), (*eface)(…)); `*` of an eface pointer copies the eface and loads nothing.
    """
    depth = 0  # loads the last pointer conversion allows
    for _ in range(_MAX_CLIMB):
        p = node.parent
        if p is None:
            break
        t = p.type
        if t == "parenthesized_expression":
            node = p
            continue
        if t == "argument_list":
            call = p.parent
            args = _named(p)
            if call is None or call.type != "call_expression" or not args \
                    or args[0].id != node.id:
                break
            fn = call.child_by_field_name("function")
            if fn is None:
                break
            ftext = src[fn.start_byte:fn.end_byte]
            if len(args) == 1 and ftext in _CONVERSIONS:
                node = call
                continue
            if len(args) == 1 and fn.type == "parenthesized_expression":
                st.eface = st.eface or b"eface" in ftext
                depth = _word_pointer(ftext)
                node = call
                continue
            if ftext in _OFFSET_FUNCS:
                node = call
                continue
            if ftext in _EFACE_FUNCS:
                st.eface = True
                node = call
                continue
            break
        if t == "type_conversion_expression":
            ty = p.child_by_field_name("type")
            if ty is not None:
                conv = src[ty.start_byte:ty.end_byte]
                st.eface = st.eface or b"eface" in conv
                depth = _word_pointer(conv)
            node = p
            continue
        if t == "binary_expression":
            op = p.child_by_field_name("operator")
            if op is None or op.type not in ("+", "-"):
                break
            node = p
            continue
        if t == "unary_expression":
            op = p.child_by_field_name("operator")
            if op is None or op.type != "*":
                break
            node = p
            if st.eface:
                continue  # copies the eface
            if depth <= 0:
                break
            st.loads += 1
            depth -= 1
            if st.loads >= 2:
                return node, node
            continue
        if t == "selector_expression" and st.eface:
            fld = p.child_by_field_name("field")
            if fld is None or src[fld.start_byte:fld.end_byte] != b"data":
                break
            st.loads += 1
            st.eface = False
            st.via_data = True
            depth = 0
            node = p
            if st.loads >= 2:
                return node, node
            continue
        break
    return node, None


def _assigned_var(node: Node, src: bytes) -> tuple[str, Node] | None:
    """`v := <node>` / `v = <node>` / `var v = <node>` with one target: (v, statement)."""
    p = node.parent
    if p is None or p.type != "expression_list":
        return None
    stmt = p.parent
    if stmt is None or stmt.type not in ("short_var_declaration", "assignment_statement",
                                         "var_spec"):
        return None
    if len(_named(p)) != 1:
        return None
    if stmt.type == "var_spec":
        names = _names(stmt)
        target = names[0] if len(names) == 1 else None
    else:
        right = stmt.child_by_field_name("right")
        if right is None or right.id != p.id:
            return None
        left = _named(stmt.child_by_field_name("left"))
        target = left[0] if len(left) == 1 else None
    if target is None or target.type != "identifier":
        return None
    return src[target.start_byte:target.end_byte].decode("utf-8", "replace"), stmt


def _identifiers_after(body: Node, name: bytes, after: int, src: bytes) -> Iterable[Node]:
    stack = [body]
    while stack:
        n = stack.pop()
        if n.end_byte <= after:
            continue
        if n.type == "identifier":
            if n.start_byte >= after and src[n.start_byte:n.end_byte] == name:
                yield n
            continue
        stack.extend(n.children)


def find_code_pointer_reads(addrofs: Iterable[Node], src: bytes,
                            body_of: Callable[[int], Node | None]) -> list[CodePointerRead]:
    """Code-pointer reads among `&x` nodes (unary & of an identifier).

    body_of(byte) gives the function body around a position, for following one local
    variable (`p := …(&f)…; return *(*uintptr)(p)`).
    """
    reads: list[CodePointerRead] = []
    for a in addrofs:
        base = a.child_by_field_name("operand")
        if base is None:
            continue
        name = src[base.start_byte:base.end_byte].decode("utf-8", "replace")
        st = _Chain()
        end, top = _climb(a, src, st)
        if top is not None:
            reads.append(CodePointerRead(name, base, top, st.via_data))
            continue
        if st.loads == 0 and not st.eface and end.id == a.id:
            continue  # plain &x, not a pointer conversion
        var = _assigned_var(end, src)
        body = body_of(a.start_byte)
        if var is None or body is None:
            continue
        vname, stmt = var
        for ident in _identifiers_after(body, vname.encode(), stmt.end_byte, src):
            st2 = _Chain(st.loads, st.eface, st.via_data)
            _end, top2 = _climb(ident, src, st2)
            if top2 is not None:
                reads.append(CodePointerRead(name, base, top2, st2.via_data))
                break
    return reads


def flows_to_result(top: Node, src: bytes, body: Node | None, results: Iterable[str]) -> bool:
    """Does the value of top leave the function as its result? `return <top>`, or `v = <top>`
    / `v := <top>` with v a named result or returned later (`return v`)."""
    node = top
    for _ in range(_MAX_CLIMB):
        p = node.parent
        if p is None:
            return False
        if p.type == "parenthesized_expression":
            node = p
            continue
        if p.type == "argument_list":  # through a conversion such as uintptr(…)
            call = p.parent
            fn = call.child_by_field_name("function") if call is not None else None
            if fn is None or src[fn.start_byte:fn.end_byte] not in _CONVERSIONS \
                    or len(_named(p)) != 1:
                return False
            node = call
            continue
        break
    p = node.parent
    if p is None or p.type != "expression_list":
        return False
    stmt = p.parent
    if stmt is not None and stmt.type == "return_statement":
        return True
    var = _assigned_var(node, src)
    if var is None:
        return False
    name = var[0]
    if name in set(results):
        return True
    if body is None:
        return False
    text = src[body.start_byte:body.end_byte]
    return re.search(rb"\breturn\s+" + re.escape(name.encode()) + rb"\s*(?:[;}\n]|//)", text) \
        is not None


def _resolve(call: Call, local: Mapping[str, FuncPCLike],
             imported: FuncPCResolver | None) -> int | None:
    c = call.callee
    if c.kind == "name" and c.name in local:
        return local[c.name].param
    if c.kind == "qualified" and imported is not None and c.pkg and c.name:
        return imported(c.pkg, c.name)
    return None


def funcpc_like(files: Sequence[GoFile], imported: FuncPCResolver | None = None
                ) -> dict[str, FuncPCLike]:
    """Package-level functions of one package that return the code address of a parameter:
    directly (FuncDecl.funcpc_param) or by passing the parameter on to a funcpc-like
    function of this package or (through imported) of another package."""
    found: dict[str, FuncPCLike] = {}
    for f in files:
        for fd in f.funcs:
            if fd.recv_type is None and fd.funcpc_param is not None:
                found[fd.name] = FuncPCLike(fd.name, fd.funcpc_param, f.path,
                                            fd.funcpc_span or fd.name_span)
    changed = True
    while changed:
        changed = False
        for f in files:
            for fd in f.funcs:
                if fd.recv_type is not None or fd.name in found or not fd.has_body:
                    continue
                for ev in fd.events:
                    if not isinstance(ev, Call):
                        continue
                    j = _resolve(ev, found, imported)
                    if j is None or j >= len(ev.args) or ev.args[j].kind != "param":
                        continue
                    idx = fd.param_index(ev.args[j].name or "")
                    if idx is None:
                        continue
                    found[fd.name] = FuncPCLike(fd.name, idx, f.path, ev.span, ev.callee.text)
                    changed = True
                    break
    return found


def package_idioms(files: Sequence[GoFile], imported: FuncPCResolver | None = None,
                   local: Mapping[str, FuncPCLike] | None = None) -> list[IdiomSite]:
    """Every code-address idiom site in one package's files, in file then source order.

    A "funcpc" site whose arg is a parameter of a funcpc-like function is that function
    forwarding its own parameter; its callers are sites too.
    """
    if local is None:
        local = funcpc_like(files, imported)
    sites: list[IdiomSite] = []
    for f in files:
        here: list[IdiomSite] = list(f.idioms)
        scopes = [(fd.symbol, fd.events) for fd in f.funcs]
        scopes.append((None, f.package_events))  # type: ignore[arg-type]
        for sym, events in scopes:
            for ev in events:
                if not isinstance(ev, Call):
                    continue
                j = _resolve(ev, local, imported)
                if j is None or j >= len(ev.args):
                    continue
                here.append(IdiomSite("funcpc", ev.span, ev.args[j], sym, ev.context,
                                      ev.callee.text, ev.callee.pkg))
        here.sort(key=lambda s: (s.span.line, s.span.col))
        sites.extend(here)
    return sites
