"""The VS Code extension (editors/vscode) builds offline and packages a sound .vsix.

In a copy of editors/vscode: `npm ci --offline` (from the npm cache that .ci/run's
`npm ci` filled: nothing is downloaded here), the type-check (tsc), `npm test` (the TextMate
grammar over the fixture kernels through vscode-textmate + vscode-oniguruma, and the launch
logic) and `npm run package` (esbuild bundle + @vscode/vsce). Then the packaged manifest is
read back from the .vsix (a zip): activation events, the Go assembly language and grammar, the
commands, a setting for every key of the configuration schema, and the server launch command.

Without node/npm or the cached packages this is a skip, or a failure when
EGGLS_REQUIRE_EDITORS=1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from eggls.config import Config

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXT = REPO / "editors" / "vscode"


def _missing(reason: str) -> None:
    if os.environ.get("EGGLS_REQUIRE_EDITORS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)


def _check(p: subprocess.CompletedProcess[str], what: str) -> None:
    assert p.returncode == 0, (f"{what} failed (exit {p.returncode})\n"
                               f"stdout:\n{p.stdout[-6000:]}\nstderr:\n{p.stderr[-6000:]}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Runs the whole build once; the tests below look at its outputs."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        _missing("node and npm are needed (Node.js 20): apt-get install nodejs npm")
    major = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if not re.match(r"v(2\d|[3-9]\d)\.", major):
        _missing(f"Node.js >= 20 is needed, found {major}")
    work = tmp_path_factory.mktemp("vscode") / "vscode"
    shutil.copytree(EXT, work, ignore=shutil.ignore_patterns(
        "node_modules", "dist", "out", "*.vsix"))
    env = {**os.environ, "EGGLS_REPO_ROOT": str(REPO), "CI": "true",
           "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false"}
    env.pop("UPDATE_SNAPSHOTS", None)

    ci = _run([npm, "ci", "--offline"], work, env)
    if ci.returncode != 0 and "ENOTCACHED" in ci.stdout + ci.stderr:
        _missing("the npm cache lacks editors/vscode's packages: run `npm ci` in editors/vscode "
                 "once with the registry reachable (.ci/run does)")
    _check(ci, "npm ci --offline")
    steps = {}
    for name, cmd in [("typecheck", [npm, "run", "typecheck"]),
                      ("test", [npm, "test"]),
                      ("package", [npm, "run", "package"])]:
        steps[name] = _run(cmd, work, env)
    return {"work": work, "steps": steps}


def test_typecheck(built: dict) -> None:
    _check(built["steps"]["typecheck"], "npm run typecheck (tsc --noEmit)")


def test_grammar_and_unit_tests(built: dict) -> None:
    p = built["steps"]["test"]
    _check(p, "npm test")
    # node's test runner: every test passed and the grammar tests were among them
    assert re.search(r"^# fail 0$", p.stdout, re.M), p.stdout[-3000:]
    passed = int(re.search(r"^# pass (\d+)$", p.stdout, re.M).group(1))
    assert passed >= 40, p.stdout[-3000:]
    assert "snapshot: bootsse/kernel_amd64.s" in p.stdout


def _vsix(built: dict) -> zipfile.ZipFile:
    _check(built["steps"]["package"], "npm run package (vsce)")
    path = Path(built["work"]) / "eggls.vsix"
    assert path.is_file(), "vsce produced no eggls.vsix"
    return zipfile.ZipFile(path)


def test_vsix_contents(built: dict) -> None:
    with _vsix(built) as z:
        names = set(z.namelist())
        assert {"extension.vsixmanifest", "extension/package.json", "extension/dist/extension.js",
                "extension/syntaxes/go-asm.tmLanguage.json",
                "extension/language-configuration.json"} <= names, sorted(names)
        # bundled: no sources, tests, node_modules or source maps
        assert not [n for n in names if re.match(
            r"extension/(src|test|node_modules)/|.*\.map$|.*\.ts$", n)], sorted(names)
        vsixmanifest = z.read("extension.vsixmanifest").decode()
        assert 'Id="Microsoft.VisualStudio.Code.Engine" Value="^1.82.0"' in vsixmanifest


def test_vsix_manifest(built: dict) -> None:
    with _vsix(built) as z:
        pkg = json.loads(z.read("extension/package.json"))
        names = set(z.namelist())
        grammar_json = json.loads(z.read("extension/syntaxes/go-asm.tmLanguage.json"))
        langconf = json.loads(z.read("extension/language-configuration.json"))

    assert pkg["name"] == "eggls" and pkg["publisher"] == "eggls"
    assert pkg["main"] == "./dist/extension.js"
    assert set(pkg["activationEvents"]) >= {
        "onLanguage:go", "onLanguage:go.s", "workspaceContains:**/go.mod"}

    c = pkg["contributes"]
    # Go assembly: gopls' language id, with the grammar and the language configuration
    (lang,) = [x for x in c["languages"] if x["id"] == "go.s"]
    assert f"extension/{lang['configuration'].removeprefix('./')}" in names
    assert langconf["comments"] == {"lineComment": "//", "blockComment": ["/*", "*/"]}
    assert ["(", ")"] in langconf["brackets"]
    (gram,) = [g for g in c["grammars"] if g["language"] == "go.s"]
    assert f"extension/{gram['path'].removeprefix('./')}" in names
    assert grammar_json["scopeName"] == gram["scopeName"] == "source.asm.go"

    titles = {cmd["command"]: f"{cmd.get('category')}: {cmd['title']}" for cmd in c["commands"]}
    assert titles == {"eggls.explainRule": "eggls: Explain rule", "eggls.restart": "eggls: Restart"}

    props = c["configuration"]["properties"]
    # every key of the one configuration schema is a setting, under the same name
    assert {f"eggls.{k}" for k in Config.KEYS} <= set(props), sorted(props)
    # ... and the editor's own: server path and arguments, trace level
    assert props["eggls.server.path"]["default"] == "eggls"
    assert props["eggls.server.args"]["type"] == "array"
    assert props["eggls.trace.server"]["enum"] == ["off", "messages", "verbose"]
    # unset schema keys must not override .eggls.toml: no default but "nothing"
    for k in Config.KEYS:
        assert props[f"eggls.{k}"]["default"] in (None, []), k


def test_bundle_launches_eggls_stdio(built: dict) -> None:
    """The bundle carries the language client and starts `<eggls.server.path> --stdio`."""
    with _vsix(built) as z:
        js = z.read("extension/dist/extension.js").decode()
    assert '"--stdio"' in js
    assert "eggls.server.path" in js or '"server.path"' in js
    assert "python3 -m pip install eggls" in js  # the message when the server is missing
    required = set(re.findall(r'require\("([^"]+)"\)', js))
    assert "vscode" in required
    assert not [m for m in required if m.startswith("vscode-languageclient")], required
