#include "textflag.h"
#include "../common/bootlib.h"

// func setupTLS(): sets the FS base through a helper call.
// NOSPLIT: no stack check, so nothing reads FS:-8 before FS is set.
TEXT ·setupTLS(SB), NOSPLIT, $8-0
	CALL ·setFSBase(SB)
	RET

// setupTLS is NOSPLIT: safe before FS is set.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·enableSSE(SB)
	CALL ·setupTLS(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
