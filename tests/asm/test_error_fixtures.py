"""Fixtures with deliberate mistakes: each `// want EGG900` line must get exactly that error,
at that column, and nothing else may be reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eggls.cli import main
from tests.support.want import compare, read_wants

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asm_errors"
FILES = sorted(FIXTURES.glob("*.s"))


def _check_json(paths: list[Path], capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    rc = main(["--check", "--format", "json", "--fail-on", "never", *map(str, paths)])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == 1
    return doc["diagnostics"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fixture_wants(path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    diags = _check_json([path], capsys)
    wants = read_wants(path)
    for header in sorted((FIXTURES / "inc").glob("*.h")):
        wants += [w for w in read_wants(header)
                  if any(Path(str(d["path"])).resolve() == header for d in diags)]
    assert wants, f"{path.name} has no // want lines"
    assert all(d["code"] == "EGG900" and d["basis"] == "syntax" for d in diags)
    problems = compare(wants, diags)
    assert not problems, "\n".join(problems)


def test_fixture_set_covers_the_required_mistakes() -> None:
    names = {p.stem for p in FILES}
    for required in ("malformed_operand_amd64", "unterminated_comment_amd64",
                     "unbalanced_ifdef_amd64", "include_cycle_amd64", "recursive_macro_amd64",
                     "garbage_bytes_amd64"):
        assert required in names
