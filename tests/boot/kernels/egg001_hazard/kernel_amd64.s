#include "textflag.h"

// func outb(port uint16, val uint8)
TEXT ·outb(SB), NOSPLIT, $0-3
	MOVW port+0(FP), DX
	MOVB val+2(FP), AL
	OUTB
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

// FS:-8 readable (so the wrapper's g load is fine), but SSE still off: the first Go call's
// kmain.abi0 runs XORPS X15, X15 with CR4.OSFXSR = 0.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·setFSBase(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
