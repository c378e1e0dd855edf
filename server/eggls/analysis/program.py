"""The program model: every function of the module's packages, defined in asm (TEXT) or Go
(body), with bodyless Go declarations joined to their TEXT, and the call and address edges
between them.

Functions are keyed by the name the linker gives them (`example.com/k.rt0`, `main.f`,
`example.com/k.(*T).m`), which is also how the build's symbol table spells them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from eggls.analysis.asmflow import FlowInfo, analyse_text
from eggls.asm import AsmConfig, AsmFile, parse_file
from eggls.asm.model import Text
from eggls.diagnostics import Diagnostic, Severity, Span
from eggls.gobuild import Target, package_files, skip_dir
from eggls.gomod import Module, import_path, path_to_prefix, symbol_prefix
from eggls.gosrc.idioms import funcpc_like, package_idioms
from eggls.gosrc.index import index_go_file
from eggls.gosrc.model import FuncDecl, GoFile, IdiomSite

_ANNOTATION = re.compile(r"//\s*eggls:([a-z]+)\b[ \t]*(.*)$")
MAX_PACKAGES = 5000


@dataclass
class Func:
    name: str  # linker name
    lang: str  # "asm" or "go"
    package: str  # symbol prefix of its package
    path: str
    span: Span  # the name at the definition
    text: Text | None = None
    decl: FuncDecl | None = None  # Go declaration (with body for Go, bodyless for asm)
    gofile: GoFile | None = None
    annotations: dict[str, str] = field(default_factory=dict)  # eggls:name -> args
    _flow: FlowInfo | None = None

    @property
    def flow(self) -> FlowInfo | None:
        if self.text is None:
            return None
        if self._flow is None:
            self._flow = analyse_text(self.text)
        return self._flow

    @property
    def local(self) -> str:
        return self.name[len(self.package) + 1:]

    @property
    def nosplit(self) -> bool:
        if self.text is not None:
            return self.text.has_flag("NOSPLIT")
        return self.decl is not None and self.decl.nosplit

    def sets(self) -> set[str]:
        """Facts an `// eggls:sets sse|tls|g` annotation says this function establishes."""
        args = self.annotations.get("sets", "")
        out = set()
        for word in re.split(r"[\s,|]+", args):
            w = word.strip().lower()
            if w in ("sse", "fs", "tls", "g", "fpu"):
                out.add({"tls": "fs"}.get(w, w))
        return out


@dataclass
class Package:
    directory: str
    prefix: str  # symbol prefix (`main` or the escaped import path)
    import_path: str | None
    asm: list[AsmFile] = field(default_factory=list)
    go: list[GoFile] = field(default_factory=list)
    idioms: list[IdiomSite] = field(default_factory=list)
    consts: dict[str, int] = field(default_factory=dict)
    vars_funcs: dict[str, list[str]] = field(default_factory=dict)  # var -> function names


@dataclass
class Program:
    modules: list[Module]
    target: Target
    packages: dict[str, Package] = field(default_factory=dict)  # by directory
    funcs: dict[str, Func] = field(default_factory=dict)
    by_import: dict[str, Package] = field(default_factory=dict)
    syntax: list[Diagnostic] = field(default_factory=list)  # EGG900 / EGG901
    ignores: dict[str, dict[int, list[tuple[str, Span]]]] = field(default_factory=dict)
    file_annotations: dict[str, dict[int, list[tuple[str, str]]]] = field(default_factory=dict)

    def package_of(self, path: str) -> Package | None:
        return self.packages.get(os.path.dirname(os.path.abspath(path)))

    def resolve(self, pkg: Package, name: str, qualifier: str | None = None) -> Func | None:
        """A function named in pkg: `name`, or `qualifier.name` with qualifier an import
        path."""
        if qualifier is not None:
            other = self.by_import.get(qualifier)
            prefix = other.prefix if other is not None else path_to_prefix(qualifier)
            return self.funcs.get(f"{prefix}.{name}")
        return self.funcs.get(f"{pkg.prefix}.{name}")


def scan_comments(path: str, text: str | None) -> tuple[dict[int, list[tuple[str, str]]],
                                                         dict[int, list[tuple[str, Span]]]]:
    """eggls: comments by line, and `eggls:ignore CODE…` suppressions with their spans."""
    if text is None:
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            return {}, {}
    notes: dict[int, list[tuple[str, str]]] = {}
    ignores: dict[int, list[tuple[str, Span]]] = {}
    if "eggls:" not in text:
        return notes, ignores
    for i, line in enumerate(text.split("\n"), 1):
        if "eggls:" not in line:
            continue
        m = _ANNOTATION.search(line)
        if not m:
            continue
        name, args = m.group(1), m.group(2)
        args = args.split("//", 1)[0].strip()  # the reason ends at the next //
        notes.setdefault(i, []).append((name, args))
        if name == "ignore":
            # `eggls:ignore EGG001[,EGG002…] reason`: the leading codes, then the reason.
            lead = re.match(r"(?:EGG\d{3}[\s,]*)+", args)
            span = Span(path, i, m.start() + 1, i, m.end() + 1)
            for code in re.findall(r"EGG\d{3}", lead.group(0) if lead else ""):
                ignores.setdefault(i, []).append((code, span))
    return notes, ignores


def _asm_annotations(notes: dict[int, list[tuple[str, str]]], text: Text,
                     src_lines: list[str]) -> dict[str, str]:
    """eggls: comments in the comment block directly above a TEXT line (or on it)."""
    out: dict[str, str] = {}
    line = text.span.line
    for name, args in notes.get(line, []):
        out.setdefault(name, args)
    k = min(line - 1, len(src_lines))
    while k >= 1 and src_lines[k - 1].strip().startswith("//"):
        for name, args in notes.get(k, []):
            out.setdefault(name, args)
        k -= 1
    return out


_IMPORT_BLOCK = re.compile(r"^import\s*\((.*?)\)|^import\s+(?:[\w.]+\s+)?\"([^\"]+)\"",
                           re.M | re.S)
SMALL_MODULE = 200  # packages; a larger module (std) is analysed from the named packages


def _imports_of_dir(directory: str, target: Target) -> set[str]:
    out: set[str] = set()
    for path in package_files(directory, target, exts=(".go",)):
        try:
            with open(path, "rb") as fh:
                head = fh.read(65536).decode("utf-8", errors="replace")
        except OSError:
            continue
        for block, single in _IMPORT_BLOCK.findall(head):
            if single:
                out.add(single)
            out.update(re.findall(r"\"([^\"]+)\"", block))
    return out


def analysis_directories(module: Module, requested: list[str], target: Target) -> list[str]:
    """The packages to analyse for requested ones: the whole module when it is small (an
    entry elsewhere in the module may reach them), else the requested packages and the
    module packages they import, transitively (as the go command loads them)."""
    all_dirs = module_directories(module.root)
    if len(all_dirs) <= SMALL_MODULE:
        return all_dirs
    std = module.path == "std"
    prefix = "" if std else module.path + "/"
    todo = list(requested)
    seen = set(todo)
    while todo:
        d = todo.pop()
        for ip in _imports_of_dir(d, target):
            if std:
                rel = ip if "." not in ip.split("/", 1)[0] else "vendor/" + ip
            elif ip == module.path or ip.startswith(prefix):
                rel = ip[len(prefix):] if ip != module.path else ""
            else:
                continue
            nd = os.path.join(module.root, rel) if rel else module.root
            if nd not in seen and os.path.isdir(nd):
                seen.add(nd)
                todo.append(nd)
    return sorted(seen)


def module_directories(module_root: str) -> list[str]:
    dirs = []
    for d, subdirs, files in os.walk(module_root):
        subdirs[:] = sorted(s for s in subdirs if not skip_dir(s)
                            and not os.path.isfile(os.path.join(d, s, "go.mod")))
        if any(f.endswith((".go", ".s")) for f in files):
            dirs.append(d)
        if len(dirs) > MAX_PACKAGES:
            break
    return dirs


def build_program(directories: list[str], modules: list[Module], target: Target,
                  asm_cfg: AsmConfig, overlays: dict[str, str] | None = None) -> Program:
    """Parse and index the packages in directories. overlays: path -> unsaved text."""
    overlays = overlays or {}
    prog = Program(modules, target)
    goroot = str(asm_cfg.goroot) if asm_cfg.goroot else None
    for d in sorted(set(directories)):
        files = package_files(d, target)
        asm_paths = [f for f in files if f.endswith(".s")]
        go_paths = [f for f in files if f.endswith(".go")]
        if not asm_paths and not go_paths:
            continue
        pkg = Package(d, symbol_prefix(d, goroot), import_path(d, goroot))
        prog.packages[d] = pkg
        if pkg.import_path is not None:
            prog.by_import[pkg.import_path] = pkg
        for path in go_paths:
            try:
                gf = index_go_file(path, overlays.get(path))
            except OSError as e:
                prog.syntax.append(Diagnostic(path, 1, 1, 1, 1, "EGG901", Severity.ERROR,
                                              "syntax", f"cannot read file: {e.strerror}"))
                continue
            pkg.go.append(gf)
            prog.syntax.extend(gf.diagnostics())
        for path in asm_paths:
            af = parse_file(path, pkg.prefix, asm_cfg, overlays.get(path))
            pkg.asm.append(af)
            prog.syntax.extend(Diagnostic.at(e.span, "EGG900", Severity.ERROR, "syntax",
                                             e.message) for e in af.errors)
    # Go declarations first, then TEXT blocks (which take over bodyless declarations).
    for pkg in prog.packages.values():
        for gf in pkg.go:
            notes, ignores = scan_comments(gf.path, overlays.get(gf.path))
            prog.file_annotations[gf.path] = notes
            prog.ignores[gf.path] = ignores
        add_go_declarations(pkg.prefix, pkg.go, prog.funcs, pkg.consts, pkg.vars_funcs)
        commented = []
        for af in pkg.asm:
            text = overlays.get(af.path)
            notes, ignores = scan_comments(af.path, text)
            prog.file_annotations[af.path] = notes
            prog.ignores[af.path] = ignores
            if text is None:
                text = _read_text(af.path)
            commented.append((af, notes, text.split("\n")))
        add_asm_definitions(pkg.prefix, commented, prog.funcs)
    for pkg in prog.packages.values():
        if pkg.go:
            try:
                pkg.idioms = package_idioms(pkg.go, imported_resolver(prog))
            except Exception as e:  # never lose the whole package to one idiom bug
                prog.syntax.append(Diagnostic(pkg.go[0].path, 1, 1, 1, 1, "EGG901",
                                              Severity.ERROR, "syntax",
                                              f"internal error indexing idioms: {e}"))
    return prog


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _same(f: Func) -> Func:
    return f


def add_go_declarations(prefix: str, files: list[GoFile], funcs: dict[str, Func],
                        consts: dict[str, int], vars_funcs: dict[str, list[str]],
                        make: Callable[[Func], Func] = _same) -> None:
    """A package's Go functions (bodies win over bodyless declarations), constants and
    function tables, into the given maps. `make` lets a cache intern the Func values."""
    for gf in files:
        for c in gf.consts.values():
            if c.value is not None:
                consts[c.name] = c.value
        for v in gf.vars:
            if v.funcs:
                vars_funcs[v.name] = [e.name or e.text for e in v.funcs]
        for fd in gf.funcs:
            name = f"{prefix}.{fd.symbol}"
            if fd.has_body or name not in funcs:
                ann = {a.name: a.args for a in fd.annotations}
                funcs[name] = make(Func(name, "go" if fd.has_body else "decl", prefix,
                                        gf.path, fd.name_span, decl=fd, gofile=gf,
                                        annotations=ann))


def add_asm_definitions(prefix: str,
                        files: Iterable[tuple[AsmFile, dict[int, list[tuple[str, str]]],
                                              list[str]]],
                        funcs: dict[str, Func], make: Callable[[Func], Func] = _same) -> None:
    """A package's TEXT blocks (with their eggls: comments and source lines), which take
    over the bodyless Go declarations already in funcs."""
    headers: dict[str, tuple[dict[int, list[tuple[str, str]]], list[str]]] = {}
    for af, notes, lines in files:
        for t in af.texts:
            prev = funcs.get(t.name)
            decl = prev.decl if prev is not None and prev.lang == "decl" else None
            if t.span.path == af.path:
                ann = _asm_annotations(notes, t, lines)
            else:  # a TEXT from an #include'd header: its comments are in that file
                if t.span.path not in headers:
                    text = _read_text(t.span.path)
                    headers[t.span.path] = (scan_comments(t.span.path, text)[0],
                                            text.split("\n"))
                hnotes, hlines = headers[t.span.path]
                ann = _asm_annotations(hnotes, t, hlines)
            if prev is not None and prev.lang == "decl":
                ann = {**prev.annotations, **ann}
            funcs[t.name] = make(Func(t.name, "asm", prefix, af.path, t.name_span, text=t,
                                      decl=decl, gofile=prev.gofile if prev else None,
                                      annotations=ann))


def imported_resolver(prog: Program):  # type: ignore[no-untyped-def]
    """Funcpc-like functions of other packages of the module, for cross-package idioms."""
    cache: dict[str, dict] = {}

    def resolve(import_path: str, name: str):  # type: ignore[no-untyped-def]
        pkg = prog.by_import.get(import_path)
        if pkg is None or not pkg.go:
            return None
        if import_path not in cache:
            cache[import_path] = funcpc_like(pkg.go)
        hit = cache[import_path].get(name)
        return hit.param if hit is not None else None

    return resolve
