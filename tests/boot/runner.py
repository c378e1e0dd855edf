"""Boot Go-built kernels under QEMU and classify what the CPU did.

The harness: `stub/` is our own Multiboot v1 loader (QEMU's -kernel only boots 32-bit
Multiboot ELFs); it takes the Go ELF64 as a module (-initrd), copies its PT_LOAD segments,
identity-maps 1 GiB and jumps to the ELF entry in long mode with SSE off, FS base 0, IF = 0
and an IDT of limit 0. So the kernel's first exception triple-faults, QEMU stops
(-no-reboot), and `-d int` has logged that exception's vector, error code, CR2 and RIP.
A kernel that survives writes a marker to COM1 and ends QEMU through isa-debug-exit.

Each variant under `kernels/` is a Go module `example.com/boot/<variant>`, built with
`-ldflags=-E=example.com/boot/<variant>.entry` so the ELF entry is its asm ·entry.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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
#: (vector, faulting instruction address): what a hazard must raise, and where.
Prediction = tuple[int, int]


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


def variant_of_elf(image: ElfImage) -> Variant | None:
    """Which variant an ELF was built from, read off its entry symbol."""
    name = image.symbol_name_at(image.entry)
    if name is None or not name.startswith(MODULE_PREFIX):
        return None
    v = Variant(name[len(MODULE_PREFIX):].split(".")[0])
    return v if v.source_dir.is_dir() else None


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
        self._by_name = {fn.name: fn for fn in funcs}
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

    def symbol_name_at(self, addr: int) -> str | None:
        hit = self.symbolize(addr)
        return hit[0] if hit and hit[1] == 0 else None

    def function(self, name: str) -> tuple[int, int] | None:
        fn = self._by_name.get(name)
        return (fn.address, fn.size) if fn else None

    def _bytes(self, addr: int, size: int) -> bytes:
        for start, data in self._code:
            if start <= addr < start + len(data):
                return data[addr - start: addr - start + size]
        return b""

    def instruction_at(self, addr: int) -> Instruction | None:
        for insn in self._cs.disasm(self._bytes(addr, 16), addr, 1):
            return Instruction(insn.address, insn.mnemonic, insn.op_str)
        return None

    def disassemble(self, name: str) -> list[Instruction]:
        fn = self._by_name.get(name)
        if fn is None:
            return []
        return [Instruction(i.address, i.mnemonic, i.op_str)
                for i in self._cs.disasm(self._bytes(fn.address, fn.size), fn.address)]


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

    @property
    def short_symbol(self) -> str | None:
        """The symbol without its `example.com/boot/<variant>.` package path."""
        if self.symbol is None:
            return None
        prefix = f"{MODULE_PREFIX}{self.variant}."
        return self.symbol.removeprefix(prefix)

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
                                  "status": self.status, "summary": self.summary()}
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


# --------------------------------------------------------------------------- ELF-derived faults


def _fs_minus_8_read(insn: Instruction) -> bool:
    """`mov %fs:-8, %r14` / `movq %fs:0xfffffffffffffff8, %rcx`: a g load through TLS."""
    return re.search(r"%fs:(-8|0xfffffffffffffff8)\b", insn.op_str) is not None


def _first(image: ElfImage, func: str, pred: str) -> int | None:
    checks = {
        "xorps x15": lambda i: i.mnemonic == "xorps" and i.op_str == "%xmm15, %xmm15",
        "fs:-8": _fs_minus_8_read,
        "iretq": lambda i: i.mnemonic == "iretq",
    }
    for insn in image.disassemble(func):
        if checks[pred](insn):
            return insn.address
    return None


def _abi0(image: ElfImage, name: str) -> str:
    """The symbol of an asm (ABI0) body: `F.abi0` when a wrapper took the plain name."""
    return f"{name}.abi0" if image.function(f"{name}.abi0") else name


def derived_faults(elf: Path) -> list[Prediction]:
    """The fault each hazard variant must raise, located in its ELF (not hard-coded).

    EGG001: #UD at the `xorps %xmm15,%xmm15` of the asm→Go wrapper kmain.abi0.
    EGG002: #PF at that wrapper's g load `mov %fs:-8,%r14`.
    EGG003: #GP at the `iretq` of trapret's ABI0 body.
    EGG007: #PF at the g load of setupTLS's assembler-inserted stack check.
    A fixed twin must not fault at all: [].
    This is the stand-in for eggls' own predictions (`eggls --check --build <elf>`).
    """
    image = ElfImage(elf)
    v = variant_of_elf(image)
    if v is None:
        raise BootHarnessError(f"{elf}: entry is not a tests/boot/kernels variant")
    if not v.hazard:
        return []
    pkg = v.module
    where: dict[str, tuple[int, str, str]] = {
        "EGG001": (UD, f"{pkg}.kmain.abi0", "xorps x15"),
        "EGG002": (PF, f"{pkg}.kmain.abi0", "fs:-8"),
        "EGG003": (GP, _abi0(image, f"{pkg}.trapret"), "iretq"),
        "EGG007": (PF, _abi0(image, f"{pkg}.setupTLS"), "fs:-8"),
    }
    vector, func, pred = where[v.rule]
    addr = _first(image, func, pred)
    if addr is None:
        raise BootHarnessError(f"{elf}: no {pred!r} instruction in {func}")
    return [(vector, addr)]


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
    _run([str(goroot / "bin" / "go"), "build", "-buildvcs=false", "-o", str(tmp),
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
    """Build the stub and the variant, boot it, classify the outcome."""
    stub = build_stub()
    try:
        kernel = build_kernel(variant, goroot, go_version)
    except BootHarnessError as e:
        return BootOutcome(variant=variant.name, go_version=go_version, status="error",
                           detail=f"build failed: {e}")
    return classify(variant, go_version, ElfImage(kernel), boot(stub, kernel, timeout=timeout))


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


def outcome_table(outcomes: list[BootOutcome]) -> str:
    """Plain-text table: variant × Go version → observed outcome."""
    gos = sorted({o.go_version for o in outcomes}, key=lambda g: tuple(map(int, g.split("."))))
    by = {(o.variant, o.go_version): o for o in outcomes}
    rows = [["variant", "rule", *(f"go{g}" for g in gos)]]
    for name in sorted({o.variant for o in outcomes}):
        cells = [by[(name, g)].summary() if (name, g) in by else "-" for g in gos]
        rows.append([name, Variant(name).rule, *cells])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def results_json(outcomes: list[BootOutcome]) -> dict[str, object]:
    records = sorted((o.to_json() for o in outcomes),
                     key=lambda r: (str(r["variant"]), tuple(map(int, str(r["go"]).split(".")))))
    for r in records:
        r["rule"] = Variant(str(r["variant"])).rule
        r["kind"] = "hazard" if Variant(str(r["variant"])).hazard else "fixed"
    return {"description": "tests/boot: variant x Go version -> observed outcome under QEMU TCG "
                           "(bare long mode, SSE off, FS base 0, IDT limit 0)",
            "results": records}


def main(argv: list[str]) -> int:
    """`python -m tests.boot.runner [GO_VERSION ...]`: boot everything, print the table."""
    from tests.support.toolchains import go_toolchains

    if (reason := missing_prerequisite()) is not None:
        print(f"cannot boot: {reason}")
        return 2
    toolchains = go_toolchains()
    wanted = argv or ["1.19", "1.24"]
    outcomes = [run_variant(v, g, toolchains[g]) for g in wanted if g in toolchains
                for v in variants()]
    print(outcome_table(outcomes))
    return 0 if all(o.status in {"success", "fault"} for o in outcomes) else 1


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
