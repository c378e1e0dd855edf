"""Code addresses taken in Go: which functions an idiom site can yield the address of, and
whether that address reaches a sink (hardware or another context will jump to it).

One definition of sinks, used by every rule:
- a value written by WRMSR into LSTAR, CSTAR or SYSENTER_EIP (through an asm helper whose
  summary writes MSR[argument]);
- an assignment to a field named ip/IP/pc/PC/rip/RIP/Rip (also as a composite-literal key);
- an argument to a function whose name contains idt, gate, vector or interrupt;
- a value converted to a pointer and dereferenced or sliced (its code bytes are read);
- functions or parameters annotated `// eggls:sink`, and `sinks = [...]` in the config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eggls.analysis.initstate import entry_msr_sinks
from eggls.analysis.program import Func, Package, Program
from eggls.diagnostics import Span
from eggls.gosrc.model import Assign, Call, CodeDeref, CompositeLit, Expr, FuncDecl, IdiomSite

IP_FIELDS = frozenset({"ip", "IP", "pc", "PC", "rip", "RIP", "Rip"})
_SINK_NAME = re.compile(r"idt|gate|vector|interrupt", re.I)
_PTR_CONV = re.compile(r"\(\s*\*")  # a conversion to a pointer type: (*T)(x)
MAX_FOLLOW = 4


@dataclass(frozen=True)
class CodeAddress:
    site: IdiomSite
    package: Package
    targets: tuple[Func, ...]  # functions the address can be of
    via: str  # how the argument was followed ("", "table vectors", "variable f", …)
    sink: str | None  # why the address reaches a sink, or None


def _contains(outer: Span, inner: Span) -> bool:
    return outer.path == inner.path and (outer.line, outer.col) <= (inner.line, inner.col) and (
        inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)


def _enclosing(pkg: Package, site: IdiomSite) -> tuple[FuncDecl | None, list[object]]:
    for gf in pkg.go:
        if gf.path != site.span.path:
            continue
        if site.func is None:
            return None, list(gf.package_events)
        fd = gf.func(site.func)
        if fd is not None:
            return fd, list(fd.events)
    return None, []


def _funcs_of_expr(prog: Program, pkg: Package, e: Expr, fd: FuncDecl | None,
                   depth: int = 0) -> tuple[list[Func], str]:
    if depth > MAX_FOLLOW:
        return [], ""
    if e.kind == "name" and e.name:
        f = prog.resolve(pkg, e.name)
        if f is not None:
            return [f], ""
        if e.name in pkg.vars_funcs:
            return _table(prog, pkg, e.name), f"table {e.name}"
        return [], ""
    if e.kind == "qualified" and e.name and e.pkg:
        f = prog.resolve(pkg, e.name, e.pkg)
        return ([f] if f is not None else []), ""
    if e.kind == "index":
        base = e.base or e.name
        if base and base in pkg.vars_funcs:
            return _table(prog, pkg, base), f"table {base}"
        return [], ""
    if e.kind == "local" and fd is not None and e.name:
        found: list[Func] = []
        for ev in fd.events:
            if isinstance(ev, Assign) and ev.target.kind == "local" and ev.target.name == e.name \
                    and ev.value is not None:
                fs, _ = _funcs_of_expr(prog, pkg, ev.value, fd, depth + 1)
                found += [f for f in fs if f not in found]
        return found, f"variable {e.name}"
    if e.kind == "param" and fd is not None and e.name:
        idx = fd.param_index(e.name)
        if idx is None:
            return [], ""
        found = []
        for gf in pkg.go:
            for caller in gf.funcs:
                for ev in caller.events:
                    if isinstance(ev, Call) and ev.callee.kind == "name" and \
                            ev.callee.name == fd.name and idx < len(ev.args):
                        fs, _ = _funcs_of_expr(prog, pkg, ev.args[idx], caller, depth + 1)
                        found += [f for f in fs if f not in found]
        return found, f"parameter {e.name}"
    return [], ""


def _table(prog: Program, pkg: Package, var: str) -> list[Func]:
    out = []
    for name in pkg.vars_funcs.get(var, []):
        qual = None
        if "." in name:
            alias, name = name.split(".", 1)
            for gf in pkg.go:
                qual = gf.import_path(alias) or qual
        f = prog.resolve(pkg, name, qual)
        if f is not None and f not in out:
            out.append(f)
    return out


def _is_sink_callee(prog: Program, pkg: Package, call: Call, index: int,
                    config_sinks: frozenset[str]) -> str | None:
    name = call.callee.name or ""
    callee = None
    if call.callee.kind in ("name", "qualified"):
        callee = prog.resolve(pkg, name, call.callee.pkg if call.callee.kind == "qualified"
                              else None)
    if callee is not None:
        for vidx, msr in entry_msr_sinks(pkg, call, callee):
            if vidx == index:
                return f"written to the {msr} MSR by {callee.local}"
        if "sink" in callee.annotations:
            return f"passed to {callee.local} (eggls:sink)"
        decl = callee.decl
        if decl is not None and index < len(decl.params):
            p = decl.params[index]
            if any(a.name == "sink" for a in p.annotations):
                return f"passed to {callee.local} as {p.name} (eggls:sink)"
            if f"{callee.name}.{p.name}" in config_sinks or \
                    f"{callee.local}.{p.name}" in config_sinks:
                return f"passed to {callee.local} as {p.name} (configured sink)"
        if callee.name in config_sinks or callee.local in config_sinks:
            return f"passed to {callee.local} (configured sink)"
    if name and _SINK_NAME.search(name):
        return f"passed to {name}"
    return None


def _sink(prog: Program, pkg: Package, site: IdiomSite, events: list[object],
          config_sinks: frozenset[str]) -> str | None:
    span = site.span
    tracked: set[str] = set()  # locals holding the address
    for ev in events:
        if isinstance(ev, Assign) and ev.value is not None and _contains(ev.value.span, span):
            if ev.field in IP_FIELDS:
                return f"stored as an instruction pointer ({ev.target.text})"
            if ev.target.kind == "local" and ev.target.name:
                tracked.add(ev.target.name)
    for ev in events:
        if isinstance(ev, Assign) and ev.value is not None and tracked and \
                _PTR_CONV.match(ev.value.text) and any(
                    re.search(rf"\b{re.escape(t)}\b", ev.value.text) for t in tracked):
            # `code := (*[N]byte)(unsafe.Pointer(pc))`: a pointer to the code itself.
            return "used to read the function's code bytes through a pointer"
        if isinstance(ev, Assign) and ev.value is not None and ev.value.kind == "local" and \
                ev.value.name in tracked:
            if ev.field in IP_FIELDS:
                return f"stored as an instruction pointer ({ev.target.text})"
            if ev.target.kind == "local" and ev.target.name:
                tracked.add(ev.target.name)
        elif isinstance(ev, Call):
            for i, a in enumerate(ev.args):
                if _contains(a.span, span) or (a.kind == "local" and a.name in tracked):
                    why = _is_sink_callee(prog, pkg, ev, i, config_sinks)
                    if why:
                        return why
        elif isinstance(ev, CodeDeref):
            a = ev.address
            if _contains(a.span, span) or (a.kind == "local" and a.name in tracked):
                return "used to read the function's code bytes through a pointer"
        elif isinstance(ev, CompositeLit):
            for el in ev.elements:
                if el.key in IP_FIELDS and (_contains(el.value.span, span) or (
                        el.value.kind == "local" and el.value.name in tracked)):
                    return f"stored as an instruction pointer ({el.key})"
    return None


def code_address(prog: Program, pkg: Package, site: IdiomSite,
                 config_sinks: frozenset[str] = frozenset()) -> CodeAddress | None:
    """What one idiom site takes the address of, and whether it reaches a sink."""
    if site.kind == "abi0":
        # abi.FuncPCABI0 names the ABI0 entry: an asm body itself, or the ABI0→ABIInternal
        # wrapper of a Go function that sets X15 and R14 first: exactly what code entered
        # from outside Go needs.
        return None
    fd, events = _enclosing(pkg, site)
    if fd is not None and fd.funcpc_param is not None and site.arg.kind == "param":
        return None  # the funcpc helper's own body: its callers are the sites
    targets, via = _funcs_of_expr(prog, pkg, site.arg, fd)
    targets = [t for t in targets if t.lang in ("asm", "go")]
    if not targets:
        return None
    return CodeAddress(site, pkg, tuple(targets), via,
                       _sink(prog, pkg, site, events, config_sinks))


def code_addresses(prog: Program, config_sinks: frozenset[str] = frozenset()
                   ) -> list[CodeAddress]:
    return [ca for pkg in prog.packages.values() for site in pkg.idioms
            if (ca := code_address(prog, pkg, site, config_sinks)) is not None]
