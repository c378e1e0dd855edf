"""Go build information (`.go.buildinfo`) and the Go build ID (`.note.go.buildid`).

Both layouts of the build-info blob are read, as `debug/buildinfo` reads them:
- Go 1.18+ ("inline"): 16-byte header (14-byte magic, pointer size, flags with bit 1 set),
  then version and module info as uvarint-length-prefixed strings at offset 32.
- Before 1.18 ("pointer"): after the header, two pointers to Go string headers (data
  pointer, length) for the version and the module info, in the file's byte order.
The module info is framed by 16-byte sentinels and holds `path`, `mod`, `dep`, `=>` and
(1.18+) `build key=value` lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eggls.build.elf import PF_W, PF_X, PT_LOAD, PT_NOTE, SHT_NOTE, ElfImage
from eggls.build.errors import BuildFault

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
MAX_STRING = 16 << 20  # module info of a huge program is tens of KB
SEARCH_LIMIT = 64 << 20  # how much of a data segment we scan for the magic
GO_NOTE_NAME = b"Go\x00\x00"
GO_NOTE_BUILDID = 4


@dataclass(frozen=True, slots=True)
class Module:
    path: str
    version: str
    sum: str = ""
    replace: Module | None = None


@dataclass(frozen=True)
class GoBuildInfo:
    go_version: str  # "go1.24.11"
    layout: str  # "inline" (1.18+) or "pointer"
    path: str = ""  # main package path ("command-line-arguments" for file builds)
    main: Module | None = None
    deps: tuple[Module, ...] = ()
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def goarch(self) -> str | None:
        return self.settings.get("GOARCH")

    @property
    def goamd64(self) -> str | None:
        return self.settings.get("GOAMD64")

    @property
    def vcs(self) -> dict[str, str]:
        return {k: v for k, v in self.settings.items() if k == "vcs" or k.startswith("vcs.")}

    def version_tuple(self) -> tuple[int, int] | None:
        return parse_go_version(self.go_version)


def parse_go_version(v: str) -> tuple[int, int] | None:
    """(1, 24) for "go1.24.11", "go1.21rc2", "go1.27-devel ..."; None when unrecognised."""
    if not v.startswith("go"):
        return None
    head = v[2:].split()[0] if v[2:].split() else ""
    parts = head.split(".")
    try:
        major = int(parts[0])
        minor_digits = ""
        for ch in parts[1] if len(parts) > 1 else "":
            if not ch.isdigit():
                break
            minor_digits += ch
        return major, int(minor_digits or 0)
    except ValueError:
        return None


def _data_range(img: ElfImage) -> tuple[int, int] | None:
    sec = img.section(".go.buildinfo")
    if sec is not None and sec.in_file and sec.size:
        return sec.addr, sec.size
    for seg in img.segments:  # as debug/buildinfo: the first writable, non-exec PT_LOAD
        if seg.type == PT_LOAD and seg.flags & (PF_X | PF_W) == PF_W:
            return seg.vaddr, seg.memsz
    return None


def _find_magic(img: ElfImage, start: int, size: int) -> int | None:
    start = (start + ALIGN - 1) & ~(ALIGN - 1)
    blob = img.read_vaddr_upto(start, min(size, SEARCH_LIMIT))
    i = blob.find(MAGIC)
    while i >= 0:
        if i % ALIGN == 0:
            return start + i
        i = blob.find(MAGIC, i + 1)
    return None


def _uvarint(b: bytes) -> tuple[int, int]:
    x = shift = 0
    for i, c in enumerate(b[:10]):
        x |= (c & 0x7F) << shift
        if c < 0x80:
            return x, i + 1
        shift += 7
    raise BuildFault("corrupt", "bad length in build info")


def _inline_string(img: ElfImage, addr: int) -> tuple[str, int]:
    head = img.read_vaddr_upto(addr, 10)
    n, k = _uvarint(head)
    if n > MAX_STRING:
        raise BuildFault("corrupt", f"build-info string of {n} bytes")
    data = img.read_vaddr(addr + k, n)
    return data.decode("utf-8", "replace"), addr + k + n


def _pointer_string(img: ElfImage, addr: int, ptr: int, order: str) -> str:
    hdr = img.read_vaddr(addr, 2 * ptr)
    data_addr = int.from_bytes(hdr[:ptr], order)
    n = int.from_bytes(hdr[ptr:], order)
    if n > MAX_STRING:
        raise BuildFault("corrupt", f"build-info string of {n} bytes")
    return img.read_vaddr(data_addr, n).decode("utf-8", "replace")


def read_build_info(img: ElfImage) -> GoBuildInfo | None:
    """The Go build info, or None for an ELF that has none (not a Go program)."""
    rng = _data_range(img)
    if rng is None:
        return None
    addr = _find_magic(img, *rng)
    if addr is None:
        return None
    header = img.read_vaddr(addr, HEADER_SIZE)
    ptr, flags = header[14], header[15]
    if flags & 2:
        version, nxt = _inline_string(img, addr + HEADER_SIZE)
        modinfo, _ = _inline_string(img, nxt)
        layout = "inline"
    else:
        if ptr not in (4, 8):
            raise BuildFault("corrupt", f"build info pointer size {ptr}")
        order = "big" if flags & 1 else "little"
        vptr = int.from_bytes(header[16:16 + ptr], order)
        mptr = int.from_bytes(header[16 + ptr:16 + 2 * ptr], order)
        version = _pointer_string(img, vptr, ptr, order)
        modinfo = _pointer_string(img, mptr, ptr, order)
        layout = "pointer"
    if not version:
        return None
    # Strip the 16-byte sentinels framing the module info (as debug/buildinfo does).
    modinfo = modinfo[16:-16] if len(modinfo) >= 33 and modinfo[-17] == "\n" else ""
    return parse_modinfo(version, layout, modinfo)


def parse_modinfo(version: str, layout: str, text: str) -> GoBuildInfo:
    """Lenient reading of the `runtime/debug.BuildInfo.String` format: bad lines are skipped."""
    path = ""
    main: Module | None = None
    deps: list[Module] = []
    settings: dict[str, str] = {}
    last: str | None = None  # "main" or "dep" — what a `=>` line replaces
    for line in text.split("\n"):
        kind, _, rest = line.partition("\t")
        cols = rest.split("\t")
        if kind == "path":
            path = rest
        elif kind in ("mod", "dep") and len(cols) in (2, 3):
            m = Module(cols[0], cols[1], cols[2] if len(cols) == 3 else "")
            if kind == "mod":
                main, last = m, "main"
            else:
                deps.append(m)
                last = "dep"
        elif kind == "=>" and len(cols) == 3 and last:
            rep = Module(cols[0], cols[1], cols[2])
            if last == "main" and main is not None:
                main = Module(main.path, main.version, main.sum, rep)
            elif deps:
                d = deps[-1]
                deps[-1] = Module(d.path, d.version, d.sum, rep)
            last = None
        elif kind == "build" and rest:
            key, value = _setting(rest)
            if key:
                settings[key] = value
    return GoBuildInfo(version, layout, path, main, tuple(deps), settings)


def _setting(kv: str) -> tuple[str, str]:
    if kv[0] in "\"`":
        key, rest = _quoted_prefix(kv)
        if not rest.startswith("="):
            return "", ""
        raw = rest[1:]
    else:
        key, _, raw = kv.partition("=")
    if raw[:1] in ("\"", "`"):
        value, _ = _quoted_prefix(raw)
    else:
        value = raw
    return key, value


def _quoted_prefix(s: str) -> tuple[str, str]:
    """Unquote a Go string literal at the start of s; return (value, remainder)."""
    q = s[0]
    if q == "`":
        end = s.find("`", 1)
        return (s[1:], "") if end < 0 else (s[1:end], s[end + 1:])
    out: list[str] = []
    i = 1
    simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
              "b": "\b", "f": "\f", "v": "\v"}
    while i < len(s):
        c = s[i]
        if c == '"':
            return "".join(out), s[i + 1:]
        if c == "\\" and i + 1 < len(s):
            e = s[i + 1]
            if e in simple:
                out.append(simple[e])
                i += 2
                continue
            width = {"x": 2, "u": 4, "U": 8}.get(e)
            try:
                if width:
                    out.append(chr(int(s[i + 2:i + 2 + width], 16)))
                    i += 2 + width
                    continue
                if e in "01234567":
                    out.append(chr(int(s[i + 1:i + 4], 8)))
                    i += 4
                    continue
            except ValueError:
                pass
        out.append(c)
        i += 1
    return "".join(out), ""


def read_go_build_id(img: ElfImage) -> str | None:
    """The Go build ID from the `Go` note (type 4), by section or by PT_NOTE segment."""
    blobs: list[bytes] = []
    sec = img.section(".note.go.buildid")
    if sec is not None and sec.in_file:
        blobs.append(img.section_data(sec))
    else:
        blobs.extend(img.section_data(s) for s in img.sections if s.type == SHT_NOTE)
        if not img.sections:
            for seg in img.segments:
                if seg.type == PT_NOTE and seg.filesz <= 1 << 20:
                    blobs.append(img.read_vaddr_upto(seg.vaddr, seg.filesz))
    order = "little" if img.little_endian else "big"
    for blob in blobs:
        off = 0
        while off + 12 <= len(blob):
            namesz = int.from_bytes(blob[off:off + 4], order)
            descsz = int.from_bytes(blob[off + 4:off + 8], order)
            ntype = int.from_bytes(blob[off + 8:off + 12], order)
            name_at = off + 12
            desc_at = name_at + ((namesz + 3) & ~3)
            end = desc_at + ((descsz + 3) & ~3)
            if end > len(blob) or namesz > len(blob) or descsz > len(blob):
                break
            if ntype == GO_NOTE_BUILDID and blob[name_at:name_at + namesz] == GO_NOTE_NAME:
                return blob[desc_at:desc_at + descsz].decode("utf-8", "replace")
            off = end
    return None
