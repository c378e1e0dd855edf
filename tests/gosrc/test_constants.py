"""Constant evaluation: literals in every base, operators, references, iota, types."""

from __future__ import annotations

import pytest

from eggls.gosrc import constants as C

from .helpers import call_named, calls, func, idx, pos


def consts(src: str) -> dict[str, int | None]:
    return {k: c.value for k, c in idx(src).consts.items()}


def test_kernel_constants() -> None:
    got = consts('''
        package k

        const _MSR_FS_BASE = 0xc0000100
        const (
            _MSR_LSTAR   = 0xC0000082
            CR4_OSFXSR   = 1 << 9
            CR4_OSXMMEXCPT = 1 << 10
            CR4_SSE      = CR4_OSFXSR | CR4_OSXMMEXCPT
            SYSENTER_EIP = 0x176
        )
    ''')
    assert got == {"_MSR_FS_BASE": 0xC0000100, "_MSR_LSTAR": 0xC0000082, "CR4_OSFXSR": 512,
                   "CR4_OSXMMEXCPT": 1024, "CR4_SSE": 1536, "SYSENTER_EIP": 0x176}


def test_literals_in_all_bases() -> None:
    got = consts('''
        package k

        const (
            D = 1_000_000
            H = 0X_FF
            O = 0o17
            O2 = 0O17
            Old = 017
            B = 0b1010
            R = 'a'
            RN = '\\n'
            RX = '\\x7f'
            RU = '\\u00e9'
            RO = '\\101'
            Zero = 0
        )
    ''')
    assert got == {"D": 1000000, "H": 255, "O": 15, "O2": 15, "Old": 15, "B": 10, "R": 97,
                   "RN": 10, "RX": 127, "RU": 0xE9, "RO": 65, "Zero": 0}


def test_operators_and_forward_references() -> None:
    got = consts('''
        package k

        const (
            A = B + 1       // forward reference
            B = (2 * 3) % 4
            C = ^0
            D = -7 / 2      // truncates toward zero
            E = -7 % 2
            F = 0xff &^ 0x0f
            G = 1 << 62 >> 60
            H = A ^ B
            I = +5 - -5
        )
    ''')
    assert got == {"A": 3, "B": 2, "C": -1, "D": -3, "E": -1, "F": 0xF0, "G": 4, "H": 1,
                   "I": 10}


def test_iota_and_implicit_repetition() -> None:
    got = consts('''
        package k

        const (
            KindNone = iota
            KindA
            _
            KindC
        )
        const (
            Bit0 = 1 << iota
            Bit1
            Bit2
        )
        const (
            X, Y = iota, iota * 10
            Z, W
        )
        const Alone = iota
    ''')
    assert got == {"KindNone": 0, "KindA": 1, "KindC": 3, "Bit0": 1, "Bit1": 2, "Bit2": 4,
                   "X": 0, "Y": 0, "Z": 1, "W": 10, "Alone": 0}
    f = idx("package k\nconst (\n A = 1 << iota\n B\n)\n")
    b = f.consts["B"]
    assert (b.iota, b.text, b.cexpr) == (1, "1 << iota", ("bin", "<<", ("int", 1), ("int", 1)))
    assert pos(b.span) == (4, 2, 4, 3)


def test_typed_constants() -> None:
    f = idx('''
        package k

        type MSR uint32
        type Flags uint8

        const (
            Max32 = ^uint32(0)
            M MSR = 0x10
            N     = MSR(0x20)
            Inv   = ^MSR(0)
            F Flags = 1 << 7
            S int8 = -1
            W = uint16(0x12345)
            P uintptr = 1 << 63
            Q = Other(5)      // a type from another file: unknown here
            R Other = 6       // declared type unknown here: value kept, untyped
        )
    ''')
    got = {k: (c.value, c.type) for k, c in f.consts.items()}
    assert got == {"Max32": (0xFFFFFFFF, "uint32"), "M": (0x10, "uint32"),
                   "N": (0x20, "uint32"), "Inv": (0xFFFFFFFF, "uint32"),
                   "F": (128, "uint8"), "S": (-1, "int8"), "W": (0x2345, "uint16"),
                   "P": (1 << 63, "uintptr"), "Q": (None, None), "R": (6, "Other")}
    assert f.types == {"MSR": "uint32", "Flags": "uint8"}


def test_unknown_and_non_integer_constants_are_none() -> None:
    got = consts('''
        package k

        import "unsafe"

        const (
            S = "str"
            Fl = 1.5
            T = true
            Sz = unsafe.Sizeof(0)
            Ext = other.Name
            U = Undefined + 1
            L = len("abc")
            Div = 1 / 0
        )
    ''')
    assert got == {k: None for k in ("S", "Fl", "T", "Sz", "Ext", "U", "L", "Div")}


def test_constants_in_call_arguments_and_local_constants() -> None:
    f = idx('''
        package k

        const _MSR_FS_BASE = 0xc0000100

        func setFS(v uintptr) {
            const local = 3 << 4
            wrmsr(_MSR_FS_BASE, v)
            wrmsr(0xc0000080, local|1)
            wrmsr(EXT_MSR, 0)
            x := 5
            wrmsr(x, _MSR_FS_BASE+1)
        }
    ''')
    ev = func(f, "setFS").events
    args = [[(a.text, a.kind, a.const) for a in c.args] for c in calls(ev)]
    assert args == [
        [("_MSR_FS_BASE", "name", 0xC0000100), ("v", "param", None)],
        [("0xc0000080", "literal", 0xC0000080), ("local|1", "other", 49)],
        [("EXT_MSR", "name", None), ("0", "literal", 0)],
        [("x", "local", None), ("_MSR_FS_BASE+1", "other", 0xC0000101)],
    ]
    assert [(c.name, c.value, c.local_to) for c in f.local_consts] == [("local", 48, "setFS")]
    # A constant from another file of the package: the caller re-evaluates the CExpr.
    ext = call_named(calls(ev)[2:3], "wrmsr").args[0]
    assert ext.cexpr == ("name", "EXT_MSR")
    assert C.evaluate(ext.cexpr, {"EXT_MSR": C.ConstVal(0x176, None)}) == 0x176


def test_package_wide_resolution() -> None:
    a = idx("package k\nconst A = B << 1\n", "/src/k/a.go")
    b = idx('package k\nimport "example.com/x"\nconst B = x.Base | 1\n', "/src/k/b.go")
    decls = [(c.name, c.cexpr, c.type) for f in (a, b) for c in f.consts.values()]
    assert a.consts["A"].value is None and b.consts["B"].value is None
    got = C.resolve_all(decls)
    assert got == {}
    ext = {("example.com/x", "Base"): C.ConstVal(0x100, None)}
    got = C.resolve_all(decls, qual=lambda p, n: ext.get((p, n)))
    assert {k: v.value for k, v in got.items()} == {"A": 0x202, "B": 0x101}


def test_cycles_do_not_hang() -> None:
    got = consts("package k\nconst (\n A = B\n B = A + 1\n C = C\n)\n")
    assert got == {"A": None, "B": None, "C": None}


@pytest.mark.parametrize(("text", "want"), [
    ("0", 0), ("42", 42), ("0x2A", 42), ("0b101010", 42), ("0o52", 42), ("052", 42),
    ("4_2", 42), ("08", None), ("0x", None), ("1e3", None),
])
def test_parse_int_literal(text: str, want: int | None) -> None:
    assert C.parse_int_literal(text) == want


def test_huge_shifts_are_refused() -> None:
    assert consts("package k\nconst A = 1 << 100000\n") == {"A": None}
    assert consts("package k\nconst A = 1 << 64\n") == {"A": 1 << 64}
