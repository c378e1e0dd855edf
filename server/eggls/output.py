"""Rendering diagnostics for the CLI: text and the versioned JSON contract."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from eggls.diagnostics import Diagnostic

JSON_VERSION = 1


def display_path(path: str, cwd: str | None = None) -> str:
    """Relative to the current directory, with `/` separators."""
    cwd = cwd or os.getcwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diags), key=lambda d: (display_path(d.path), d.line, d.column, d.code,
                                             d.end_line, d.end_column, d.message))


def render_text(diags: list[Diagnostic]) -> str:
    return "".join(
        f"{display_path(d.path)}:{d.line}:{d.column}: {d.severity.value}: {d.message} [{d.code}]\n"
        for d in diags)


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    out: dict[str, object] = {
        "path": display_path(d.path),
        "line": d.line,
        "column": d.column,
        "end_line": d.end_line,
        "end_column": d.end_column,
        "code": d.code,
        "severity": d.severity.value,
        "basis": d.basis,
        "message": d.message,
    }
    if d.related:
        out["related"] = [{"path": display_path(r.path), "line": r.line, "column": r.column,
                           "message": r.message} for r in d.related]
    if d.wrapper is not None:
        out["wrapper"] = {"symbol": d.wrapper[0], "address": d.wrapper[1]}
    return out


def render_json(diags: list[Diagnostic]) -> str:
    doc = {"version": JSON_VERSION, "diagnostics": [diagnostic_json(d) for d in diags]}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
