"""The last build, read: Go version and settings, symbols, ABI wrappers and what their machine
code does, prologue facts and source lines.

Entry points (none raises on bad input; they return a BuildError, surfaced as EGG902):
- `open_build(path) -> GoBuild | BuildError`                      (eggls.build.gobuild)
- `find_last_build(module_root, explicit=None) -> LastBuild | BuildError`, with staleness
                                                                  (eggls.build.locate)
- `eggls build-info ELF [--format json]`                          (eggls.build.report)
Names are resolved lazily, so importing eggls.build.errors does not load capstone.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "EGG902": "errors", "BuildError": "errors",
    "ABI0_TO_ABI_INTERNAL": "gobuild", "ABI_INTERNAL_TO_ABI0": "gobuild", "GoBuild": "gobuild",
    "PrologueFacts": "gobuild", "Wrapper": "gobuild", "open_build": "gobuild",
    "LastBuild": "locate", "Staleness": "locate", "find_last_build": "locate",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"eggls.build.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'eggls.build' has no attribute {name!r}")
