#include "textflag.h"

// Entered from the boot loader in long mode: no SSE, FS base 0, no g.
TEXT ·rt0(SB), NOSPLIT|NOFRAME, $0
	MOVQ $0x80000, SP
	CALL ·kmain(SB)
halt:
	HLT
	JMP halt

TEXT ·outb(SB), NOSPLIT, $0-3
	MOVW port+0(FP), DX
	MOVB v+2(FP), AL
	OUTB AL, DX
	RET
