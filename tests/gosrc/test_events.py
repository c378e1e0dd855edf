"""Events inside bodies: calls, value uses, assignments, composite literals, code derefs,
and the nesting context of each."""

from __future__ import annotations

from eggls.gosrc.model import Assign, Call, CodeDeref, CompositeLit, ValueUse

from .helpers import call_named, calls, func, idx, pos


def ctx(ev) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.kind for f in ev.context]


def test_calls_callees_and_arguments() -> None:
    f = idx('''
        package k

        import (
            "unsafe"
            rt "runtime"
        )

        func f(p uintptr, fn func()) {
            local := 1
            g(p, local, 7, "s", trap0, rt.GC, t.m, vec[2], func() {}, &x)
            rt.KeepAlive(p)
            t.method()
            fn()
            h(xs...)
            _ = uintptr(unsafe.Pointer(&local))   // conversions are not calls
            _ = len(xs) + cap(xs)                   // nor builtins
            _ = (*T)(unsafe.Pointer(p))
            _ = unsafe.Sizeof(p)
        }

        func g(len func(int)) {
            len(1)  // a shadowed builtin is a call
        }
    ''')
    fd = func(f, "f")
    cs = calls(fd.events)
    assert [c.callee.text for c in cs] == ["g", "rt.KeepAlive", "t.method", "fn", "h"]
    g = cs[0]
    assert [(a.text, a.kind, a.name) for a in g.args] == [
        ("p", "param", "p"), ("local", "local", "local"), ("7", "literal", None),
        ('"s"', "literal", None), ("trap0", "name", "trap0"), ("rt.GC", "qualified", "GC"),
        ("t.m", "selector", "m"), ("vec[2]", "index", "vec"), ("func() {}", "funclit", None),
        ("&x", "addr", "x")]
    assert g.args[5].pkg == "runtime"
    assert g.args[6].base == "t" and g.args[7].base == "vec"
    assert pos(g.span) == (10, 5, 10, 66)
    assert (cs[1].name, cs[1].pkg, cs[1].callee.kind) == ("KeepAlive", "runtime", "qualified")
    assert (cs[2].name, cs[2].pkg, cs[2].callee.kind) == ("method", None, "selector")
    assert (cs[3].name, cs[3].callee.kind) == ("fn", "param")
    assert cs[4].spread and [a.text for a in cs[4].args] == ["xs"]
    assert [c.callee.kind for c in calls(func(f, "g").events)] == ["param"]


def test_events_are_in_source_order_with_nested_calls_after_their_parent() -> None:
    f = idx('''
        package k

        func f() {
            a()
            x := b(c(), d())
            e()
        }
    ''')
    fd = func(f, "f")
    assert [c.name for c in calls(fd.events)] == ["a", "b", "c", "d", "e"]
    kinds = [type(e).__name__ for e in fd.events]
    assert kinds == ["Call", "Assign", "Call", "Call", "Call", "Call"]
    # Evaluation order is end order: c and d complete before b.
    by_end = sorted(calls(fd.events), key=lambda c: (c.end, -c.start))
    assert [c.name for c in by_end] == ["a", "c", "d", "b", "e"]


def test_nesting_contexts() -> None:
    f = idx('''
        package k

        func f(c chan int) {
            top()
            if x := cond(); x > 0 && check() {
                inIf()
            } else if other() {
                inElseIf()
            } else {
                inElse()
            }
            for i := first(); i < limit(); i = next(i) {
                inFor()
            }
            for range items() {
                inRange()
            }
            switch tag() {
            case one():
                inCase()
            default:
                inDefault()
            }
            switch v := any(nil).(type) {
            case int:
                inType(v)
            }
            select {
            case <-c:
                inSelect()
            default:
                inSelectDefault()
            }
            go worker()
            defer cleanup()
            func() {
                inClosure()
            }()
            go func() { inGoClosure() }()
            last()
        }
    ''')
    got = {c.name: ctx(c) for c in calls(func(f, "f").events) if c.name}
    assert got == {
        "top": [], "cond": [], "check": ["cond"], "inIf": ["if"], "other": ["else"],
        "inElseIf": ["else", "if"], "inElse": ["else", "else"],
        "first": [], "limit": [], "next": ["for"], "inFor": ["for"],
        "items": [], "inRange": ["for"],
        "tag": [], "one": ["case"], "inCase": ["case"], "inDefault": ["case"],
        "any": [], "inType": ["case"],
        "inSelect": ["select"], "inSelectDefault": ["select"],
        "worker": ["go"], "cleanup": ["defer"], "inClosure": ["closure"],
        "inGoClosure": ["go", "closure"], "last": [],
    }
    fd = func(f, "f")
    in_if, in_else = call_named(fd.events, "inIf"), call_named(fd.events, "inElse")
    # Both branches name the same if statement; the branches differ.
    assert in_if.context[0].stmt_start == in_else.context[0].stmt_start
    assert in_if.context[0].branch_start != in_else.context[0].branch_start
    assert pos(in_if.context[0].stmt) == (5, 5, 11, 6)
    assert pos(in_if.context[0].branch) == (5, 38, 7, 6)


def test_package_level_events() -> None:
    f = idx('''
        package k

        var handlerPC = FuncPC(trap)
        var table = map[int]func(){1: trap1}
        var lazy = func() { setup(trap2) }
    ''')
    got = [(type(e).__name__, ctx(e)) for e in f.package_events]
    assert ("Call", []) in got and ("Call", ["closure"]) in got
    assert [c.name for c in calls(f.package_events)] == ["FuncPC", "setup"]
    uses = [(u.expr.text, u.role, u.key) for u in f.package_events if isinstance(u, ValueUse)]
    assert uses == [("trap", "arg", None), ("trap1", "element", "1"), ("trap2", "arg", None)]


def test_value_uses() -> None:
    f = idx('''
        package k

        import "example.com/k/arch"

        const C = 3

        func f(p func()) func() {
            var v = trap0
            w := trap1
            w = arch.Trap2
            h = nil
            register(trap3, C, p, nil, true)
            tbl := []func(){trap4, arch.Trap5}
            s := S{Handler: trap6}
            ch <- trap7
            trap8()
            return trap9
        }
    ''')
    uses = [(u.expr.text, u.role, u.index, u.callee, u.key) for u in func(f, "f").events
            if isinstance(u, ValueUse)]
    assert uses == [
        ("trap0", "var", None, None, None), ("trap1", "define", None, None, None),
        ("arch.Trap2", "assign", None, None, None), ("trap3", "arg", 0, "register", None),
        ("trap4", "element", None, None, None), ("arch.Trap5", "element", None, None, None),
        ("trap6", "element", None, None, "Handler"), ("trap7", "send", None, None, None),
        ("trap9", "return", None, None, None)]


def test_assignments() -> None:
    f = idx('''
        package k

        func f(ctx *Context, tf *TrapFrame, i int) {
            ctx.ip = FuncPC(trapret)
            tf.IP, tf.SP = pc, sp
            vectors[i] = trap0
            a.b.rip += 8
            x, err := g()
            var y, z = 1, 2
            *(*uintptr)(unsafe.Pointer(slot)) = FuncPC(h)
        }
    ''')
    asg = [e for e in func(f, "f").events if isinstance(e, Assign)]
    got = [(a.target.text, a.target.kind, a.field, a.op, a.value.text if a.value else None)
           for a in asg]
    assert got == [
        ("ctx.ip", "selector", "ip", "=", "FuncPC(trapret)"),
        ("tf.IP", "selector", "IP", "=", "pc"), ("tf.SP", "selector", "SP", "=", "sp"),
        ("vectors[i]", "index", None, "=", "trap0"),
        ("a.b.rip", "selector", "rip", "+=", "8"),
        ("x", "local", None, ":=", None), ("err", "local", None, ":=", None),
        ("y", "local", None, "var", "1"), ("z", "local", None, "var", "2"),
        ("*(*uintptr)(unsafe.Pointer(slot))", "deref", None, "=", "FuncPC(h)")]
    assert asg[0].target.base == "ctx" and asg[3].target.name == "vectors"
    assert asg[5].value_text == "g()"
    assert pos(asg[0].span) == (4, 5, 4, 29)
    assert pos(asg[0].value.span) == (4, 14, 4, 29)


def test_composite_literals_and_package_tables() -> None:
    f = idx('''
        package k

        import "example.com/k/arch"

        var vectors = [...]func(){trap0, trap1, arch.Trap2}
        var entries = []entry{{0, trap3}, {vec: 1, fn: trap4}}
        var plain = trap5
        var a, b = 1, 2
        var (
            sized [256]uintptr
        )

        func f() {
            tf := TrapFrame{IP: FuncPC(trap), CS: 8}
            _ = tf
        }
    ''')
    vs = {v.name: v for v in f.vars}
    assert list(vs) == ["vectors", "entries", "plain", "a", "b", "sized"]
    vec = vs["vectors"]
    assert [(e.text, e.kind) for e in vec.funcs] == [
        ("trap0", "name"), ("trap1", "name"), ("arch.Trap2", "qualified")]
    assert [pos(e.span) for e in vec.funcs] == [(5, 27, 5, 32), (5, 34, 5, 39), (5, 41, 5, 51)]
    assert vec.composite is not None and vec.composite.type == "[...]func()"
    assert pos(vec.span) == (5, 5, 5, 12)
    assert [e.text for e in vs["entries"].funcs] == ["trap3", "trap4"]
    assert vs["plain"].value is not None and vs["plain"].value.text == "trap5"
    assert vs["plain"].funcs == ()
    assert vs["sized"].type == "[256]uintptr" and vs["sized"].value is None
    lits = [e for e in func(f, "f").events if isinstance(e, CompositeLit)]
    assert [(lit.type, [(el.key, el.value.text) for el in lit.elements]) for lit in lits] == [
        ("TrapFrame", [("IP", "FuncPC(trap)"), ("CS", "8")])]
    nested = [e for e in f.package_events if isinstance(e, CompositeLit)]
    assert [lit.type for lit in nested] == ["[...]func()", "[]entry", "", ""]


def test_code_derefs() -> None:
    f = idx('''
        package k

        import "unsafe"

        func f(pc, addr uintptr) {
            code := (*[16]byte)(unsafe.Pointer(pc))[:]
            b := *(*byte)(unsafe.Pointer(addr))
            *(*uint64)(unsafe.Pointer(addr + 8)) = 0
            first := (*[1 << 20]byte)(unsafe.Pointer(uintptr(pc)))[0]
            p := (*T)(unsafe.Pointer(addr))          // converted, never dereferenced
            _, _, _, _ = code, b, first, p
        }
    ''')
    ds = [e for e in func(f, "f").events if isinstance(e, CodeDeref)]
    got = [(d.mode, d.pointer_type, d.address.text, d.address.kind, d.write) for d in ds]
    assert got == [
        ("slice", "*[16]byte", "pc", "param", False),
        ("deref", "*byte", "addr", "param", False),
        ("deref", "*uint64", "addr + 8", "other", True),
        ("index", "*[1 << 20]byte", "pc", "param", False)]
    assert pos(ds[0].span) == (6, 13, 6, 47)


def test_locals_shadow_package_names() -> None:
    f = idx('''
        package k

        import "example.com/k/arch"

        func f(arch int) {
            trap := 1
            for _, h := range hs { use(h) }
            register(trap, arch.X)
        }
    ''')
    fd = func(f, "f")
    assert {"trap", "h"} <= fd.locals
    reg = call_named(fd.events, "register")
    assert [a.kind for a in reg.args] == ["local", "selector"]  # arch is the parameter here
    assert not any(isinstance(e, ValueUse) and e.expr.text in ("trap", "h")
                   for e in fd.events)


def test_call_type_check() -> None:
    f = idx("package k\nfunc f() { g() }\n")
    assert isinstance(func(f, "f").events[0], Call)
