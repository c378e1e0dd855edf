"""The analysis engine behind `eggls --check` (and the language server): from paths and
options to sorted diagnostics, module by module."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eggls.analysis import registry
from eggls.analysis.asmflow import ENTRY_MSRS
from eggls.analysis.context import RuleContext, WrapperFacts, parse_go_version
from eggls.analysis.initstate import InitState, analyse
from eggls.analysis.program import Program, analysis_directories, build_program
from eggls.analysis.rules import ANALYZERS
from eggls.asm import AsmConfig
from eggls.config import Config, load_config
from eggls.diagnostics import Diagnostic, Severity, Span
from eggls.gobuild import Target
from eggls.gomod import Module, find_module, path_to_prefix
from eggls.output import sort_diagnostics
from eggls.workspace import collect_packages, find_goroot, goroot_of


@dataclass
class Options:
    """Command-line (or LSP) settings; None means "not given": the config decides."""

    build: str | None = None
    no_build: bool = False
    entries: tuple[str, ...] = ()
    go_version: str | None = None
    goos: str | None = None
    goarch: str | None = None
    overrides: dict[str, object] = field(default_factory=dict)  # LSP settings, same schema
    overlays: dict[str, str] = field(default_factory=dict)  # unsaved editor buffers


def _find_last_build(root: str, explicit: str | None) -> Any:
    from eggls.build.locate import find_last_build

    return find_last_build(root, explicit)


@dataclass
class Providers:
    """Where analyse_module gets its expensive inputs. The CLI uses the plain functions; the
    language server passes caching ones (eggls.analysis.incremental) so that an edit re-parses
    only the changed file and the build is read once."""

    directories: Callable[[Module, list[str], Target], list[str]] = analysis_directories
    program: Callable[..., Program] = build_program
    last_build: Callable[[str, str | None], Any] = _find_last_build
    code_addresses: Callable[[Program, frozenset[str]], Any] | None = None  # else computed


@dataclass
class ModuleResult:
    module: Module | None
    config: Config
    program: Program
    context: RuleContext | None
    diagnostics: list[Diagnostic]
    notes: list[str]
    build_path: str | None = None


def _go_mod_span(module: Module) -> Span:
    return Span(os.path.join(module.root, "go.mod"), 1, 1, 1, 1)


def _entry_symbol(prog: Program, spelled: str) -> str:
    """`import/path.Name` as -E spells it → the linker name eggls keys functions by."""
    slash = spelled.rfind("/")
    dot = spelled.find(".", slash + 1)
    if dot < 0:
        return spelled
    ipath, name = spelled[:dot], spelled[dot + 1:]
    pkg = prog.by_import.get(ipath)
    prefix = pkg.prefix if pkg is not None else path_to_prefix(ipath)
    return f"{prefix}.{name}"


def _effective_config(module: Module | None, opts: Options) -> tuple[Config, list[str]]:
    from eggls.config import from_mapping

    cfg, problems = load_config(module.root if module else None)
    if opts.overrides:
        cfg, more = from_mapping(dict(opts.overrides), cfg)
        problems += more
        if module is not None and cfg.include_dirs:
            # LSP settings name directories relative to the module root, as .eggls.toml does.
            cfg = replace(cfg, include_dirs=tuple(
                d if os.path.isabs(d) else os.path.join(module.root, d)
                for d in cfg.include_dirs))
    changes: dict[str, object] = {}
    if opts.entries:
        changes["entries"] = tuple(cfg.entries) + tuple(opts.entries)
    for key in ("go_version", "goos", "goarch", "build"):
        v = getattr(opts, key)
        if v:
            changes[key] = v
    return replace(cfg, **changes), problems  # type: ignore[arg-type]


def analyse_module(module: Module | None, directories: list[str], opts: Options,
                   goroot: Path | None, providers: Providers | None = None) -> ModuleResult:
    p = providers or Providers()
    cfg, notes = _effective_config(module, opts)
    target = Target(goos=cfg.goos, goarch=cfg.goarch)
    asm_cfg = AsmConfig(goos=cfg.goos, goarch=cfg.goarch, goroot=goroot,
                        include_dirs=cfg.include_dirs)
    dirs = p.directories(module, directories, target) if module else directories
    prog = p.program(dirs, [module] if module else [], target, asm_cfg, opts.overlays)
    diags: list[Diagnostic] = list(prog.syntax)
    if module is None:
        return ModuleResult(None, cfg, prog, None, diags, notes)

    # Wrapper facts: the build when one is used, else a prediction from the Go version.
    build = None
    build_path = None
    stale_reason = None
    if not opts.no_build:
        from eggls.build.errors import BuildError

        got = p.last_build(module.root, cfg.build)
        if isinstance(got, BuildError):
            if cfg.build or got.kind != "no-build":
                diags.append(Diagnostic.at(_go_mod_span(module), "EGG902",
                                           registry.EGG902.severity, "build", str(got)))
        else:
            build = got.build
            build_path = got.path
            notes.append(got.report())
            if got.staleness.stale:
                stale_reason = got.staleness.reason
            if build.goarch and build.goarch != cfg.goarch:
                stale_reason = f"the build is for GOARCH={build.goarch}, not {cfg.goarch}"
    if build is not None:
        version = parse_go_version(build.go_version)
        if opts.go_version or cfg.go_version:
            notes.append(f"--go-version ignored: the build says {build.go_version}")
        facts = WrapperFacts("build", cfg.goarch, version, build)
        if stale_reason:
            diags.append(Diagnostic.at(
                _go_mod_span(module), "EGG008", registry.EGG008.severity, "build",
                f"the build {os.path.relpath(build.path, module.root)} is stale: "
                f"{stale_reason}; findings from it may be out of date"))
    else:
        v = cfg.go_version or module.toolchain or module.go
        facts = WrapperFacts("predicted", cfg.goarch, parse_go_version(v))
        diags.append(Diagnostic.at(
            _go_mod_span(module), "EGG009", registry.EGG009.severity, "predicted",
            "no build used: wrapper findings are predicted for Go "
            f"{'.'.join(map(str, facts.go_version)) if facts.go_version else '(unknown)'} "
            "(build the kernel or pass --build ELF to explain them with real bytes)"))

    # Entries.
    boot = [_entry_symbol(prog, e) for e in cfg.entries]
    boot += [f.name for f in prog.funcs.values() if "entry" in f.annotations]
    if build is not None:
        # The ELF entry, when it lies in the module (Go's own _rt0_* set themselves up).
        for sym in build.symbols.functions_starting_at(build.image.entry):
            name = sym.name.removesuffix(".abi0")
            if name in prog.funcs and "_rt0_" not in name:
                boot.append(name)
    interrupt = [f.name for f in prog.funcs.values() if "interrupt" in f.annotations]
    ctx = RuleContext(prog, InitState(), facts, frozenset(cfg.sinks))
    if p.code_addresses is not None:  # the language server's, reused from edit to edit
        ctx.code_addresses = p.code_addresses(prog, frozenset(cfg.sinks))
    # Asm functions whose address reaches a sink are entered asynchronously.
    for ca in ctx.code_addresses:
        if ca.sink:
            interrupt += [t.name for t in ca.targets if t.lang == "asm"]
    for f in prog.funcs.values():
        flow = f.flow
        if flow is None:
            continue
        for effs in flow.effects.values():
            for e in effs:
                if e.kind == "msr" and e.msr in ENTRY_MSRS and e.value.sym is not None:
                    interrupt.append(e.value.sym.name)
    ctx.state = analyse(prog, sorted(set(boot)), sorted(set(interrupt)))
    if not boot:
        diags.append(Diagnostic.at(
            _go_mod_span(module), "EGG903", registry.EGG903.severity, facts.basis,
            "no boot entry is known: declare one with `entries = [\"import/path.rt0\"]` in "
            ".eggls.toml, --entry, or an `// eggls:entry` comment above the TEXT"))
    for analyzer in ANALYZERS:
        diags.extend(analyzer.run(ctx))
    return ModuleResult(module, cfg, prog, ctx, diags, notes, build_path)


def apply_suppressions(prog: Program, diags: list[Diagnostic]) -> list[Diagnostic]:
    """Drop diagnostics an `// eggls:ignore CODE reason` covers (its line and the next);
    report the ignores that cover nothing (EGG010)."""
    used: set[tuple[str, int, str]] = set()
    kept = []
    for d in diags:
        ign = prog.ignores.get(d.path, {})
        hit = None
        for line in (d.line, d.line - 1):
            for code, _span in ign.get(line, ()):
                if code == d.code:
                    hit = (d.path, line, code)
        if hit is None:
            kept.append(d)
        else:
            used.add(hit)
    for path, lines in prog.ignores.items():
        for line, items in lines.items():
            for code, span in items:
                if (path, line, code) not in used:
                    kept.append(Diagnostic.at(span, "EGG010", Severity.HINT, "syntax",
                                              f"eggls:ignore {code} suppresses nothing here"))
    return kept


def check_paths(paths: list[str], opts: Options) -> tuple[list[Diagnostic], list[str], list[str]]:
    """Diagnostics for the files under paths (sorted), problems (bad paths), notes."""
    target = Target(goos=opts.goos or "linux", goarch=opts.goarch or "amd64")
    packages, problems = collect_packages(paths, target)
    report_files = {f for p in packages for f in (*p.asm_files, *p.go_files)}
    by_module: dict[str | None, list[str]] = {}
    modules: dict[str | None, Module | None] = {}
    for p in packages:
        key = p.module.root if p.module else None
        by_module.setdefault(key, []).append(p.directory)
        modules[key] = p.module
    default_root = find_goroot()
    diags: list[Diagnostic] = []
    notes: list[str] = []
    for key in sorted(by_module, key=lambda k: k or ""):
        module = modules[key]
        dirs = by_module[key]
        goroot = goroot_of(dirs[0]) or default_root
        res = analyse_module(module, dirs, opts, goroot)
        notes += res.notes
        found = apply_suppressions(res.program, res.diagnostics)
        disabled = set(res.config.disable)
        # Module-level findings (on go.mod) when a directory was asked for, not for a list
        # of files (pre-commit passes file names: no module-wide noise on each commit).
        go_mod = os.path.join(module.root, "go.mod") if module and any(
            os.path.isdir(_strip_dots(p)) for p in paths) else None
        # Headers the reported asm files #include are reported with them (shared code).
        headers = {h for pkg in res.program.packages.values() for af in pkg.asm
                   if af.path in report_files for h in af.includes}
        for d in found:
            if d.code in disabled:
                continue
            if d.path in report_files or d.path in headers or d.path == go_mod or \
                    _under(d.path, paths):
                diags.append(d)
    return sort_diagnostics(diags), problems, notes


def _strip_dots(p: str) -> str:
    """`dir/...` → `dir` (the go command's pattern for every package below dir)."""
    if p == "...":
        return "."
    return p[:-4] or "/" if p.endswith(("/...", os.sep + "...")) else p


def _under(path: str, roots: list[str]) -> bool:
    ap = os.path.abspath(path)
    for r in roots:
        ar = os.path.abspath(_strip_dots(r))
        if os.path.isdir(ar) and (ap == ar or ap.startswith(ar + os.sep)):
            return True
    return False


__all__ = ["ModuleResult", "Options", "Providers", "analyse_module", "apply_suppressions",
           "check_paths", "find_module"]
