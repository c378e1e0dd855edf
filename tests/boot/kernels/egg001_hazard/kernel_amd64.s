#include "textflag.h"
#include "../common/bootlib.h"

// FS:-8 readable (so the wrapper's g load is fine), but SSE still off: the first Go call's
// kmain.abi0 runs XORPS X15, X15 with CR4.OSFXSR = 0.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	CALL ·setFSBase(SB)
	CALL ·kmain(SB)
	HLT
	JMP -1(PC)
