"""The one configuration schema: `.eggls.toml` at the module root, the same keys in the
language server's initializationOptions / `workspace/configuration` (section `eggls`) and in
editor settings. Command-line flags override all of them."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from typing import Any

CONFIG_FILE = ".eggls.toml"


@dataclass(frozen=True)
class Config:
    entries: tuple[str, ...] = ()  # boot entries, as the linker's -E spells them
    sinks: tuple[str, ...] = ()  # functions (or func.param) whose arguments are code sinks
    build: str | None = None  # path of the build artifact (ELF), relative to the module root
    include_dirs: tuple[str, ...] = ()  # extra #include directories for .s files
    goos: str = "linux"
    goarch: str = "amd64"
    go_version: str | None = None  # e.g. "1.21"; else go.mod's toolchain/go line
    disable: tuple[str, ...] = ()  # rule codes not to report

    KEYS = ("entries", "sinks", "build", "include_dirs", "goos", "goarch", "go_version",
            "disable")


_LISTS = {"entries", "sinks", "include_dirs", "disable"}
_STRINGS = {"build", "goos", "goarch", "go_version"}


def from_mapping(data: dict[str, Any], base: Config | None = None,
                 where: str = "settings") -> tuple[Config, list[str]]:
    """Apply the known keys of data over base; problems name what was ignored and why."""
    cfg = base or Config()
    problems: list[str] = []
    changes: dict[str, Any] = {}
    names = {f.name for f in fields(Config)}
    for key, value in data.items():
        if key not in names:
            problems.append(f"{where}: unknown key {key!r}")
            continue
        if key in _LISTS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{where}: {key} must be a list of strings")
                continue
            changes[key] = tuple(value)
        elif key in _STRINGS:
            if value is None or value == "":
                changes[key] = None if key in ("build", "go_version") else getattr(Config, key)
                continue
            if isinstance(value, (int, float)) and key == "go_version":
                value = str(value)
            if not isinstance(value, str):
                problems.append(f"{where}: {key} must be a string")
                continue
            changes[key] = value
    return replace(cfg, **changes), problems


def load_config(module_root: str | None) -> tuple[Config, list[str]]:
    """`.eggls.toml` of a module (defaults when absent). Relative paths in it are resolved
    against the module root."""
    if module_root is None:
        return Config(), []
    path = os.path.join(module_root, CONFIG_FILE)
    if not os.path.isfile(path):
        return Config(), []
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as e:
        return Config(), [f"{path}: {e}"]
    data = data.get("eggls", data) if isinstance(data.get("eggls"), dict) else data
    cfg, problems = from_mapping(data, where=path)
    if cfg.build and not os.path.isabs(cfg.build):
        cfg = replace(cfg, build=os.path.join(module_root, cfg.build))
    if cfg.include_dirs:
        cfg = replace(cfg, include_dirs=tuple(
            d if os.path.isabs(d) else os.path.join(module_root, d) for d in cfg.include_dirs))
    return cfg, problems


__all__ = ["CONFIG_FILE", "Config", "from_mapping", "load_config"]
