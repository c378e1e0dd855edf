#include "textflag.h"
#include "../common/bootlib.h"

// SSE on, FS base still 0: the wrapper's g load faults.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·enableSSE(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
