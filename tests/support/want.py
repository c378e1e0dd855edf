"""Expectations written in fixtures, as go/analysis' analysistest reads them.

Syntax, in a `//` comment anywhere on a line (also inside .s files):
    // want EGG001 EGG002                  codes expected on this line
    // want EGG900:12 "regex"              … at column 12, message matching regex
    // want EGG900:12-15                   … with end column 15 (exclusive)
    // want@7 EGG900 "regex"               … on line 7 instead (for lines that cannot carry
                                           a comment, e.g. inside an unterminated comment)
    // want[build] EGG003                  only when a build is used
    // want[predicted] EGG004              only in source-only mode
    // want[go>=1.21] EGG003               only for Go versions >= 1.21 (also <, <=, >, ==)
Qualifiers may be combined: `// want[build,go>=1.21]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_WANT = re.compile(r"//\s*want(?:@(\d+))?(?:\[([^\]]*)\])?\s+(.*)$")
_ITEM = re.compile(r'(EGG\d{3})(?::(\d+)(?:-(\d+))?)?(?:\s+"((?:[^"\\]|\\.)*)")?')


@dataclass(frozen=True)
class Want:
    path: str
    line: int
    code: str
    column: int | None = None
    end_column: int | None = None
    pattern: str | None = None

    def matches(self, d: dict[str, object]) -> bool:
        """d is a diagnostic as the JSON output has it, with a path relative to the cwd or
        absolute."""
        if d["code"] != self.code or d["line"] != self.line:
            return False
        if Path(str(d["path"])).resolve() != Path(self.path).resolve():
            return False
        if self.column is not None and d["column"] != self.column:
            return False
        if self.end_column is not None and d["end_column"] != self.end_column:
            return False
        return self.pattern is None or re.search(self.pattern, str(d["message"])) is not None


def _qualifier_ok(q: str, mode: str, go: tuple[int, int] | None) -> bool:
    q = q.strip()
    if q in ("build", "predicted"):
        return q == mode
    m = re.fullmatch(r"go\s*(>=|<=|==|>|<)\s*(\d+)\.(\d+)", q)
    if m:
        if go is None:
            return False
        v = (int(m.group(2)), int(m.group(3)))
        return {">=": go >= v, "<=": go <= v, "==": go == v, ">": go > v, "<": go < v}[m.group(1)]
    raise ValueError(f"unknown want qualifier {q!r}")


def read_wants(path: Path, mode: str = "predicted", go: tuple[int, int] | None = None,
               codes: set[str] | None = None) -> list[Want]:
    """Expectations of one file that apply in this mode/version (optionally only `codes`)."""
    out = []
    text = path.read_bytes().decode("utf-8", errors="replace")
    for i, line in enumerate(text.split("\n"), 1):
        m = _WANT.search(line)
        if not m:
            continue
        at, quals, rest = m.groups()
        if quals and not all(_qualifier_ok(q, mode, go) for q in quals.split(",")):
            continue
        for item in _ITEM.finditer(rest):
            code, col, end, pat = item.groups()
            if codes is not None and code not in codes:
                continue
            out.append(Want(str(path), int(at) if at else i, code,
                            int(col) if col else None, int(end) if end else None,
                            pat.replace('\\"', '"') if pat is not None else None))
    return out


def compare(wants: list[Want], diags: list[dict[str, object]]) -> list[str]:
    """Problems: expected diagnostics that did not come, and diagnostics nobody expected."""
    problems = []
    unmatched = list(diags)
    for w in wants:
        hit = next((d for d in unmatched if w.matches(d)), None)
        if hit is None:
            problems.append(f"missing: {Path(w.path).name}:{w.line}: {w.code}"
                            f"{':' + str(w.column) if w.column else ''}"
                            f"{' ' + repr(w.pattern) if w.pattern else ''}")
        else:
            unmatched.remove(hit)
    for d in unmatched:
        problems.append(f"unexpected: {Path(str(d['path'])).name}:{d['line']}:{d['column']}: "
                        f"{d['code']} {d['message']}")
    return problems
