"""Diagnostics over LSP: the same `// want` expectations as `eggls --check`, for every fixture
kernel without a build and with each committed build; module-level findings once, on go.mod;
edits that fix a hazard clear every affected file."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.analysis.test_want import KERNELS, MODULE_LEVEL, RULE_CODES
from tests.lsp.helpers import (
    CAPABILITIES,
    SERVER,
    as_json,
    copy_kernel,
    full_change,
    kernel_files,
    make_client,
    open_file,
    published_after,
    uri,
    wait_until,
)
from tests.support.kernels import KERNELS_DIR, all_kernels
from tests.support.want import compare, read_wants

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def shared(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=CAPABILITIES))
    yield
    await lsp_client.shutdown_session()


async def open_kernel(client: LanguageClient, root: Path) -> dict[str, list[dict[str, object]]]:
    """Open every file of a kernel; the diagnostics of each file (and go.mod) once the
    server has published for all of them."""
    files = kernel_files(root)
    mark = len(client.published)  # type: ignore[attr-defined]
    for f in files:
        open_file(client, f)
    await published_after(client, mark, [uri(f) for f in files], {uri(f): 1 for f in files})
    paths = [*files, root / "go.mod"]
    return {str(p): as_json(uri(p), list(client.diagnostics.get(uri(p), []))) for p in paths}


def check_wants(root: Path, got: dict[str, list[dict[str, object]]], mode: str,
                go: tuple[int, int] | None) -> None:
    wants = []
    for f in kernel_files(root):
        wants += read_wants(f, mode, go, codes=RULE_CODES)
    line_diags = [d for p, ds in got.items() for d in ds if d["code"] not in MODULE_LEVEL]
    problems = compare(wants, line_diags)
    assert not problems, "\n".join(problems)
    # Module-level findings: on go.mod only, each at most once.
    for p, ds in got.items():
        module_level = [d["code"] for d in ds if d["code"] in MODULE_LEVEL]
        if p.endswith("go.mod"):
            assert len(module_level) == len(set(module_level))
        else:
            assert not module_level, p


@pytest.mark.parametrize("kernel", KERNELS)
async def test_wants_without_build(shared: LanguageClient, kernel: str) -> None:
    root = KERNELS_DIR / kernel
    got = await open_kernel(shared, root)
    check_wants(root, got, "predicted", None)
    go_mod = [d["code"] for d in got[str(root / "go.mod")]]
    assert go_mod.count("EGG009") == 1


@pytest.mark.parametrize(("kernel", "version", "elf"), all_kernels(),
                         ids=[f"{k}-go{v}" for k, v, _ in all_kernels()])
async def test_wants_with_build(shared: LanguageClient, tmp_path: Path, kernel: str,
                                version: str, elf: Path) -> None:
    root = copy_kernel(kernel, tmp_path, build=elf)
    got = await open_kernel(shared, root)
    go = tuple(int(x) for x in version.split("."))
    check_wants(root, got, "build", go)  # type: ignore[arg-type]
    codes = {d["code"] for ds in got.values() for d in ds}
    assert "EGG009" not in codes and "EGG902" not in codes


async def test_diagnostic_fields(shared: LanguageClient, tmp_path: Path) -> None:
    from tests.support.kernels import kernel_elf

    root = copy_kernel("bootsse", tmp_path, build=kernel_elf("bootsse", "1.24"))
    await open_kernel(shared, root)
    diags = shared.diagnostics[uri(root / "kernel_amd64.s")]
    egg001 = next(d for d in diags if d.code == "EGG001")
    assert egg001.source == "eggls"
    assert egg001.severity == lsp.DiagnosticSeverity.Error
    assert egg001.code_description is not None
    assert egg001.code_description.href.endswith("docs/rules.md#egg001")
    assert egg001.range == lsp.Range(lsp.Position(9, 1), lsp.Position(9, 18))
    related = egg001.related_information or []
    # The wrapper (from the build) and where SSE does get enabled (apentry's CR4 write).
    assert any("preinit.abi0" in r.message for r in related)
    assert any("SSE is established" in r.message and r.location.uri.endswith("kernel_amd64.s")
               for r in related)
    assert egg001.data["wrapper"]["symbol"].endswith("preinit.abi0")


async def test_fixing_a_hazard_clears_every_affected_file(shared: LanguageClient,
                                                          tmp_path: Path) -> None:
    """gstack: EGG007 sits in kernel.go (Go calls parseCmdline) and in kernel_amd64.s (rt0
    calls initMemmap, setupPaging). Marking the Go functions nosplit in kernel.go clears
    kernel.go and one finding of the asm file; NOSPLIT on setupPaging clears the rest."""
    root = copy_kernel("gstack", tmp_path)
    got = await open_kernel(shared, root)
    go, asm = root / "kernel.go", root / "kernel_amd64.s"
    assert [d["code"] for d in got[str(go)]] == ["EGG007"]
    assert [d["code"] for d in got[str(asm)]] == ["EGG007", "EGG007"]
    text = go.read_text()
    fixed = text.replace("func parseCmdline()", "//go:nosplit\nfunc parseCmdline()").replace(
        "func initMemmap()", "//go:nosplit\nfunc initMemmap()")
    mark = len(shared.published)  # type: ignore[attr-defined]
    full_change(shared, go, fixed, 2)
    await published_after(shared, mark, [uri(go), uri(asm)], {uri(go): 2})
    assert not shared.diagnostics[uri(go)]
    left = shared.diagnostics[uri(asm)]
    assert [(d.code, d.range.start.line + 1) for d in left] == [("EGG007", 24)]
    mark = len(shared.published)  # type: ignore[attr-defined]
    full_change(shared, asm, asm.read_text().replace("TEXT ·setupPaging(SB), $8-0",
                                                     "TEXT ·setupPaging(SB), NOSPLIT, $8-0"), 2)
    await published_after(shared, mark, [uri(asm)], {uri(asm): 2})
    assert not shared.diagnostics[uri(asm)]


async def test_an_asm_edit_changes_findings_in_go(shared: LanguageClient,
                                                  tmp_path: Path) -> None:
    """trapret: once its body just returns, taking its address (directly, or iretTo's, which
    jumps to it) is the wrapper hazard EGG004, no longer EGG003: the Go file is
    republished."""
    root = copy_kernel("trapret", tmp_path)
    got = await open_kernel(shared, root)
    go, asm = root / "kernel.go", root / "kernel_amd64.s"
    assert sorted(d["code"] for d in got[str(go)]) == ["EGG003", "EGG003", "EGG006"]
    mark = len(shared.published)  # type: ignore[attr-defined]
    text = asm.read_text()
    head = "TEXT ·trapret(SB), NOSPLIT|NOFRAME, $0-0\n"
    body = text[text.index(head):text.index("\tIRETQ\n") + len("\tIRETQ\n")]
    full_change(shared, asm, text.replace(body, head + "\tRET\n"), 2)
    await published_after(shared, mark, [uri(go)])
    codes = sorted(str(d.code) for d in shared.diagnostics[uri(go)])
    assert codes == ["EGG004", "EGG004", "EGG006"]


async def test_unsaved_contents_win_over_disk(shared: LanguageClient, tmp_path: Path) -> None:
    root = copy_kernel("bootfs", tmp_path)
    await open_kernel(shared, root)
    asm = root / "kernel_amd64.s"
    # On disk the hazard stays; in the buffer the FS base is set up before the first call.
    buffer = asm.read_text().replace(
        "\tCALL ·preinit(SB) // want EGG002\n",
        "\tMOVL $0xc0000100, CX\n\tMOVQ $0, AX\n\tMOVQ $0, DX\n\tWRMSR\n\tCALL ·preinit(SB)\n")
    mark = len(shared.published)  # type: ignore[attr-defined]
    full_change(shared, asm, buffer, 2)
    await published_after(shared, mark, [uri(asm)], {uri(asm): 2})
    assert not shared.diagnostics[uri(asm)]
    assert "// want EGG002" in asm.read_text()


async def test_newer_edits_win(shared: LanguageClient, tmp_path: Path) -> None:
    """A burst of edits: the published diagnostics are those of the last version."""
    root = copy_kernel("bootsse", tmp_path)
    await open_kernel(shared, root)
    asm = root / "kernel_amd64.s"
    text = asm.read_text()
    mark = len(shared.published)  # type: ignore[attr-defined]
    for v in range(2, 12):
        full_change(shared, asm, text + f"\n// edit {v}\n", v)
    full_change(shared, asm, text.replace("\tCALL ·preinit(SB) // want EGG001 EGG002\n", ""),
                12)
    await published_after(shared, mark, [uri(asm)], {uri(asm): 12})
    assert not shared.diagnostics[uri(asm)]
    # No version in between was published after the last one.
    versions = [p.version for p in shared.published[mark:]  # type: ignore[attr-defined]
                if p.uri == uri(asm)]
    assert versions[-1] == 12


async def test_configuration_layers(tmp_path: Path) -> None:
    """.eggls.toml < initializationOptions < workspace/configuration (section eggls)."""
    root = copy_kernel("bootsse", tmp_path)
    (root / ".eggls.toml").write_text('disable = ["EGG001"]\n')
    client = make_client()
    await client.start_io(*SERVER)
    try:
        client.set_configuration({"eggls": {}})
        await client.initialize_session(lsp.InitializeParams(
            capabilities=CAPABILITIES, initialization_options={"eggls": {"disable": ["EGG002"]}}))
        got = await open_kernel(client, root)
        assert [d["code"] for d in got[str(root / "kernel_amd64.s")]] == ["EGG001"]
        client.set_configuration({"eggls": {"disable": []}})
        asm = uri(root / "kernel_amd64.s")
        mark = len(client.published)  # type: ignore[attr-defined]
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={}))
        await published_after(client, mark, [asm])
        await wait_until(lambda: sorted(str(d.code) for d in client.diagnostics[asm]) ==
                         ["EGG001", "EGG002"], "both findings")
        client.set_configuration({"eggls": {"disable": ["EGG001", "EGG002"], "bogus": 1}})
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={}))
        await wait_until(lambda: not client.diagnostics[asm], "no findings")
        await wait_until(lambda: any("unknown key 'bogus'" in m.message
                                     for m in client.log_messages), "a config problem logged")
        await client.shutdown_session()
    finally:
        await client.stop()
