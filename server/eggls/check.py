"""`eggls --check`: analyse the packages around the given paths and report."""

from __future__ import annotations

import argparse
import sys

from eggls.analysis.registry import EGG900
from eggls.asm import AsmConfig, parse_file
from eggls.diagnostics import Diagnostic, Severity
from eggls.gobuild import Target
from eggls.gomod import symbol_prefix
from eggls.output import render_json, render_text, sort_diagnostics
from eggls.workspace import collect_packages, find_goroot, goroot_of


def asm_diagnostics(path: str, package: str, cfg: AsmConfig) -> list[Diagnostic]:
    f = parse_file(path, package, cfg)
    return [Diagnostic.at(e.span, EGG900.code, EGG900.severity, "syntax", e.message)
            for e in f.errors]


def collect(paths: list[str], target: Target, goroot_hint=None) -> tuple[list[Diagnostic], list[str]]:  # noqa: E501
    packages, problems = collect_packages(paths, target)
    default_root = goroot_hint or find_goroot()
    diags: list[Diagnostic] = []
    for pkg in packages:
        goroot = goroot_of(pkg.directory) or default_root
        cfg = AsmConfig(goos=target.goos, goarch=target.goarch, goroot=goroot)
        prefix = symbol_prefix(pkg.directory, str(goroot) if goroot else None)
        for f in pkg.asm_files:
            diags.extend(asm_diagnostics(f, prefix, cfg))
    return sort_diagnostics(diags), problems


def exit_code(diags: list[Diagnostic], fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = Severity(fail_on).rank
    return 1 if any(d.severity.rank >= threshold for d in diags) else 0


def run_check(args: argparse.Namespace) -> int:
    target = Target(goos=args.goos or "linux", goarch=args.goarch or "amd64")
    diags, problems = collect(args.paths or ["."], target)
    if problems:
        from eggls.cli import UsageError

        raise UsageError("; ".join(problems))
    out = render_json(diags) if args.format == "json" else render_text(diags)
    sys.stdout.write(out)
    return exit_code(diags, args.fail_on)
