"""Agreement of eggls' asm front end with the real assembler (issue 2, first acceptance bullet).

Ground truth: `go build -a -asmflags=all=-S std` with the real Go 1.24 toolchain for linux/amd64
(see tests/asm/golisting.py), cached per toolchain in the pytest cache. For every std `.s` file
`go build` assembles, eggls' model is compared per TEXT symbol with the listing: name, declared
flags ⊆ listed flags, argument size, frame size, the set of source lines holding instructions,
the set of direct call/jump targets (R_CALL) and the set of SB symbols referenced as data
(R_PCREL/R_ADDR). Each rewrite the back end makes is undone below, named where it is.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from eggls.asm.model import AsmFile, Branch, Immediate, Memory, Text
from eggls.asm.textflag import flag_names
from tests.asm.golisting import (
    ListedText,
    cached_std_ground_truth,
    have_c_compiler,
    parse_listing,
)
from tests.support.toolchains import go_env, go_toolchains

pytestmark = pytest.mark.slow

# Issue 2 names Go 1.24; the variable lets the same comparison run against another toolchain.
GO = os.environ.get("EGGLS_ASM_AGREEMENT_GO", "1.24")
# Go 1.19's obj6 also skipped the BP save for zero-frame NOSPLIT functions and never added
# NOFRAME; 1.21 already behaves like 1.24 (the versions in between were not checked).
LEGACY_OBJ6 = tuple(map(int, GO.split("."))) < (1, 21)
GOOS, GOARCH = "linux", "amd64"
MAX_REPORTED = 30

# Textflag bits InitTextSym ignores on TEXT (NOPROF is obsolete; the rest are DATA/GLOBL flags),
# so the listing can never show them.
IGNORED_ON_TEXT = frozenset({"NOPROF", "RODATA", "NOPTR", "TLSBSS"})
STACK_SMALL = 128  # internal/abi.StackSmall
# Statements the listing prints as Progs that eggls keeps outside Text.instructions: the TEXT
# itself, FUNCDATA/PCDATA (Text.funcdata/pcdata; the assembler also synthesises FUNCDATA
# args_stackmap/arginfo on the TEXT line) and the PCALIGN directive (no Instruction in the model).
NOT_INSTRUCTIONS = frozenset({"TEXT", "FUNCDATA", "PCDATA", "PCALIGN"})
# The stack-split check calls one of these from a synthesised block on the TEXT line.
MORESTACK = frozenset({"runtime.morestack", "runtime.morestack_noctxt", "runtime.morestackc"})
CALLS = frozenset({"CALL", "DUFFCOPY", "DUFFZERO"})  # what obj6's hasCall looks for


@dataclass(slots=True)
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, where: str, detail: str) -> None:
        self.kinds[kind] += 1
        self.mismatches.append(f"[{kind}] {where}: {detail}")


@dataclass(frozen=True, slots=True)
class GroundTruth:
    goroot: Path
    cgo: bool
    listing: dict[tuple[str, str], ListedText]  # (realpath of the TEXT's file, name) → symbol
    sfiles: frozenset[str]  # realpaths of the .s files go list says `go build std` assembles


@pytest.fixture(scope="module")
def ground_truth(request: pytest.FixtureRequest) -> GroundTruth:
    roots = go_toolchains()
    if GO not in roots:
        if os.environ.get("CI"):
            pytest.fail(f"Go {GO} toolchain missing (have {sorted(roots)}); .ci/run installs it")
        pytest.skip(f"Go {GO} toolchain not installed")
    goroot = roots[GO]
    # With a C compiler the go command builds runtime/cgo too (one more file, which #includes
    # a header from its own directory); without one `std` leaves runtime/cgo out.
    cgo = have_c_compiler()
    env = go_env(goroot, CGO_ENABLED="1" if cgo else "0")
    pytest_cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    cache_dir = (pytest_cache.mkdir("eggls-golisting") if pytest_cache is not None
                 else Path(tempfile.gettempdir()) / "eggls-golisting")
    text, sfiles = cached_std_ground_truth(goroot, env, Path(cache_dir))
    listing = parse_listing(text, goroot=str(goroot))
    assert not listing.unparsed, f"listing lines not understood: {listing.unparsed[:10]}"
    by_key: dict[tuple[str, str], ListedText] = {}
    for t in listing.texts:
        assert t.path is not None, t.name
        key = (os.path.realpath(t.path), t.name)
        assert key not in by_key, f"duplicate TEXT in listing: {key}"
        by_key[key] = t
    # SFiles also holds cgo's `.S` files, which go to the C compiler, not to asm.
    files = frozenset(os.path.realpath(f) for fs in sfiles.values() for f in fs
                      if f.endswith(".s"))
    return GroundTruth(goroot, cgo, by_key, files)


def selected_files(goroot: Path, cgo: bool) -> dict[str, str]:
    """realpath → import path of every std .s file eggls says is built for linux/amd64."""
    from eggls.gobuild import file_matches

    src = goroot / "src"
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src).as_posix()
        # cmd is its own module, not std; testdata/_x/.x directories are never packages.
        dirnames[:] = sorted(d for d in dirnames
                             if d != "testdata" and not d.startswith(("_", "."))
                             and not (rel == "." and d == "cmd"))
        if not cgo and rel == "runtime/cgo":
            continue  # cmd/go leaves runtime/cgo out of `std` when cgo is disabled
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if name.endswith(".s") and file_matches(path, GOOS, GOARCH):
                out[os.path.realpath(path)] = rel
    return out


realpath = cache(os.path.realpath)  # called per instruction


def instruction_lines(t: Text) -> set[tuple[str, int]]:
    return {(realpath(i.span.path), i.span.line) for i in t.instructions
            if i.mnemonic not in NOT_INSTRUCTIONS}


def branch_targets(t: Text) -> set[str]:
    return {op.symbol.name for i in t.instructions for op in i.operands
            if isinstance(op, Branch) and op.symbol is not None}


def data_refs(t: Text) -> set[str]:
    out: set[str] = set()
    for i in t.instructions:
        for op in i.operands:
            mem = op.memory if isinstance(op, Branch) else op
            if isinstance(mem, Memory | Immediate) and mem.symbol is not None \
                    and mem.symbol.pseudo == "SB":
                out.add(mem.symbol.name)
    return out


def split_fixup_nops(lt: ListedText) -> set[int]:
    """Indexes of the NOP stacksplit appends after the function's last Prog (with that Prog's
    line) to fix up SP before its morestack block: the NOP just before the block's PCDATAs and
    CALL runtime.morestack* on the TEXT line."""
    out: set[int] = set()
    ins = lt.instructions
    for n, i in enumerate(ins):
        if i.branch_symbol in MORESTACK and i.mnemonic == "CALL" and i.line == lt.line:
            k = n - 1
            while k > 0 and ins[k].mnemonic in ("PCDATA", "FUNCDATA"):
                k -= 1
            if ins[k].mnemonic == "NOP":
                out.add(k)
    return out


def saves_bp(t: Text) -> bool:
    """obj6 preprocess saves BP (and the frame grows by 8) unless NOFRAME was declared or the
    function has a zero frame and makes no call (before 1.21: or is declared NOSPLIT)."""
    has_call = any(i.mnemonic in CALLS for i in t.instructions)
    zero = max(t.frame_size, 0) == 0
    if LEGACY_OBJ6 and zero and t.has_flag("NOSPLIT"):
        return False
    return not t.has_flag("NOFRAME") and not (zero and not has_call)


def expected_locals(t: Text) -> int:
    return t.frame_size + 8 if saves_bp(t) else t.frame_size


def zero_arg_runtime_call(name: str | None) -> bool:
    """obj6 isZeroArgRuntimeCall: runtime panics that use no stack before their own check."""
    return name is not None and (
        name in ("runtime.panicdivide", "runtime.panicwrap", "runtime.panicshift")
        or name.startswith(("runtime.panicIndex", "runtime.panicSlice")))


def backend_flags(t: Text) -> set[str]:
    """Attributes obj6 preprocess adds: NOFRAME when it saves no BP; NOSPLIT for a leaf whose
    frame (BP included) is below abi.StackSmall, so the stack-split check is skipped."""
    added: set[str] = set()
    bp = saves_bp(t)
    if not bp and not LEGACY_OBJ6:
        added.add("NOFRAME")
    autoffset = max(t.frame_size, 0) + (8 if bp else 0)
    if autoffset >= STACK_SMALL or t.has_flag("NOSPLIT"):
        return added
    for i in t.instructions:
        if i.mnemonic == "CALL":
            target = next((op.symbol.name for op in i.operands
                           if isinstance(op, Branch) and op.symbol is not None), None)
            if not zero_arg_runtime_call(target):
                return added
        if i.mnemonic in CALLS and autoffset >= STACK_SMALL - 8:
            return added
    added.add("NOSPLIT")
    return added


def compare_text(t: Text, lt: ListedText, where: str, rep: Report) -> None:
    # Flags. The listing adds STATIC for `name<>`, ABIInternal for `<ABIInternal>` and what
    # obj6 preprocess decides (backend_flags); beyond that it must show exactly what was declared.
    declared = set(flag_names(t.flag_value)) - IGNORED_ON_TEXT
    if t.symbol.static:
        declared.add("STATIC")
    if t.symbol.abi == "ABIInternal":
        declared.add("ABIInternal")
    listed = set(lt.flags)
    if not declared <= listed:
        rep.add("flags", where, f"declared {sorted(declared - listed)} not listed {sorted(listed)}")
    elif listed != (expected := declared | backend_flags(t)):
        rep.add("flags", where, f"listed {sorted(listed)}, expected {sorted(expected)} (eggls "
                                f"value {t.flag_value}, written {[f.name for f in t.flags]})")
    rep.counts["flags"] += len(declared)

    # ArgsSizeUnknown when `-argsize` is omitted; both sides say None then.
    if t.arg_size != lt.args:
        rep.add("argsize", where, f"eggls {t.arg_size}, listing {lt.args}")

    # Saved BP: +8 to the frame (see expected_locals).
    if expected_locals(t) != lt.locals:
        rep.add("frame", where, f"eggls ${t.frame_size} → expect locals {expected_locals(t)}, "
                                f"listing {lt.locals}")

    # Lines. The back end synthesises its prologue (stack-split check, morestack call block,
    # BP save, SUBQ $frame, WRAPPER's panic-argp fix-up) on the TEXT line and the epilogue
    # (ADDQ/POPQ BP) on RET/tail-JMP lines, which hold an instruction anyway. When it did, the
    # TEXT line is left out on both sides; otherwise an instruction there came from the source.
    # The stack-split check also appends a NOP on the last Prog's line (split_fixup_nops).
    got = instruction_lines(t)
    text_line = (realpath(lt.path or ""), lt.line)
    fixups = split_fixup_nops(lt)
    want = {(realpath(i.path), i.line) for n, i in enumerate(lt.instructions)
            if i.path is not None and i.mnemonic not in NOT_INSTRUCTIONS and n not in fixups}
    prologue = not lt.nosplit or lt.locals > 0 or "WRAPPER" in lt.flags
    if prologue:
        got.discard(text_line)
        want.discard(text_line)
    rep.counts["instruction lines"] += len(want)
    if got != want:
        only_g = sorted(f"{Path(p).name}:{n}" for p, n in got - want)
        only_w = sorted(f"{Path(p).name}:{n}" for p, n in want - got)
        rep.add("lines", where, f"only eggls {only_g[:8]}, only listing {only_w[:8]}")

    # Call/jump targets. amd64 emits R_CALL for CALL and JMP to a symbol; branches to labels are
    # PCs without relocation. The stack-split check adds CALL runtime.morestack*: drop it unless
    # the source itself calls/jumps there from a line that is not the TEXT line.
    targets = lt.call_targets
    if not lt.nosplit:
        from_source = {i.branch_symbol for i in lt.instructions
                       if (realpath(i.path or ""), i.line) != text_line}
        targets -= MORESTACK - from_source
    mine = branch_targets(t)
    rep.counts["call/jump targets"] += len(targets)
    if mine != targets:
        rep.add("targets", where, f"only eggls {sorted(mine - targets)}, "
                                  f"only listing {sorted(targets - mine)}")

    # Data references: RIP-relative (R_PCREL) and absolute (R_ADDR) SB symbols. Float immediates
    # become references to the assembler's constant pool ($f64.xxx / $f32.xxx): not in source.
    refs = {s for s in lt.reloc_syms("R_PCREL", "R_ADDR") if not s.startswith(("$f64.", "$f32."))}
    mine_refs = data_refs(t)
    rep.counts["data references"] += len(refs)
    if mine_refs != refs:
        rep.add("datarefs", where, f"only eggls {sorted(mine_refs - refs)}, "
                                   f"only listing {sorted(refs - mine_refs)}")


def test_std_amd64_agrees_with_go_tool_asm(ground_truth: GroundTruth) -> None:
    from eggls.asm import AsmConfig, parse_file

    gt = ground_truth
    rep = Report()
    src = Path(os.path.realpath(gt.goroot / "src"))  # relative names in messages
    files = selected_files(gt.goroot, gt.cgo)
    for path in sorted(set(files) - gt.sfiles):
        rep.add("files", os.path.relpath(path, src), "selected by file_matches, not built by go")
    for path in sorted(gt.sfiles - set(files)):
        rep.add("files", os.path.relpath(path, src), "built by go, not selected by file_matches")

    cfg = AsmConfig(goos=GOOS, goarch=GOARCH, goroot=gt.goroot, include_dirs=())
    seen: set[tuple[str, str]] = set()
    for path, pkg in sorted(files.items()):
        rel = os.path.relpath(path, src)
        rep.counts["files"] += 1
        try:
            f: AsmFile = parse_file(path, pkg, cfg)
        except Exception as e:  # parse_file promises never to raise
            rep.add("exception", rel, f"{type(e).__name__}: {e}")
            continue
        rep.counts["source lines"] += f.lines
        for err in f.errors:  # go tool asm assembled this file: any error is a false one
            rep.add("error", f"{rel}:{err.span.line}:{err.span.col}", err.message)
        for t in f.texts:
            key = (os.path.realpath(t.span.path), t.name)
            where = f"{rel}:{t.span.line} {t.name}"
            if key in seen:
                rep.add("name", where, "TEXT symbol defined twice by eggls")
                continue
            seen.add(key)
            lt = gt.listing.get(key)
            if lt is None:
                rep.add("name", where, "eggls has a TEXT the assembler did not assemble")
                continue
            rep.counts["TEXT symbols"] += 1
            compare_text(t, lt, where, rep)
    for key, lt in sorted(gt.listing.items()):
        if key not in seen and key[0] in files:
            rep.add("name", f"{os.path.relpath(key[0], src)}:{lt.line} {lt.name}",
                    "assembled, but eggls has no such TEXT")
        elif key[0] not in files:
            rep.add("name", f"{key[0]}:{lt.line} {lt.name}", "listed TEXT in a file not compared")

    summary = ", ".join(f"{k} {v}" for k, v in rep.counts.items())
    print(f"\nasm agreement with go{GO} ({'cgo' if gt.cgo else 'no cgo'}): {summary}; "
          f"listing TEXT symbols {len(gt.listing)}; mismatches {len(rep.mismatches)}")
    # Sanity: the comparison must have had something to compare.
    assert rep.counts["files"] > 0 and len(gt.listing) > 0
    assert not rep.mismatches, (
        f"{len(rep.mismatches)} mismatches ({dict(rep.kinds)}); compared {summary}:\n"
        + "\n".join(rep.mismatches[:MAX_REPORTED]))
