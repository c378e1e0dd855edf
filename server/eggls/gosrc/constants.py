"""Integer constant expressions: from syntax to CExpr tuples, and their evaluation.

Covers what kernels write for MSR numbers, CR4 bits and flags: integer and rune literals in
every Go base, + - * / % << >> & | ^ &^, unary - + ^, parentheses, conversions to integer
types (which fix the width `^` complements in), references to other constants (same file,
package, or `pkg.Name` through a caller-supplied table) and iota. Anything else is None.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tree_sitter import Node

CExpr = tuple

# Integer widths on 64-bit targets (the analysis is about amd64); None means signed.
_BITS = {"int8": 8, "int16": 16, "int32": 32, "rune": 32, "int64": 64, "int": 64,
         "uint8": 8, "byte": 8, "uint16": 16, "uint32": 32, "uint64": 64, "uint": 64,
         "uintptr": 64}
_UNSIGNED = frozenset({"uint8", "byte", "uint16", "uint32", "uint64", "uint", "uintptr"})
INT_TYPES = frozenset(_BITS)

_MAX_DEPTH = 64  # deeper expressions are not constants anyone writes; avoids recursion blowups
_MAX_SHIFT = 1024


@dataclass(frozen=True, slots=True)
class ConstVal:
    value: int
    type: str | None  # basic integer type name, or None when untyped


# name → value; qual(import path or alias, name) → value
Lookup = Callable[[str], ConstVal | None]
QualLookup = Callable[[str, str], ConstVal | None]


def parse_int_literal(text: str) -> int | None:
    t = text.replace("_", "")
    try:
        if len(t) > 1 and t[0] == "0" and t[1] in "xXbBoO":
            return int(t, 0)
        if len(t) > 1 and t[0] == "0" and t.isdigit():
            return int(t, 8)  # legacy octal 0777
        return int(t, 10)
    except ValueError:
        return None


def parse_rune_literal(text: str) -> int | None:
    if len(text) < 3 or text[0] != "'" or text[-1] != "'":
        return None
    body = text[1:-1]
    if not body.startswith("\\"):
        return ord(body) if len(body) == 1 else None
    try:
        # Go's escapes are a subset of Python's except \U/\u/\x/octal, which agree.
        s = ast.literal_eval("'" + body + "'") if not body.startswith("\\'") else "'"
    except (ValueError, SyntaxError):
        return None
    if isinstance(s, str) and len(s) == 1:
        return ord(s)
    return None


def to_cexpr(node: Node, src: bytes, imports: Mapping[str, str] | None = None,
             depth: int = 0) -> CExpr | None:
    """CExpr for an expression node, or None when it cannot be an integer constant.

    imports maps the file's package names to import paths, so `pkg.Name` becomes
    ("qual", path, Name); a selector on anything else is not constant.
    """
    if depth > _MAX_DEPTH:
        return None
    t = node.type
    if t == "int_literal":
        v = parse_int_literal(src[node.start_byte:node.end_byte].decode("utf-8", "replace"))
        return None if v is None else ("int", v)
    if t == "identifier":
        name = src[node.start_byte:node.end_byte].decode("utf-8", "replace")
        return ("iota",) if name == "iota" else ("name", name)
    if t == "iota":
        return ("iota",)
    if t == "parenthesized_expression":
        inner = [c for c in node.named_children if c.type != "comment"]
        return to_cexpr(inner[0], src, imports, depth + 1) if len(inner) == 1 else None
    if t == "rune_literal":
        v = parse_rune_literal(src[node.start_byte:node.end_byte].decode("utf-8", "replace"))
        return None if v is None else ("int", v)
    if t == "unary_expression":
        op = node.child_by_field_name("operator")
        x = node.child_by_field_name("operand")
        if op is None or x is None or op.type not in ("-", "+", "^"):
            return None
        cx = to_cexpr(x, src, imports, depth + 1)
        return None if cx is None else ("un", op.type, cx)
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        a = node.child_by_field_name("left")
        b = node.child_by_field_name("right")
        if op is None or a is None or b is None or op.type not in _BINOPS:
            return None
        ca = to_cexpr(a, src, imports, depth + 1)
        if ca is None:
            return None
        cb = to_cexpr(b, src, imports, depth + 1)
        return None if cb is None else ("bin", op.type, ca, cb)
    if t == "selector_expression":
        x = node.child_by_field_name("operand")
        f = node.child_by_field_name("field")
        if x is None or f is None or x.type != "identifier":
            return None
        pkg = src[x.start_byte:x.end_byte].decode("utf-8", "replace")
        if imports is None or pkg not in imports:
            return None
        return ("qual", imports[pkg], src[f.start_byte:f.end_byte].decode("utf-8", "replace"))
    if t in ("call_expression", "type_conversion_expression"):
        fn = node.child_by_field_name("function") or node.child_by_field_name("type")
        if t == "call_expression":
            args = node.child_by_field_name("arguments")
            operands = ([c for c in args.named_children if c.type != "comment"]
                        if args is not None else [])
        else:
            x = node.child_by_field_name("operand")
            operands = [x] if x is not None else []
        if fn is None or len(operands) != 1 or fn.type not in ("identifier", "type_identifier"):
            return None
        cx = to_cexpr(operands[0], src, imports, depth + 1)
        if cx is None:
            return None
        return ("conv", src[fn.start_byte:fn.end_byte].decode("utf-8", "replace"), cx)
    return None


_BINOPS = frozenset({"+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "&^"})


def substitute_iota(cx: CExpr, iota: int) -> CExpr:
    if cx[0] == "iota":
        return ("int", iota)
    if cx[0] == "un":
        return ("un", cx[1], substitute_iota(cx[2], iota))
    if cx[0] == "bin":
        return ("bin", cx[1], substitute_iota(cx[2], iota), substitute_iota(cx[3], iota))
    if cx[0] == "conv":
        return ("conv", cx[1], substitute_iota(cx[2], iota))
    return cx


def _wrap(v: int, typ: str | None) -> int:
    bits = _BITS.get(typ or "")
    if bits is None:
        return v
    v &= (1 << bits) - 1
    if typ not in _UNSIGNED and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def evaluate_typed(cx: CExpr | None, lookup: Lookup,
                   qual: QualLookup | None = None,
                   types: Mapping[str, str] | None = None,
                   _depth: int = 0) -> ConstVal | None:
    """Evaluate a CExpr. types maps declared type names to their underlying type text, so
    `MSR(0x10)` with `type MSR uint32` is typed uint32."""
    if cx is None or _depth > _MAX_DEPTH:
        return None
    k = cx[0]
    if k == "int":
        return ConstVal(cx[1], None)
    if k == "name":
        return lookup(cx[1])
    if k == "qual":
        return qual(cx[1], cx[2]) if qual is not None else None
    if k == "un":
        x = evaluate_typed(cx[2], lookup, qual, types, _depth + 1)
        if x is None:
            return None
        if cx[1] == "-":
            return ConstVal(_wrap(-x.value, x.type), x.type)
        if cx[1] == "+":
            return x
        if x.type in _UNSIGNED:  # ^x on an unsigned type flips the type's bits only
            return ConstVal(x.value ^ ((1 << _BITS[x.type]) - 1), x.type)
        return ConstVal(~x.value, x.type)
    if k == "bin":
        a = evaluate_typed(cx[2], lookup, qual, types, _depth + 1)
        if a is None:
            return None
        b = evaluate_typed(cx[3], lookup, qual, types, _depth + 1)
        if b is None:
            return None
        op = cx[1]
        # Shifts take the left operand's type; other operators the typed operand's.
        typ = a.type if op in ("<<", ">>") else (a.type or b.type)
        v = _binop(op, a.value, b.value)
        return None if v is None else ConstVal(_wrap(v, typ), typ)
    if k == "conv":
        typ = _underlying(cx[1], types)
        if typ not in INT_TYPES:
            return None
        x = evaluate_typed(cx[2], lookup, qual, types, _depth + 1)
        return None if x is None else ConstVal(_wrap(x.value, typ), typ)
    return None


def evaluate(cx: CExpr | None, consts: Mapping[str, ConstVal] | Lookup | None = None,
             qual: QualLookup | None = None, types: Mapping[str, str] | None = None
             ) -> int | None:
    """Integer value of a CExpr given a table (or lookup function) of named constants."""
    if consts is None:
        lookup: Lookup = _no_lookup
    elif callable(consts):
        lookup = consts
    else:
        lookup = consts.get
    r = evaluate_typed(cx, lookup, qual, types)
    return None if r is None else r.value


def _declared(v: ConstVal, typ: str, types: Mapping[str, str] | None) -> ConstVal | None:
    """Apply a declared type: integer types fix the width; a named type not known here keeps
    the value untyped (it is declared in another file); other known types are not integers."""
    ut = _underlying(typ, types)
    if ut in INT_TYPES:
        return ConstVal(_wrap(v.value, ut), ut)
    if ut.isidentifier() and ut not in _NON_INT and (types is None or ut not in types):
        return ConstVal(v.value, None)
    return None


_NON_INT = frozenset({"bool", "string", "float32", "float64", "complex64", "complex128"})


def _no_lookup(_name: str) -> ConstVal | None:
    return None


def _underlying(name: str, types: Mapping[str, str] | None) -> str:
    seen = 0
    while types is not None and name not in INT_TYPES and name in types and seen < 16:
        name = types[name]
        seen += 1
    return name


def _binop(op: str, a: int, b: int) -> int | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op in ("/", "%"):
        if b == 0:
            return None
        q = abs(a) // abs(b)
        if (a < 0) != (b < 0):
            q = -q  # Go truncates toward zero
        return q if op == "/" else a - q * b
    if op == "<<":
        return a << b if 0 <= b <= _MAX_SHIFT else None
    if op == ">>":
        return a >> b if b >= 0 else None
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "&^":
        return a & ~b
    return None


def resolve_all(decls: Iterable[tuple[str, CExpr | None, str | None]],
                outer: Lookup | None = None, qual: QualLookup | None = None,
                types: Mapping[str, str] | None = None) -> dict[str, ConstVal]:
    """Evaluate a set of constant declarations that may refer to each other in any order.

    decls: (name, cexpr with iota substituted, declared type or None). Names that cannot be
    evaluated (cycles, non-integers, unknown references) are absent from the result.
    """
    pending = {name: (cx, typ) for name, cx, typ in decls if cx is not None}
    done: dict[str, ConstVal] = {}
    failed: set[str] = set()
    active: set[str] = set()

    def look(name: str) -> ConstVal | None:
        if name in done:
            return done[name]
        if name in pending and name not in active and name not in failed:
            active.add(name)
            try:
                cx, typ = pending[name]
                r = evaluate_typed(cx, look, qual, types)
                if r is not None and typ is not None:
                    r = _declared(r, typ, types)
                if r is None:
                    failed.add(name)
                else:
                    done[name] = r
                return r
            finally:
                active.discard(name)
        return outer(name) if outer is not None else None

    for name in pending:
        look(name)
    return done
