"""Go version, settings and build ID: fixtures of every version, synthetic layouts (the
pre-1.18 pointer layout included) and, as a slow test, the Go toolchains' own binaries."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from eggls.build.buildinfo import parse_go_version, parse_modinfo, read_build_info
from eggls.build.elf import ElfImage
from eggls.build.gobuild import GoBuild, open_build
from tests.build.synth import INFO_END, INFO_START, go_elf
from tests.support.kernels import kernel_builds, materialize
from tests.support.toolchains import go_env, go_toolchains

BUILDS = kernel_builds()


@pytest.mark.parametrize("kb", BUILDS, ids=lambda b: b.id)
def test_fixture_version_and_settings(kb) -> None:  # type: ignore[no-untyped-def]
    path = materialize(kb)
    b = open_build(path)
    assert isinstance(b, GoBuild)
    assert b.go_version == kb.go_version  # recorded from `go env GOVERSION` at build time
    assert b.info.layout == "inline"
    assert b.goarch == "amd64" and b.goamd64 == "v1"
    assert b.info.main is not None and b.info.main.path == kb.module
    raw = path.read_bytes()
    for key, value in b.settings.items():  # each setting is a line of the embedded modinfo
        if not any(c in value for c in ' \t"`'):
            assert f"build\t{key}={value}\n".encode() in raw


@pytest.mark.skipif(not shutil.which("readelf"), reason="needs readelf")
@pytest.mark.parametrize("kb", [b for b in BUILDS if b.version in ("1.19", "1.27")],
                         ids=lambda b: b.id)
def test_build_id_matches_readelf(kb) -> None:  # type: ignore[no-untyped-def]
    path = materialize(kb)
    out = subprocess.run(["readelf", "-n", "-W", str(path)], capture_output=True, text=True,
                         check=True).stdout
    hexes = out.split("GO BUILDID")[1].split("description data:")[1].split("\n")[0].split()
    b = open_build(path)
    assert isinstance(b, GoBuild) and b.build_id == bytes.fromhex("".join(hexes)).decode()


@pytest.mark.parametrize("version", ["go1.16.15", "go1.17.13", "go1.10"])
def test_pointer_layout_of_old_toolchains(version: str) -> None:
    img = ElfImage.from_bytes(go_elf(version, "pointer", path="example.com/old"))
    info = read_build_info(img)
    assert info is not None and info.layout == "pointer"
    assert info.go_version == version
    assert info.path == "example.com/old" and info.main is not None
    assert info.settings == {}  # settings lines exist only from 1.18 on


def test_pointer_layout_through_open_build(tmp_path: Path) -> None:
    p = tmp_path / "old.elf"
    p.write_bytes(go_elf("go1.16.15", "pointer", build_id="abc/def"))
    b = open_build(p)
    assert isinstance(b, GoBuild)
    assert (b.go_version, b.goarch, b.build_id, b.goamd64) == ("go1.16.15", "amd64", "abc/def",
                                                               None)


def test_inline_layout_with_quoted_settings_deps_and_replacements() -> None:
    text = ("path\texample.com/k/cmd\nmod\texample.com/k\t(devel)\t\n"
            "dep\tgolang.org/x/sys\tv0.1.0\th1:abc=\n=>\t../sys\t(devel)\t\n"
            "build\t-ldflags=\"-w -E=example.com/k.rt0\"\nbuild\tGOARCH=amd64\n"
            "build\t\"we ird\"=`raw value`\nbuild\tvcs.revision=0123abcd\n"
            "build\tvcs.modified=true\nbuild\t=broken\ngarbage line\n")
    info = parse_modinfo("go1.24.1", "inline", text)
    assert info.path == "example.com/k/cmd"
    assert info.deps[0].path == "golang.org/x/sys" and info.deps[0].replace is not None
    assert info.deps[0].replace.path == "../sys"
    assert info.settings["-ldflags"] == "-w -E=example.com/k.rt0"
    assert info.settings["we ird"] == "raw value"
    assert info.vcs == {"vcs.revision": "0123abcd", "vcs.modified": "true"}
    assert "" not in info.settings
    img = ElfImage.from_bytes(go_elf("go1.24.1", "inline", settings={"GOARCH": "amd64"}))
    got = read_build_info(img)
    assert got is not None and got.go_version == "go1.24.1" and got.goarch == "amd64"


def test_sentinels_are_required_around_module_info() -> None:
    assert INFO_START != INFO_END
    img = ElfImage.from_bytes(go_elf("go1.22.0", "inline"))
    assert read_build_info(img) is not None


@pytest.mark.parametrize(("text", "want"), [("go1.24.11", (1, 24)), ("go1.21rc2", (1, 21)),
                                            ("go1.27-devel_abc Tue", (1, 27)), ("go1", (1, 0)),
                                            ("devel +abc", None), ("gox.y", None)])
def test_parse_go_version(text: str, want: tuple[int, int] | None) -> None:
    assert parse_go_version(text) == want


def _toolchain_binaries() -> list[Path]:
    out = []
    for root in go_toolchains().values():
        out.append(root / "bin" / "go")
        out += sorted((root / "pkg" / "tool").glob("linux_amd64/*"))[:4]
    return out


@pytest.mark.slow
def test_go_toolchain_binaries() -> None:
    """Every toolchain's own executables: our version is `go version FILE`'s."""
    roots = go_toolchains()
    assert roots, "no Go toolchain installed"
    go = next(iter(roots.values())) / "bin" / "go"
    for exe in _toolchain_binaries():
        want = subprocess.run([str(go), "version", str(exe)], capture_output=True, text=True,
                              env=go_env(go.parents[1]), timeout=60).stdout
        b = open_build(exe)
        assert isinstance(b, GoBuild), (exe, b)
        assert want.split(": ", 1)[1].split()[0] == b.go_version, exe


@pytest.mark.slow
def test_go_reads_our_synthetic_pointer_layout_the_same(tmp_path: Path) -> None:
    """The synthetic pre-1.18 fixture is real enough for Go's own debug/buildinfo."""
    roots = go_toolchains()
    assert roots
    root = roots[max(roots, key=lambda v: tuple(map(int, v.split("."))))]
    p = tmp_path / "old.elf"
    p.write_bytes(go_elf("go1.16.15", "pointer", path="example.com/old"))
    out = subprocess.run([str(root / "bin" / "go"), "version", "-m", str(p)],
                         capture_output=True, text=True, env=go_env(root), timeout=60).stdout
    b = open_build(p)
    assert isinstance(b, GoBuild)
    assert out.startswith(f"{p}: {b.go_version}\n")
    assert f"\tpath\t{b.info.path}\n" in out
