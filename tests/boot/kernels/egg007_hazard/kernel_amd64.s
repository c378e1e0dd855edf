#include "textflag.h"
#include "../common/bootlib.h"

// func setupTLS(): sets the FS base through a helper call.
// No NOSPLIT and a CALL (not a leaf): the assembler inserts the stack check
// MOVQ (TLS), reg; CMPQ SP, 16(reg) — a read of FS:-8 while FS base is still 0 → #PF.
TEXT ·setupTLS(SB), $8-0
	CALL ·setFSBase(SB)
	RET

// setupTLS is splittable: its prologue runs before FS is set.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·enableSSE(SB)
	CALL ·setupTLS(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
