#include "textflag.h"

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

// func trapret(): the body leaves by IRETQ, so it must be entered with the IRET frame on top
// of the stack. The ABIInternal wrapper (Go func value) CALLs it: the frame is shifted.
TEXT ·trapret(SB), NOSPLIT|NOFRAME, $0-0
	IRETQ

// func iretTo(pc uintptr): push an IRET frame (SS, RSP, RFLAGS, CS, RIP = ·land) and jump to pc,
// the way a kernel resumes a thread through its trap-return path.
TEXT ·iretTo(SB), NOSPLIT, $0-8
	MOVQ pc+0(FP), AX
	MOVQ SP, BX
	XORQ CX, CX
	MOVW SS, CX
	PUSHQ CX
	PUSHQ BX
	PUSHFQ
	MOVW CS, CX
	PUSHQ CX
	MOVQ $·land(SB), CX
	PUSHQ CX
	JMP AX

// Where the IRET must land.
TEXT ·land(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·done(SB)
	HLT
	JMP -1(PC)

// SSE and FS are set: only the IRET can fault.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·enableSSE(SB)
	CALL ·setFSBase(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
