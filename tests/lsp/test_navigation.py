"""Navigation over LSP: definition between asm and Go (both ways), references across .s and
.go, document highlight of labels, symbols and registers, document and workspace symbols."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    CAPABILITIES,
    SERVER,
    kernel_files,
    make_client,
    open_file,
    published_after,
    uri,
)
from tests.support.kernels import KERNELS_DIR

pytestmark = pytest.mark.asyncio(loop_scope="module")

TRAPRET = KERNELS_DIR / "trapret"
ASM = TRAPRET / "kernel_amd64.s"
GO = TRAPRET / "kernel.go"
BOOTSSE_ASM = KERNELS_DIR / "bootsse" / "kernel_amd64.s"


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def nav(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=CAPABILITIES))
    files = [*kernel_files(TRAPRET), *kernel_files(KERNELS_DIR / "bootsse"),
             *kernel_files(KERNELS_DIR / "idt")]
    for f in files:
        open_file(lsp_client, f)
    await published_after(lsp_client, 0, [uri(f) for f in files])
    yield
    await lsp_client.shutdown_session()


def loc(path: Path, line: int, col: int, end_col: int) -> tuple[str, int, int, int, int]:
    """A location from 1-based line and columns (ASCII lines: UTF-16 = characters)."""
    return (uri(path), line - 1, col - 1, line - 1, end_col - 1)


def flat(locs: list[lsp.Location] | None) -> list[tuple[str, int, int, int, int]]:
    return sorted((x.uri, x.range.start.line, x.range.start.character, x.range.end.line,
                   x.range.end.character) for x in locs or [])


def at(path: Path, line: int, col: int) -> lsp.TextDocumentPositionParams:
    return lsp.TextDocumentPositionParams(lsp.TextDocumentIdentifier(uri(path)),
                                          lsp.Position(line - 1, col - 1))


async def definition(client: LanguageClient, path: Path, line: int, col: int) -> list:  # type: ignore[type-arg]
    p = at(path, line, col)
    got = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=p.text_document, position=p.position))
    return flat(got)  # type: ignore[arg-type]


async def test_definition_asm_call_to_go(nav: LanguageClient) -> None:
    # bootsse kernel_amd64.s:10 `CALL ·preinit(SB)` → kernel.go:35 `func preinit(`.
    got = await definition(nav, BOOTSSE_ASM, 10, 9)
    assert got == [loc(BOOTSSE_ASM.parent / "kernel.go", 35, 6, 13)]


async def test_definition_go_value_to_text(nav: LanguageClient) -> None:
    # kernel.go:87 `funcPC(trapret)` → the TEXT ·trapret name.
    got = await definition(nav, GO, 87, 22)
    assert got == [loc(ASM, 10, 6, 14)]


async def test_definition_bodyless_go_func_to_text_and_back(nav: LanguageClient) -> None:
    assert await definition(nav, GO, 64, 7) == [loc(ASM, 10, 6, 14)]  # func trapret()
    assert await definition(nav, ASM, 10, 8) == [loc(GO, 64, 6, 13)]  # TEXT ·trapret


async def test_definition_asm_jump_and_label(nav: LanguageClient) -> None:
    assert await definition(nav, ASM, 32, 8) == [loc(ASM, 10, 6, 14)]  # JMP ·trapret(SB)
    # bootsse apentry: `JMP hang` → `hang:`.
    assert await definition(nav, BOOTSSE_ASM, 38, 7) == [loc(BOOTSSE_ASM, 36, 1, 5)]


async def test_definition_of_data_symbol(nav: LanguageClient) -> None:
    # bootsse: `MOVQ AX, ·apStart(SB)` → `apStart uintptr` in kernel.go.
    got = await definition(nav, BOOTSSE_ASM, 13, 13)
    assert got == [loc(BOOTSSE_ASM.parent / "kernel.go", 20, 2, 9)]


async def test_references_across_asm_and_go(nav: LanguageClient) -> None:
    p = at(ASM, 10, 8)
    got = flat(await nav.text_document_references_async(lsp.ReferenceParams(
        context=lsp.ReferenceContext(include_declaration=True), text_document=p.text_document,
        position=p.position)))
    assert got == flat([
        lsp.Location(*x[:1], lsp.Range(lsp.Position(*x[1:3]), lsp.Position(*x[3:])))
        for x in [loc(GO, 64, 6, 13),  # func trapret()
                  loc(GO, 87, 20, 27),  # funcPC(trapret)
                  loc(ASM, 10, 6, 14),  # TEXT ·trapret
                  loc(ASM, 32, 6, 14),  # JMP ·trapret(SB)
                  loc(ASM, 38, 8, 16)]])  # MOVQ $·trapret(SB), AX
    without = flat(await nav.text_document_references_async(lsp.ReferenceParams(
        context=lsp.ReferenceContext(include_declaration=False), text_document=p.text_document,
        position=p.position)))
    assert without == [x for x in got if x not in (loc(GO, 64, 6, 13), loc(ASM, 10, 6, 14))]


async def highlights(client: LanguageClient, path: Path, line: int, col: int
                     ) -> list[tuple[int, int, int, int]]:
    p = at(path, line, col)
    got = await client.text_document_document_highlight_async(
        lsp.DocumentHighlightParams(text_document=p.text_document, position=p.position))
    return sorted((h.range.start.line + 1, h.range.start.character + 1,
                   h.range.end.character + 1, int(h.kind or 1)) for h in got or [])


async def test_highlight_label(nav: LanguageClient) -> None:
    w, r = int(lsp.DocumentHighlightKind.Write), int(lsp.DocumentHighlightKind.Read)
    assert await highlights(nav, BOOTSSE_ASM, 36, 2) == [(36, 1, 5, w), (38, 6, 10, r)]


async def test_highlight_register_within_its_text(nav: LanguageClient) -> None:
    # rt0 of bootsse: AX read at 8, written at 12, read at 13; apentry's AX is another block.
    w, r = int(lsp.DocumentHighlightKind.Write), int(lsp.DocumentHighlightKind.Read)
    assert await highlights(nav, BOOTSSE_ASM, 8, 7) == [(8, 7, 9, r), (12, 22, 24, w),
                                                         (13, 7, 9, r)]


async def test_highlight_symbol(nav: LanguageClient) -> None:
    w, r = int(lsp.DocumentHighlightKind.Write), int(lsp.DocumentHighlightKind.Read)
    assert await highlights(nav, ASM, 32, 8) == [(10, 6, 14, w), (32, 6, 14, r),
                                                 (38, 8, 16, r)]


async def test_document_symbols(nav: LanguageClient) -> None:
    got = await nav.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(uri(BOOTSSE_ASM))))
    assert [(s.name, s.kind) for s in got] == [("rt0", lsp.SymbolKind.Function),  # type: ignore[union-attr]
                                              ("apentry", lsp.SymbolKind.Function)]
    apentry = got[1]  # type: ignore[index]
    assert apentry.selection_range == lsp.Range(lsp.Position(18, 5), lsp.Position(18, 17))
    assert [(c.name, c.kind) for c in apentry.children] == [("hang", lsp.SymbolKind.Key)]
    idt = KERNELS_DIR / "idt" / "kernel_amd64.s"
    got = await nav.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(uri(idt))))
    names = [s.name for s in got]  # type: ignore[union-attr]
    assert names[:7] == ["rt0", "vector0", "vector1", "vector2", "vector3", "alltraps",
                         "irqTimer"]
    table = next(s for s in got if s.kind == lsp.SymbolKind.Variable)  # type: ignore[union-attr]
    assert table.name == "vectortab<>" or table.name.startswith("vectortab")
    assert len(table.children or []) == 4


async def test_workspace_symbols(nav: LanguageClient) -> None:
    got = await nav.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="trapret"))
    found = {(s.name, s.location.uri, s.location.range.start.line) for s in got or []}  # type: ignore[union-attr]
    assert ("trapret", uri(ASM), 9) in found
    assert ("addrOfTrapret", uri(ASM), 36) in found
    assert all("trapret" in s.name.lower() or "trapret" in s.name for s in got or [])  # type: ignore[union-attr]
