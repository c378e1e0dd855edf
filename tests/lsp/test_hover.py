"""Hover over LSP: the wrapper's real instructions from the fixture build of each Go version,
its effects, the init state and the rule explanation; Markdown of at most 40 lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from eggls.analysis.registry import EGG001, EGG003
from eggls.build.gobuild import GoBuild, open_build
from tests.lsp.helpers import (
    CAPABILITIES,
    SERVER,
    copy_kernel,
    kernel_files,
    make_client,
    open_file,
    published_after,
    uri,
)
from tests.support.kernels import kernel_elf

pytestmark = pytest.mark.asyncio(loop_scope="module")
VERSIONS = ["1.19", "1.21", "1.24", "1.27"]


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def hov(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=CAPABILITIES))
    yield
    await lsp_client.shutdown_session()


async def opened(client: LanguageClient, root: Path) -> None:
    files = kernel_files(root)
    mark = len(client.published)  # type: ignore[attr-defined]
    for f in files:
        open_file(client, f)
    await published_after(client, mark, [uri(f) for f in files])


async def hover(client: LanguageClient, path: Path, line: int, col: int) -> str:
    got = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri(path)),
        position=lsp.Position(line - 1, col - 1)))
    assert got is not None
    assert isinstance(got.contents, lsp.MarkupContent)
    assert got.contents.kind == lsp.MarkupKind.Markdown
    text = got.contents.value
    assert len(text.split("\n")) <= 40
    return text


def build(kernel: str, version: str) -> GoBuild:
    b = open_build(kernel_elf(kernel, version))
    assert isinstance(b, GoBuild)
    return b


@pytest.mark.parametrize("version", VERSIONS)
async def test_asm_call_shows_the_wrappers_real_instructions(hov: LanguageClient,
                                                             tmp_path: Path,
                                                             version: str) -> None:
    root = copy_kernel("bootsse", tmp_path, build=kernel_elf("bootsse", version))
    await opened(hov, root)
    text = await hover(hov, root / "kernel_amd64.s", 10, 9)  # CALL ·preinit(SB)
    w = build("bootsse", version).wrapper_of("example.com/kernels/bootsse.preinit")
    assert w is not None
    assert f"**`{w.symbol.name}`** at `{w.symbol.address:#x}`" in text
    for insn in w.listing[:10]:
        assert f"{insn.address:#x} <+{insn.address - w.symbol.address}>:\t{insn.text}" in text
    assert f"pushes {w.pushed_bytes} bytes" in text
    assert w.sse is not None and f"SSE `{w.sse.text}`" in text
    assert "SSE enabled: **no**" in text and "FS base valid: **no**" in text
    assert "g valid: **no**" in text
    assert EGG001.explanation in text  # a diagnostic sits on this CALL


async def test_the_listing_differs_between_go_versions(hov: LanguageClient,
                                                       tmp_path: Path) -> None:
    texts = {}
    for v in ("1.19", "1.24"):
        root = copy_kernel("trapret", tmp_path / v, build=kernel_elf("trapret", v))
        await opened(hov, root)
        texts[v] = await hover(hov, root / "kernel.go", 87, 22)  # funcPC(trapret)
    assert "pushes 8 bytes" in texts["1.19"] and "pushes 16 bytes" in texts["1.24"]
    assert "pushq %rbp" not in texts["1.19"] and "pushq %rbp" in texts["1.24"]
    for text in texts.values():
        assert "ABIInternal→ABI0 wrapper" in text
        assert "leaves by IRETQ" in text
        assert EGG003.explanation in text


async def test_hover_on_text_and_go_declaration(hov: LanguageClient, tmp_path: Path) -> None:
    root = copy_kernel("bootsse", tmp_path, build=kernel_elf("bootsse", "1.24"))
    await opened(hov, root)
    text = await hover(hov, root / "kernel_amd64.s", 19, 8)  # TEXT ·apentry
    assert text.startswith("**TEXT ·apentry** (NOSPLIT, $0-0)")
    assert "Init state at entry" in text and "SSE enabled: **no**" in text
    text = await hover(hov, root / "kernel.go", 43, 7)  # func apmain()
    assert text.startswith("**func apmain**")
    w = build("bootsse", "1.24").wrapper_of("example.com/kernels/bootsse.apmain")
    assert w is not None and w.symbol.name in text
    # apmain is called by apentry after it enabled SSE and set the FS base.
    assert "SSE enabled: **yes**" in text and "FS base valid: **yes**" in text


async def test_hover_predicted_without_build(hov: LanguageClient, tmp_path: Path) -> None:
    root = copy_kernel("bootfs", tmp_path)
    await opened(hov, root)
    text = await hover(hov, root / "kernel_amd64.s", 19, 9)  # CALL ·preinit(SB)
    assert "predicted for Go 1.19" in text
    assert "SSE enabled: **yes**" in text  # rt0 sets CR4.OSFXSR above
    text = await hover(hov, root / "kernel_amd64.s", 20, 9)  # CALL ·kmain(SB)
    # preinit set the FS base on every path (Go setFS → asm wrmsr(_MSR_FS_BASE, …)).
    assert "FS base valid: **yes**" in text
    nothing = await hov.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri(root / "kernel_amd64.s")),
        position=lsp.Position(1, 0)))
    assert nothing is None
