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

// SSE on, FS base still 0: the wrapper's g load faults.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·enableSSE(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
