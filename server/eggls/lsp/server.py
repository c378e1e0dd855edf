"""The eggls language server (pygls 2): diagnostics for .s and .go files as you type, hovers
that show what a call or code address really enters, navigation across assembly and Go, and
quick fixes. Thin adapters over eggls.engine and eggls.analysis.{incremental,query,hover,fixes}.

Scheduling: an edit bumps the module's generation and (re)starts a debounce timer; a newer
edit cancels the pending timer and tells a running analysis to stop at its next file. One
analysis thread serves all modules (the caches are per module and not thread-safe); queries
run on another thread against the last complete analysis (after letting a pending one finish,
so positions match the buffers).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from eggls import __version__
from eggls.analysis.fixes import fixes_for
from eggls.analysis.hover import HoverInput, hover_markdown
from eggls.analysis.incremental import Cancelled, CancelToken
from eggls.build.locate import SOURCE_SUFFIXES
from eggls.config import CONFIG_FILE
from eggls.gomod import find_module
from eggls.lsp import convert
from eggls.lsp.positions import Positions
from eggls.lsp.session import ModuleState, Snapshot, analyse, read_text

log = logging.getLogger("eggls.lsp")

DEBOUNCE_SECONDS = 0.1  # after the last keystroke; the budget is 150 ms
POLL_SECONDS = float(os.environ.get("EGGLS_BUILD_POLL_SECONDS", "2"))
GC_IDLE_SECONDS = 20.0  # quiet time before a full garbage collection
QUERY_WAIT_SECONDS = 30.0  # how long a request waits for a pending analysis
SOURCE_EXTS = (".s", ".go")
WATCH_ID = "eggls-watched-files"
NOTIFICATIONS = frozenset({
    lsp.INITIALIZED, lsp.TEXT_DOCUMENT_DID_OPEN, lsp.TEXT_DOCUMENT_DID_CHANGE,
    lsp.TEXT_DOCUMENT_DID_SAVE, lsp.TEXT_DOCUMENT_DID_CLOSE,
    lsp.WORKSPACE_DID_CHANGE_CONFIGURATION, lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES})
# Test hooks (used by tests/lsp): make a handler fail, or sleep first, to check that the
# server answers with an LSP error and stays up, and that $/cancelRequest is honoured.
_RAISE_IN = frozenset(filter(None, os.environ.get("EGGLS_TEST_RAISE", "").split(",")))
_DELAY_IN = dict(item.split("=", 1) for item in os.environ.get("EGGLS_TEST_DELAY", "").split(",")
                 if "=" in item)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def _guard(method: str, request: bool = True) -> Callable[[F], F]:
    """Every handler: an internal error is logged (window/logMessage, with the traceback)
    and answered as an LSP error (requests) or dropped (notifications); the server stays up.
    Cancellation passes through, so pygls answers RequestCancelled."""

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(self: EgglsServer, params: Any) -> Any:
            try:
                if method in _DELAY_IN:
                    await asyncio.sleep(float(_DELAY_IN[method]))
                if method in _RAISE_IN:
                    raise RuntimeError(f"injected failure in {method} (EGGLS_TEST_RAISE)")
                return await fn(self, params)
            except (asyncio.CancelledError, JsonRpcException):
                raise
            except Exception as e:
                self.log(lsp.MessageType.Error,
                         f"eggls: internal error in {method}: {type(e).__name__}: {e}\n"
                         + traceback.format_exc())
                if request:
                    raise JsonRpcInternalError(
                        f"eggls: internal error in {method}: {type(e).__name__}: {e}") from e
                return None

        return wrapper  # type: ignore[return-value]

    return deco


class EgglsServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("eggls", __version__,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.modules: dict[str, ModuleState] = {}
        self.init_settings: dict[str, Any] = {}
        self.ws_settings: dict[str, Any] = {}
        self.debounce = DEBOUNCE_SECONDS
        self.analysis_pool = ThreadPoolExecutor(1, thread_name_prefix="eggls-analysis")
        self.query_pool = ThreadPoolExecutor(1, thread_name_prefix="eggls-query")
        self.uris: dict[str, str] = {}  # path → the URI the client uses for it
        self.watching: tuple[str, ...] | None = None  # build paths in the registration
        self.poller: asyncio.Task[None] | None = None
        self.background: set[asyncio.Task[Any]] = set()
        self.gc_task: asyncio.Task[None] | None = None
        self._register()

    # -- plumbing ---------------------------------------------------------------------------

    def _register(self) -> None:
        def plain(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
            # pygls tags handlers with attributes, which bound methods cannot carry.
            if name in NOTIFICATIONS:
                # A coroutine notification handler stays in pygls' table of request futures
                # for good (one per keystroke): run them as our own tasks instead (started
                # in arrival order, so a request after an edit sees the edit).
                def notified(params: Any) -> None:
                    self._spawn(method(params))
                return notified
            if asyncio.iscoroutinefunction(method):
                async def handler(params: Any) -> Any:
                    return await method(params)
                return handler

            def sync_handler(params: Any) -> Any:
                return method(params)
            return sync_handler

        features: list[tuple[str, Callable[..., Any], Any]] = [
            (lsp.INITIALIZE, self.on_initialize, None),
            (lsp.INITIALIZED, self.on_initialized, None),
            (lsp.SHUTDOWN, self.on_shutdown, None),
            (lsp.TEXT_DOCUMENT_DID_OPEN, self.did_open, None),
            (lsp.TEXT_DOCUMENT_DID_CHANGE, self.did_change, None),
            (lsp.TEXT_DOCUMENT_DID_SAVE, self.did_save, lsp.SaveOptions(include_text=False)),
            (lsp.TEXT_DOCUMENT_DID_CLOSE, self.did_close, None),
            (lsp.WORKSPACE_DID_CHANGE_CONFIGURATION, self.did_change_configuration, None),
            (lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, self.did_change_watched_files, None),
            (lsp.TEXT_DOCUMENT_HOVER, self.hover, None),
            (lsp.TEXT_DOCUMENT_DEFINITION, self.definition, None),
            (lsp.TEXT_DOCUMENT_REFERENCES, self.references, None),
            (lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT, self.document_highlight, None),
            (lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL, self.document_symbol, None),
            (lsp.WORKSPACE_SYMBOL, self.workspace_symbol, None),
            (lsp.TEXT_DOCUMENT_CODE_ACTION, self.code_action,
             lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])),
        ]
        for name, method, options in features:
            self.feature(name, options)(plain(name, method))

    def log(self, kind: lsp.MessageType, message: str) -> None:
        try:
            self.window_log_message(lsp.LogMessageParams(kind, message))
        except Exception:  # no transport (yet): stderr
            log.warning("%s", message)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls' own errors (bad JSON, a failed notification handler) go to the log, not to
        # pop-ups on every keystroke.
        self.log(lsp.MessageType.Error, f"eggls: {source.__name__}: {error}")

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            e = task.exception()
            self.log(lsp.MessageType.Error, "eggls: background task failed: "
                     + "".join(traceback.format_exception(e)))

    def overrides(self) -> dict[str, Any]:
        """LSP settings over .eggls.toml: initializationOptions < workspace/configuration."""
        return {**self.init_settings, **self.ws_settings}

    @staticmethod
    def _section(value: Any) -> dict[str, Any]:
        if isinstance(value, dict) and isinstance(value.get("eggls"), dict):
            value = value["eggls"]
        return dict(value) if isinstance(value, dict) else {}

    def _path(self, uri: str) -> str | None:
        path = to_fs_path(uri)
        if path is None:
            return None
        path = os.path.abspath(path)
        self.uris.setdefault(path, uri)
        return path

    def uri(self, path: str) -> str:
        got = self.uris.get(path)
        if got is None:
            got = self.uris[path] = convert.default_uri(path)
        return got

    def _capability(self, *names: str) -> Any:
        cur: Any = self.client_capabilities
        for n in names:
            cur = getattr(cur, n, None)
            if cur is None:
                return None
        return cur

    def _open_docs(self) -> dict[str, Any]:
        out = {}
        for doc in list(self.workspace.text_documents.values()):
            path = self._path(doc.uri)
            if path is not None:
                out[path] = doc
        return out

    def positions(self, snap: Snapshot | None) -> Positions:
        cache: dict[str, list[str] | None] = {}

        def lines_of(path: str) -> list[str] | None:
            if path not in cache:
                text = snap.text_of(path) if snap is not None else read_text(path)
                cache[path] = text.split("\n") if text is not None else None
            return cache[path]

        return Positions(self.workspace.position_encoding or "utf-16", lines_of)

    # -- modules and scheduling -------------------------------------------------------------

    def state_for(self, path: str, create: bool = True) -> ModuleState | None:
        d = os.path.dirname(path)
        module = find_module(d)
        key = module.root if module is not None else d
        state = self.modules.get(key)
        if state is None and create:
            state = self.modules[key] = ModuleState(key, module)
            state.idle = asyncio.Event()
            state.idle.set()
        if state is not None and path.endswith(SOURCE_EXTS) and create:
            state.requested.add(d)
        return state

    def schedule(self, state: ModuleState, delay: float) -> None:
        """(Re)start the module's analysis after delay; newer work cancels older."""
        state.generation += 1
        if state.token is not None:
            state.token.cancelled = True
        if state.task is not None and not state.task.done():
            state.task.cancel()
        state.idle.clear()
        state.phase = "debounce"
        state.task = self._spawn(self._analyse_later(state, delay, state.generation))

    async def _analyse_later(self, state: ModuleState, delay: float, gen: int) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        started = time.perf_counter()
        texts: dict[str, str] = {}
        versions: dict[str, int | None] = {}
        for path, doc in self._open_docs().items():
            if path.endswith(SOURCE_EXTS) and state.contains(path):
                texts[path] = doc.source
                versions[path] = doc.version
        token = state.token = CancelToken()
        state.phase = "running"
        loop = asyncio.get_running_loop()
        progress = None
        try:
            if state.snapshot is None:
                # The first analysis of a module parses all of it: worth a progress report.
                progress = await self.progress_begin("eggls: indexing", state.key)
            if "eggls/analysis" in _RAISE_IN:
                raise RuntimeError("injected failure in the analysis (EGGLS_TEST_RAISE)")
            snap = await loop.run_in_executor(self.analysis_pool, analyse, state,
                                              sorted(state.requested), self.overrides(),
                                              texts, versions, token)
        except Cancelled:
            return
        except Exception as e:
            # A bug in the analysis must not leave requests waiting: log it, keep the last
            # good snapshot.
            if gen == state.generation:
                state.phase = "idle"
                state.idle.set()
            self.log(lsp.MessageType.Error,
                     f"eggls: internal error in the analysis of {state.key}: "
                     f"{type(e).__name__}: {e}\n" + traceback.format_exc())
            return
        finally:
            if state.token is token:
                state.token = None
            self.progress_end(progress, "done")
        if gen != state.generation:
            return  # an edit arrived meanwhile: its own analysis will publish
        state.snapshot = snap
        t_publish = time.perf_counter()
        self.publish(state, snap)
        t_publish = time.perf_counter() - t_publish
        state.phase = "idle"
        state.idle.set()
        elapsed = time.perf_counter() - started
        self._collect_garbage_later()
        self._log_notes(state, snap)
        self._update_watchers()
        if self.protocol.trace not in (None, lsp.TraceValue.Off):
            self.log_trace(lsp.LogTraceParams(
                f"eggls: analysis {elapsed * 1000:.2f} ms (engine {snap.seconds * 1000:.2f} "
                f"ms, publish {t_publish * 1000:.2f} ms) module={state.key} "
                f"versions={snap.versions}"))

    def _collect_garbage_later(self) -> None:
        """A module's analysis is hundreds of thousands of long-lived objects, and Python's
        full collections (~0.2 s on runtime's) would land in the middle of typing. So what is
        alive after an analysis is frozen (refcounting still frees it; the model has no
        cycles), and the cycle collector runs over everything only after a quiet spell."""
        gc.freeze()
        if self.gc_task is not None:
            self.gc_task.cancel()
        self.gc_task = self._spawn(self._full_collection())

    async def _full_collection(self) -> None:
        await asyncio.sleep(GC_IDLE_SECONDS)
        if all(s.phase == "idle" for s in self.modules.values()):
            # pygls 2.1 keeps a finished future per notification its generator handlers ran
            # (didChange, …) in its table of requests; answered requests are removed from it,
            # so what is done there is such garbage.
            futures = getattr(self.protocol, "_request_futures", {})
            for key in [k for k, f in list(futures.items()) if f.done()]:
                futures.pop(key, None)
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    async def _settle(self, state: ModuleState) -> Snapshot | None:
        """The snapshot for the current buffers: a pending debounce is skipped, a running
        analysis awaited."""
        if state.phase == "debounce" or (state.snapshot is None and state.phase == "idle"):
            self.schedule(state, 0)
        if not state.idle.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.idle.wait(), QUERY_WAIT_SECONDS)
        return state.snapshot

    async def snapshot_for(self, uri: str) -> tuple[str, Snapshot] | None:
        path = self._path(uri)
        if path is None:
            return None
        state = self.state_for(path)
        assert state is not None
        snap = await self._settle(state)
        return (path, snap) if snap is not None else None

    async def in_query_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.query_pool, fn, *args)

    def publish(self, state: ModuleState, snap: Snapshot) -> None:
        """Send the diagnostics of every file whose findings changed (an empty list where
        they went away), and of every open file of the module (with its version)."""
        pos = self.positions(snap)
        by_file = snap.by_file()
        open_paths = {p for p in self._open_docs() if state.contains(p)}
        paths = set(by_file) | set(state.published) | {p for p in open_paths
                                                       if p.endswith(SOURCE_EXTS)}
        for path in sorted(paths):
            raw = tuple(by_file.get(path, ()))
            if path not in open_paths and state.published.get(path, ()) == raw:
                continue  # unchanged: converting them again would be wasted time
            diags = [convert.diagnostic(d, pos, self.uri) for d in raw]
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                self.uri(path), diags, version=snap.versions.get(path)))
            if raw:
                state.published[path] = raw
            else:
                state.published.pop(path, None)

    def _log_notes(self, state: ModuleState, snap: Snapshot) -> None:
        notes = tuple(snap.result.notes)
        if notes != state.notes:
            state.notes = notes
            for n in notes:
                self.log(lsp.MessageType.Info, f"eggls: {state.key}: {n}")

    # -- lifecycle --------------------------------------------------------------------------

    def on_initialize(self, params: lsp.InitializeParams) -> None:
        self.init_settings = self._section(params.initialization_options)
        if params.trace is not None:
            self.protocol.trace = params.trace

    @_guard(lsp.INITIALIZED, request=False)
    async def on_initialized(self, params: lsp.InitializedParams) -> None:
        await self._fetch_configuration()
        self._update_watchers()
        if self.poller is None:
            self.poller = self._spawn(self._poll_builds())

    async def _fetch_configuration(self) -> None:
        if not self._capability("workspace", "configuration"):
            return
        try:
            got = await self.workspace_configuration_async(lsp.ConfigurationParams(
                items=[lsp.ConfigurationItem(section="eggls")]))
        except Exception as e:  # a client that cannot answer: keep the other layers
            self.log(lsp.MessageType.Warning, f"eggls: workspace/configuration failed: {e}")
            return
        self.ws_settings = self._section(got[0] if got else None)

    @_guard(lsp.SHUTDOWN)
    async def on_shutdown(self, params: None) -> None:
        for state in self.modules.values():
            if state.token is not None:
                state.token.cancelled = True
            if state.task is not None:
                state.task.cancel()
        for task in (self.poller, self.gc_task):
            if task is not None:
                task.cancel()
        self.analysis_pool.shutdown(wait=False, cancel_futures=True)
        self.query_pool.shutdown(wait=False, cancel_futures=True)

    # -- documents --------------------------------------------------------------------------

    @_guard(lsp.TEXT_DOCUMENT_DID_OPEN, request=False)
    async def did_open(self, params: lsp.DidOpenTextDocumentParams) -> None:
        path = self._path(params.text_document.uri)
        if path is None:
            return
        state = self.state_for(path)
        assert state is not None
        self.schedule(state, 0)

    @_guard(lsp.TEXT_DOCUMENT_DID_CHANGE, request=False)
    async def did_change(self, params: lsp.DidChangeTextDocumentParams) -> None:
        path = self._path(params.text_document.uri)
        if path is None or not path.endswith(SOURCE_EXTS):
            return
        state = self.state_for(path)
        assert state is not None
        self.schedule(state, self.debounce)

    @_guard(lsp.TEXT_DOCUMENT_DID_SAVE, request=False)
    async def did_save(self, params: lsp.DidSaveTextDocumentParams) -> None:
        path = self._path(params.text_document.uri)
        if path is None:
            return
        state = self.state_for(path)
        assert state is not None
        if os.path.basename(path) in ("go.mod", CONFIG_FILE):
            find_module.cache_clear()
            self._reset(state.key)
            return
        await self._sources_changed(state, [path])

    @_guard(lsp.TEXT_DOCUMENT_DID_CLOSE, request=False)
    async def did_close(self, params: lsp.DidCloseTextDocumentParams) -> None:
        path = self._path(params.text_document.uri)
        if path is None:
            return
        state = self.state_for(path, create=False)
        if state is not None:
            self.schedule(state, 0)  # the file on disk counts again

    async def _sources_changed(self, state: ModuleState, paths: list[str]) -> None:
        """Files changed on disk: directory listings may differ, and the build may now be
        older than its sources."""
        state.cache.invalidate(paths)
        await asyncio.get_running_loop().run_in_executor(self.analysis_pool,
                                                         state.cache.refresh_staleness)
        self.schedule(state, 0)

    # -- configuration and watched files ----------------------------------------------------

    @_guard(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION, request=False)
    async def did_change_configuration(self, params: lsp.DidChangeConfigurationParams) -> None:
        if self._capability("workspace", "configuration"):
            await self._fetch_configuration()
        else:
            self.ws_settings = self._section(params.settings)
        for state in self.modules.values():
            state.cache.invalidate_build()
            state.cache.invalidate()
            self.schedule(state, 0)

    @_guard(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, request=False)
    async def did_change_watched_files(self, params: lsp.DidChangeWatchedFilesParams) -> None:
        sources: dict[str, list[str]] = {}
        rebuilt: set[str] = set()
        for ev in params.changes:
            path = self._path(ev.uri)
            if path is None:
                continue
            for key, state in list(self.modules.items()):
                if not state.contains(path) and path not in state.cache.build_paths():
                    continue
                name = os.path.basename(path)
                if name in ("go.mod", CONFIG_FILE):
                    find_module.cache_clear()
                    self._reset(key)
                elif path in state.cache.build_paths() or path.endswith(".elf"):
                    rebuilt.add(key)
                elif name.endswith(SOURCE_SUFFIXES):
                    sources.setdefault(key, []).append(path)
        for key in rebuilt:
            if key in self.modules:
                self._spawn(self.reindex_build(self.modules[key], "the build changed"))
        for key, paths in sources.items():
            if key in self.modules and key not in rebuilt:
                await self._sources_changed(self.modules[key], paths)

    def _reset(self, key: str) -> None:
        """go.mod or .eggls.toml changed: start the module over."""
        old = self.modules.pop(key)
        if old.task is not None:
            old.task.cancel()
        for path in self._open_docs():
            if old.contains(path) and path.endswith(SOURCE_EXTS):
                state = self.state_for(path)
                assert state is not None
                state.published = dict(old.published)
                self.schedule(state, 0)

    def _build_paths(self) -> tuple[str, ...]:
        paths: set[str] = set()
        for state in self.modules.values():
            paths.update(state.cache.build_paths())
        return tuple(sorted(paths))

    def _update_watchers(self) -> None:
        if not self._capability("workspace", "did_change_watched_files",
                                "dynamic_registration"):
            return
        builds = self._build_paths()
        if builds == self.watching:
            return
        self._spawn(self._register_watchers(builds))

    async def _register_watchers(self, builds: tuple[str, ...]) -> None:
        relative = self._capability("workspace", "did_change_watched_files",
                                    "relative_pattern_support")
        watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in
                    ("**/*.{go,s,h}", "**/go.mod", f"**/{CONFIG_FILE}", "**/*.elf")]
        for p in builds:
            pattern: Any = p
            if relative:
                pattern = lsp.RelativePattern(base_uri=self.uri(os.path.dirname(p)),
                                              pattern=os.path.basename(p))
            watchers.append(lsp.FileSystemWatcher(glob_pattern=pattern))
        if self.watching is not None:
            await self.client_unregister_capability_async(lsp.UnregistrationParams(
                [lsp.Unregistration(WATCH_ID, lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)]))
        self.watching = builds
        await self.client_register_capability_async(lsp.RegistrationParams([lsp.Registration(
            WATCH_ID, lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            lsp.DidChangeWatchedFilesRegistrationOptions(watchers))]))

    async def _poll_builds(self) -> None:
        """The fallback for clients that do not watch files: the build's stamp, polled."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            for state in list(self.modules.values()):
                if state.cache.build_changed():
                    await self.reindex_build(state, "the build changed on disk")

    async def progress_begin(self, title: str, message: str) -> str | None:
        """Start a $/progress report (when the client shows them); its token."""
        if not self._capability("window", "work_done_progress"):
            return None
        token = f"eggls-{uuid.uuid4()}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception:
            return None
        self.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(
            title=title, message=message, cancellable=False))
        return token

    def progress_end(self, token: str | None, message: str) -> None:
        if token is not None:
            self.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message=message))

    async def reindex_build(self, state: ModuleState, why: str) -> None:
        """A rebuild: read the build again in the background, with $/progress, and
        republish."""
        token = await self.progress_begin("eggls: reading the build", why)
        try:
            state.cache.invalidate_build()
            self.schedule(state, 0)
            await self._settle(state)
            snap = state.snapshot
            if snap is not None and snap.result.context is not None and \
                    snap.result.context.facts.build is not None:
                # Index the wrappers now, so the first hover does not pay for it.
                await asyncio.get_running_loop().run_in_executor(
                    self.analysis_pool, snap.result.context.facts.build.wrappers)
        finally:
            path = state.snapshot.result.build_path if state.snapshot else None
            self.progress_end(token, f"using {path}" if path else "no build")

    # -- queries ----------------------------------------------------------------------------

    @_guard(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(self, params: lsp.HoverParams) -> lsp.Hover | None:
        got = await self.snapshot_for(params.text_document.uri)
        if got is None:
            return None
        path, snap = got
        pos = self.positions(snap)
        line, col = pos.to_model(path, params.position)
        md = await self.in_query_thread(
            hover_markdown, HoverInput(snap.nav, snap.result.context, snap.diagnostics),
            path, line, col)
        if md is None:
            return None
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, md))

    async def _entity(self, uri: str, position: lsp.Position) -> tuple[Any, Snapshot,
                                                                       Positions] | None:
        got = await self.snapshot_for(uri)
        if got is None:
            return None
        path, snap = got
        pos = self.positions(snap)
        line, col = pos.to_model(path, position)
        ent = await self.in_query_thread(snap.nav.entity_at, path, line, col)
        return (ent, snap, pos) if ent is not None else None

    @_guard(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(self, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        got = await self._entity(params.text_document.uri, params.position)
        if got is None:
            return None
        ent, snap, pos = got
        spans = await self.in_query_thread(snap.nav.definitions, ent)
        return [convert.location(s, pos, self.uri) for s in spans] or None

    @_guard(lsp.TEXT_DOCUMENT_REFERENCES)
    async def references(self, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        got = await self._entity(params.text_document.uri, params.position)
        if got is None:
            return None
        ent, snap, pos = got
        occ = await self.in_query_thread(snap.nav.references, ent,
                                         params.context.include_declaration)
        return [convert.location(o.span, pos, self.uri) for o in occ] or None

    @_guard(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    async def document_highlight(self, params: lsp.DocumentHighlightParams
                                 ) -> list[lsp.DocumentHighlight] | None:
        got = await self._entity(params.text_document.uri, params.position)
        if got is None:
            return None
        ent, snap, pos = got
        occ = await self.in_query_thread(snap.nav.highlights, ent)
        return [lsp.DocumentHighlight(pos.range(o.span), lsp.DocumentHighlightKind.Write
                                      if o.write else lsp.DocumentHighlightKind.Read)
                for o in occ] or None

    @_guard(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(self, params: lsp.DocumentSymbolParams
                              ) -> list[lsp.DocumentSymbol] | None:
        if not params.text_document.uri.endswith(".s"):
            return None  # Go files: gopls
        got = await self.snapshot_for(params.text_document.uri)
        if got is None:
            return None
        path, snap = got
        pos = self.positions(snap)
        nodes = await self.in_query_thread(snap.nav.document_symbols, path)
        return [convert.document_symbol(n, pos) for n in nodes]

    @_guard(lsp.WORKSPACE_SYMBOL)
    async def workspace_symbol(self, params: lsp.WorkspaceSymbolParams
                               ) -> list[lsp.WorkspaceSymbol]:
        out: list[lsp.WorkspaceSymbol] = []
        for state in list(self.modules.values()):
            snap = await self._settle(state)
            if snap is None:
                continue
            pos = self.positions(snap)
            nodes = await self.in_query_thread(snap.nav.workspace_symbols, params.query)
            out += [convert.workspace_symbol(n, pos, self.uri) for n in nodes]
        return out

    @_guard(lsp.TEXT_DOCUMENT_CODE_ACTION)
    async def code_action(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        got = await self.snapshot_for(params.text_document.uri)
        if got is None:
            return None
        path, snap = got
        pos = self.positions(snap)
        r = params.range
        start = pos.to_model(path, r.start)
        end = pos.to_model(path, r.end)

        def overlaps(d: Any) -> bool:
            return d.path == path and (d.line, d.column) <= end and \
                start <= (d.end_line, d.end_column)

        def compute() -> list[lsp.CodeAction]:
            actions = []
            for d in snap.diagnostics:
                if not overlaps(d):
                    continue
                ld = convert.diagnostic(d, pos, self.uri)
                for fix in fixes_for(snap.result.context, d, snap.text_of):
                    actions.append(convert.code_action(fix, ld, pos, self.uri))
            return actions

        return await self.in_query_thread(compute) or None


def serve(tcp: str | None = None) -> int:
    """`eggls` / `eggls --stdio`: LSP on stdio; `eggls --tcp HOST:PORT` for debugging."""
    logging.basicConfig(level=logging.WARNING, format="eggls: %(name)s: %(message)s")
    server = EgglsServer()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


__all__ = ["DEBOUNCE_SECONDS", "EgglsServer", "serve"]
