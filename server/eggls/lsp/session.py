"""One module as the language server sees it: the packages the editor has files open in, the
caches of its analyses, and the last complete analysis (a Snapshot) that diagnostics were
published from and that queries (hover, navigation, code actions) answer from."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from eggls.analysis.incremental import CancelToken, ModuleCache
from eggls.analysis.program import SMALL_MODULE, module_directories
from eggls.analysis.query import Navigator
from eggls.diagnostics import Diagnostic
from eggls.engine import ModuleResult, Options, analyse_module, apply_suppressions
from eggls.gomod import Module, find_module
from eggls.workspace import find_goroot, goroot_of

MODULE_LEVEL = frozenset({"EGG008", "EGG009", "EGG902", "EGG903"})


def read_text(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None


@dataclass
class Snapshot:
    """A complete analysis of a module for given editor buffers."""

    result: ModuleResult
    diagnostics: list[Diagnostic]  # suppressions applied, disabled rules removed
    texts: dict[str, str]  # the unsaved buffers it was computed from
    versions: dict[str, int | None]  # their versions
    report_files: frozenset[str]  # files whose diagnostics the editor gets
    seconds: float  # how long the analysis took

    def text_of(self, path: str) -> str | None:
        got = self.texts.get(path)
        return got if got is not None else read_text(path)

    @cached_property
    def nav(self) -> Navigator:
        return Navigator(self.result.program, self.text_of)

    def by_file(self) -> dict[str, list[Diagnostic]]:
        out: dict[str, list[Diagnostic]] = {p: [] for p in self.report_files}
        for d in self.diagnostics:
            if d.path in self.report_files:
                out.setdefault(d.path, []).append(d)
        return out


@dataclass
class ModuleState:
    key: str  # module root, or the directory of a file outside any module
    module: Module | None
    cache: ModuleCache = field(default_factory=ModuleCache)
    requested: set[str] = field(default_factory=set)  # package directories with open files
    snapshot: Snapshot | None = None
    published: dict[str, tuple[Diagnostic, ...]] = field(default_factory=dict)  # by path
    generation: int = 0
    token: CancelToken | None = None
    whole_module: bool | None = None  # small modules report on all their packages
    notes: tuple[str, ...] = ()  # config problems and the build report, last logged
    # The scheduler's (asyncio) state: "idle", "debounce" or "running"; the pending task;
    # an event set whenever no analysis is pending.
    phase: str = "idle"
    task: Any = None
    idle: Any = None

    def go_mod(self) -> str | None:
        return os.path.join(self.module.root, "go.mod") if self.module else None

    def contains(self, path: str) -> bool:
        """Does path belong to this module (not to a module nested in it)?"""
        d = os.path.dirname(path)
        if self.module is None:
            return d == self.key
        if not (d == self.key or d.startswith(self.key + os.sep)):
            return False
        owner = find_module(d)
        return owner is not None and owner.root == self.key

    def goroot(self, requested: list[str]) -> Path | None:
        d = requested[0] if requested else self.key
        return goroot_of(d) or find_goroot()


def analyse(state: ModuleState, requested: list[str], overrides: dict[str, object],
            texts: dict[str, str], versions: dict[str, int | None],
            token: CancelToken) -> Snapshot:
    """Run one analysis of the module (in the analysis thread; the arguments are copies the
    event loop made, so it can go on changing the state)."""
    t0 = time.perf_counter()
    state.cache.token = token
    try:
        opts = Options(overrides=dict(overrides), overlays=dict(texts))
        res = analyse_module(state.module, requested, opts, state.goroot(requested),
                             state.cache.providers())
    finally:
        state.cache.token = None
    diags = apply_suppressions(res.program, res.diagnostics)
    disabled = set(res.config.disable)
    diags = [d for d in diags if d.code not in disabled]
    if state.whole_module is None and state.module is not None:
        state.whole_module = len(module_directories(state.module.root)) <= SMALL_MODULE
    dirs = set(res.program.packages) if state.whole_module else set(requested)
    files = {f for d in dirs if (p := res.program.packages.get(d)) is not None
             for f in [*(g.path for g in p.go), *(a.path for a in p.asm)]}
    go_mod = state.go_mod()
    if go_mod is not None:
        files.add(go_mod)
    return Snapshot(res, diags, dict(texts), dict(versions), frozenset(files),
                    time.perf_counter() - t0)


__all__ = ["MODULE_LEVEL", "ModuleState", "Snapshot", "analyse", "read_text"]
