// Package kernel is the boot variant egg003_fixed of tests/boot.
//
// FIXED twin of EGG003. The address of trapret is taken in asm (MOVQ $·trapret(SB), AX), which
// names the ABI0 body on every Go version, so the IRET frame is where IRETQ expects it and the
// IRET lands on ·land.
//
// It runs on bare x86-64 under tests/boot/stub (long mode, SSE off, FS base 0, no IDT), never
// starts the Go runtime, and reports success with a COM1 marker and an isa-debug-exit write.
package kernel

// Every asm function is declared here: the linker needs the args stackmap the compiler emits
// for a declaration (Go 1.19's linker panics on an undeclared asm TEXT in a Go package).

func entry()
func outb(port uint16, val uint8)
func enableSSE()
func setFSBase()
func trapret()
func iretTo(pc uintptr)
func land()
func trapretAddr() uintptr

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
	puts("EGGBOOT-OK egg003_fixed\n")
	outb(0xf4, 0x10)
}

// kmain resumes through the body's own address.
//
//go:nosplit
func kmain() {
	iretTo(trapretAddr())
}
