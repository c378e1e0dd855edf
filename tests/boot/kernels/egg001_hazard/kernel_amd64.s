#include "textflag.h"

// func outb(port uint16, val uint8)
TEXT ·outb(SB), NOSPLIT, $0-3
	MOVW port+0(FP), DX
	MOVB val+2(FP), AL
	OUTB
	RET

// The very first Go call: kmain.abi0 runs XORPS X15, X15 with CR4.OSFXSR = 0.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
