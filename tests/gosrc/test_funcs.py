"""Function declarations: receivers, parameters, results, bodies, pragmas, annotations."""

from __future__ import annotations

from .helpers import func, idx, pos

SRC = '''
package k

import "unsafe"

// memmove copies n bytes.
// It is written in assembly.
//
//go:noescape
func memmove(to, from unsafe.Pointer, n uintptr)

//go:nosplit
//go:nowritebarrierrec
//go:linkname setg runtime.setg
func setg(gg *g) {
}

//go:linkname pushed
//go:uintptrkeepalive
func (s *Stack[T]) Push(v T, rest ...T) (n int, err error) { return 0, nil }

func (Stack[T]) Len() int { return 0 }

func (r Regs) Get(int, string) (uintptr, bool)

// Not attached: a blank line follows.

func loose() {}

//go:linkname other example.com/x.other
var _ = 0
'''


def test_declarations() -> None:
    f = idx(SRC)
    assert [fd.symbol for fd in f.funcs] == [
        "memmove", "setg", "(*Stack).Push", "Stack.Len", "Regs.Get", "loose"]

    mm = func(f, "memmove")
    assert not mm.has_body and mm.body_span is None
    assert [(p.name, p.type) for p in mm.params] == [
        ("to", "unsafe.Pointer"), ("from", "unsafe.Pointer"), ("n", "uintptr")]
    assert mm.results == ()
    assert pos(mm.name_span) == (9, 6, 9, 13)
    assert pos(mm.span) == (9, 1, 9, 49)
    assert pos(mm.params[1].span) == (9, 18, 9, 22)
    assert mm.doc == ("// memmove copies n bytes.\n// It is written in assembly.\n//\n"
                      "//go:noescape")
    assert [p.name for p in mm.pragmas] == ["noescape"]
    assert mm.has_pragma("noescape") and not mm.nosplit

    sg = func(f, "setg")
    assert sg.has_body and pos(sg.body_span) == (14, 18, 15, 2)
    assert pos(sg.span) == (14, 1, 15, 2)
    assert sg.nosplit and sg.has_pragma("nowritebarrierrec")
    assert sg.linkname == "runtime.setg"
    lk = sg.pragma("linkname")
    assert lk is not None and lk.args == ("setg", "runtime.setg")
    assert pos(lk.span) == (13, 1, 13, 32)

    push = func(f, "(*Stack).Push")
    assert (push.name, push.recv_type, push.recv_pointer) == ("Push", "Stack", True)
    assert [(p.name, p.type, p.variadic) for p in push.params] == [
        ("v", "T", False), ("rest", "T", True)]
    assert [(p.name, p.type) for p in push.results] == [("n", "int"), ("err", "error")]
    assert [(p.name, p.args) for p in push.pragmas] == [
        ("linkname", ("pushed",)), ("uintptrkeepalive", ())]
    assert push.linkname is None  # one-argument form: no remote name

    ln = func(f, "Stack.Len")
    assert (ln.recv_type, ln.recv_pointer) == ("Stack", False)
    assert [(p.name, p.type) for p in ln.results] == [(None, "int")]

    get = func(f, "Regs.Get")
    assert [(p.name, p.type) for p in get.params] == [(None, "int"), (None, "string")]
    assert [(p.name, p.type) for p in get.results] == [(None, "uintptr"), (None, "bool")]
    assert not get.has_body

    lo = func(f, "loose")
    assert lo.doc is None and lo.pragmas == ()


def test_linknames_anywhere_in_the_file() -> None:
    f = idx(SRC)
    assert [(ln.local, ln.remote, ln.span.line) for ln in f.linknames] == [
        ("setg", "runtime.setg", 13), ("pushed", None, 17),
        ("other", "example.com/x.other", 29)]


def test_annotations_doc_line_above_same_line_and_parameters() -> None:
    f = idx('''
        package k

        // rt0 is the boot entry.
        // eggls:entry
        func rt0() {}

        // eggls:interrupt
        func trap() { // eggls:sets sse
        }

        func other() {} /* eggls:sink */

        // eggls:sets g

        func far() {}

        func setIDT(vec int,
            handler uintptr, // eggls:sink
        ) {}

        func inline(n int, pc uintptr /* eggls:sink */) {}

        func x() {
            y() // eggls:ignore EGG007 checked by hand // trailing
        }
    ''')
    assert [(a.name, a.args) for a in func(f, "rt0").annotations] == [("entry", "")]
    assert func(f, "rt0").annotation("entry") is not None
    assert [(a.name, a.args) for a in func(f, "trap").annotations] == [
        ("interrupt", ""), ("sets", "sse")]
    assert pos(func(f, "trap").annotations[1].span) == (8, 15, 8, 32)
    assert [a.name for a in func(f, "other").annotations] == ["sink"]
    assert func(f, "far").annotations == ()  # a blank line separates it
    assert func(f, "x").annotations == ()
    sidt = func(f, "setIDT")
    assert [p.annotations and p.annotations[0].name for p in sidt.params] == [(), "sink"]
    inl = func(f, "inline")
    assert [len(p.annotations) for p in inl.params] == [0, 1]
    # Every annotation in the file, suppressions included, for EGG010.
    assert [(a.name, a.args, a.span.line) for a in f.annotations] == [
        ("entry", "", 4), ("interrupt", "", 7), ("sets", "sse", 8), ("sink", "", 11),
        ("sets", "g", 13), ("sink", "", 18), ("sink", "", 21),
        ("ignore", "EGG007 checked by hand // trailing", 24)]


def test_unicode_columns_count_characters_not_bytes() -> None:
    # "é" is 2 bytes and "𝔤" 4 bytes in UTF-8; columns must count each as one character.
    f = idx('''
        package k

        /* é */ func f(𝔤 int) { g("é𝔤", 𝔤) }
    ''')
    fd = func(f, "f")
    assert pos(fd.name_span) == (3, 14, 3, 15)
    assert pos(fd.params[0].span) == (3, 16, 3, 17)
    call = fd.events[0]
    assert pos(call.span) == (3, 25, 3, 35)
    assert [pos(a.span) for a in call.args] == [(3, 27, 3, 31), (3, 33, 3, 34)]
    assert call.args[0].text == '"é𝔤"'


def test_tabs_and_crlf() -> None:
    f = idx("package k\r\n\r\nfunc f() {\r\n\tg()\r\n}\r\n")
    fd = func(f, "f")
    assert pos(fd.events[0].span) == (4, 2, 4, 5)
    assert pos(fd.name_span) == (3, 6, 3, 7)
