// Helpers every boot kernel shares; each kernel_amd64.s includes this file, so `·name`
// takes the including package's path, and each kernel.go declares the three functions
// (the Go 1.19 linker insists on a Go declaration for every asm TEXT). Include it after
// textflag.h: cmd/asm rejects a macro defined twice, so it does not include that itself.

// func outb(port uint16, val uint8)
TEXT ·outb(SB), NOSPLIT, $0-3
	MOVW port+0(FP), DX
	MOVB val+2(FP), AL
	OUTB
	RET

// func enableSSE(): CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR | OSXMMEXCPT.
TEXT ·enableSSE(SB), NOSPLIT, $0-0
	MOVQ CR0, AX
	ANDQ $~4, AX
	ORQ $2, AX
	MOVQ AX, CR0
	MOVQ CR4, AX
	ORQ $0x600, AX
	MOVQ AX, CR4
	RET

// A fake TLS block: FS base = ·tls+16, so the g slot FS:-8 is ·tls+8 and holds &·fakeg.
// fakeg is zeroed: a stack check (SP <= g.stackguard0 = 0) can never call morestack.
GLOBL ·tls(SB), NOPTR, $16
GLOBL ·fakeg(SB), NOPTR, $512

// func setFSBase(): the g slot that Go code reads at FS:-8 becomes readable.
TEXT ·setFSBase(SB), NOSPLIT, $0-0
	MOVQ $·fakeg(SB), AX
	MOVQ AX, ·tls+8(SB)
	MOVQ $·tls+16(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX // IA32_FS_BASE
	WRMSR
	RET
