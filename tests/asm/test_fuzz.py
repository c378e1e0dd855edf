"""Fuzzing the asm front end: no input may raise or hang.

Each input runs under a 10 s guard (SIGALRM): a guard against hangs, not a benchmark.
The default run keeps the example count small; the slow suite runs many more.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eggls.asm import AsmConfig, parse_file
from eggls.asm.lexer import Source, tokenize

GUARD_SECONDS = 10

# Fragments that make random text look like Go assembly, so the fuzzer reaches deep paths.
FRAGMENTS = [
    "TEXT ", "·f", "(SB)", ", ", "NOSPLIT", "|", "$0-8", "$", "\n", ";", "\t", "MOVQ ", "AX",
    "(TLS)", "R14", "x+8(FP)", "8(SP)(AX*8)", "CALL ", "JMP ", "loop:", "loop", "2(PC)",
    "#define ", "#undef ", "#ifdef ", "#ifndef ", "#else", "#endif", "#include ", '"textflag.h"',
    '"go_asm.h"', '"x.h"', "A", "B(x)", "(", ")", "[", "]", "<>", "<ABIInternal>", "/*", "*/",
    "//", "'a'", '"s"', "0x1F", "1.5", "<<", ">>", "-", "+", "~", "BYTE ", "DATA ", "GLOBL ",
    "/8", "PCDATA ", "FUNCDATA ", "\\\n", "\x00", "\ufffd", "é", "∕", "·",
]

text_strategy = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join),
)


@contextmanager
def guard(seconds: int = GUARD_SECONDS) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"input took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _fuzz_one(tmp: Path, text: str) -> None:
    (tmp / "x.h").write_text("#include \"x.h\"\n#define HDR 1\n")
    with guard():
        tokenize(Source("f.s", text), [])
        f = parse_file(str(tmp / "f_amd64.s"), "example.com/k", AsmConfig(), text=text)
    for e in f.errors:
        assert e.span.line >= 1 and e.span.col >= 1 and e.message


def _run(examples: int):  # type: ignore[no-untyped-def]
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(text=text_strategy)
    def inner(tmp_path: Path, text: str) -> None:
        _fuzz_one(tmp_path, text)

    return inner


test_fuzz_quick = _run(300)
test_fuzz_long = pytest.mark.slow(_run(5000))


def test_guard_catches_a_hang() -> None:
    import time

    with pytest.raises(TimeoutError), guard(1):
        time.sleep(5)
