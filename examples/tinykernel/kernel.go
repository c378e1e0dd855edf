// Package kernel is a minimal bare-metal Go kernel, the kind eggls is for. The boot entry
// rt0 (asm) calls kmain (Go) before SSE and the FS base are set up: under Go >= 1.17 the
// call goes through the ABI wrapper kernel.kmain.abi0, whose `XORPS X15, X15` raises #UD.
package kernel

// rt0 is the boot entry (linked with -ldflags=-E=example.com/tinykernel.rt0).
//
// eggls:entry
func rt0()

func outb(port uint16, v byte)

//go:nosplit
func kmain() {
	for _, c := range []byte("hello\n") {
		outb(0x3f8, c)
	}
}
