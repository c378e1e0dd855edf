#include "textflag.h"
#include "../common/bootlib.h"

// SSE on and FS:-8 readable before the first Go call.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·enableSSE(SB)
	CALL ·setFSBase(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
