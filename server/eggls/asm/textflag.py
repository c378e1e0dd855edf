"""Built-in copies of the two headers Go asm files include from $GOROOT/pkg/include.

Used only when no GOROOT is known; otherwise the real headers are read, so a new Go version's
flags are picked up without a change here.
"""

from __future__ import annotations

TEXTFLAG_VALUES: dict[str, int] = {
    "NOPROF": 1,
    "DUPOK": 2,
    "NOSPLIT": 4,
    "RODATA": 8,
    "NOPTR": 16,
    "WRAPPER": 32,
    "NEEDCTXT": 64,
    "TLSBSS": 256,
    "NOFRAME": 512,
    "REFLECTMETHOD": 1024,
    "TOPFRAME": 2048,
    "ABIWRAPPER": 4096,
    "PKGINIT": 8192,
}

TEXTFLAG_H = "\n".join(f"#define {k} {v}" for k, v in TEXTFLAG_VALUES.items()) + "\n"

FUNCDATA_H = """\
#define PCDATA_UnsafePoint 0
#define PCDATA_StackMapIndex 1
#define PCDATA_InlTreeIndex 2
#define PCDATA_ArgLiveIndex 3
#define FUNCDATA_ArgsPointerMaps 0
#define FUNCDATA_LocalsPointerMaps 1
#define FUNCDATA_StackObjects 2
#define FUNCDATA_InlTree 3
#define FUNCDATA_OpenCodedDeferInfo 4
#define FUNCDATA_ArgInfo 5
#define FUNCDATA_ArgLiveInfo 6
#define FUNCDATA_WrapInfo 7
#define GO_ARGS	FUNCDATA $FUNCDATA_ArgsPointerMaps, go_args_stackmap(SB)
#define GO_RESULTS_INITIALIZED	PCDATA $PCDATA_StackMapIndex, $1
#define NO_LOCAL_POINTERS	FUNCDATA $FUNCDATA_LocalsPointerMaps, no_pointers_stackmap(SB)
#define ArgsSizeUnknown 0x80000000
"""

BUILTIN_HEADERS: dict[str, str] = {"textflag.h": TEXTFLAG_H, "funcdata.h": FUNCDATA_H}


def flag_names(value: int) -> tuple[str, ...]:
    """Split a flag value into textflag names (unknown bits as decimal strings)."""
    names = [n for n, bit in TEXTFLAG_VALUES.items() if value & bit]
    rest = value & ~sum(TEXTFLAG_VALUES.values())
    if rest:
        names.append(str(rest))
    return tuple(names)
