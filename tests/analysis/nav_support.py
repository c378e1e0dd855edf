"""Analyse a fixture kernel (or a copy with edits) for the query, hover and fix tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eggls.analysis.query import Navigator
from eggls.diagnostics import Diagnostic
from eggls.engine import ModuleResult, Options, analyse_module, apply_suppressions, find_module
from eggls.workspace import find_goroot


@dataclass
class Analysed:
    root: Path
    result: ModuleResult
    diagnostics: list[Diagnostic]
    texts: dict[str, str]

    def text_of(self, path: str) -> str | None:
        if path in self.texts:
            return self.texts[path]
        try:
            return Path(path).read_text()
        except OSError:
            return None

    @property
    def nav(self) -> Navigator:
        return Navigator(self.result.program, self.text_of)


def analysed(root: Path, build: Path | None = None, texts: dict[str, str] | None = None,
             go_version: str | None = None) -> Analysed:
    opts = Options(build=str(build) if build else None, no_build=build is None,
                   overlays=dict(texts or {}), go_version=go_version)
    res = analyse_module(find_module(str(root)), [str(root)], opts, find_goroot())
    return Analysed(root, res, apply_suppressions(res.program, res.diagnostics),
                    dict(texts or {}))
