// Package kernel is the boot variant egg001_hazard of tests/boot.
//
// HAZARD EGG001. The entry sets a valid FS base (so EGG002 is not also a hazard) and calls Go
// with SSE still off: kmain.abi0 starts with XORPS X15, X15 → #UD.
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
	puts("EGGBOOT-OK egg001_hazard\n")
	outb(0xf4, 0x10)
}

// kmain is called from asm (·entry), i.e. through the ABI0→ABIInternal wrapper kmain.abi0.
//
//go:nosplit
func kmain() {
	done()
}
