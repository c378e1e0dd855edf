"""Code actions over LSP: every action offered on the fixture kernels is a WorkspaceEdit that,
applied as an editor applies it, makes its diagnostic disappear without bringing any other
finding (a syntax error, an unused ignore, …)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.analysis.test_want import KERNELS
from tests.lsp.helpers import (
    CAPABILITIES,
    SERVER,
    apply_text_edits,
    copy_kernel,
    full_change,
    kernel_files,
    make_client,
    open_file,
    path_of,
    published_after,
    uri,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def act(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=CAPABILITIES))
    yield
    await lsp_client.shutdown_session()


class Buffers:
    """The editor side: open files, their texts and versions."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.files = kernel_files(root)
        self.text = {uri(f): f.read_text() for f in self.files}
        self.version = dict.fromkeys(self.text, 1)

    async def open(self) -> None:
        mark = len(self.client.published)  # type: ignore[attr-defined]
        for f in self.files:
            open_file(self.client, f)
        await published_after(self.client, mark, list(self.text), dict(self.version))

    def findings(self) -> Counter[tuple[str, str, str]]:
        return Counter((u, str(d.code), d.message) for u in self.text
                       for d in self.client.diagnostics.get(u, []))

    async def set(self, texts: dict[str, str]) -> None:
        mark = len(self.client.published)  # type: ignore[attr-defined]
        for u, t in texts.items():
            self.version[u] += 1
            self.text[u] = t
            full_change(self.client, Path(path_of(u)), t, self.version[u])
        await published_after(self.client, mark, list(self.text), dict(self.version))

    async def apply(self, edit: lsp.WorkspaceEdit) -> None:
        assert edit.changes, edit
        assert set(edit.changes) <= set(self.text), "edits a file that is not open"
        await self.set({u: apply_text_edits(self.text[u], list(es))
                        for u, es in edit.changes.items()})

    async def actions(self, u: str, d: lsp.Diagnostic) -> list[lsp.CodeAction]:
        got = await self.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(u), range=d.range,
            context=lsp.CodeActionContext(diagnostics=[d])))
        out = [a for a in got or [] if isinstance(a, lsp.CodeAction)]
        return [a for a in out if a.diagnostics and a.diagnostics[0].code == d.code and
                a.diagnostics[0].range == d.range]


async def check_action(buf: Buffers, u: str, d: lsp.Diagnostic, a: lsp.CodeAction) -> None:
    before = buf.findings()
    original = dict(buf.text)
    assert a.edit is not None and a.kind == lsp.CodeActionKind.QuickFix
    await buf.apply(a.edit)
    after = buf.findings()
    target = (u, str(d.code), d.message)
    assert after[target] == before[target] - 1, (a.title, target)
    assert not after - before, (a.title, after - before)
    await buf.set({k: v for k, v in original.items() if buf.text[k] != v})
    assert buf.findings() == before


@pytest.mark.parametrize("kernel", KERNELS)
async def test_every_action_removes_its_diagnostic(act: LanguageClient, tmp_path: Path,
                                                   kernel: str) -> None:
    buf = Buffers(act, copy_kernel(kernel, tmp_path))
    await buf.open()
    tried = 0
    for u in list(buf.text):
        for d in list(act.diagnostics.get(u, [])):
            actions = await buf.actions(u, d)
            assert any(a.title.startswith("Suppress") for a in actions)
            for a in actions:
                await check_action(buf, u, d, a)
                tried += 1
    assert tried >= 1


def remove(text: str, *parts: str) -> str:
    for p in parts:
        assert p in text, p
        text = text.replace(p, "")
    return text


async def test_new_asm_helper_for_a_non_returning_body(act: LanguageClient,
                                                       tmp_path: Path) -> None:
    root = copy_kernel("trapret", tmp_path)
    go, asm = root / "kernel.go", root / "kernel_amd64.s"
    go.write_text(remove(go.read_text(), "func addrOfTrapret() uintptr\n",
                         "func newKernelThreadFixed(t *thread) {\n\tinitFrame(t)\n"
                         "\tt.ctx.ip = addrOfTrapret()\n}\n\n",
                         "\tnewKernelThreadFixed(&threads[1])\n"))
    asm.write_text(remove(asm.read_text(), "// func addrOfTrapret() uintptr\n"
                          "TEXT ·addrOfTrapret(SB), NOSPLIT, $0-8\n\tMOVQ $·trapret(SB), AX\n"
                          "\tMOVQ AX, ret+0(FP)\n\tRET\n\n"))
    buf = Buffers(act, root)
    await buf.open()
    d = next(x for x in act.diagnostics[uri(go)] if x.code == "EGG003" and
             x.range.start.line == 85)
    a = next(x for x in await buf.actions(uri(go), d) if "new helper" in x.title)
    assert a.title == "Take trapret's address in asm: new helper addrOfTrapret()"
    assert a.edit is not None and a.edit.changes is not None
    await check_action(buf, uri(go), d, a)
    await buf.apply(a.edit)
    assert "TEXT ·addrOfTrapret(SB), NOSPLIT, $0-8\n\tMOVQ $·trapret(SB), AX\n" \
           "\tMOVQ AX, ret+0(FP)\n\tRET\n" in buf.text[uri(asm)]
    assert "func trapret()\nfunc addrOfTrapret() uintptr\n" in buf.text[uri(go)]
    assert "t.ctx.ip = addrOfTrapret()" in buf.text[uri(go)]


async def test_reflect_rewrite_drops_the_unused_import(act: LanguageClient,
                                                       tmp_path: Path) -> None:
    root = copy_kernel("sysentry", tmp_path)
    go, asm = root / "kernel.go", root / "kernel_amd64.s"
    go.write_text(remove(go.read_text(), "func addrOfVdsoGetpid() uintptr\n",
                         "func debugVDSOFixed() {\n\tprintHex(addrOfVdsoGetpid())\n}\n\n",
                         "\tdebugVDSOFixed()\n"))
    text = asm.read_text()
    start = text.index("// func addrOfVdsoGetpid() uintptr")
    end = text.index("\tRET\n", start) + len("\tRET\n")
    asm.write_text(text[:start] + text[end:])
    buf = Buffers(act, root)
    await buf.open()
    d = next(x for x in act.diagnostics[uri(go)] if x.code == "EGG004" and
             x.severity == lsp.DiagnosticSeverity.Warning)
    a = next(x for x in await buf.actions(uri(go), d) if "new helper" in x.title)
    await check_action(buf, uri(go), d, a)
    assert a.edit is not None
    await buf.apply(a.edit)
    assert '"reflect"' not in buf.text[uri(go)]
    assert "printHex(addrOfVdsoGetpid())" in buf.text[uri(go)]


ENABLE_SSE = """
// enableSSE sets CR0.MP, clears CR0.EM and sets CR4.OSFXSR|OSXMMEXCPT.
TEXT ·enableSSE(SB), NOSPLIT, $0-0
	MOVQ CR0, AX
	ANDQ $~(1<<2), AX
	ORQ $(1<<1), AX
	MOVQ AX, CR0
	MOVQ CR4, AX
	ORQ $(3<<9), AX
	MOVQ AX, CR4
	RET

// setupFS points the FS base at cpuTLS[1].
TEXT ·setupFS(SB), NOSPLIT, $0-0
	MOVQ $·cpuTLS+8(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xc0000100, CX
	WRMSR
	RET
"""


@pytest.mark.parametrize(("code", "helper"), [("EGG001", "enableSSE"), ("EGG002", "setupFS")])
async def test_call_an_existing_setup_function_first(act: LanguageClient, tmp_path: Path,
                                                     code: str, helper: str) -> None:
    root = copy_kernel("bootsse", tmp_path)
    go, asm = root / "kernel.go", root / "kernel_amd64.s"
    asm.write_text(asm.read_text() + ENABLE_SSE)
    go.write_text(go.read_text().replace("func apentry()\n",
                                         "func apentry()\nfunc enableSSE()\nfunc setupFS()\n"))
    buf = Buffers(act, root)
    await buf.open()
    d = next(x for x in act.diagnostics[uri(asm)] if x.code == code)
    a = next(x for x in await buf.actions(uri(asm), d) if x.title.startswith("Call"))
    assert a.title.startswith(f"Call {helper} ")
    await check_action(buf, uri(asm), d, a)
    assert a.edit is not None
    await buf.apply(a.edit)
    assert f"\tCALL ·{helper}(SB)\n\tCALL ·preinit(SB)" in buf.text[uri(asm)]
