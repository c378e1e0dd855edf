"""Navigator: what is at a position, definitions and references across .s and .go,
highlights, document and workspace symbols (model positions: 1-based, character columns)."""

from __future__ import annotations

from eggls.analysis.query import Navigator
from eggls.diagnostics import Span
from tests.analysis.nav_support import analysed
from tests.support.kernels import KERNELS_DIR

TRAPRET = KERNELS_DIR / "trapret"
ASM, GO = str(TRAPRET / "kernel_amd64.s"), str(TRAPRET / "kernel.go")
IDT = KERNELS_DIR / "idt"


def spans(occ: list) -> list[tuple[str, int, int, int]]:  # type: ignore[type-arg]
    return sorted((o.span.path.rsplit("/", 1)[-1], o.span.line, o.span.col, o.span.end_col)
                  for o in occ)


def test_entity_kinds_in_asm() -> None:
    nav = analysed(TRAPRET).nav
    text = nav.entity_at(ASM, 10, 7)  # TEXT ·trapret
    assert text is not None and (text.kind, text.definition) == ("func", True)
    assert text.name == "example.com/kernels/trapret.trapret"
    assert text.span == Span(ASM, 10, 6, 10, 14)
    jump = nav.entity_at(ASM, 32, 10)  # JMP ·trapret(SB)
    assert jump is not None and (jump.kind, jump.definition, jump.operand_of) == \
        ("func", False, "JMP")
    reg = nav.entity_at(ASM, 11, 7)  # POPQ AX
    assert reg is not None and (reg.kind, reg.name) == ("register", "AX")
    assert reg.scope is not None and reg.scope.name.endswith(".trapret")
    assert nav.entity_at(ASM, 11, 2) is None  # the mnemonic
    assert nav.entity_at(ASM, 8, 5) is None  # a comment
    assert nav.entity_at(ASM, 31, 14) is None  # `SB` is a pseudo-register


def test_entity_kinds_in_go() -> None:
    nav = analysed(TRAPRET).nav
    decl = nav.entity_at(GO, 64, 6)  # func trapret()
    assert decl is not None and decl.definition and decl.func is not None
    assert decl.func.lang == "asm"  # the bodyless declaration joins its TEXT
    value = nav.entity_at(GO, 87, 25)  # funcPC(trapret)
    assert value is not None and value.name.endswith(".trapret") and not value.definition
    main_call = 1 + (TRAPRET / "kernel.go").read_text().split("\n").index(
        "\tnewKernelThread(&threads[0])")
    call = nav.entity_at(GO, main_call, 3)  # newKernelThread(&threads[0]) in Main
    assert call is not None and call.name.endswith(".newKernelThread")
    assert nav.entity_at(GO, 87, 3) is None  # `t` is a parameter


def test_definitions_go_both_ways() -> None:
    nav = analysed(TRAPRET).nav
    text = nav.entity_at(ASM, 10, 7)
    decl = nav.entity_at(GO, 64, 6)
    assert text is not None and decl is not None
    assert nav.definitions(text) == [Span(GO, 64, 6, 64, 13)]
    assert nav.definitions(decl) == [Span(ASM, 10, 6, 10, 14)]


def test_labels_and_their_scope() -> None:
    a = analysed(KERNELS_DIR / "bootsse")
    asm = str(KERNELS_DIR / "bootsse" / "kernel_amd64.s")
    ref = a.nav.entity_at(asm, 38, 7)  # JMP hang
    assert ref is not None and ref.kind == "label"
    assert a.nav.definitions(ref) == [Span(asm, 36, 1, 36, 5)]
    assert [(o.span.line, o.write) for o in a.nav.references(ref)] == [(36, True), (38, False)]


def test_references_include_macro_bodies_and_data() -> None:
    nav = analysed(IDT).nav
    asm = str(IDT / "kernel_amd64.s")
    stub = nav.entity_at(asm, 18, 8)  # TEXT ·vector0
    assert stub is not None and stub.kind == "func"
    got = spans(nav.references(stub))
    assert ("kernel.go", 45, 27, 34) in got  # var vectors = [...]func(){vector0, …}
    assert ("kernel.go", 49, 6, 13) in got  # func vector0()
    assert ("kernel_amd64.s", 18, 6, 14) in got
    assert any(s[0] == "kernel_amd64.s" and s[1] > 90 for s in got)  # DATA …, $·vector0(SB)


def test_extent_runs_to_the_next_text() -> None:
    a = analysed(TRAPRET)
    got = a.nav.asm_file(ASM)
    assert got is not None
    _, af = got
    trapret = next(t for t in af.texts if t.name.endswith(".trapret"))
    assert Navigator.extent(af, trapret) == (10, 29)
    assert a.nav.scope_at(af, 5) is not None and a.nav.scope_at(af, 2) is None


def test_document_symbols_of_asm() -> None:
    nav = analysed(IDT).nav
    nodes = nav.document_symbols(str(IDT / "kernel_amd64.s"))
    kinds = [(n.name, n.kind) for n in nodes]
    assert ("alltraps", "function") in kinds and ("lidt", "function") in kinds
    table = next(n for n in nodes if n.kind == "variable")
    assert [c.name.split("+", 1)[1] for c in table.children] == ["0/8", "8/8", "16/8", "24/8"]
    assert nav.document_symbols(str(IDT / "kernel.go")) == []


def test_workspace_symbols_filter_as_editors_do() -> None:
    nav = analysed(IDT).nav
    names = {n.name for n in nav.workspace_symbols("vec")}
    assert {"vector0", "vector3", "vectorTable"} <= names
    assert "alltraps" not in names
    assert {n.name for n in nav.workspace_symbols("irqt")} == {"irqTimer", "addrOfIRQTimer"}
