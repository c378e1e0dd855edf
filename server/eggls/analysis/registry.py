"""The rule registry: every code eggls reports, with the one explanation that hover,
`--explain` and docs/rules.md all show."""

from __future__ import annotations

from dataclasses import dataclass

from eggls.diagnostics import Severity

DOCS_URL = "https://github.com/eggls/eggls/blob/main/docs/rules.md"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity  # default severity; some rules pick per finding
    summary: str
    explanation: str

    @property
    def anchor(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}"


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in RULES:
        raise ValueError(f"duplicate rule code {rule.code}")
    RULES[rule.code] = rule
    return rule


EGG900 = register(Rule(
    "EGG900", "asm-syntax", Severity.ERROR,
    "Go assembly syntax error",
    "The Go assembler (`go tool asm`) would reject this file: the lexer, the preprocessor "
    "(`#include`, `#define`, `#ifdef`) or the statement parser found something it cannot "
    "read. eggls parses the file as cmd/asm does, with the same include search path and "
    "predefined macros the go command passes (`GOOS_linux`, `GOARCH_amd64`, `GOAMD64_v1`), "
    "and resumes at the next statement, so every error in the file is listed. Names from the "
    "compiler-generated `go_asm.h` are left unresolved without an error.",
))

EGG901 = register(Rule(
    "EGG901", "go-syntax", Severity.ERROR,
    "Go syntax error",
    "The Go file does not parse. eggls still analyses the rest of the package, but findings "
    "that depend on this file may be missing until it parses again.",
))

EGG902 = register(Rule(
    "EGG902", "build-unreadable", Severity.ERROR,
    "build artifact unreadable",
    "The build artifact eggls was told to use (or found as the newest Go ELF in the module) "
    "cannot be read: it is truncated, corrupt, not an ELF file, not built by Go, or for "
    "another architecture. Findings fall back to predictions from the Go version.",
))


# -- the wrapper-hazard rules (issue: analysis) ---------------------------------------------
EGG001 = register(Rule(
    "EGG001", "go-call-before-sse", Severity.ERROR,
    "asm calls Go before SSE is enabled",
    "An assembly `CALL`/`JMP` to a Go function enters it through the ABI0→ABIInternal "
    "wrapper `pkg.F.abi0` (Go ≥ 1.17 on amd64), whose first work is `XORPS X15, X15`: the "
    "register ABI keeps X15 = 0. With SSE not yet enabled (CR4.OSFXSR clear) that "
    "instruction raises #UD, and so would any Go code compiled by Go ≥ 1.17. Observed on "
    "QEMU: `#UD at F.abi0+0 [xorps %xmm15, %xmm15]` on Go 1.19, 1.21, 1.24 and 1.27. Fix: enable "
    "SSE in assembly (set CR0.MP, clear CR0.EM, set CR4.OSFXSR|OSXMMEXCPT) before the first "
    "call into Go; that works on every Go version.",
))
EGG002 = register(Rule(
    "EGG002", "go-call-before-fs-base", Severity.ERROR,
    "asm calls Go before the FS base is valid",
    "The ABI0→ABIInternal wrapper of a Go function loads g from thread-local storage "
    "(`MOVQ (TLS), R14`, i.e. `mov %fs:-8, %r14`) before entering it. Until the FS base "
    "points at memory whose -8 slot is readable, that load faults (#PF with CR2 = "
    "0xfffffffffffffff8 when the FS base is 0, as observed on QEMU). Fix: set the FS base in "
    "assembly (`WRMSR` to MSR 0xC0000100, or `WRFSBASEQ`) to a small block before the first "
    "call into Go.",
))
EGG003 = register(Rule(
    "EGG003", "address-of-non-returning-asm", Severity.ERROR,
    "Go takes the address of an asm function that does not return",
    "In Go ≥ 1.17 a Go reference to an assembly function (`FuncPC(f)`, a func value, "
    "`reflect.ValueOf(f).Pointer()`) yields the ABIInternal→ABI0 wrapper `pkg.f`, not the "
    "body: the wrapper `CALL`s the body after pushing N bytes (the return address, and on "
    "Go ≥ 1.21 a saved RBP, plus argument spills; N is read from the build). A body that "
    "leaves by `IRETQ`, `SYSRET` or `SYSEXIT`, or that consumes its own return address, then "
    "works on a frame shifted by N bytes: observed on QEMU as #GP at the body's `iretq`. "
    "Adding `ADDQ $N, SP` is tied to one Go version and signature. Fix: take the address in "
    "assembly, where `$·f(SB)` is the body on every Go version: "
    "`TEXT ·addrOfF(SB), NOSPLIT, $0-8; MOVQ $·f(SB), AX; MOVQ AX, ret+0(FP); RET`.",
))
EGG004 = register(Rule(
    "EGG004", "address-of-asm-gets-wrapper", Severity.WARNING,
    "Go takes the address of an asm function and gets its wrapper",
    "A Go reference to an assembly function's code address yields the ABIInternal→ABI0 "
    "wrapper, which runs `XORPS X15, X15`, reloads g from FS:-8 after the body returns, and "
    "`CALL`s the body. Where that address is handed to hardware or to another context (an "
    "IDT gate, the LSTAR syscall entry, a saved instruction pointer, code bytes copied "
    "elsewhere) the wrapper runs in a world it does not expect: an error. Elsewhere it is a "
    "warning. Fix: take the address in assembly (`MOVQ $·f(SB), AX`), which works on every "
    "Go version.",
))
EGG005 = register(Rule(
    "EGG005", "go-call-clobbers-interrupted-fpu", Severity.WARNING,
    "interrupt entry calls Go before saving the FPU state",
    "Code entered asynchronously (an interrupt or syscall entry) that calls into Go goes "
    "through the ABI0→ABIInternal wrapper, which zeroes X15 and reloads R14: the interrupted "
    "context's X15 is lost unless its FPU/SSE state was saved first (`FXSAVE`, `FXSAVE64`, "
    "`XSAVE*`). Fix: save the FPU state before the first call into Go and restore it before "
    "returning to the interrupted code.",
))
EGG006 = register(Rule(
    "EGG006", "address-of-go-function", Severity.WARNING,
    "Go takes the code address of a Go function",
    "The code address of a Go function only serves to enter it from outside Go: hardware, an "
    "IRET frame, a saved context IP, an assembly `JMP`. Entered that way, R14 = g and X15 = 0 "
    "are not established, and a Go function (unless `//go:nosplit`) checks its stack bound "
    "through g. Fix: enter Go through an assembly trampoline that sets up SSE, the FS base "
    "and g, and take the trampoline's address in assembly.",
))
EGG007 = register(Rule(
    "EGG007", "stack-check-without-g", Severity.WARNING,
    "a function with a stack-bound check runs before g is valid",
    "A Go function without `//go:nosplit`, and an assembly TEXT without `NOSPLIT` that has a "
    "frame (the assembler inserts `MOVQ (TLS), R14; CMPQ SP, 16(R14)`), compares SP with the "
    "stack guard read through g. Before the Go runtime has set up g (or code annotated "
    "`// eggls:sets g` has), that read faults or compares against garbage. An error when the "
    "build's prologue bytes show the check; a warning when predicted (the compiler omits it "
    "for small leaf functions). Fix: mark the function `//go:nosplit` / `NOSPLIT`, or reach "
    "it only after g is valid. Applies to every Go version.",
))
EGG008 = register(Rule(
    "EGG008", "stale-build", Severity.INFORMATION,
    "the build is stale or for another GOARCH",
    "The build artifact eggls reads wrapper facts from is older than the sources it covers "
    "(or was built from another VCS revision), or targets another architecture. Findings that "
    "rest on the build may be out of date: rebuild the kernel.",
))
EGG009 = register(Rule(
    "EGG009", "no-build", Severity.INFORMATION,
    "no build used: findings are predicted",
    "No build artifact was found or used, so wrapper facts are predicted from the Go version "
    "(`--go-version`, else the `toolchain`/`go` line of go.mod): the register ABI exists on "
    "amd64 from Go 1.17, and a wrapper pushes at least its return address. Build the kernel "
    "(or pass `--build ELF`) to have findings explained with the wrapper's real bytes.",
))
EGG010 = register(Rule(
    "EGG010", "unused-ignore", Severity.HINT,
    "an eggls:ignore comment suppresses nothing",
    "An `// eggls:ignore EGG00x reason` comment applies to its own line and the line below. "
    "This one matched no diagnostic of that code: the hazard was fixed or the comment moved. "
    "Remove it.",
))
EGG903 = register(Rule(
    "EGG903", "no-boot-entry", Severity.INFORMATION,
    "no boot entry is known",
    "eggls decides what is initialised (SSE, FS base, g) by following control from the boot "
    "entries, where nothing is. None is known: declare one with `entries = "
    "[\"import/path.rt0\"]` in .eggls.toml, `--entry import/path.rt0`, or an "
    "`// eggls:entry` comment on the TEXT or func; or point eggls at a build whose ELF entry "
    "lies in the module (`go build -ldflags=-E=import/path.rt0`).",
))
