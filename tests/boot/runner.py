"""Boot Go-built kernels under QEMU and classify what the CPU did.

The harness: `stub/` is our own Multiboot v1 loader (QEMU's -kernel only boots 32-bit
Multiboot ELFs); it takes the Go ELF64 as a module (-initrd), copies its PT_LOAD segments,
identity-maps 1 GiB and jumps to the ELF entry in long mode with SSE off, FS base 0, IF = 0
and an IDT of limit 0. So the kernel's first exception triple-faults, QEMU stops
(-no-reboot), and `-d int` has logged that exception's vector, error code, CR2 and RIP.
A kernel that survives writes a marker to COM1 and ends QEMU through isa-debug-exit.

Each variant under `kernels/` is a Go module `example.com/boot/<variant>`, built with
`-ldflags=-E=example.com/boot/<variant>.entry` so the ELF entry is its asm ·entry (which is
also how eggls learns the boot entry). Before booting, `eggls --check --format json --build
<elf>` runs on the variant: its findings, each with the fault it predicts, ride along in the
BootOutcome for test_boot.py to compare with what the CPU did.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from capstone import CS_ARCH_X86, CS_MODE_64, CS_OPT_SYNTAX_ATT, Cs
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tests.support.toolchains import go_env

HERE = Path(__file__).resolve().parent
STUB_DIR = HERE / "stub"
KERNELS_DIR = HERE / "kernels"
MODULE_PREFIX = "example.com/boot/"
QEMU = "qemu-system-x86_64"
#: isa-debug-exit turns `outb(0xf4, v)` into exit status (v << 1) | 1; kernels write 0x10.
SUCCESS_EXIT = (0x10 << 1) | 1
#: The stub's own failures (no module, bad ELF, ...) write 0x7f.
STUB_ERROR_EXIT = (0x7F << 1) | 1
#: What a read of FS:-8 touches when the FS base is 0.
FS_MINUS_8 = (1 << 64) - 8

VECTOR_NAMES: dict[int, str] = {
    0: "#DE", 1: "#DB", 2: "NMI", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD", 7: "#NM", 8: "#DF",
    10: "#TS", 11: "#NP", 12: "#SS", 13: "#GP", 14: "#PF", 16: "#MF", 17: "#AC", 18: "#MC",
    19: "#XM", 20: "#VE", 21: "#CP",
}
UD, GP, PF = 6, 13, 14

Status = Literal["success", "fault", "timeout", "error"]


class BootHarnessError(RuntimeError):
    """The harness itself could not build or run something."""


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True, order=True)
class Variant:
    """A bootable kernel under kernels/<name>: `egg001_hazard`, `egg001_fixed`, ..."""

    name: str

    @property
    def rule(self) -> str:
        return self.name.split("_")[0].upper()

    @property
    def hazard(self) -> bool:
        return self.name.endswith("_hazard")

    @property
    def module(self) -> str:
        return MODULE_PREFIX + self.name

    @property
    def entry_symbol(self) -> str:
        return f"{self.module}.entry"

    @property
    def marker(self) -> str:
        return f"EGGBOOT-OK {self.name}"

    @property
    def source_dir(self) -> Path:
        return KERNELS_DIR / self.name


def variants() -> list[Variant]:
    return sorted(Variant(d.name) for d in KERNELS_DIR.iterdir()
                  if re.fullmatch(r"egg\d{3}_(hazard|fixed)", d.name) and (d / "go.mod").is_file())


# --------------------------------------------------------------------------- ELF reading


@dataclass(frozen=True)
class Instruction:
    address: int
    mnemonic: str
    op_str: str

    def __str__(self) -> str:
        return f"{self.mnemonic} {self.op_str}".strip()


@dataclass(frozen=True)
class _Func:
    address: int
    size: int
    name: str


class ElfImage:
    """Symbols and code of a Go-built ELF64 (linked at its load address, so VA = file VA)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as f:
            elf = ELFFile(f)
            self.entry: int = elf.header.e_entry
            self._code: list[tuple[int, bytes]] = [
                (s["sh_addr"], s.data()) for s in elf.iter_sections()
                if s["sh_flags"] & 0x4 and s["sh_type"] == "SHT_PROGBITS"  # SHF_EXECINSTR
            ]
            funcs: list[_Func] = []
            symtab = elf.get_section_by_name(".symtab")
            if not isinstance(symtab, SymbolTableSection):
                raise BootHarnessError(f"{path}: no .symtab (built with -s?)")
            for sym in symtab.iter_symbols():
                if sym["st_info"]["type"] == "STT_FUNC" and sym["st_value"]:
                    funcs.append(_Func(sym["st_value"], sym["st_size"], sym.name))
        funcs.sort(key=lambda fn: (fn.address, -fn.size))
        self._funcs = funcs
        self._starts = [fn.address for fn in funcs]
        self._cs = Cs(CS_ARCH_X86, CS_MODE_64)
        self._cs.syntax = CS_OPT_SYNTAX_ATT  # objdump's notation, as in ABI-NOTES.md

    def symbolize(self, addr: int) -> tuple[str, int] | None:
        """`(symbol, offset)` of the function containing addr."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        fn = self._funcs[i]
        if fn.size and addr >= fn.address + fn.size:
            return None
        return fn.name, addr - fn.address

    def _bytes(self, addr: int, size: int) -> bytes:
        for start, data in self._code:
            if start <= addr < start + len(data):
                return data[addr - start: addr - start + size]
        return b""

    def instruction_at(self, addr: int) -> Instruction | None:
        for insn in self._cs.disasm(self._bytes(addr, 16), addr, 1):
            return Instruction(insn.address, insn.mnemonic, insn.op_str)
        return None


# --------------------------------------------------------------------------- QEMU log


@dataclass(frozen=True)
class Fault:
    """One exception as QEMU's `-d int` logged its delivery."""

    vector: int
    error_code: int
    rip: int
    cs: int
    cpl: int
    cr2: int

    @property
    def name(self) -> str:
        return VECTOR_NAMES.get(self.vector, f"vector {self.vector:#x}")


# `     0: v=06 e=0000 i=0 cpl=0 IP=0008:0000000000448cc0 pc=... SP=0010:... CR2=...` or
# `... env->regs[R_EAX]=...`: QEMU prints CR2 on this line only for #PF.
_DELIVERY = re.compile(
    r"^\s*\d+:\s+v=(?P<v>[0-9a-f]+)\s+e=(?P<e>[0-9a-f]+)\s+i=(?P<i>\d+)\s+cpl=(?P<cpl>\d+)\s+"
    r"IP=(?P<cs>[0-9a-f]+):(?P<ip>[0-9a-f]+)(?:.*?\bCR2=(?P<cr2>[0-9a-f]+))?")
_DUMP_CR2 = re.compile(r"\bCR2=([0-9a-f]+)")
_CHECK_EXCEPTION = re.compile(r"^check_exception old: 0x[0-9a-f]+ new 0x[0-9a-f]+")


def first_exception(log: str) -> Fault | None:
    """The first CPU exception in a `-d int` log.

    QEMU logs `check_exception old: … new …` when the CPU raises an exception, and the
    delivery line `v=…` right after it (only in protected/long mode). Hardware interrupts
    (`Servicing hardware INT=…`) and INT n never pass through check_exception, so pairing the
    two lines skips the firmware's noise whatever mode it logged it in.
    """
    lines = log.splitlines()
    for n, line in enumerate(lines):
        m = _DELIVERY.match(line)
        if not m or n == 0 or not _CHECK_EXCEPTION.match(lines[n - 1]):
            continue
        cr2 = m["cr2"]
        if cr2 is None:  # take it from the register dump that follows
            for dump in lines[n + 1:n + 40]:
                if _DELIVERY.match(dump):
                    break
                if d := _DUMP_CR2.search(dump):
                    cr2 = d.group(1)
                    break
        return Fault(vector=int(m["v"], 16), error_code=int(m["e"], 16), rip=int(m["ip"], 16),
                     cs=int(m["cs"], 16), cpl=int(m["cpl"]), cr2=int(cr2 or "0", 16))
    return None


# --------------------------------------------------------------------------- outcome


@dataclass
class BootOutcome:
    variant: str
    go_version: str
    status: Status
    exit_code: int | None = None
    fault: Fault | None = None
    symbol: str | None = None
    offset: int | None = None
    instruction: str | None = None
    serial: str = ""
    detail: str = ""
    elf: Path | None = field(default=None, compare=False)
    #: Every diagnostic of `eggls --check --build <elf>` on the variant.
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    def _short(self, symbol: str) -> str:
        """The symbol without its `example.com/boot/<variant>.` package path."""
        return symbol.removeprefix(f"{MODULE_PREFIX}{self.variant}.")

    @property
    def short_symbol(self) -> str | None:
        return None if self.symbol is None else self._short(self.symbol)

    @property
    def errors(self) -> list[Finding]:
        """eggls' error-level findings: each predicts a fault."""
        return [f for f in self.findings if f.error]

    def prediction(self) -> str:
        """eggls' error-level findings with the fault each predicts, in the summary's terms."""
        parts = []
        for f in self.errors:
            if f.fault is None:
                parts.append(f"{f.code}: no fault given")
                continue
            p = f.fault
            text = f"{f.code}: {p.name} at {self._short(p.symbol)}+{p.offset:#x} [{p.instruction}]"
            if p.cr2 is not None:
                text += f" CR2={p.cr2:#x}"
            parts.append(text)
        return "; ".join(parts) or "no error-level finding"

    def summary(self) -> str:
        if self.status == "success":
            return "success"
        if self.status == "fault" and self.fault is not None:
            where = (f"{self.short_symbol}+{self.offset:#x}" if self.symbol is not None
                     else f"{self.fault.rip:#x}")
            text = f"{self.fault.name} at {where}"
            if self.instruction:
                text += f" [{self.instruction}]"
            if self.fault.vector == PF:
                text += f" CR2={self.fault.cr2:#x}"
            return text
        return f"{self.status}: {self.detail}" if self.detail else self.status

    def to_json(self) -> dict[str, object]:
        """Machine-independent facts only (no absolute addresses or paths)."""
        out: dict[str, object] = {"variant": self.variant, "go": self.go_version,
                                  "status": self.status, "summary": self.summary(),
                                  "eggls": self.prediction()}
        if self.fault is not None:
            out.update(vector=self.fault.vector, vector_name=self.fault.name,
                       symbol=self.symbol, offset=self.offset, instruction=self.instruction)
            if self.fault.vector == PF:
                # A #GP's error code is the bogus CS popped by IRETQ: layout-dependent, omitted.
                out.update(cr2=f"{self.fault.cr2:#x}", error_code=self.fault.error_code)
        return out


def classify(variant: Variant, go_version: str, image: ElfImage, run: QemuRun) -> BootOutcome:
    out = BootOutcome(variant=variant.name, go_version=go_version, status="error",
                      exit_code=run.exit_code, serial=run.serial, elf=image.path)
    if run.exit_code == SUCCESS_EXIT and variant.marker in run.serial:
        out.status = "success"
        return out
    fault = first_exception(run.log)
    if fault is not None:
        out.status, out.fault = "fault", fault
        if (hit := image.symbolize(fault.rip)) is not None:
            out.symbol, out.offset = hit
        if (insn := image.instruction_at(fault.rip)) is not None:
            out.instruction = str(insn)
        return out
    if run.timed_out:
        out.status, out.detail = "timeout", f"no exit within {run.timeout:g} s"
    elif run.exit_code == STUB_ERROR_EXIT:
        out.detail = "stub: " + run.serial.rsplit("eggstub: error: ", 1)[-1].strip()
    else:
        tail = run.serial.strip().splitlines()[-1:] or [run.stderr.strip()]
        out.detail = f"exit {run.exit_code}, no fault logged; last output: {tail[0]!r}"
    return out


# --------------------------------------------------------------------------- eggls' prediction


@dataclass(frozen=True)
class PredictedFault:
    """A finding's `fault` as eggls' JSON gives it: the exception and the instruction."""

    vector: int
    address: int
    symbol: str
    offset: int
    instruction: str
    cr2: int | None = None

    @property
    def name(self) -> str:
        return VECTOR_NAMES.get(self.vector, f"vector {self.vector:#x}")


@dataclass(frozen=True)
class Finding:
    """One diagnostic of `eggls --check --format json --build <elf>`."""

    code: str
    severity: str
    path: str
    line: int
    message: str
    wrapper: str | None = None  # the wrapper's symbol
    fault: PredictedFault | None = None

    @property
    def error(self) -> bool:
        return self.severity == "error"


_VECTOR_NUMBERS = {name: n for n, name in VECTOR_NAMES.items()}


def finding_from_json(d: dict[str, Any]) -> Finding:
    fault = None
    if isinstance(f := d.get("fault"), dict):
        vector = _VECTOR_NUMBERS.get(str(f["vector"]))
        if vector is None:
            raise BootHarnessError(f"eggls names an unknown vector: {f!r}")
        cr2 = f.get("cr2")
        fault = PredictedFault(vector, int(f["address"]), str(f["symbol"]), int(f["offset"]),
                               str(f["instruction"]), None if cr2 is None else int(cr2))
    wrapper = d.get("wrapper")
    return Finding(code=str(d["code"]), severity=str(d["severity"]), path=str(d["path"]),
                   line=int(d["line"]), message=str(d["message"]),
                   wrapper=str(wrapper["symbol"]) if isinstance(wrapper, dict) else None,
                   fault=fault)


def eggls_command() -> list[str]:
    """The `eggls` console script of this interpreter's environment (or the same entry point
    through -c when the script is not installed)."""
    script = Path(sys.executable).with_name("eggls")
    if script.is_file():
        return [str(script)]
    if found := shutil.which("eggls"):
        return [found]
    return [sys.executable, "-c", "import sys; from eggls.cli import main; sys.exit(main())"]


def eggls_check(variant: Variant, elf: Path) -> tuple[Finding, ...]:
    """What eggls says about the variant's sources with its build: every diagnostic."""
    cmd = [*eggls_command(), "--check", "--format", "json", "--fail-on", "never",
           "--build", str(elf), "."]
    r = subprocess.run(cmd, cwd=variant.source_dir, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise BootHarnessError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    try:
        doc = json.loads(r.stdout)
    except json.JSONDecodeError as e:
        raise BootHarnessError(f"eggls printed no JSON: {e}\n{r.stdout[:500]}") from e
    return tuple(finding_from_json(d) for d in doc["diagnostics"])


# --------------------------------------------------------------------------- building


def _run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
         timeout: float = 600) -> None:
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise BootHarnessError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")


def cache_dir() -> Path:
    d = Path(os.environ.get("EGGLS_BOOT_CACHE", Path(tempfile.gettempdir()) / "eggls-boot"))
    d.mkdir(parents=True, exist_ok=True)
    return d


STUB_CFLAGS = ["-m32", "-ffreestanding", "-nostdlib", "-fno-pic", "-fno-pie",
               "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-mno-sse", "-mno-mmx",
               "-O2", "-Wall", "-Wextra", "-Werror"]


def build_stub() -> Path:
    """Build stub.elf once per source hash; later calls return the cached file."""
    sources = sorted(p for p in STUB_DIR.iterdir() if p.suffix in {".S", ".c", ".ld"})
    h = hashlib.sha256(" ".join(STUB_CFLAGS).encode())
    for p in sources:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    out = cache_dir() / f"stub-{h.hexdigest()[:16]}.elf"
    if out.is_file():
        return out
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        t = Path(tmp)
        _run(["gcc", *STUB_CFLAGS, "-c", str(STUB_DIR / "stub.c"), "-o", str(t / "stub.o")])
        _run(["gcc", "-m32", "-c", str(STUB_DIR / "boot.S"), "-o", str(t / "boot.o")])
        _run(["ld", "-m", "elf_i386", "-nostdlib", "-T", str(STUB_DIR / "link.ld"),
              "-o", str(t / "stub.elf"), str(t / "boot.o"), str(t / "stub.o")])
        os.replace(t / "stub.elf", out)  # atomic: concurrent sessions never see half a file
    return out


def build_kernel(variant: Variant, goroot: Path, go_version: str) -> Path:
    """`go build` the variant; the Go build cache makes repeats cheap."""
    out_dir = cache_dir() / f"go{go_version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{variant.name}.elf"
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    # The go command hashes only a package's own files into its build cache, not a header
    # #included from elsewhere: name common/bootlib.h's hash in the asm flags so that an
    # edit of it rebuilds the kernels' asm.
    lib = (KERNELS_DIR / "common" / "bootlib.h").read_bytes()
    define = "BOOTLIB_" + hashlib.sha256(lib).hexdigest()[:16]
    _run([str(goroot / "bin" / "go"), "build", "-buildvcs=false", "-o", str(tmp),
          f"-asmflags=example.com/boot/...=-D={define}",
          f"-ldflags=-E={variant.entry_symbol}", "./cmd/kernel"],
         cwd=variant.source_dir, env=go_env(goroot))
    os.replace(tmp, out)
    return out


# --------------------------------------------------------------------------- booting


@dataclass
class QemuRun:
    exit_code: int | None
    timed_out: bool
    timeout: float
    serial: str
    log: str
    stderr: str


def qemu_command(stub: Path, kernel: Path, serial: Path, log: Path) -> list[str]:
    return [QEMU, "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64", "-m", "256",
            "-kernel", str(stub), "-initrd", str(kernel),
            "-nographic", "-monitor", "none", "-nic", "none", "-no-reboot",
            "-serial", f"file:{serial}",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-d", "int,cpu_reset", "-D", str(log)]


def boot(stub: Path, kernel: Path, *, timeout: float = 30.0) -> QemuRun:
    with tempfile.TemporaryDirectory(prefix="eggls-boot-") as tmp:
        serial, log = Path(tmp) / "serial.txt", Path(tmp) / "qemu.log"
        cmd = qemu_command(stub, kernel, serial, log)
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=timeout)
            code, timed_out, stderr = r.returncode, False, r.stderr
        except subprocess.TimeoutExpired as e:  # subprocess.run has killed QEMU
            code, timed_out = None, True
            stderr = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else ""

        def read(p: Path) -> str:
            return p.read_text(errors="replace") if p.exists() else ""

        return QemuRun(exit_code=code, timed_out=timed_out, timeout=timeout, serial=read(serial),
                       log=read(log), stderr=stderr)


def run_variant(variant: Variant, go_version: str, goroot: Path, *,
                timeout: float = 30.0) -> BootOutcome:
    """Build the stub and the variant, ask eggls about it, boot it, classify the outcome."""
    stub = build_stub()
    try:
        kernel = build_kernel(variant, goroot, go_version)
    except BootHarnessError as e:
        return BootOutcome(variant=variant.name, go_version=go_version, status="error",
                           detail=f"build failed: {e}")
    try:
        findings = eggls_check(variant, kernel)
    except BootHarnessError as e:
        return BootOutcome(variant=variant.name, go_version=go_version, status="error",
                           detail=f"eggls failed: {e}", elf=kernel)
    out = classify(variant, go_version, ElfImage(kernel), boot(stub, kernel, timeout=timeout))
    out.findings = findings
    return out


# --------------------------------------------------------------------------- prerequisites


def missing_prerequisite() -> str | None:
    """Why boot tests cannot run here, or None."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} not found (apt-get install qemu-system-x86)"
    for tool in ("gcc", "ld"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install gcc binutils)"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text("unsigned probe(void) { return sizeof(void *); }\n")
        r = subprocess.run(["gcc", "-m32", "-ffreestanding", "-c", str(src), "-o",
                            str(Path(tmp) / "probe.o")], capture_output=True, text=True)
        if r.returncode != 0:
            return f"gcc -m32 cannot compile: {r.stderr.strip()[:200]}"
    return None


# --------------------------------------------------------------------------- reporting


def _go_key(version: str) -> tuple[int, ...]:
    return tuple(map(int, version.split(".")))


def outcome_table(outcomes: list[BootOutcome]) -> str:
    """Plain-text table: rule × Go version → what eggls predicts for the hazard kernel, the
    fault it raised, what the fixed twin did and what eggls said about it."""
    by = {(Variant(o.variant).rule, o.go_version, Variant(o.variant).hazard): o
          for o in outcomes}
    pairs = sorted({(rule, go) for rule, go, _ in by}, key=lambda p: (p[0], _go_key(p[1])))
    rows = [["rule", "Go", "eggls on hazard", "hazard: observed", "fixed: observed",
             "eggls on fixed"]]
    for rule, go in pairs:
        hz, fx = by.get((rule, go, True)), by.get((rule, go, False))
        rows.append([rule, go,
                     hz.prediction() if hz else "-", hz.summary() if hz else "-",
                     fx.summary() if fx else "-", fx.prediction() if fx else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def results_json(outcomes: list[BootOutcome]) -> dict[str, object]:
    records = sorted((o.to_json() for o in outcomes),
                     key=lambda r: (str(r["variant"]), _go_key(str(r["go"]))))
    for r in records:
        r["rule"] = Variant(str(r["variant"])).rule
        r["kind"] = "hazard" if Variant(str(r["variant"])).hazard else "fixed"
    return {"description": "tests/boot: variant x Go version -> eggls' error-level findings with "
                           "the fault each predicts, and the outcome observed under QEMU TCG "
                           "(bare long mode, SSE off, FS base 0, IDT limit 0)",
            "results": records}


def main(argv: list[str]) -> int:
    """`python -m tests.boot.runner [GO_VERSION ...]`: boot everything, print the table."""
    from tests.support.toolchains import go_toolchains

    if (reason := missing_prerequisite()) is not None:
        print(f"cannot boot: {reason}")
        return 2
    toolchains = go_toolchains()
    wanted = argv or list(toolchains)
    outcomes = [run_variant(v, g, toolchains[g]) for g in wanted if g in toolchains
                for v in variants()]
    print(outcome_table(outcomes))
    return 0 if all(o.status in {"success", "fault"} for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
