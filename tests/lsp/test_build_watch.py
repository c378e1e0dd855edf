"""The last build is watched: replacing the artifact re-reads it in the background (with
$/progress) and republishes, whether the editor reports the change
(workspace/didChangeWatchedFiles) or the server notices it by polling; saving a source makes
the build stale (EGG008 on go.mod)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

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
from tests.support.kernels import kernel_elf

pytestmark = pytest.mark.asyncio


async def start(env: dict[str, str] | None = None) -> LanguageClient:
    client = make_client()
    await client.start_io(*SERVER, env=env)
    await client.initialize_session(lsp.InitializeParams(capabilities=CAPABILITIES))
    return client


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


def trapret_with_build(tmp_path: Path, version: str) -> tuple[Path, Path]:
    """trapret, its build at bin/trapret.elf (found as the module's newest Go ELF)."""
    root = copy_kernel("trapret", tmp_path)
    elf = root / "bin" / "trapret.elf"
    elf.parent.mkdir()
    shutil.copyfile(kernel_elf("trapret", version), elf)
    return root, elf


def replace_build(elf: Path, version: str) -> None:
    tmp = elf.with_suffix(".new")
    shutil.copyfile(kernel_elf("trapret", version), tmp)
    os.replace(tmp, elf)  # as a linker writing a new file would


def egg003(client: LanguageClient, root: Path) -> str:
    diags = client.diagnostics.get(uri(root / "kernel.go"), [])
    return next((d.message for d in diags if d.code == "EGG003"), "")


async def open_all(client: LanguageClient, root: Path) -> None:
    files = kernel_files(root)
    for f in files:
        open_file(client, f)
    await published_after(client, 0, [uri(f) for f in files])


async def test_a_reported_rebuild_republishes_with_progress(tmp_path: Path) -> None:
    root, elf = trapret_with_build(tmp_path, "1.19")
    client = await start()
    try:
        await open_all(client, root)
        assert "pushes 8 bytes" in egg003(client, root)
        # The build artifact itself is in the watched-files registration.
        await wait_until(lambda: any(
            str(w.get("globPattern", {}).get("pattern", "")) == "trapret.elf"
            for r in client.registrations  # type: ignore[attr-defined]
            for w in r.register_options["watchers"]
            if isinstance(w.get("globPattern"), dict)), "the build in the registration")
        replace_build(elf, "1.24")
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent(uri(elf), lsp.FileChangeType.Changed)]))
        await wait_until(lambda: "pushes 16 bytes" in egg003(client, root), "republished")
        await wait_until(lambda: any(
            [type(v).__name__ for v in vs] == ["WorkDoneProgressBegin", "WorkDoneProgressEnd"]
            for vs in client.progress_reports.values()), "$/progress begin and end")
    finally:
        await stop(client)


async def test_polling_notices_a_rebuild(tmp_path: Path) -> None:
    root, elf = trapret_with_build(tmp_path, "1.24")
    client = await start(server_env(EGGLS_BUILD_POLL_SECONDS="0.1"))
    try:
        await open_all(client, root)
        assert "pushes 16 bytes" in egg003(client, root)
        replace_build(elf, "1.19")  # no didChangeWatchedFiles: the poller must see it
        await wait_until(lambda: "pushes 8 bytes" in egg003(client, root), "republished")
    finally:
        await stop(client)


async def test_saving_a_source_makes_the_build_stale(tmp_path: Path) -> None:
    root, elf = trapret_with_build(tmp_path, "1.24")
    old = elf.stat().st_mtime - 10
    os.utime(elf, (old, old))
    for f in kernel_files(root):
        os.utime(f, (old - 10, old - 10))
    client = await start()
    try:
        await open_all(client, root)
        go_mod = uri(root / "go.mod")
        assert not [d for d in client.diagnostics.get(go_mod, []) if d.code == "EGG008"]
        asm = root / "kernel_amd64.s"
        asm.write_text(asm.read_text() + "\n")
        client.text_document_did_save(lsp.DidSaveTextDocumentParams(
            lsp.TextDocumentIdentifier(uri(asm))))
        await wait_until(lambda: [d for d in client.diagnostics.get(go_mod, [])
                                  if d.code == "EGG008"], "EGG008 on go.mod")
    finally:
        await stop(client)
