"""Which ELF is "the last build", and whether it is older than the sources.

Choice: an explicit path (`--build`, config `build`) wins; else the newest ELF under the module
root that carries Go build info (preferring ones whose main module is this module).
Staleness: with VCS stamping (`vcs.revision`, `vcs.modified`), compare with the repository's
HEAD and work-tree state; otherwise (or when the build was made from a dirty tree) compare
mtimes of the module's sources with the build's.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from eggls.build.buildinfo import GoBuildInfo, read_build_info
from eggls.build.elf import EM_X86_64, ElfImage
from eggls.build.errors import BuildError
from eggls.build.gobuild import GoBuild, open_build

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox"})
SOURCE_SUFFIXES = (".go", ".s", ".h", ".c")
MAX_WALK_FILES = 50_000  # bound the search on a huge tree
MAX_CANDIDATES = 64  # newest ELFs opened to look for build info


@dataclass(frozen=True)
class Staleness:
    stale: bool | None  # None: cannot tell
    reason: str
    newer_sources: tuple[str, ...] = ()


@dataclass
class LastBuild:
    build: GoBuild
    how: str  # "explicit" or "newest Go ELF in the module"
    candidates: int  # Go ELFs seen (1 for explicit)
    staleness: Staleness = field(default_factory=lambda: Staleness(None, "not checked"))

    @property
    def path(self) -> str:
        return self.build.path

    def report(self) -> str:
        s = self.staleness
        state = {True: "stale", False: "up to date", None: "freshness unknown"}[s.stale]
        return f"using {self.path} ({self.how}; {self.build.go_version}; {state}: {s.reason})"


def module_path(root: Path) -> str | None:
    try:
        for line in (root / "go.mod").read_text(errors="replace").splitlines():
            parts = line.split("//")[0].split()
            if len(parts) >= 2 and parts[0] == "module":
                return parts[1].strip('"`')
    except OSError:
        return None
    return None


def _walk(root: Path) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """(ELF files, source files) under root as (mtime, path), bounded."""
    elves: list[tuple[float, str]] = []
    sources: list[tuple[float, str]] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for name in filenames:
            seen += 1
            if seen > MAX_WALK_FILES:
                return elves, sources
            p = os.path.join(dirpath, name)
            try:
                st = os.stat(p)
            except OSError:
                continue
            if name.endswith(SOURCE_SUFFIXES) or name in ("go.mod", "go.sum"):
                if not name.endswith("_test.go") and "testdata" not in Path(dirpath).parts:
                    sources.append((st.st_mtime, p))
                continue
            if st.st_size < 64 or not os.path.isfile(p):
                continue
            try:
                with open(p, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        elves.append((st.st_mtime, p))
            except OSError:
                continue
    return elves, sources


def find_last_build(root: str | os.PathLike[str], explicit: str | os.PathLike[str] | None = None,
                    check_staleness: bool = True) -> LastBuild | BuildError:
    """The build eggls should explain, or a BuildError saying why there is none."""
    root_p = Path(root)
    sources: list[tuple[float, str]] | None = None
    if explicit is not None:
        p = Path(explicit)
        if not p.is_absolute():
            p = root_p / p
        got = open_build(p)
        if isinstance(got, BuildError):
            return got
        last = LastBuild(got, "explicit", 1)
    else:
        elves, sources = _walk(root_p)
        elves.sort(reverse=True)
        mod = module_path(root_p)
        found: list[tuple[str, GoBuildInfo]] = []  # newest first
        for _mtime, p_str in elves[:MAX_CANDIDATES]:
            info = _probe(p_str)
            if info is not None:
                found.append((p_str, info))
        ours = [p for p, info in found if mod and info.main and info.main.path == mod]
        chosen: GoBuild | BuildError | None = None
        for p_str in [*ours, *(p for p, _ in found if p not in ours)]:
            chosen = open_build(p_str)
            if isinstance(chosen, GoBuild):
                break
        if not isinstance(chosen, GoBuild):
            return BuildError(str(root_p), "no-build",
                              "no Go ELF with build info under the module; build it or set "
                              "`build` in .eggls.toml (or pass --build)")
        last = LastBuild(chosen, "newest Go ELF in the module", len(found))
    if check_staleness:
        last.staleness = staleness(last.build, root_p, sources)
    return last


def _probe(path: str) -> GoBuildInfo | None:
    """Build info of an amd64 Go ELF, without indexing its symbols (cheap)."""
    try:
        img = ElfImage.open(path)
        return read_build_info(img) if img.e_machine == EM_X86_64 else None
    except MemoryError:
        raise
    except Exception:
        return None


def git_head(root: Path) -> str | None:
    """The commit HEAD names, read from the repository's files. eggls never runs git on a
    workspace: a repository's own config (fsmonitor, filters) can make git run programs."""
    d = root.resolve()
    for cand in (d, *d.parents):
        dot = cand / ".git"
        if dot.is_file():  # a worktree or submodule: "gitdir: <path>"
            try:
                text = dot.read_text(errors="replace").strip()
            except OSError:
                return None
            if not text.startswith("gitdir:"):
                return None
            dot = (cand / text[len("gitdir:"):].strip()).resolve()
        if dot.is_dir():
            return _resolve_head(dot)
    return None


def _resolve_head(gitdir: Path) -> str | None:
    try:
        head = (gitdir / "HEAD").read_text(errors="replace").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head if re.fullmatch(r"[0-9a-f]{40,64}", head) else None
    ref = head[4:].strip()
    common = gitdir
    cd = gitdir / "commondir"  # linked worktrees keep refs in the common dir
    if cd.is_file():
        with contextlib.suppress(OSError):
            common = (gitdir / cd.read_text().strip()).resolve()
    for base in (gitdir, common):
        f = base / ref
        if f.is_file():
            try:
                v = f.read_text(errors="replace").strip()
            except OSError:
                return None
            return v if re.fullmatch(r"[0-9a-f]{40,64}", v) else None
    try:
        packed = (common / "packed-refs").read_text(errors="replace")
    except OSError:
        return None
    for line in packed.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and re.fullmatch(r"[0-9a-f]{40,64}", parts[0]):
            return parts[0]
    return None


def staleness(build: GoBuild, root: Path,
              sources: list[tuple[float, str]] | None = None) -> Staleness:
    settings = build.info.settings
    rev = settings.get("vcs.revision")
    if rev and settings.get("vcs", "git") == "git":
        head = git_head(root)
        if head is not None and head != rev:
            return Staleness(True, f"built from {rev[:12]}, HEAD is {head[:12]}")
        # Same revision: whether the work tree changed since is told by file times below.
    mtime = build.mtime
    if mtime is None:
        return Staleness(None, "cannot stat the build")
    if sources is None:
        sources = _walk(root)[1]
    newer = sorted(p for t, p in sources if t > mtime)
    if newer:
        return Staleness(True, f"{len(newer)} source file(s) changed after the build",
                         tuple(newer[:20]))
    if not sources:
        return Staleness(None, "no sources found to compare with")
    return Staleness(False, "no source file is newer than the build")
