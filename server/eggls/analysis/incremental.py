"""Caches that let the language server re-analyse a module after an edit while re-parsing
only the changed file: per-file parse results keyed by content, package file lists keyed by
directory contents, funcpc idioms keyed by the Go files they come from, Func objects reused
when nothing they were built from changed, and the last build read once.

`ModuleCache.providers()` plugs these into `engine.analyse_module`; the program it builds is
the one `program.build_program` builds (tests/analysis/test_incremental.py checks that the
diagnostics agree on every fixture kernel and after edits). A ModuleCache is not thread-safe:
the language server runs one analysis of a module at a time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eggls.analysis.asmsplice import reparse_region
from eggls.analysis.codeaddr import CodeAddress, code_address
from eggls.analysis.program import (
    Func,
    Package,
    Program,
    add_asm_definitions,
    add_go_declarations,
    analysis_directories,
    imported_resolver,
    scan_comments,
)
from eggls.asm import AsmConfig, AsmFile, parse_file
from eggls.build.locate import staleness
from eggls.diagnostics import Diagnostic, Severity, Span
from eggls.engine import Providers
from eggls.gobuild import Target, package_files
from eggls.gomod import Module, import_path, symbol_prefix
from eggls.gosrc.idioms import package_idioms
from eggls.gosrc.index import index_go_file
from eggls.gosrc.model import GoFile, IdiomSite

RESCAN_SECONDS = 1.0  # how long a directory scan is trusted while its mtime stays put
# What a file's contents are identified by: its unsaved text, or (mtime, size, inode) on disk.
FileKey = tuple[Any, ...]


class _Recorder:
    """A Program that remembers what was resolved through it."""

    def __init__(self, prog: Program) -> None:
        self._prog = prog
        self.resolved: list[tuple[str, str | None, Func | None]] = []

    def resolve(self, pkg: Package, name: str, qualifier: str | None = None) -> Func | None:
        f = self._prog.resolve(pkg, name, qualifier)
        self.resolved.append((name, qualifier, f))
        return f

    def __getattr__(self, name: str) -> Any:
        return getattr(self._prog, name)


@dataclass
class _SiteMemo:
    site: IdiomSite
    deps: tuple[object, ...]  # the package's Go files
    sinks: frozenset[str]
    consts: dict[str, int]
    vars_funcs: dict[str, list[str]]
    result: CodeAddress | None
    resolved: list[tuple[str, str | None, Func | None]]


class Cancelled(Exception):
    """A newer edit made this analysis pointless."""


@dataclass
class CancelToken:
    cancelled: bool = False

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled


@dataclass
class CacheStats:
    """What the last rounds had to redo; tests assert on it."""

    asm_parsed: list[str] = field(default_factory=list)
    asm_spliced: list[str] = field(default_factory=list)
    go_indexed: list[str] = field(default_factory=list)
    builds_read: int = 0

    def clear(self) -> None:
        self.asm_parsed.clear()
        self.asm_spliced.clear()
        self.go_indexed.clear()
        self.builds_read = 0


def disk_key(path: str) -> FileKey:
    try:
        st = os.stat(path)
    except OSError:
        return ("missing",)
    return ("disk", st.st_mtime_ns, st.st_size, st.st_ino)


def _same(a: Sequence[object], b: Sequence[object]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


@dataclass
class _AsmEntry:
    key: FileKey
    prefix: str
    cfg: AsmConfig
    headers: tuple[FileKey, ...]
    text: str | None  # the unsaved text it was parsed from (None: from disk)
    af: AsmFile


@dataclass
class _GoEntry:
    key: FileKey
    gf: GoFile | None
    error: str | None  # strerror when the file could not be read


@dataclass
class _Part:
    key: tuple[object, ...]  # the Go files it was built from
    funcs: dict[str, Func]  # the package's Go functions (and bodyless declarations)
    consts: dict[str, int]
    vars_funcs: dict[str, list[str]]


@dataclass
class _CommentEntry:
    key: FileKey
    notes: dict[int, list[tuple[str, str]]]
    ignores: dict[int, list[tuple[str, Span]]]
    lines: list[str]


class ModuleCache:
    """Everything one module's analyses can share from one edit to the next."""

    def __init__(self) -> None:
        self.token: CancelToken | None = None
        self.stats = CacheStats()
        self._dirs: dict[tuple[str, tuple[str, ...], Target], list[str]] = {}
        self._pkg_files: dict[tuple[str, Target], tuple[FileKey, list[str]]] = {}
        self._prefix: dict[tuple[str, str | None], tuple[FileKey, str, str | None]] = {}
        self._asm: dict[str, _AsmEntry] = {}
        self._go: dict[str, _GoEntry] = {}
        self._comments: dict[str, _CommentEntry] = {}
        self._idioms: dict[str, tuple[tuple[object, ...], list[IdiomSite] | Exception]] = {}
        self._funcs: dict[str, Func] = {}
        self._stamps: dict[str, FileKey] = {}  # this round's stat of each candidate file
        # directory → (its mtime, when scanned, stamp of each .go/.s file in it)
        self._scans: dict[str, tuple[int, float, dict[str, FileKey]]] = {}
        self._parts: dict[str, _Part] = {}
        self._sites: dict[int, _SiteMemo] = {}  # by id() of the IdiomSite (kept alive here)
        self._asm_parts: dict[str, tuple[tuple[object, ...], dict[str, Func]]] = {}
        # (root, configured path) → (watched file, its stamp when read, LastBuild|BuildError)
        self._builds: dict[tuple[str, str | None], tuple[str | None, FileKey | None, Any]] = {}

    # -- what the engine calls --------------------------------------------------------------

    def providers(self) -> Providers:
        return Providers(directories=self.directories, program=self.program,
                         last_build=self.last_build, code_addresses=self.code_addresses)

    def code_addresses(self, prog: Program, sinks: frozenset[str]) -> list[CodeAddress]:
        """codeaddr.code_addresses, site by site: a site keeps its result while its package's
        Go files are the same and every function it looked up resolves to the same object
        (an asm edit elsewhere changes nothing here)."""
        out: list[CodeAddress] = []
        memo: dict[int, _SiteMemo] = {}
        for pkg in prog.packages.values():
            deps = tuple(pkg.go)
            for site in pkg.idioms:
                got = self._sites.get(id(site))
                # (consts and vars_funcs are the Go part's dicts: the same objects while the
                # Go files are.)
                if got is not None and got.site is site and _same(got.deps, deps) and \
                        got.sinks == sinks and \
                        got.consts is pkg.consts and got.vars_funcs is pkg.vars_funcs and all(
                        prog.resolve(pkg, n, q) is f for n, q, f in got.resolved):
                    memo[id(site)] = got
                else:
                    rec = _Recorder(prog)
                    got = _SiteMemo(site, deps, sinks, pkg.consts, pkg.vars_funcs,
                                    code_address(rec, pkg, site, sinks), rec.resolved)
                    memo[id(site)] = got
                if got.result is not None:
                    out.append(replace(got.result, package=pkg))
        self._sites = memo
        return out

    def directories(self, module: Module, requested: list[str], target: Target) -> list[str]:
        """analysis_directories, remembered until invalidate() (a module walk is slow)."""
        key = (module.root, tuple(sorted(requested)), target)
        got = self._dirs.get(key)
        if got is None:
            got = self._dirs[key] = analysis_directories(module, requested, target)
        return got

    def last_build(self, root: str, explicit: str | None) -> Any:
        """find_last_build, read once: again only when the artifact's file changed (or, for
        a configured path that could not be read, appeared), or after invalidate_build()."""
        from eggls.build.locate import find_last_build

        key = (root, explicit)
        got = self._builds.get(key)
        if got is not None:
            watched, stamp, result = got
            if watched is None or disk_key(watched) == stamp:
                return result
        # Staleness from mtimes only: the server never runs git in a workspace, whose
        # configuration could make it run programs (filters, fsmonitor).
        result = find_last_build(root, explicit, check_staleness=False)
        if getattr(result, "build", None) is not None:
            result.staleness = staleness(result.build, Path(root))
        self.stats.builds_read += 1
        if getattr(result, "build", None) is not None:
            watched = result.path
        elif explicit is not None:
            watched = explicit if os.path.isabs(explicit) else os.path.join(root, explicit)
        else:
            watched = None  # nothing found: looked for again after invalidate_build()
        self._builds[key] = (watched, disk_key(watched) if watched else None, result)
        return result

    def build_paths(self) -> list[str]:
        """The build artifacts the cached results were read from (or are configured)."""
        # (list(): the event loop asks while the analysis thread may be reading a build.)
        return [w for w, _stamp, _result in list(self._builds.values()) if w is not None]

    def build_changed(self) -> bool:
        """Did a watched build artifact change on disk since it was read?"""
        return any(w is not None and disk_key(w) != stamp
                   for w, stamp, _r in list(self._builds.values()))

    def invalidate_build(self) -> None:
        self._builds.clear()

    def refresh_staleness(self) -> None:
        """Sources changed on disk: re-decide whether the cached builds are stale (without
        reading them again)."""
        for (root, _explicit), (_watched, _stamp, result) in list(self._builds.items()):
            build = getattr(result, "build", None)
            if build is not None and hasattr(result, "staleness"):
                result.staleness = staleness(build, Path(root))

    def invalidate(self, paths: Sequence[str] = ()) -> None:
        """Files were created, deleted or changed on disk: forget the directory-level
        results (package file lists, the module's package set). File contents are checked
        on every round anyway."""
        self._dirs.clear()
        if not paths:
            self._pkg_files.clear()
            self._prefix.clear()
            self._scans.clear()
            return
        dirs = {os.path.dirname(os.path.abspath(p)) for p in paths}
        for d in dirs:
            self._scans.pop(d, None)
        for k in [k for k in self._pkg_files if k[0] in dirs]:
            del self._pkg_files[k]
        for k in [k for k in self._prefix if k[0] in dirs]:
            del self._prefix[k]

    # -- the program ------------------------------------------------------------------------

    def _check(self) -> None:
        if self.token is not None:
            self.token.check()

    def _key(self, path: str, overlay: str | None) -> FileKey:
        """What identifies a file's contents this round (stat results of the directory scan
        are reused)."""
        if overlay is not None:
            return ("text", overlay)
        got = self._stamps.get(path)
        return got if got is not None else disk_key(path)

    def _files(self, directory: str, target: Target) -> list[str]:
        # The listing with every candidate's stamp: a new, deleted or edited file (its build
        # constraint may have changed) makes package_files run again for this directory.
        # While typing, a directory whose mtime did not move is trusted for RESCAN_SECONDS
        # (edits on disk also arrive as events, which invalidate()).
        try:
            dir_mtime = os.stat(directory).st_mtime_ns
        except OSError:
            dir_mtime = -1
        now = time.monotonic()
        scan = self._scans.get(directory)
        if scan is not None and scan[0] == dir_mtime and now - scan[1] < RESCAN_SECONDS:
            self._stamps.update(scan[2])
        else:
            stamps: dict[str, FileKey] = {}
            try:
                for e in os.scandir(directory):
                    if e.name.endswith((".go", ".s")):
                        st = e.stat()
                        stamps[e.path] = ("disk", st.st_mtime_ns, st.st_size, e.inode())
            except OSError:
                stamps = {}
            scan = self._scans[directory] = (dir_mtime, now, stamps)
            self._stamps.update(stamps)
        sig = tuple(sorted(scan[2].items()))
        got = self._pkg_files.get((directory, target))
        if got is not None and got[0] == sig:
            return got[1]
        files = package_files(directory, target)
        self._pkg_files[(directory, target)] = (sig, files)
        return files

    def _package_names(self, directory: str, goroot: str | None, files: list[str]
                       ) -> tuple[str, str | None]:
        sig = tuple(self._key(f, None) for f in files if f.endswith(".go"))
        got = self._prefix.get((directory, goroot))
        if got is not None and got[0] == sig:
            return got[1], got[2]
        prefix, ipath = symbol_prefix(directory, goroot), import_path(directory, goroot)
        self._prefix[(directory, goroot)] = (sig, prefix, ipath)
        return prefix, ipath

    def _go_file(self, path: str, overlay: str | None) -> _GoEntry:
        key = self._key(path, overlay)
        got = self._go.get(path)
        if got is not None and got.key == key:
            return got
        self._check()
        self.stats.go_indexed.append(path)
        try:
            entry = _GoEntry(key, index_go_file(path, overlay), None)
        except OSError as e:
            entry = _GoEntry(key, None, e.strerror or str(e))
        self._go[path] = entry
        return entry

    def _asm_file(self, path: str, prefix: str, cfg: AsmConfig, overlay: str | None) -> AsmFile:
        key = self._key(path, overlay)
        got = self._asm.get(path)
        if got is not None and got.prefix == prefix and got.cfg == cfg:
            if got.key == key and got.headers == tuple(disk_key(h) for h in got.af.includes):
                return got.af
            if got.text is not None and overlay is not None:
                # An edit of an open buffer: re-parse only the TEXT block it touched.
                af = reparse_region(got.af, got.text, overlay, prefix, cfg)
                if af is not None:
                    self.stats.asm_spliced.append(path)
                    self._asm[path] = _AsmEntry(key, prefix, cfg, got.headers, overlay, af)
                    return af
        self._check()
        self.stats.asm_parsed.append(path)
        af = parse_file(path, prefix, cfg, overlay)
        headers = tuple(disk_key(h) for h in af.includes)
        self._asm[path] = _AsmEntry(key, prefix, cfg, headers, overlay, af)
        return af

    def _comments_of(self, path: str, overlay: str | None) -> _CommentEntry:
        key = self._key(path, overlay)
        got = self._comments.get(path)
        if got is not None and got.key == key:
            return got
        text = overlay
        if text is None:
            try:
                with open(path, "rb") as fh:
                    text = fh.read().decode("utf-8", errors="replace")
            except OSError:
                text = ""
        notes, ignores = scan_comments(path, text)
        entry = _CommentEntry(key, notes, ignores, text.split("\n"))
        self._comments[path] = entry
        return entry

    def _func(self, new: Func) -> Func:
        """The previous round's Func when it was built from the same objects (it keeps its
        cached flow analysis), else new."""
        old = self._funcs.get(new.name)
        if old is not None and old.lang == new.lang and old.package == new.package and \
                old.path == new.path and old.span == new.span and old.text is new.text and \
                old.decl is new.decl and old.gofile is new.gofile and \
                old.annotations == new.annotations:
            return old
        return new

    def _package_idioms(self, prog: Program, pkg: Package) -> list[IdiomSite] | Exception:
        # Idioms of a package depend on its Go files and on those of the packages it imports
        # (funcpc-like helpers defined there).
        deps: list[object] = list(pkg.go)
        for gf in pkg.go:
            for imp in gf.imports:
                other = prog.by_import.get(imp.path)
                if other is not None and other is not pkg:
                    deps.append(imp.path)
                    deps.extend(other.go)
        key = tuple(deps)
        got = self._idioms.get(pkg.directory)
        if got is not None and len(got[0]) == len(key) and all(
                a is b or (isinstance(a, str) and a == b) for a, b in zip(got[0], key,
                                                                          strict=True)):
            return got[1]
        try:
            result: list[IdiomSite] | Exception = package_idioms(pkg.go,
                                                                 imported_resolver(prog))
        except Exception as e:  # as build_program: never lose the package to one idiom bug
            result = e
        self._idioms[pkg.directory] = (key, result)
        return result

    def _go_part(self, pkg: Package, funcs: dict[str, Func]) -> _Part:
        """A package's Go functions, constants and function tables, as build_program makes
        them (into funcs, which may already hold other packages' functions)."""
        part = _Part((), {}, {}, {})
        add_go_declarations(pkg.prefix, pkg.go, funcs, part.consts, part.vars_funcs,
                            self._func)
        return part

    def _asm_part(self, pkg: Package, c_asm: list[_CommentEntry],
                  funcs: dict[str, Func]) -> None:
        """Then its TEXT blocks, which take over bodyless declarations (into funcs)."""
        add_asm_definitions(pkg.prefix, ((af, c.notes, c.lines)
                                         for af, c in zip(pkg.asm, c_asm, strict=True)),
                            funcs, self._func)

    def program(self, directories: list[str], modules: list[Module], target: Target,
                asm_cfg: AsmConfig, overlays: dict[str, str] | None = None) -> Program:
        """build_program, from cached per-file results (same order, same outcome)."""
        overlays = overlays or {}
        self._stamps.clear()
        prog = Program(modules, target)
        goroot = str(asm_cfg.goroot) if asm_cfg.goroot else None
        for d in sorted(set(directories)):
            files = self._files(d, target)
            asm_paths = [f for f in files if f.endswith(".s")]
            go_paths = [f for f in files if f.endswith(".go")]
            if not asm_paths and not go_paths:
                continue
            prefix, ipath = self._package_names(d, goroot, go_paths)
            pkg = Package(d, prefix, ipath)
            prog.packages[d] = pkg
            if pkg.import_path is not None:
                prog.by_import[pkg.import_path] = pkg
            for path in go_paths:
                entry = self._go_file(path, overlays.get(path))
                if entry.gf is None:
                    prog.syntax.append(Diagnostic(path, 1, 1, 1, 1, "EGG901", Severity.ERROR,
                                                  "syntax", f"cannot read file: {entry.error}"))
                    continue
                pkg.go.append(entry.gf)
                prog.syntax.extend(entry.gf.diagnostics())
            for path in asm_paths:
                af = self._asm_file(path, pkg.prefix, asm_cfg, overlays.get(path))
                pkg.asm.append(af)
                prog.syntax.extend(Diagnostic.at(e.span, "EGG900", Severity.ERROR, "syntax",
                                                 e.message) for e in af.errors)
        # Go declarations first, then TEXT blocks (which take over bodyless declarations),
        # package by package; a package whose files are all unchanged keeps its functions.
        prefixes = [p.prefix for p in prog.packages.values()]
        funcs: dict[str, Func] = {}
        parts: dict[str, _Part] = {}
        asm_parts: dict[str, tuple[tuple[object, ...], dict[str, Func]]] = {}
        for pkg in prog.packages.values():
            c_go = [self._comments_of(gf.path, overlays.get(gf.path)) for gf in pkg.go]
            c_asm = [self._comments_of(af.path, overlays.get(af.path)) for af in pkg.asm]
            for f, c in zip([*pkg.go, *pkg.asm], [*c_go, *c_asm], strict=True):
                prog.file_annotations[f.path] = c.notes
                prog.ignores[f.path] = c.ignores
            if prefixes.count(pkg.prefix) > 1:
                # Packages sharing a prefix (several `main`s) see each other's functions.
                part = self._go_part(pkg, funcs)
                self._asm_part(pkg, c_asm, funcs)
            else:
                # Go part, then asm part over it: an asm edit keeps the Go functions.
                gkey: tuple[object, ...] = (pkg.prefix, *pkg.go)
                part = self._parts.get(pkg.directory)  # type: ignore[assignment]
                if part is None or not _same(part.key, gkey):
                    own: dict[str, Func] = {}
                    part = self._go_part(pkg, own)
                    part.key, part.funcs = gkey, own
                akey: tuple[object, ...] = (part, *pkg.asm, *c_asm)
                both = self._asm_parts.get(pkg.directory)
                if both is None or not _same(both[0], akey):
                    merged = dict(part.funcs)
                    self._asm_part(pkg, c_asm, merged)
                    both = (akey, merged)
                parts[pkg.directory] = part
                asm_parts[pkg.directory] = both
                funcs.update(both[1])
            pkg.consts = part.consts
            pkg.vars_funcs = part.vars_funcs
        self._parts = parts
        self._asm_parts = asm_parts
        prog.funcs = funcs
        self._funcs = funcs
        for pkg in prog.packages.values():
            if pkg.go:
                got = self._package_idioms(prog, pkg)
                if isinstance(got, Exception):
                    prog.syntax.append(Diagnostic(pkg.go[0].path, 1, 1, 1, 1, "EGG901",
                                                  Severity.ERROR, "syntax",
                                                  f"internal error indexing idioms: {got}"))
                else:
                    pkg.idioms = got
        self._forget_except({f for p in prog.packages.values()
                             for f in [*(g.path for g in p.go), *(a.path for a in p.asm)]})
        return prog

    def _forget_except(self, live: set[str]) -> None:
        """Drop cached files that are no longer part of the module (deleted, excluded)."""
        for table in (self._asm, self._go, self._comments):
            for path in [p for p in table if p not in live]:
                del table[path]


__all__ = ["CancelToken", "Cancelled", "ModuleCache", "disk_key"]
