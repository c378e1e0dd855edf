// Package kernel is the boot variant egg003_hazard of tests/boot.
//
// HAZARD EGG003. Go takes FuncPC(trapret) of an asm function whose body is IRETQ and resumes
// through it: the address is the ABIInternal wrapper, which CALLs the body, so IRETQ pops a return
// address as RIP and the next word as CS → #GP at the body's IRETQ.
//
// It runs on bare x86-64 under tests/boot/stub (long mode, SSE off, FS base 0, no IDT), never
// starts the Go runtime, and reports success with a COM1 marker and an isa-debug-exit write.
package kernel

import "unsafe"

// Every asm function is declared here: the linker needs the args stackmap the compiler emits
// for a declaration (Go 1.19's linker panics on an undeclared asm TEXT in a Go package).

func entry()
func outb(port uint16, val uint8)
func enableSSE()
func setFSBase()
func trapret()
func iretTo(pc uintptr)
func land()

//go:nosplit
func puts(s string) {
	for i := 0; i < len(s); i++ {
		outb(0x3f8, s[i])
	}
}

// done prints the success marker and ends QEMU (isa-debug-exit: status (0x10<<1)|1 = 33).
//
//go:nosplit
func done() {
	puts("EGGBOOT-OK egg003_hazard\n")
	outb(0xf4, 0x10)
}

// kmain takes the Go func value's code pointer (what eggos' FuncPC does) and IRETs through it.
//
//go:nosplit
func kmain() {
	f := trapret
	iretTo(**(**uintptr)(unsafe.Pointer(&f)))
}
