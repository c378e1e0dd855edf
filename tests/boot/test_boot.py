"""Ground truth under QEMU: each hazard kernel faults where predicted, each fixed twin boots.

Runs with `pytest -m boot` (also selected by `-m slow`). Needs qemu-system-x86_64, gcc
(-m32, freestanding: no multilib needed), ld and the Go toolchains of tests/support.
EGGLS_BOOT_GO="1.19,1.21,1.24" picks other Go versions; EGGLS_WRITE_BOOT_RESULTS=1 rewrites
tests/boot/results.json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.boot import runner
from tests.boot.runner import GP, PF, UD, BootOutcome, Prediction, Variant
from tests.support.toolchains import go_toolchains

GO_VERSIONS = tuple(os.environ.get("EGGLS_BOOT_GO", "1.19,1.24").split(","))
VARIANTS = runner.variants()
RESULTS_JSON = Path(__file__).with_name("results.json")


def predicted(elf: Path) -> list[Prediction]:
    """(vector, address) of every fault the kernel must raise; [] for a safe kernel.

    Swap point: this will become eggls' own prediction (`eggls --check --format json
    --build <elf>`, rule → vector, wrapper/related → address). Until then the faults are
    located in the ELF by runner.derived_faults.
    """
    return runner.derived_faults(elf)


def _faulting_instruction_fits(vector: int, instruction: str | None) -> bool:
    """Independent of the prediction: the instruction must be one that raises this vector."""
    text = instruction or ""
    if vector == UD:
        return text == "xorps %xmm15, %xmm15"
    if vector == PF:  # a g load through TLS with FS base 0
        return "%fs:0xfffffffffffffff8" in text or "%fs:-8" in text
    if vector == GP:
        return text == "iretq"
    return False


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, str], BootOutcome]:
    """Boot every variant on every requested Go version that is installed (sequentially:
    the CI machine's two cores are shared)."""
    if (reason := runner.missing_prerequisite()) is not None:
        pytest.skip(f"boot tests need QEMU and a 32-bit-capable gcc: {reason}")
    toolchains = go_toolchains()
    found = [g for g in GO_VERSIONS if g in toolchains]
    if not found:
        pytest.skip(f"no Go toolchain among {', '.join(GO_VERSIONS)}")
    return {(g, v.name): runner.run_variant(v, g, toolchains[g]) for g in found for v in VARIANTS}


def _outcome(outcomes: dict[tuple[str, str], BootOutcome], go: str, v: Variant) -> BootOutcome:
    if (go, v.name) not in outcomes:
        pytest.skip(f"Go {go} toolchain not installed")
    return outcomes[(go, v.name)]


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.hazard], ids=lambda v: v.name)
@pytest.mark.parametrize("go", GO_VERSIONS)
@pytest.mark.slow
@pytest.mark.boot
def test_hazard_faults_as_predicted(outcomes: dict[tuple[str, str], BootOutcome], go: str,
                                    variant: Variant) -> None:
    out = _outcome(outcomes, go, variant)
    assert out.status == "fault", f"{variant.name} on Go {go}: {out.summary()}\n{out.serial}"
    assert out.fault is not None and out.elf is not None
    predictions = predicted(out.elf)
    assert predictions, f"{variant.name}: nothing predicted, but the CPU raised {out.summary()}"
    observed = (out.fault.vector, out.fault.rip)
    assert observed in predictions, (
        f"{variant.name} on Go {go}: observed {out.summary()} at {out.fault.rip:#x}, predicted "
        + ", ".join(f"{runner.VECTOR_NAMES.get(vec, vec)} at {a:#x}" for vec, a in predictions))
    assert _faulting_instruction_fits(out.fault.vector, out.instruction), out.summary()
    if out.fault.vector == PF:
        assert out.fault.cr2 == runner.FS_MINUS_8, out.summary()


@pytest.mark.parametrize("variant", [v for v in VARIANTS if not v.hazard], ids=lambda v: v.name)
@pytest.mark.parametrize("go", GO_VERSIONS)
@pytest.mark.slow
@pytest.mark.boot
def test_fixed_twin_boots(outcomes: dict[tuple[str, str], BootOutcome], go: str,
                          variant: Variant) -> None:
    out = _outcome(outcomes, go, variant)
    assert out.elf is not None, out.summary()
    assert predicted(out.elf) == [], f"{variant.name}: a fault is predicted for a fixed twin"
    assert out.status == "success", f"{variant.name} on Go {go}: {out.summary()}\n{out.serial}"


@pytest.mark.slow
@pytest.mark.boot
def test_every_rule_has_both_twins() -> None:
    names = {v.name for v in VARIANTS}
    rules = {v.rule for v in VARIANTS}
    assert {"EGG001", "EGG002", "EGG003"} <= rules
    for rule in rules:
        assert {f"{rule.lower()}_hazard", f"{rule.lower()}_fixed"} <= names, rule


@pytest.mark.slow
@pytest.mark.boot
def test_outcome_table(outcomes: dict[tuple[str, str], BootOutcome],
                       capsys: pytest.CaptureFixture[str]) -> None:
    """Print variant × Go version → observed outcome; EGGLS_WRITE_BOOT_RESULTS=1 saves it."""
    rows = list(outcomes.values())
    with capsys.disabled():
        print("\n" + runner.outcome_table(rows))
    if os.environ.get("EGGLS_WRITE_BOOT_RESULTS") == "1":
        text = json.dumps(runner.results_json(rows), indent=2, sort_keys=True) + "\n"
        RESULTS_JSON.write_text(text)
    assert all(o.status in {"success", "fault"} for o in rows), runner.outcome_table(rows)


# --------------------------------------------------------------------------- log parsing
# Fast (not slow): the parser on a trimmed real log, firmware noise included: a real-mode
# hardware interrupt (no delivery line), a protected-mode one, and an INT n.

_LOG = """\
Servicing hardware INT=0x08
     0: v=08 e=0000 i=0 cpl=0 IP=0008:00000000000f7b5e pc=00000000000f7b5e SP=0010:0000000000006f2c env->regs[R_EAX]=0000000000000000
     1: v=10 e=0000 i=1 cpl=0 IP=0008:00000000000f7b60 pc=00000000000f7b60 SP=0010:0000000000006f2c env->regs[R_EAX]=0000000000000000
Servicing hardware INT=0x08
SMM: enter
SMM: after RSM
check_exception old: 0xffffffff new 0xe
     2: v=0e e=0000 i=0 cpl=0 IP=0008:0000000000448d24 pc=0000000000448d24 SP=0010:0000000000104fe8 CR2=fffffffffffffff8
RAX=0000000000448c80 RBX=0000000000000000 RCX=0000000000000000 RDX=0000000000000000
CR0=80000013 CR2=fffffffffffffff8 CR3=0000000000106000 CR4=00000620
check_exception old: 0xffffffff new 0xd
     3: v=0d e=0072 i=0 cpl=0 IP=0008:0000000000448d24 pc=0000000000448d24 SP=0010:0000000000104fe8 env->regs[R_EAX]=0000000000448c80
CR0=80000013 CR2=fffffffffffffff8 CR3=0000000000106000 CR4=00000620
check_exception old: 0xd new 0xd
Triple fault
"""  # noqa: E501


def test_first_exception_skips_firmware_interrupts() -> None:
    f = runner.first_exception(_LOG)
    assert f is not None
    assert (f.name, f.error_code, f.rip, f.cr2) == ("#PF", 0, 0x448D24, runner.FS_MINUS_8)


def test_first_exception_reads_cr2_from_the_register_dump() -> None:
    without_pf = "\n".join(line for line in _LOG.splitlines() if " v=0e " not in line)
    f = runner.first_exception(without_pf)
    assert f is not None
    assert (f.name, f.error_code, f.cr2) == ("#GP", 0x72, runner.FS_MINUS_8)


def test_no_exception_in_a_clean_log() -> None:
    assert runner.first_exception("SMM: enter\nSMM: after RSM\n") is None
