"""`eggls --check`: analyse the packages around the given paths and report."""

from __future__ import annotations

import argparse
import sys

from eggls.diagnostics import Diagnostic, Severity
from eggls.engine import Options, check_paths
from eggls.output import render


def exit_code(diags: list[Diagnostic], fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = Severity(fail_on).rank
    return 1 if any(d.severity.rank >= threshold for d in diags) else 0


def options_from_args(args: argparse.Namespace) -> Options:
    return Options(build=args.build, no_build=args.no_build, entries=tuple(args.entry),
                   go_version=args.go_version, goos=args.goos, goarch=args.goarch)


def run_check(args: argparse.Namespace) -> int:
    diags, problems, notes = check_paths(args.paths or ["./..."], options_from_args(args))
    for note in notes:  # which build was used, options it overrides: for humans, on stderr
        print(f"eggls: {note}", file=sys.stderr)
    if problems:
        from eggls.cli import UsageError

        raise UsageError("; ".join(problems))
    out = render(diags, args.format)  # text, json, sarif or github
    sys.stdout.write(out)
    return exit_code(diags, args.fail_on)
