"""`eggls` (language server on stdio), `eggls --check` (linter) and `eggls build-info`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eggls import __version__
from eggls.analysis.registry import RULES
from eggls.output import FORMATS, rule_explanation, rule_list

FAIL_ON = ("error", "warning", "information", "hint", "never")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and exit(2)
        raise UsageError(message)


def _check_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="eggls", description=__doc__, add_help=True)
    p.add_argument("--version", action="version", version=f"eggls {__version__}")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="lint PATHs and exit")
    mode.add_argument("--explain", metavar="CODE", default=None,
                      help="print a rule's explanation (e.g. EGG001) and exit")
    mode.add_argument("--list-rules", action="store_true", help="list every rule and exit")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files, package directories, or DIR/... for every package below "
                        "(default ./...)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--fail-on", choices=FAIL_ON, default="warning")
    p.add_argument("--goos", default=None)
    p.add_argument("--goarch", default=None)
    p.add_argument("--build", metavar="ELF", default=None,
                   help="read wrapper facts from this build artifact")
    p.add_argument("--no-build", action="store_true",
                   help="use no build artifact: predict from the Go version")
    p.add_argument("--entry", metavar="SYM", action="append", default=[],
                   help="boot entry as the linker's -E spells it (repeatable)")
    p.add_argument("--go-version", metavar="X.Y", default=None,
                   help="Go version to predict wrappers for (ignored with a build)")
    p.add_argument("--stdio", action="store_true", help="serve LSP on stdio (the default)")
    p.add_argument("--tcp", metavar="HOST:PORT", default=None,
                   help="serve LSP on a TCP port instead (for debugging)")
    return p


def _describe_rules(code: str | None) -> int:
    """`--list-rules` (code is None) or `--explain CODE`."""
    if code is None:
        sys.stdout.write(rule_list(RULES.values()))
        return 0
    rule = RULES.get(code.strip().upper())  # `egg001` is as clear as `EGG001`
    if rule is None:
        print(f"eggls: unknown rule code {code!r} (see eggls --list-rules)", file=sys.stderr)
        return 2
    sys.stdout.write(rule_explanation(rule))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "build-info":
        from eggls.build.report import main as build_info_main

        return build_info_main(args_list[1:])
    try:
        args = _check_parser().parse_args(args_list)
    except UsageError as e:
        print(f"eggls: {e}", file=sys.stderr)
        return 2
    if args.check:
        from eggls.check import run_check

        try:
            return run_check(args)
        except UsageError as e:
            print(f"eggls: {e}", file=sys.stderr)
            return 2
        except Exception as e:  # the contract: exit 2 with one line, never a traceback
            print(f"eggls: internal error: {type(e).__name__}: {e}", file=sys.stderr)
            return 2
    if args.paths:
        print("eggls: PATHs need --check", file=sys.stderr)
        return 2
    if args.list_rules or args.explain is not None:
        return _describe_rules(args.explain)
    if args.tcp is not None and (":" not in args.tcp or
                                 not args.tcp.rpartition(":")[2].isdigit()):
        print(f"eggls: --tcp wants HOST:PORT, not {args.tcp!r}", file=sys.stderr)
        return 2
    from eggls.lsp.server import serve

    return serve(args.tcp)


if __name__ == "__main__":
    sys.exit(main())
