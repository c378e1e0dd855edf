"""The server itself: initialize (name, version, position encoding), robustness (an internal
error is logged and answered as an LSP error, the server stays up), $/cancelRequest, and
positions in UTF-16 / UTF-8 on lines with non-ASCII characters."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInternalError, JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from eggls import __version__
from tests.lsp.helpers import (
    CAPABILITIES,
    SERVER,
    copy_kernel,
    kernel_files,
    make_client,
    open_file,
    published_after,
    server_env,
    uri,
    wait_until,
)
from tests.support.kernels import KERNELS_DIR

pytestmark = pytest.mark.asyncio

BOOTSSE = KERNELS_DIR / "bootsse"


async def start(env: dict[str, str] | None = None, encodings: list[str] | None = None
                ) -> tuple[LanguageClient, lsp.InitializeResult]:
    client = make_client()
    await client.start_io(*SERVER, env=env)
    caps = CAPABILITIES
    if encodings is not None:
        caps = lsp.ClientCapabilities(
            workspace=CAPABILITIES.workspace, window=CAPABILITIES.window,
            text_document=CAPABILITIES.text_document,
            general=lsp.GeneralClientCapabilities(position_encodings=encodings))
    result = await client.initialize_session(lsp.InitializeParams(capabilities=caps))
    return client, result


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


async def open_kernel(client: LanguageClient, root: Path) -> None:
    files = kernel_files(root)
    for f in files:
        open_file(client, f)
    await published_after(client, 0, [uri(f) for f in files])


def hover_params(path: Path, line: int, col: int) -> lsp.HoverParams:
    return lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri(path)),
                           position=lsp.Position(line, col))


async def test_initialize_reports_name_version_and_utf16() -> None:
    client, result = await start()
    try:
        assert result.server_info is not None
        assert (result.server_info.name, result.server_info.version) == ("eggls", __version__)
        caps = result.capabilities
        assert caps.position_encoding == lsp.PositionEncodingKind.Utf16
        assert caps.hover_provider and caps.definition_provider and caps.references_provider
        assert caps.document_highlight_provider and caps.document_symbol_provider
        assert caps.workspace_symbol_provider and caps.code_action_provider
        await open_kernel(client, BOOTSSE)
        # Dynamic registration of watched files (sources, config, builds).
        await wait_until(lambda: client.registrations, "a watched-files registration")  # type: ignore[attr-defined]
        reg = client.registrations[0]  # type: ignore[attr-defined]
        assert reg.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
    finally:
        await stop(client)


async def test_internal_errors_become_lsp_errors_and_the_server_stays_up() -> None:
    client, _ = await start(server_env(EGGLS_TEST_RAISE=lsp.TEXT_DOCUMENT_HOVER))
    try:
        await open_kernel(client, BOOTSSE)
        asm = BOOTSSE / "kernel_amd64.s"
        for _ in range(2):
            with pytest.raises(JsonRpcInternalError, match="internal error in textDocument"):
                await client.text_document_hover_async(hover_params(asm, 9, 8))
        assert any("injected failure" in m.message and m.type == lsp.MessageType.Error
                   for m in client.log_messages)
        got = await client.text_document_definition_async(lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri(asm)), position=lsp.Position(9, 8)))
        assert got  # still serving
    finally:
        await stop(client)


async def test_cancel_request_is_honoured() -> None:
    client, _ = await start(server_env(EGGLS_TEST_DELAY=f"{lsp.TEXT_DOCUMENT_HOVER}=60"))
    try:
        await open_kernel(client, BOOTSSE)
        fut = asyncio.ensure_future(client.protocol.send_request_async(
            lsp.TEXT_DOCUMENT_HOVER, hover_params(BOOTSSE / "kernel_amd64.s", 9, 8),
            msg_id="slow-hover"))
        await asyncio.sleep(0.2)
        client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="slow-hover"))
        with pytest.raises(JsonRpcRequestCancelled):
            await fut
        # Other requests are served meanwhile and after.
        syms = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
            lsp.TextDocumentIdentifier(uri(BOOTSSE / "kernel_amd64.s"))))
        assert syms
    finally:
        await stop(client)


EMOJI_LINE = "\t/* 🙂 é */ CALL ·preinit(SB)\n"


@pytest.mark.parametrize(("encodings", "expected"), [
    (None, lsp.PositionEncodingKind.Utf16),
    (["utf-8"], lsp.PositionEncodingKind.Utf8),
    (["utf-32", "utf-16"], lsp.PositionEncodingKind.Utf32),
])
async def test_positions_in_the_negotiated_encoding(tmp_path: Path, encodings: list[str] | None,
                                                    expected: str) -> None:
    root = copy_kernel("bootsse", tmp_path)
    asm = root / "kernel_amd64.s"
    asm.write_text(asm.read_text().replace("\tCALL ·preinit(SB) // want EGG001 EGG002\n",
                                           EMOJI_LINE))
    client, result = await start(encodings=encodings)
    try:
        assert result.capabilities.position_encoding == expected
        await open_kernel(client, root)
        d = next(x for x in client.diagnostics[uri(asm)] if x.code == "EGG001")
        before, stmt = EMOJI_LINE.split("CALL")
        stmt = "CALL" + stmt.rstrip("\n")

        def units(s: str) -> int:
            if expected == lsp.PositionEncodingKind.Utf8:
                return len(s.encode("utf-8"))
            if expected == lsp.PositionEncodingKind.Utf16:
                return len(s.encode("utf-16-le")) // 2
            return len(s)

        assert d.range.start == lsp.Position(9, units(before))
        assert d.range.end == lsp.Position(9, units(before + stmt))
        # A request at a position in the same encoding: on `preinit`, after the emoji.
        col = units(before + "CALL ·pre")
        got = await client.text_document_definition_async(lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri(asm)), position=lsp.Position(9, col)))
        assert isinstance(got, list) and got[0].uri == uri(root / "kernel.go")
    finally:
        await stop(client)


async def test_tcp_for_debugging() -> None:
    import json
    import socket
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "eggls.cli", "--tcp",
                                                f"127.0.0.1:{port}")
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                if loop.time() > end:
                    raise
                await asyncio.sleep(0.1)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                           "params": {"processId": None, "rootUri": None,
                                      "capabilities": {}}}).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        reply = json.loads(await reader.readexactly(length))
        assert reply["result"]["serverInfo"] == {"name": "eggls", "version": __version__}
        writer.close()
    finally:
        proc.terminate()
        await proc.wait()


async def test_a_failing_analysis_is_logged_and_requests_still_answer() -> None:
    client, _ = await start(server_env(EGGLS_TEST_RAISE="eggls/analysis"))
    try:
        open_file(client, BOOTSSE / "kernel_amd64.s")
        await wait_until(lambda: any("internal error in the analysis" in m.message
                                     for m in client.log_messages), "the error in the log")
        got = await client.text_document_hover_async(
            hover_params(BOOTSSE / "kernel_amd64.s", 9, 8))
        assert got is None  # nothing analysed, but an answer
    finally:
        await stop(client)
