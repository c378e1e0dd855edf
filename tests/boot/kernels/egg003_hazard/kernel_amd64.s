#include "textflag.h"
#include "../common/bootlib.h"

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
