"""The committed fixture kernels (tests/fixtures/kernels/, built by its build.py).

Each ELF is committed xz-compressed and listed in tests/fixtures/kernels/manifest.json.
`kernel_elf` decompresses on first use into a per-user temp directory keyed by the ELF's
SHA-256, so a stale copy is never reused and concurrent test processes never see a partial
file (write to a temp name, then rename).
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "kernels"
MANIFEST = KERNELS_DIR / "manifest.json"


@dataclass(frozen=True)
class KernelBuild:
    name: str  # kernel directory, e.g. "trapret"
    module: str  # Go module path, e.g. "example.com/kernels/trapret"
    entry: str  # the -E symbol, e.g. "example.com/kernels/trapret.rt0"
    version: str  # toolchain minor version, e.g. "1.24"
    go_version: str  # exact toolchain, e.g. "go1.24.11"
    dwarf: bool
    file: Path  # the committed (compressed) file
    elf_sha256: str
    elf_size: int

    @property
    def source_dir(self) -> Path:
        return KERNELS_DIR / self.name

    @property
    def id(self) -> str:
        return f"{self.name}-go{self.version}{'-dwarf' if self.dwarf else ''}"


@cache
def kernel_builds() -> tuple[KernelBuild, ...]:
    """Every committed ELF, DWARF builds included, in manifest order."""
    data = json.loads(MANIFEST.read_text())
    return tuple(KernelBuild(**{**e, "file": KERNELS_DIR / e["file"]}) for e in data["elfs"])


def find_build(name: str, version: str, dwarf: bool = False) -> KernelBuild:
    for b in kernel_builds():
        if (b.name, b.version, b.dwarf) == (name, version, dwarf):
            return b
    raise KeyError(f"no committed build of kernel {name!r} with Go {version}"
                   f"{' (DWARF)' if dwarf else ''}")


def _cache_dir() -> Path:
    d = Path(tempfile.gettempdir()) / f"eggls-kernels-{os.getuid()}"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def materialize(build: KernelBuild) -> Path:
    """Path of the uncompressed ELF of `build`."""
    if build.file.suffix != ".xz":
        return build.file
    dest = _cache_dir() / build.elf_sha256[:16] / build.file.name.removesuffix(".xz")
    if dest.is_file() and dest.stat().st_size == build.elf_size:
        return dest
    raw = lzma.decompress(build.file.read_bytes())
    if hashlib.sha256(raw).hexdigest() != build.elf_sha256:
        raise ValueError(f"{build.file} does not match manifest.json (rebuild the kernels)")
    dest.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(raw)
    os.chmod(tmp, 0o755)
    os.replace(tmp, dest)
    return dest


def kernel_elf(name: str, version: str, dwarf: bool = False) -> Path:
    """The ELF of kernel `name` built with Go `version` ("1.19", "1.24", ...)."""
    return materialize(find_build(name, version, dwarf))


def all_kernels() -> list[tuple[str, str, Path]]:
    """(name, version, path) of every committed ELF without DWARF, decompressed."""
    return [(b.name, b.version, materialize(b)) for b in kernel_builds() if not b.dwarf]


def dwarf_kernels() -> list[tuple[str, str, Path]]:
    """(name, version, path) of the committed ELFs that keep DWARF."""
    return [(b.name, b.version, materialize(b)) for b in kernel_builds() if b.dwarf]
