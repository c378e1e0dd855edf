"""Init state: which of SSE, FS base, g and "interrupted FPU state saved" are established,
as a must analysis (true only if true on every path), from the entries through all calls.

Facts are only ever established, never lost, so the state at a point is the entry state of
its function plus what the function itself establishes on every path up to that point
(`before`), and what a call establishes is its callee's summary. Summaries are a greatest
fixpoint over the call graph (recursion included); states flow from entries to callees as
the meet (intersection) over all call sites that are reached.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from eggls.analysis.asmflow import ARCH_SET_FS, ENTRY_MSRS, MSR_FS_BASE, SYS_ARCH_PRCTL
from eggls.analysis.program import Func, Package, Program
from eggls.diagnostics import Span
from eggls.gosrc.model import Call

SSE, FS, G, FPU = "sse", "fs", "g", "fpu"
FACTS = frozenset({SSE, FS, G, FPU})
TOP = FACTS
BOOT_STATE = frozenset({FPU})  # nothing initialised; no interrupted context to preserve
INTERRUPT_STATE = frozenset({SSE, FS, G})  # steady state, but the FPU is not yet saved
# Frames after which a Go call does not run now, in this order, in this goroutine.
_DETACHED = {"closure", "go", "defer"}
# Frames inside which a fact established does not hold after the construct.
_CONDITIONAL = {"if", "else", "for", "case", "select", "cond", "closure", "go", "defer"}
# The Go runtime's own start-up: once control passes there, all is set up (it never returns).
RUNTIME_STARTS = ("_rt0_amd64", "runtime.rt0_go", "runtime·rt0_go")


@dataclass
class Site:
    """A call edge (asm CALL/JMP or Go call) from caller to callee."""

    caller: Func
    callee: Func
    span: Span  # the CALL instruction / the call expression
    before: frozenset[str]  # what the caller established before this point
    lang: str  # "asm" or "go"
    tail: bool = False  # asm JMP: the callee returns to our caller
    index: int = -1  # instruction index (asm)
    call: Call | None = None  # the Go call event


@dataclass
class InitState:
    summaries: dict[str, frozenset[str]] = field(default_factory=dict)
    sites: dict[str, list[Site]] = field(default_factory=dict)  # by caller name
    entry_state: dict[str, frozenset[str]] = field(default_factory=dict)  # reached funcs
    kinds: dict[str, set[str]] = field(default_factory=dict)  # "boot" / "interrupt"
    established_at: dict[tuple[str, str], Span] = field(default_factory=dict)  # (func,fact)

    def state_at(self, site: Site) -> frozenset[str] | None:
        """The must-state at a call site; None when the caller is reached from no entry."""
        es = self.entry_state.get(site.caller.name)
        if es is None:
            return None
        return es | site.before


def _arg_const(pkg: Package, call: Call, index: int) -> int | None:
    if index >= len(call.args):
        return None
    a = call.args[index]
    if a.const is not None:
        return a.const
    if a.kind == "name" and a.name in pkg.consts:
        return pkg.consts[a.name]
    if a.cexpr is not None:
        from eggls.gosrc.constants import ConstVal, evaluate

        def lookup(name: str) -> ConstVal | None:
            v = pkg.consts.get(name)
            return ConstVal(v, None) if v is not None else None

        try:
            return evaluate(a.cexpr, lookup)  # type: ignore[arg-type]
        except Exception:
            return None
    return None


def msr_writes(f: Func) -> list[tuple[str | None, int | None, str | None]]:
    """(MSR-number parameter, constant MSR, value parameter) of every WRMSR in f."""
    flow = f.flow
    if flow is None:
        return []
    out = []
    for effs in flow.effects.values():
        for e in effs:
            if e.kind == "msr_param":
                out.append((e.param_msr, None, e.param_value))
            elif e.kind == "msr":
                out.append((None, e.msr, e.value.param))
    return out


def _param_index(f: Func, name: str | None) -> int | None:
    if name is None or f.decl is None:
        return None
    return f.decl.param_index(name)


def go_call_effects(prog: Program, pkg: Package, call: Call, callee: Func) -> set[str]:
    """Facts a call establishes beyond the callee's summary: an asm helper that writes
    MSR[param] establishes the FS base when called with MSR_FS_BASE."""
    out: set[str] = set()
    for msr_param, _msr, _val in msr_writes(callee):
        idx = _param_index(callee, msr_param)
        if idx is not None and _arg_const(pkg, call, idx) == MSR_FS_BASE:
            out.add(FS)
    return out


def entry_msr_sinks(pkg: Package, call: Call, callee: Func) -> list[tuple[int, str]]:
    """Arguments of this call that the callee writes into a syscall-entry MSR."""
    out = []
    for msr_param, msr, val_param in msr_writes(callee):
        vidx = _param_index(callee, val_param)
        if vidx is None:
            continue
        number = msr
        if number is None:
            idx = _param_index(callee, msr_param)
            number = _arg_const(pkg, call, idx) if idx is not None else None
        if number in ENTRY_MSRS:
            out.append((vidx, ENTRY_MSRS[number]))
    return out


def _resolve_go_call(prog: Program, pkg: Package, call: Call) -> Func | None:
    c = call.callee
    if c.kind == "name" and c.name:
        return prog.resolve(pkg, c.name)
    if c.kind == "qualified" and c.name and c.pkg:
        return prog.resolve(pkg, c.name, c.pkg)
    return None


def _asm_sites(prog: Program, f: Func, summaries: dict[str, frozenset[str]],
               established: dict[tuple[str, str], Span]) -> tuple[list[Site], frozenset[str]]:
    flow = f.flow
    assert flow is not None and f.text is not None
    body = f.text.instructions
    calls = {k: (sym, tail) for k, sym, tail in flow.calls}
    nblocks = len(flow.blocks)
    preds: list[list[int]] = [[] for _ in range(nblocks)]
    for b, blk in enumerate(flow.blocks):
        for s in blk.succ:
            preds[s].append(b)
    out_state: list[frozenset[str] | None] = [None] * nblocks
    before: dict[int, frozenset[str]] = {}
    ret_states: list[frozenset[str]] = []
    changed = True
    rounds = 0
    while changed and rounds < 4 * nblocks + 4:
        changed = False
        rounds += 1
        for b, blk in enumerate(flow.blocks):
            if b == 0:
                cur = frozenset()
            else:
                ins_states = [out_state[p] for p in preds[b] if out_state[p] is not None]
                if not ins_states:
                    continue  # not reached (yet)
                cur = frozenset.intersection(*ins_states)
            for k in range(blk.start, blk.end):
                before[k] = cur
                for e in flow.effects.get(k, ()):
                    if e.kind in (SSE, FS, FPU) and e.kind not in cur:
                        cur = cur | {e.kind}
                        established.setdefault((f.name, e.kind), body[k].span)
                if k in calls:
                    sym, tail = calls[k]
                    if any(sym.name.startswith(r) or sym.written.startswith(r)
                           for r in RUNTIME_STARTS):
                        cur = TOP
                        continue
                    callee = prog.funcs.get(sym.name)
                    if callee is not None and not tail:
                        summ = summaries.get(callee.name, TOP)
                        if summ != TOP:  # after a call that never returns nothing runs
                            for fact in summ - cur:
                                established.setdefault((f.name, fact), body[k].span)
                        cur = cur | summ
            if out_state[b] != cur:
                out_state[b] = cur
                changed = True
    for k in flow.returns:
        if k in before:
            ret_states.append(before[k])
    summary = frozenset.intersection(*ret_states) if ret_states else TOP
    sites = []
    for k, (sym, tail) in calls.items():
        callee = prog.funcs.get(sym.name)
        if callee is None or k not in before:
            continue
        ins = body[k]
        sites.append(Site(f, callee, ins.span, before[k], "asm", tail, index=k))
    return sites, summary


@dataclass
class _GoCall:
    """A Go call, resolved once: the plan a summary iteration walks."""

    callee: Func | None  # None: outside the program, known only by what it establishes
    key: tuple[tuple[str, int, int], ...]  # its enclosing frames
    extra: frozenset[str]  # facts established beyond the callee's summary
    call: Call


def _go_plan(prog: Program, f: Func) -> list[_GoCall]:
    assert f.decl is not None
    pkg = prog.package_of(f.path)
    if pkg is None:
        return []
    plan = []
    for ev in f.decl.events:
        if not isinstance(ev, Call):
            continue
        if any(fr.kind in _DETACHED for fr in ev.context):
            continue
        callee = _resolve_go_call(prog, pkg, ev)
        key = tuple((fr.kind, fr.stmt_start, fr.branch_start) for fr in ev.context)
        if callee is None:
            if _is_arch_prctl_set_fs(pkg, ev):
                plan.append(_GoCall(None, key, frozenset({FS}), ev))
            continue
        plan.append(_GoCall(callee, key, frozenset(go_call_effects(prog, pkg, ev, callee)), ev))
    return plan


def _is_arch_prctl_set_fs(pkg: Package, call: Call) -> bool:
    """`arch_prctl(ARCH_SET_FS, addr)` by any helper of that name, or the raw system call
    `syscall.(Raw)Syscall(SYS_ARCH_PRCTL, ARCH_SET_FS, addr…)`."""
    name = (call.callee.name or "").lower().replace("_", "")
    if name == "archprctl":
        return _arg_const(pkg, call, 0) == ARCH_SET_FS
    if name in ("syscall", "rawsyscall", "syscall6", "rawsyscall6"):
        return (_arg_const(pkg, call, 0) == SYS_ARCH_PRCTL
                or (call.args and call.args[0].name == "SYS_ARCH_PRCTL")) and \
            _arg_const(pkg, call, 1) == ARCH_SET_FS
    return False


def _go_sites(f: Func, plan: list[_GoCall], summaries: dict[str, frozenset[str]],
              established: dict[tuple[str, str], Span] | None
              ) -> tuple[list[Site], frozenset[str]]:
    top_level: set[str] = set()
    scoped: list[tuple[tuple[object, ...], frozenset[str]]] = []
    sites = []
    for pc in plan:
        key = pc.key
        if established is not None and pc.callee is not None:  # the final pass records sites
            cur = set(top_level)
            for skey, facts in scoped:
                if key[: len(skey)] == skey:
                    cur |= facts
            sites.append(Site(f, pc.callee, pc.call.span, frozenset(cur), "go", call=pc.call))
        gained = (summaries.get(pc.callee.name, TOP) if pc.callee is not None
                  else frozenset()) | pc.extra
        if gained == TOP:
            gained = frozenset()  # a call that never returns establishes nothing after it
        if not key:
            if established is not None:
                for fact in gained - top_level:
                    established.setdefault((f.name, fact), pc.call.span)
            top_level |= gained
        else:
            scoped.append((key, frozenset(gained)))
    return sites, frozenset(top_level)


def _callees(f: Func, plan: list[_GoCall] | None, prog: Program) -> list[Func]:
    if plan is not None:
        return [pc.callee for pc in plan if pc.callee is not None]
    flow = f.flow
    if flow is None:
        return []
    return [c for _, sym, _ in flow.calls if (c := prog.funcs.get(sym.name)) is not None]


def analyse(prog: Program, boot: list[str], interrupt: list[str]) -> InitState:
    st = InitState()
    roots = [n for n in (*boot, *interrupt) if n in prog.funcs]
    if not roots:
        return st  # reached from no entry: no state-based finding, nothing to compute
    # Only functions reachable from an entry need summaries and sites.
    plans: dict[str, list[_GoCall] | None] = {}
    callers: dict[str, set[str]] = {}
    reach: list[Func] = []
    todo = list(dict.fromkeys(roots))
    seen = set(todo)
    while todo:
        f = prog.funcs[todo.pop()]
        if f.lang not in ("asm", "go"):
            continue
        reach.append(f)
        plans[f.name] = _go_plan(prog, f) if f.lang == "go" else None
        for c in _callees(f, plans[f.name], prog):
            callers.setdefault(c.name, set()).add(f.name)
            if c.name not in seen:
                seen.add(c.name)
                todo.append(c.name)
    summaries = {f.name: TOP for f in reach}

    def summarise(f: Func, established: dict[tuple[str, str], Span] | None
                  ) -> tuple[list[Site], frozenset[str]]:
        if f.lang == "asm":
            sites, summ = _asm_sites(prog, f, summaries,
                                     established if established is not None else {})
        else:
            sites, summ = _go_sites(f, plans[f.name] or [], summaries, established)
        return sites, (summ | frozenset(f.sets()) if summ != TOP else summ)

    # Greatest fixpoint by worklist: recompute the callers of a summary that shrank.
    work: deque[str] = deque(f.name for f in reach)
    queued = set(work)
    steps = 0
    while work and steps < 50 * len(reach) + 100:
        steps += 1
        name = work.popleft()
        queued.discard(name)
        _, summ = summarise(prog.funcs[name], None)
        if summ != summaries[name]:
            summaries[name] = summ
            for c in callers.get(name, ()):
                if c in summaries and c not in queued:
                    queued.add(c)
                    work.append(c)
    # One more pass with the final summaries records the sites and where facts arise.
    for f in reach:
        st.sites[f.name], _ = summarise(f, st.established_at)
    st.summaries = summaries
    work = deque()
    for name, state, kind in [*[(n, BOOT_STATE, "boot") for n in boot],
                              *[(n, INTERRUPT_STATE, "interrupt") for n in interrupt]]:
        if name not in prog.funcs:
            continue
        old = st.entry_state.get(name)
        st.entry_state[name] = state if old is None else old & state
        st.kinds.setdefault(name, set()).add(kind)
        work.append(name)
    steps = 0
    while work and steps < 200_000:
        steps += 1
        name = work.popleft()
        es = st.entry_state[name]
        kinds = st.kinds[name]
        for site in st.sites.get(name, ()):
            if site.callee.lang not in ("asm", "go"):
                continue
            state = es | site.before
            cn = site.callee.name
            old = st.entry_state.get(cn)
            new = state if old is None else old & state
            old_kinds = st.kinds.setdefault(cn, set())
            if new != old or not kinds <= old_kinds:
                st.entry_state[cn] = new
                old_kinds |= kinds
                work.append(cn)
    return st
