"""`eggls build-info ELF [--format json|text]`: what the build reader found.

The JSON shape is a contract (later issues and users script against it):
{"path", "go_version", "goarch", "settings": {...}, "build_id",
 "wrappers": [{"symbol", "target", "direction", "address", "size", "sse", "tls_read",
               "pushed_bytes", "stack_check", "listing"}]}
Instruction text is capstone's AT&T rendering, unchanged. "pushed_bytes" is null only when the
wrapper changes RSP in a way that cannot be followed (no Go version does).
Exit status: 0 on success, 1 when the file is not a readable Go build (EGG902), 2 on usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from eggls.build.disasm import Insn
from eggls.build.errors import BuildError
from eggls.build.gobuild import GoBuild, open_build
from eggls.build.wrappers import Wrapper


def wrapper_json(w: Wrapper) -> dict[str, Any]:
    tls = w.tls_read
    return {
        "symbol": w.symbol.name,
        "target": w.target.name,
        "direction": w.direction,
        "address": w.symbol.address,
        "size": w.symbol.size,
        "sse": None if w.sse is None else w.sse.text,
        "tls_read": None if tls is None else {"segment": tls.segment, "offset": tls.offset},
        "pushed_bytes": w.pushed_bytes,
        "stack_check": w.stack_check is not None,
        "listing": [i.text for i in w.listing],
    }


def build_json(b: GoBuild) -> dict[str, Any]:
    return {
        "path": b.path,
        "go_version": b.go_version,
        "goarch": b.goarch,
        "settings": b.settings,
        "build_id": b.build_id,
        "wrappers": [wrapper_json(w) for w in b.wrappers()],
    }


def error_json(e: BuildError) -> dict[str, Any]:
    return {"path": e.path, "error": {"code": e.code, "kind": e.kind, "message": e.message}}


def listing_lines(b: GoBuild, insns: Sequence[Insn]) -> list[str]:
    """`0x4691a4  callq 0x469100 <main.trapret.abi0>`: for hovers and the text view."""
    out = []
    for i in insns:
        line = f"{i.address:#x}  {i.text}"
        if i.target is not None:
            line += f" <{b.describe(i.target)}>"
        out.append(line)
    return out


def build_text(b: GoBuild) -> str:
    s = b.settings
    lines = [f"build:    {b.path}",
             f"go:       {b.go_version} ({s.get('GOOS', '?')}/{b.goarch}"
             + (f", GOAMD64={b.goamd64}" if b.goamd64 else "") + ")",
             f"build id: {b.build_id or '-'}"]
    vcs = b.info.vcs
    if vcs:
        lines.append("vcs:      " + " ".join(f"{k}={v}" for k, v in vcs.items()))
    ws = b.wrappers()
    lines.append(f"wrappers: {len(ws)}")
    for w in ws:
        tls = w.tls_read
        facts = [w.direction, f"enters by {w.enters_by or '?'}",
                 f"pushes {w.pushed_bytes if w.pushed_bytes is not None else '?'} B",
                 f"sse: {w.sse.text if w.sse else 'none'}",
                 f"tls: {tls.segment}:{tls.offset}" if tls else "tls: none",
                 "stack check" if w.stack_check else "no stack check"]
        after = w.transfer
        if after.sse_after or after.tls_after:
            facts.append("after the target returns: " + ", ".join(
                x for x in (after.sse_after.text if after.sse_after else "",
                            f"tls {after.tls_after.segment}:{after.tls_after.offset}"
                            if after.tls_after else "") if x))
        lines.append(f"  {w.symbol.name} -> {w.target.name} @ {w.symbol.address:#x}")
        lines.append("    " + "; ".join(facts))
        lines.extend(f"      {x}" for x in listing_lines(b, w.listing))
    for internal, abi0 in b.unclassified():
        lines.append(f"  unclassified: {internal.name} / {abi0.name} (neither enters the other)")
    for p in b.problems:
        lines.append(f"  problem: {p.message}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eggls build-info",
                                description="Print what eggls reads from a Go build.")
    p.add_argument("elf", metavar="ELF")
    p.add_argument("--format", choices=("text", "json"), default="text")
    return p


def main(argv: Sequence[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as e:  # --help (0) or a usage error (2)
        return int(e.code or 0)
    try:
        got = open_build(args.elf)
        if isinstance(got, BuildError):
            if args.format == "json":
                print(json.dumps(error_json(got), indent=2))
            print(f"eggls: {got.code} {got.path}: {got.message}", file=sys.stderr)
            return 1
        if args.format == "json":
            print(json.dumps(build_json(got), indent=2))
        else:
            print(build_text(got))
        return 0
    except Exception as e:  # the contract: one line, never a traceback
        print(f"eggls: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
