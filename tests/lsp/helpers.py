"""A pytest-lsp client for eggls' server, and what the tests do with it: open files, wait for
diagnostics, apply workspace edits the way an editor does."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.support.kernels import KERNELS_DIR

SERVER = [sys.executable, "-m", "eggls.cli"]
WAIT = 60.0  # seconds before a test gives up waiting for the server (a failure, not a timing)

CAPABILITIES = lsp.ClientCapabilities(
    workspace=lsp.WorkspaceClientCapabilities(
        configuration=True,
        did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True, relative_pattern_support=True),
        workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True)),
    window=lsp.WindowClientCapabilities(work_done_progress=True),
    text_document=lsp.TextDocumentClientCapabilities(
        publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(
            related_information=True, version_support=True, code_description_support=True),
        hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
        document_symbol=lsp.DocumentSymbolClientCapabilities(
            hierarchical_document_symbol_support=True)))


def make_client() -> LanguageClient:
    """pytest-lsp's client, which also records every publishDiagnostics in order and accepts
    capability registrations."""
    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, {k: v for k, v in DEFAULT_CLIENT_FEATURES.items()
                                   if k != lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS})
    client.published = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(client: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: lsp.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @client.feature(lsp.CLIENT_UNREGISTER_CAPABILITY)
    def unregister(client: LanguageClient, params: lsp.UnregistrationParams) -> None:
        ids = {u.id for u in params.unregisterations}
        client.registrations[:] = [r for r in client.registrations  # type: ignore[attr-defined]
                                   if r.id not in ids]

    return client


def server_env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def uri(path: Path | str) -> str:
    return from_fs_path(str(path)) or ""


def path_of(u: str) -> str:
    return to_fs_path(u) or u


def copy_kernel(name: str, dest: Path, build: Path | None = None) -> Path:
    """A writable copy of a fixture kernel (without its committed builds); with build, an
    .eggls.toml that points at that ELF."""
    root = dest / name
    shutil.copytree(KERNELS_DIR / name, root, ignore=shutil.ignore_patterns("bin"))
    if build is not None:
        (root / ".eggls.toml").write_text(f'build = "{build}"\n')
    return root


def kernel_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".go", ".s") and
                  "bin" not in p.parts)


async def wait_until(cond: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        got = cond()
        if got:
            return got
        if loop.time() > end:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


def open_file(client: LanguageClient, path: Path, version: int = 1) -> None:
    lang = "go" if path.suffix == ".go" else "go.asm"
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri(path), lang, version, path.read_text())))


async def published_after(client: LanguageClient, mark: int, uris: list[str],
                          version: dict[str, int] | None = None) -> None:
    """Wait until every uri got a publishDiagnostics after the mark (for version, when
    given)."""

    def done() -> bool:
        got = {p.uri: p.version for p in client.published[mark:]}  # type: ignore[attr-defined]
        return all(u in got and (version is None or u not in version or
                                 got[u] == version[u]) for u in uris)

    await wait_until(done, f"diagnostics for {uris}")


def as_json(u: str, diags: list[lsp.Diagnostic]) -> list[dict[str, Any]]:
    """Diagnostics as `eggls --check --format json` has them (ASCII fixtures: UTF-16
    columns are characters)."""
    return [{"path": path_of(u), "line": d.range.start.line + 1,
             "column": d.range.start.character + 1, "end_line": d.range.end.line + 1,
             "end_column": d.range.end.character + 1, "code": d.code, "message": d.message,
             "severity": d.severity} for d in diags]


def apply_text_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions; all edits refer to the original text)."""
    lines = text.split("\n")

    def offset(p: lsp.Position) -> int:
        off = sum(len(x) + 1 for x in lines[: p.line])
        line = lines[p.line] if p.line < len(lines) else ""
        units = 0
        k = 0
        while k < len(line) and units < p.character:
            units += 2 if ord(line[k]) > 0xFFFF else 1
            k += 1
        return off + k

    spans = sorted(((offset(e.range.start), offset(e.range.end), i, e.new_text)
                    for i, e in enumerate(edits)), key=lambda s: (s[0], s[2]))
    out = []
    pos = 0
    for start, end, _i, new in spans:
        assert start >= pos, "overlapping edits"
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def full_change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version=version, uri=uri(path)),
        [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
