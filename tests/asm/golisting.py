"""Ground truth from the real assembler: parse the `-S` listing `go tool asm` prints.

`go build -a -asmflags=all=-S std` makes every assembler run print, per symbol, a header
(`name STEXT nosplit asm size=27 args=0x18 locals=0x0 funcid=0x0 align=0x0`), one line per Prog
after the back end's rewrites (`\\t0x0000 00000 (/path/f.s:10)\\tMOVL\\tx+8(FP), AX`), a hex dump,
and one line per relocation (`\\trel 7+4 t=R_CALL cmpbody+0`). The format is
cmd/internal/obj.(*Link).writeSymDebugNamed; the go command prefixes each run's output with
`# importpath`.

The std listing is complete: for Go 1.24 linux/amd64 with cgo, its 366 STEXT entries are exactly
what `go tool asm -S` prints when run on each of the 58 files with the go command's own flags
(from `go build -x`, with the go_asm.h it generated). A grep for lines starting with TEXT finds
330: runtime's CALLFN macro emits 37 more from `#define` lines and an `#ifndef GOARCH_amd64`
drops one; several files hold no TEXT at all. Without cgo, runtime/cgo's 3 are missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# ArgsSizeUnknown (0x80000000 as int32) printed as uint64: the TEXT line had no `-argsize`.
ARGS_SIZE_UNKNOWN = 0xFFFFFFFF80000000

# Header words and the TEXT attribute each one stands for (writeSymDebugNamed).
HEADER_ATTRS = {"static": "STATIC", "dupok": "DUPOK", "cfunc": "CFUNC", "nosplit": "NOSPLIT",
                "topframe": "TOPFRAME"}

# `name TYPE word... key=value...`; the key order changed over versions (1.27 prints align=
# right after size=, for data symbols too), so the pairs are read in any order.
_HEADER = re.compile(r"^(?P<name>\S+) (?P<type>S[A-Z0-9_]+)(?P<rest>(?: +\S+)*) *$")
# `0x%04x %05d (pos)\tINSN`; the pc is printed twice, hex then decimal.
_INSN = re.compile(r"^\t0x[0-9a-f]+ (?P<pc>\d+) \((?P<pos>.*)\)\t(?P<text>.*)$")
_HEXDUMP = re.compile(r"^\t0x[0-9a-f]+(?: [0-9a-f]{2})+ ")
_REL = re.compile(
    r"^\trel (?P<off>\d+)\+(?P<size>\d+) t=(?P<type>\S+) (?P<sym>.*)\+(?P<add>-?\d+)$")
# A relative position (after a #line directive) prints as `rel:1[file:2]`.
_POS = re.compile(r"^(?P<file>.*):(?P<line>\d+)(?:\[(?P<ofile>.*):(?P<oline>\d+)\])?$")
_TEXTSIZE = re.compile(r"^\$(?P<frame>-?\d+)(?:-(?P<args>-?\d+))?$")
_BRANCH_SYM = re.compile(r"^(?P<sym>[^\s(]+?)(?:<(?P<abi>\w*)>)?(?:[+-]\d+)?\(SB\)$")

PSEUDO_OPS = frozenset({"TEXT", "FUNCDATA", "PCDATA"})

# Before Go 1.22 relocation types print as numbers (`t=%d`); the head of objabi.RelocType
# (R_ADDR = 1 + iota, ...) is the same from 1.19 to 1.24.
_RELOC_NUMBERS = {"1": "R_ADDR", "7": "R_CALL", "10": "R_CALLIND", "14": "R_PCREL",
                  "15": "R_TLS_LE"}


@dataclass(frozen=True, slots=True)
class ListedInstruction:
    pc: int
    path: str | None  # None for `<unknown line number>`
    line: int
    text: str  # as printed: "MOVL\tx+8(FP), AX"

    @property
    def mnemonic(self) -> str:
        return self.text.split("\t", 1)[0]

    @property
    def operands(self) -> str:
        parts = self.text.split("\t", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def branch_symbol(self) -> str | None:
        """`CALL runtime.f(SB)` / `JMP f<>(SB)` → the symbol name (static `<>` dropped)."""
        if self.mnemonic not in ("CALL", "JMP"):
            return None
        m = _BRANCH_SYM.match(self.operands)
        return m.group("sym") if m else None


@dataclass(frozen=True, slots=True)
class Reloc:
    off: int
    size: int
    type: str  # "R_CALL", "R_PCREL", ...
    sym: str  # "" for relocations without a symbol (R_CALLIND)
    add: int


@dataclass(slots=True)
class ListedText:
    """One assembled TEXT symbol as the listing shows it."""

    name: str  # object-file name: `runtime.memmove`; static `cmpbody<>` is `cmpbody`
    package: str  # from the go command's `# importpath` line ("" if none)
    sym_type: str  # STEXT, STEXTFIPS
    words: frozenset[str]  # header words: static, dupok, cfunc, nosplit, topframe, asm
    size: int
    args: int | None  # None when the TEXT line omitted the argument size
    locals: int  # the frame after the back end's rewrite (saved BP included)
    funcid: int
    align: int
    leaf: bool
    text_flags: tuple[str, ...] = ()  # TEXT-line attributes: NOSPLIT, ABIInternal, ...
    frame: int | None = None  # `$frame` printed on the TEXT line (also rewritten)
    instructions: list[ListedInstruction] = field(default_factory=list)
    relocs: list[Reloc] = field(default_factory=list)

    @property
    def path(self) -> str | None:
        """File of the TEXT statement (the first Prog)."""
        return self.instructions[0].path if self.instructions else None

    @property
    def line(self) -> int:
        return self.instructions[0].line if self.instructions else 0

    @property
    def flags(self) -> frozenset[str]:
        """Every attribute the listing shows, spelled as textflag.h / the TEXT line spells it."""
        return frozenset(self.text_flags) | {HEADER_ATTRS[w] for w in self.words
                                              if w in HEADER_ATTRS}

    @property
    def nosplit(self) -> bool:
        return "nosplit" in self.words

    def source_lines(self, exclude: frozenset[str] = PSEUDO_OPS) -> set[tuple[str, int]]:
        return {(i.path, i.line) for i in self.instructions
                if i.path is not None and i.mnemonic not in exclude}

    def reloc_syms(self, *types: str) -> set[str]:
        return {r.sym for r in self.relocs if r.type in types and r.sym}

    @property
    def call_targets(self) -> set[str]:
        """Symbols of direct CALL/JMP: amd64 emits R_CALL for both."""
        return self.reloc_syms("R_CALL")


@dataclass(slots=True)
class Listing:
    texts: list[ListedText] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)  # `# importpath` lines, in order
    data_symbols: int = 0  # non-TEXT headers (SRODATA, ...)
    unparsed: list[str] = field(default_factory=list)  # lines none of the patterns knew


def _parse_text_line(t: ListedText, operands: str) -> None:
    # TEXT\tname(SB), ATTR|ATTR, $frame-args  (the attribute part is absent when empty)
    parts = operands.split(", ")
    m = _TEXTSIZE.match(parts[-1]) if len(parts) >= 2 else None
    if m:
        t.frame = int(m.group("frame"))
    if len(parts) == 3:
        t.text_flags = tuple(parts[1].split("|"))


def _position(pos: str) -> tuple[str | None, int]:
    m = _POS.match(pos)
    if not m:
        return None, 0
    if m.group("ofile") is not None:  # physical position of a #line-relative one
        return m.group("ofile"), int(m.group("oline"))
    return m.group("file"), int(m.group("line"))


def parse_listing(text: str, goroot: str | None = None) -> Listing:
    """Parse `-S` output. `$GOROOT/` in positions (go build -trimpath) is expanded if given."""
    out = Listing()
    package = ""
    cur: ListedText | None = None
    in_symbol = False  # inside any symbol's block (TEXT or data), so its lines are expected
    for raw in text.splitlines():
        if not raw:
            continue
        if raw.startswith("# "):
            package = raw[2:].strip()
            out.packages.append(package)
            cur, in_symbol = None, False
            continue
        if not raw.startswith("\t"):
            m = _HEADER.match(raw)
            fields = _header_fields(m.group("rest")) if m else None
            if m is None or fields is None:
                out.unparsed.append(raw)
                cur, in_symbol = None, False
                continue
            words, kv = fields
            in_symbol = True
            if "args" not in kv:
                out.data_symbols += 1
                cur = None
                continue
            cur = ListedText(
                name=_qualify(m.group("name"), package), package=package, sym_type=m.group("type"),
                words=frozenset(words - {"leaf"}), size=kv["size"],
                args=None if kv["args"] == ARGS_SIZE_UNKNOWN else kv["args"],
                locals=_signed64(kv.get("locals", 0)), funcid=kv.get("funcid", 0),
                align=kv.get("align", 0), leaf="leaf" in words)
            out.texts.append(cur)
            continue
        if (m := _INSN.match(raw)) and cur is not None:
            path, line = _position(m.group("pos"))
            if path is not None and goroot and path.startswith("$GOROOT/"):
                path = goroot.rstrip("/") + path[len("$GOROOT"):]
            insn = ListedInstruction(int(m.group("pc")), path, line,
                                     m.group("text").replace('"".', package + "."))
            if not cur.instructions and insn.mnemonic == "TEXT":
                _parse_text_line(cur, insn.operands)
            cur.instructions.append(insn)
        elif m := _REL.match(raw):
            if cur is not None:
                rtype = _RELOC_NUMBERS.get(m.group("type"), m.group("type"))
                cur.relocs.append(Reloc(int(m.group("off")), int(m.group("size")), rtype,
                                        _qualify(m.group("sym"), package), int(m.group("add"))))
        elif _HEXDUMP.match(raw) and in_symbol:
            pass
        else:
            out.unparsed.append(raw)
    return out


def _qualify(name: str, package: str) -> str:
    """Before Go 1.22 (approximately) the assembler left `·f` as `"".f` for the linker."""
    return package + name[2:] if name.startswith('"".') and package else name


def _header_fields(rest: str) -> tuple[set[str], dict[str, int]] | None:
    """Attribute words and numeric key=value pairs of a symbol header (None if malformed)."""
    words: set[str] = set()
    kv: dict[str, int] = {}
    for tok in rest.split():
        key, eq, value = tok.partition("=")
        if not eq:
            words.add(tok)
            continue
        try:
            kv[key] = int(value, 0)
        except ValueError:
            return None
    return (words, kv) if "size" in kv else None


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


# ---------------------------------------------------------------------------------------------
# Running the toolchain (used by the slow agreement test)


def have_c_compiler() -> bool:
    return shutil.which("gcc") is not None or shutil.which("cc") is not None


def go_version(goroot: Path, env: dict[str, str]) -> str:
    return subprocess.run([str(goroot / "bin" / "go"), "version"], env=env, check=True,
                          capture_output=True, text=True, timeout=120).stdout.strip()


def build_std_listing(goroot: Path, env: dict[str, str], timeout: float = 1800) -> str:
    """Run `go build -a -asmflags=all=-S std` and return what it prints (stderr).

    Go 1.24 replays a cached package build's output, so the listing would also come without
    -a; -a keeps it from depending on that (or on what GOCACHE holds).
    """
    cmd = [str(goroot / "bin" / "go"), "build", "-a", "-asmflags=all=-S", "std"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=goroot / "src")
    if proc.returncode != 0:
        raise RuntimeError(f"go build std failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return proc.stderr


def std_sfiles(goroot: Path, env: dict[str, str]) -> dict[str, list[str]]:
    """import path → absolute .s files `go build` assembles for the env's target (go list)."""
    proc = subprocess.run(
        [str(goroot / "bin" / "go"), "list", "-e", "-f",
         '{{if .SFiles}}{{.ImportPath}}\t{{.Dir}}\t{{join .SFiles "\\t"}}{{end}}', "std"],
        env=env, capture_output=True, text=True, timeout=600, cwd=goroot / "src", check=True)
    result: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        pkg, d, *files = line.split("\t")
        # SFiles also holds cgo's `.S` files, which go to the C compiler, not to asm.
        result[pkg] = [os.path.join(d, f) for f in files if f.endswith(".s")]
    return result


def cached_std_ground_truth(goroot: Path, env: dict[str, str],
                            cache_dir: Path) -> tuple[str, dict[str, list[str]]]:
    """The std listing and go list's SFiles, cached per toolchain and target in cache_dir."""
    version = go_version(goroot, env)
    key = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join([
        version, str(goroot), env.get("GOOS", ""), env.get("GOARCH", ""),
        "cgo" + env.get("CGO_ENABLED", "")]))
    listing_path = cache_dir / f"{key}.S"
    sfiles_path = cache_dir / f"{key}.sfiles.json"
    if listing_path.is_file() and sfiles_path.is_file():
        return listing_path.read_text(), json.loads(sfiles_path.read_text())
    cache_dir.mkdir(parents=True, exist_ok=True)
    sfiles = std_sfiles(goroot, env)
    listing = build_std_listing(goroot, env)
    # Write-then-rename so an interrupted run never leaves a truncated listing behind.
    for path, content in ((sfiles_path, json.dumps(sfiles)), (listing_path, listing)):
        tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
        tmp.write_text(content)
        tmp.replace(path)
    return listing, sfiles
