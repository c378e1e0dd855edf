"""`eggls build-info`: the JSON contract, the text view and the error exit."""

from __future__ import annotations

import json
from pathlib import Path

import capstone
import pytest
from elftools.elf.elffile import ELFFile

from eggls.cli import main
from tests.support.kernels import kernel_builds, materialize

TOP = {"path", "go_version", "goarch", "settings", "build_id", "wrappers"}
WRAPPER = {"symbol", "target", "direction", "address", "size", "sse", "tls_read", "pushed_bytes",
           "stack_check", "listing"}
KB = next(kb for kb in kernel_builds() if kb.name == "trapret" and kb.version == "1.19")


def _capstone_listing(path: Path, addr: int, size: int) -> list[str]:
    """Independent of eggls: pyelftools finds the bytes, capstone prints them."""
    with open(path, "rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        code = text.data()[addr - text["sh_addr"]: addr - text["sh_addr"] + size]
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.syntax = capstone.CS_OPT_SYNTAX_ATT
    return [f"{i.mnemonic} {i.op_str}".strip() for i in md.disasm(code, addr)]


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    path = materialize(KB)
    assert main(["build-info", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == TOP
    assert doc["path"] == str(path) and doc["go_version"] == KB.go_version
    assert doc["goarch"] == "amd64" and doc["settings"]["GOAMD64"] == "v1"
    assert isinstance(doc["build_id"], str) and doc["build_id"].count("/") == 3
    assert doc["wrappers"]
    for w in doc["wrappers"]:
        assert set(w) == WRAPPER
        assert w["direction"] in ("ABIInternal->ABI0", "ABI0->ABIInternal")
        assert w["target"] == (w["symbol"] + ".abi0" if w["direction"] == "ABIInternal->ABI0"
                               else w["symbol"].removesuffix(".abi0"))
        assert w["listing"] == _capstone_listing(path, w["address"], w["size"])
        assert w["sse"] is None or w["sse"] in w["listing"]
        if w["tls_read"] is not None:
            assert set(w["tls_read"]) == {"segment", "offset"}
            assert w["tls_read"]["segment"] in ("fs", "gs")
            assert isinstance(w["tls_read"]["offset"], int)
        assert isinstance(w["pushed_bytes"], int) and isinstance(w["stack_check"], bool)
    by_name = {w["symbol"]: w for w in doc["wrappers"]}
    go_side = by_name[f"{KB.module}.userMain.abi0"]  # asm reaches Go: SSE and TLS first
    assert go_side["sse"] == "xorps %xmm15, %xmm15"
    assert go_side["tls_read"] == {"segment": "fs", "offset": -8}


def test_text_view(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build-info", str(materialize(KB))]) == 0
    out = capsys.readouterr().out
    assert KB.go_version in out and f"{KB.module}.trapret -> {KB.module}.trapret.abi0" in out
    assert "xorps %xmm15, %xmm15" in out


def test_errors_exit_1_with_egg902(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not an ELF\n")
    assert main(["build-info", str(bad), "--format", "json"]) == 1
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    assert doc["error"]["code"] == "EGG902" and doc["error"]["kind"] == "not-elf"
    assert cap.err.count("\n") == 1 and "EGG902" in cap.err
    assert main(["build-info", str(tmp_path / "missing")]) == 1
    assert "EGG902" in capsys.readouterr().err


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build-info"]) == 2
    assert main(["build-info", "x", "--format", "yaml"]) == 2
    capsys.readouterr()
