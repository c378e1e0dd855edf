"""Code-address idioms: funcpc-like functions and their call sites, reflect, internal/abi,
inline code-pointer reads."""

from __future__ import annotations

import pytest

from eggls.gosrc.idioms import funcpc_like, package_idioms

from .helpers import func, idx, pos

HEADER = 'package k\n\nimport "unsafe"\n\n'


def fpc(body: str) -> int | None:
    return func(idx(HEADER + body), "F").funcpc_param


@pytest.mark.parametrize(("decl", "param"), [
    # the func value itself: &f → closure pointer → code pointer
    ("func F(f func()) uintptr { return **(**uintptr)(unsafe.Pointer(&f)) }", 0),
    # interface: the data word at +8, written in several ways
    ("func F(f interface{}) uintptr {\n var ptr uintptr\n"
     " return **(**uintptr)(unsafe.Pointer(uintptr(unsafe.Pointer(&f)) + unsafe.Sizeof(ptr)))\n}",
     0),
    ("func F(f any) uintptr { return **(**uintptr)(add(unsafe.Pointer(&f), 8)) }", 0),
    ("func F(x int, f any) uintptr { return **(**uintptr)(unsafe.Add(unsafe.Pointer(&f), 8)) }",
     1),
    ("func F(f interface{}) uintptr { return *(*uintptr)(efaceOf(&f).data) }", 0),
    ("func F(f any) uintptr { return *(*uintptr)((*eface)(unsafe.Pointer(&f)).data) }", 0),
    ("func F(f any) uintptr {\n e := efaceOf(&f)\n return *(*uintptr)(e.data)\n}", 0),
    # through one local variable
    ("func F(f any) uintptr {\n"
     " p := *(*unsafe.Pointer)(unsafe.Pointer(uintptr(unsafe.Pointer(&f)) + 8))\n"
     " return *(*uintptr)(p)\n}", 0),
    # into a named result / a returned variable, through uintptr()
    ("func F(f func()) (pc uintptr) {\n pc = uintptr(**(**uintptr)(unsafe.Pointer(&f)))\n"
     " return\n}", 0),
    ("func F(f func()) uintptr {\n pc := **(**uintptr)(unsafe.Pointer(&f))\n return pc\n}", 0),
    ("func F(h Handler) uintptr { return **(**uintptr)(unsafe.Pointer(&h)) }", 0),
])
def test_funcpc_like_forms(decl: str, param: int) -> None:
    assert fpc(decl) == param


@pytest.mark.parametrize("decl", [
    # a uintptr parameter: pointer chasing, not a func value (dlsym results)
    "func F(sym uintptr) uintptr { return **(**uintptr)(unsafe.Pointer(&sym)) }",
    "func F(p *T) uintptr { return **(**uintptr)(unsafe.Pointer(&p)) }",
    # only one load: the closure pointer, not the code
    "func F(f func()) uintptr { return *(*uintptr)(unsafe.Pointer(&f)) }",
    # reads a value out of an interface to print it, returns nothing
    "func F(i any) { print(*(*uintptr)(efaceOf(&i).data)) }",
    # not a word type
    "func F(i any) string { return *(*string)(efaceOf(&i).data) }",
    # the eface's type word, not its data word
    "func F(i any) uintptr { return *(*uintptr)(unsafe.Pointer(efaceOf(&i)._type)) }",
    "func F(f func()) uintptr { return uintptr(unsafe.Pointer(&f)) }",
])
def test_not_funcpc_like(decl: str) -> None:
    assert fpc(decl) is None


def test_funcpc_span() -> None:
    f = idx(HEADER + "func F(f func()) uintptr { return **(**uintptr)(unsafe.Pointer(&f)) }\n")
    assert pos(func(f, "F").funcpc_span) == (5, 35, 5, 68)


def test_funcpc_sites_across_files_imports_and_forwarders() -> None:
    a = idx('''
        package kernel

        import "unsafe"

        //go:nosplit
        func FuncPC(f interface{}) uintptr {
            return **(**uintptr)(unsafe.Pointer(uintptr(unsafe.Pointer(&f)) + 8))
        }

        func addrOf(x int, f func()) uintptr { return FuncPC(f) }
    ''', "/src/k/funcpc.go")
    b = idx('''
        package kernel

        import rt "example.com/k/rt"

        var entryPC = FuncPC(entry)

        func setup(ctx *Context, i int) {
            ctx.ip = FuncPC(trapret)
            if i > 0 {
                setIDT(i, FuncPC(vectors[i]))
            }
            _ = addrOf(0, trap)
            _ = rt.PC(syscallEntry)
            _ = rt.Other(x)
            _ = ctx.FuncPC(notASite)
        }

        func shadow(FuncPC func(int) uintptr) { FuncPC(3) }
    ''', "/src/k/setup.go")
    like = funcpc_like([a, b])
    assert {k: (v.param, v.via) for k, v in like.items()} == {
        "FuncPC": (0, None), "addrOf": (1, "FuncPC")}
    assert like["FuncPC"].path == "/src/k/funcpc.go"

    def imported(path: str, name: str) -> int | None:
        return 0 if (path, name) == ("example.com/k/rt", "PC") else None

    sites = package_idioms([a, b], imported)
    got = [(s.kind, s.arg.text, s.arg.kind, s.func, s.callee, s.callee_pkg,
            [f.kind for f in s.context]) for s in sites]
    assert got == [
        ("funcpc", "f", "param", "addrOf", "FuncPC", None, []),
        ("funcpc", "entry", "name", None, "FuncPC", None, []),
        ("funcpc", "trapret", "name", "setup", "FuncPC", None, []),
        ("funcpc", "vectors[i]", "index", "setup", "FuncPC", None, ["if"]),
        ("funcpc", "trap", "name", "setup", "addrOf", None, []),
        ("funcpc", "syscallEntry", "name", "setup", "rt.PC", "example.com/k/rt", []),
    ]
    assert pos(sites[2].span) == (8, 14, 8, 29)  # the whole FuncPC(trapret)
    assert sites[3].arg.name == "vectors"
    # Without a resolver for imports only the package's own helpers count.
    assert len(package_idioms([a, b])) == 5


def test_reflect_and_abi_idioms() -> None:
    f = idx('''
        package k

        import (
            "reflect"
            r2 "reflect"
            "internal/abi"
            myabi "example.com/abi"
        )

        func f(h func()) {
            a := reflect.ValueOf(trap).Pointer()
            b := r2.ValueOf(h).UnsafePointer()
            c := abi.FuncPCABI0(asmEntry)
            d := abi.FuncPCABIInternal(goFunc)
            e := myabi.FuncPCABI0(notAbi)
            g := reflect.ValueOf(x).Pointer      // method value, not called
            i := other.ValueOf(y).Pointer()
            _ = (reflect.ValueOf(paren)).Pointer()
        }
    ''')
    got = [(s.kind, s.arg.text, s.arg.kind, s.func) for s in f.idioms]
    assert got == [
        ("reflect", "trap", "name", "f"), ("reflect", "h", "param", "f"),
        ("abi0", "asmEntry", "name", "f"), ("abiinternal", "goFunc", "name", "f"),
        ("reflect", "paren", "name", "f")]
    assert pos(f.idioms[0].span) == (11, 10, 11, 41)
    assert f.idioms[2].callee_pkg == "internal/abi"


def test_inline_code_pointer_reads() -> None:
    f = idx('''
        package k

        import "unsafe"

        var handler func()

        func procSetup() {
            var dur func()
            dur = _userint
            _userintaddr = **(**uintptr)(unsafe.Pointer(&dur))
            if cond {
                pc := **(**uintptr)(unsafe.Pointer(&handler))
                use(pc)
            }
            n := **(**uintptr)(unsafe.Pointer(&p.field))   // not an identifier: ignored
        }
    ''')
    got = [(s.kind, s.arg.text, s.arg.kind, s.func, [c.kind for c in s.context])
           for s in f.idioms]
    assert got == [("deref", "dur", "local", "procSetup", []),
                   ("deref", "handler", "name", "procSetup", ["if"])]
    assert pos(f.idioms[0].span) == (10, 20, 10, 55)
    assert func(f, "procSetup").funcpc_param is None


def test_param_read_that_is_not_returned_is_a_deref_site() -> None:
    f = idx(HEADER + '''
func setHandler(f func()) {
    idt[3] = **(**uintptr)(unsafe.Pointer(&f))
}

func printany(i any) {
    print(*(*uintptr)(efaceOf(&i).data))
}
''')
    assert func(f, "setHandler").funcpc_param is None
    assert [(s.kind, s.arg.text, s.arg.kind, s.func) for s in f.idioms] == [
        ("deref", "f", "param", "setHandler")]
