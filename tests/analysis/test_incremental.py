"""The language server's cached analysis must report what a fresh analysis reports, while
re-parsing only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggls.analysis.incremental import Cancelled, CancelToken, ModuleCache
from eggls.engine import Options, analyse_module, find_module
from eggls.output import sort_diagnostics
from eggls.workspace import find_goroot
from tests.support.kernels import KERNELS_DIR, kernel_elf

KERNELS = sorted(p.name for p in KERNELS_DIR.iterdir() if (p / "go.mod").is_file())


def fresh(directory: Path, opts: Options) -> list:  # type: ignore[type-arg]
    res = analyse_module(find_module(str(directory)), [str(directory)], opts, find_goroot())
    return sort_diagnostics(res.diagnostics)


def cached(cache: ModuleCache, directory: Path, opts: Options) -> list:  # type: ignore[type-arg]
    res = analyse_module(find_module(str(directory)), [str(directory)], opts, find_goroot(),
                         cache.providers())
    return sort_diagnostics(res.diagnostics)


@pytest.mark.parametrize("kernel", KERNELS)
def test_cached_analysis_agrees(kernel: str) -> None:
    d = KERNELS_DIR / kernel
    opts = Options(build=str(kernel_elf(kernel, "1.24")))
    cache = ModuleCache()
    assert cached(cache, d, opts) == fresh(d, opts)
    cache.stats.clear()
    assert cached(cache, d, opts) == fresh(d, opts)
    # Nothing changed: nothing parsed again, the build not read again.
    assert cache.stats.asm_parsed == cache.stats.go_indexed == []
    assert cache.stats.builds_read == 0


def test_an_edit_reparses_only_its_file_and_agrees() -> None:
    d = KERNELS_DIR / "bootsse"
    asm = str(d / "kernel_amd64.s")
    text = Path(asm).read_text()
    cache = ModuleCache()
    before = cached(cache, d, Options(no_build=True, overlays={asm: text}))  # as didOpen
    assert any(x.code == "EGG001" for x in before)
    # The fix: enable SSE before the call.
    fixed = text.replace("\tCALL ·preinit(SB) // want EGG001 EGG002\n",
                         "\tMOVQ CR4, CX\n\tORQ $(3<<9), CX\n\tMOVQ CX, CR4\n"
                         "\tCALL ·preinit(SB)\n")
    opts = Options(no_build=True, overlays={asm: fixed})
    cache.stats.clear()
    after = cached(cache, d, opts)
    assert after == fresh(d, opts)
    assert not any(x.code == "EGG001" for x in after)
    assert cache.stats.go_indexed == []
    assert cache.stats.asm_parsed + cache.stats.asm_spliced == [asm]
    assert cache.stats.asm_spliced == [asm]  # the edit stays inside rt0's block


def test_unchanged_functions_are_reused() -> None:
    d = KERNELS_DIR / "gstack"
    go = str(d / "kernel.go")
    cache = ModuleCache()
    first = analyse_module(find_module(str(d)), [str(d)], Options(no_build=True), find_goroot(),
                           cache.providers()).program
    text = Path(go).read_text() + "\n// trailing comment\n"
    second = analyse_module(find_module(str(d)), [str(d)],
                            Options(no_build=True, overlays={go: text}), find_goroot(),
                            cache.providers()).program
    edited = [n for n, f in second.funcs.items() if f.path == go]
    other = [n for n, f in second.funcs.items() if (f.path != go and f.gofile is None) or
             (f.gofile is not None and f.gofile.path != go and f.path != go)]
    assert edited and all(second.funcs[n] is not first.funcs[n] for n in edited)
    # main.main (cmd/boot/main.go) does not depend on kernel.go: the same object, with
    # whatever it had cached.
    assert "main.main" in other
    assert all(second.funcs[n] is first.funcs[n] for n in other)


def test_cancelled_analysis_raises() -> None:
    d = KERNELS_DIR / "trapret"
    cache = ModuleCache()
    cache.token = CancelToken(cancelled=True)
    with pytest.raises(Cancelled):
        cached(cache, d, Options(no_build=True))
    cache.token = None
    assert cached(cache, d, Options(no_build=True)) == fresh(d, Options(no_build=True))


def test_code_addresses_are_recomputed_when_a_target_changes() -> None:
    from eggls.analysis.codeaddr import code_addresses

    d = KERNELS_DIR / "trapret"
    asm = str(d / "kernel_amd64.s")
    text = Path(asm).read_text()
    cache = ModuleCache()
    for overlay in (text, text + "\n// comment\n", text.replace("\tIRETQ\n", "\tRET\n"),
                    text.replace("TEXT ·trapret(SB)", "TEXT ·trapret2(SB)")):
        res = analyse_module(find_module(str(d)), [str(d)],
                             Options(no_build=True, overlays={asm: overlay}), find_goroot(),
                             cache.providers())
        assert res.context is not None
        got = [(c.site.span, tuple(t.name for t in c.targets), c.via, c.sink)
               for c in res.context.code_addresses]
        want = [(c.site.span, tuple(t.name for t in c.targets), c.via, c.sink)
                for c in code_addresses(res.program, frozenset())]
        assert got == want
        # The targets are the program's current functions (their bodies may have changed).
        for c in res.context.code_addresses:
            assert all(res.program.funcs[t.name] is t for t in c.targets)
