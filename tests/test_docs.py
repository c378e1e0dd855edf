"""docs/rules.md is generated from the rule registry (and the boot suite's results) and must
be current: CI fails when someone changes a rule and forgets `python tools/gen_docs.py`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from eggls.analysis.registry import DOCS_URL, RULES, Rule
from eggls.diagnostics import Severity
from tools import gen_docs


def test_committed_rules_md_is_current() -> None:
    expected = gen_docs.render(RULES.values(), gen_docs.load_results())
    committed = gen_docs.RULES_MD.read_text(encoding="utf-8")
    assert committed == expected, "docs/rules.md is stale: run `python tools/gen_docs.py`"


def test_check_flag_detects_a_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "rules.md"
    script = [sys.executable, str(Path(gen_docs.__file__)), "--output", str(out)]
    # Missing, then generated, then hand-edited.
    assert subprocess.run([*script, "--check"], capture_output=True, timeout=60).returncode == 1
    assert subprocess.run(script, capture_output=True, timeout=60).returncode == 0
    assert subprocess.run([*script, "--check"], capture_output=True, timeout=60).returncode == 0
    out.write_text(out.read_text(encoding="utf-8").replace("EGG001", "EGG0O1", 1))
    proc = subprocess.run([*script, "--check"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "gen_docs.py" in proc.stderr


def test_every_rule_anchor_resolves_to_its_heading() -> None:
    text = gen_docs.RULES_MD.read_text(encoding="utf-8")
    anchors = {gen_docs.heading_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    assert urlsplit(DOCS_URL).path.endswith("/docs/rules.md")
    for rule in RULES.values():
        assert urlsplit(rule.anchor).fragment in anchors, rule.code
        assert f"## {rule.code}\n" in text
        assert rule.explanation in text and rule.summary in text and rule.name in text


def test_heading_anchor_follows_github() -> None:
    assert gen_docs.heading_anchor("EGG001") == "egg001"
    assert gen_docs.heading_anchor("Observed under QEMU") == gen_docs.RESULTS_ANCHOR
    assert gen_docs.heading_anchor("A: b.c (d)") == "a-bc-d"


def test_results_table_is_rule_by_go_version() -> None:
    rule = Rule("EGG042", "made-up", Severity.ERROR, "a rule | with a pipe", "Why.")
    other = Rule("EGG043", "unobserved", Severity.HINT, "no boot results", "Why not.")
    results = {"description": "tests/boot: what the kernels did", "results": [
        {"rule": "EGG042", "go": "1.19", "kind": "fixed", "status": "success",
         "summary": "success"},
        {"rule": "EGG042", "go": "1.19", "kind": "hazard", "status": "fault",
         "summary": "#GP at f.abi0+0x0 [iretq]"},
        {"rule": "EGG042", "go": "1.9", "kind": "hazard", "status": "timeout",
         "summary": "timeout: no exit within 30 s"},
    ]}
    text = gen_docs.render([other, rule], results)
    assert text.index("## EGG042") < text.index("## EGG043")  # sorted by code
    assert "| [EGG042](#egg042) | `made-up` | error | a rule \\| with a pipe |" in text
    rows = [line for line in text.splitlines() if line.startswith("| [EGG042](#egg042) | 1.")]
    assert rows == [  # Go versions in numeric order; a missing twin shows a dash
        "| [EGG042](#egg042) | 1.9 | `timeout: no exit within 30 s` | — |",
        "| [EGG042](#egg042) | 1.19 | `#GP at f.abi0+0x0 [iretq]` | success |",
    ]
    assert "From `tests/boot/results.json`: what the kernels did." in text
    section = text[text.index("## EGG043"):text.index("## Observed under QEMU")]
    assert "see [the table]" not in section  # only rules with results link to it
    assert "## Observed under QEMU" not in gen_docs.render([rule], None)
