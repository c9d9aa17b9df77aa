"""Runs the workloads: builds every implementation, checks its answer against the hand-written
reference (a wrong answer is never timed), then times all of them interleaved (warm-up, then
round-robin repeats, median), so the ratios within a workload come from the same conditions."""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .workloads import Impl, Run, Skip, Workload

# What a missing library, function or rule looks like: the cell is skipped, not failed. Any other
# exception is reported as an error in its cell, and the run goes on.
_SKIPPED = (Skip, ImportError, NotImplementedError)


@dataclass(slots=True)
class Cell:
    workload: str
    impl: str
    lib: str
    status: str = "ok"  # ok | skipped: why | wrong: how | error: what
    median: float | None = None  # seconds (time) or bytes (memory)
    samples: list[float] = field(default_factory=list)
    ratio: float | None = None  # median / the reference's median
    per_op: float | None = None  # W1: seconds per op
    target: str = ""  # the target for this cell and whether it is met


@dataclass(slots=True)
class Options:
    repeats: int = 7
    min_time: float = 0.02  # seconds per timed sample (calls are batched up to this)
    tiny: bool = False  # tiny sizes (the smoke test)
    seed: int = 0
    libs: set[str] | None = None  # None: every installed library


def _skip_reason(e: BaseException) -> str | None:
    from ..errors import MissingRuleError, UnsupportedFunctionError

    if isinstance(e, (*_SKIPPED, UnsupportedFunctionError, MissingRuleError)):
        return f"skipped: {_one_line(e)}"
    return None


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    text = text if len(text) <= 110 else text[:107] + "..."
    return f"{type(e).__name__}: {text}" if not isinstance(e, Skip) else text


def agree(result: list[Any], ref: list[np.ndarray], rtol: float) -> str | None:
    """None if `result` matches `ref` (each array within rtol * max|ref|), else what differs."""
    if len(result) != len(ref):
        return f"{len(result)} outputs, expected {len(ref)}"
    for k, (r, e) in enumerate(zip(result, ref, strict=True)):
        r = np.asarray(r)
        if r.shape != e.shape:
            return f"output {k} has shape {r.shape}, expected {e.shape}"
        scale = float(np.max(np.abs(e))) if e.size else 0.0
        err = float(np.max(np.abs(r.astype(np.float64) - e))) if e.size else 0.0
        if not np.isfinite(err) or err > rtol * max(scale, 1e-300):
            return f"output {k}: max error {err:.3g} > {rtol:g} x max|ref| ({scale:.3g})"
    return None


def _batch(fn: Run, min_time: float) -> int:
    """How many calls make one sample of at least `min_time` seconds."""
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return max(1, int(min_time / max(dt, 1e-9)))


def _sample(fn: Run, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def _peak_bytes(fn: Run) -> float:
    """Peak bytes allocated (tracemalloc) during one call, above what was live before it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del out
    finally:
        tracemalloc.stop()
    return float(peak - base)


def run_workload(w: Workload, opts: Options, log: Callable[[str], None] = print) -> list[Cell]:
    """Check and measure every implementation of `w`; the first implementation is the reference."""
    data = w.setup(np.random.default_rng(opts.seed), opts.tiny)
    impls = [
        im for k, im in enumerate(w.impls) if k == 0 or opts.libs is None or im.lib in opts.libs
    ]
    cells = [Cell(w.key, im.name, im.lib) for im in impls]
    runs: list[Run | None] = []
    ref: list[np.ndarray] | None = None
    for k, (cell, im) in enumerate(zip(cells, impls, strict=True)):
        if k > 0 and ref is None:
            cell.status = "skipped: the hand-written reference did not run"
            runs.append(None)
            continue
        fn = _build(cell, im, data)
        if fn is not None and k == 0:  # the reference answers first
            ref = [np.asarray(r, dtype=np.float64) for r in fn()]
        elif fn is not None:
            why = agree(fn(), ref, w.rtol)  # type: ignore[arg-type]
            if why is not None:
                cell.status = f"wrong: {why} (not timed)"
                fn = None
        runs.append(fn)
    live = [(c, f) for c, f in zip(cells, runs, strict=True) if f is not None]
    if w.kind == "memory":
        for cell, fn in live:
            cell.samples = [_peak_bytes(fn) for _ in range(max(1, min(3, opts.repeats)))]
    else:
        numbers = [_batch(fn, opts.min_time) for _, fn in live]  # also the warm-up
        for _ in range(opts.repeats):  # interleaved: one sample of each library per round
            for (cell, fn), number in zip(live, numbers, strict=True):
                cell.samples.append(_sample(fn, number))
    _summarize(w, cells, data)
    for cell in cells:
        log(format_cell(cell, w.kind))
    return cells


def _build(cell: Cell, im: Impl, data: Any) -> Run | None:
    try:
        fn = im.build(data)
        fn()  # the first call: a missing rule shows here
        return fn
    except Exception as e:
        why = _skip_reason(e)
        cell.status = why if why is not None else f"error: {_one_line(e)}"
        return None


def _summarize(w: Workload, cells: list[Cell], data: Any) -> None:
    for cell in cells:
        if cell.samples:
            cell.median = statistics.median(cell.samples)
    ref = cells[0].median
    torch = next((c.median for c in cells if c.impl == "torch eager"), None)
    for cell in cells:
        if cell.median is None:
            continue
        if ref:
            cell.ratio = cell.median / ref
        if w.per_op is not None:
            cell.per_op = cell.median / w.per_op(data)
        limit = w.targets.get(cell.impl)
        if limit is None:
            continue
        if w.per_op is not None:
            ok = cell.per_op is not None and cell.per_op <= limit
            cell.target = f"<= {limit * 1e6:.1f} us/op"
            if torch is not None:
                ok = ok and cell.median <= 0.5 * torch
                cell.target += f" and <= 0.5x torch ({cell.median / torch:.2f}x)"
        else:
            ok = cell.ratio is not None and cell.ratio <= limit
            cell.target = f"<= {limit:g}x"
        cell.target += ": met" if ok else ": not met"
    if w.check is not None:
        found = w.check(data, {c.impl: c.median for c in cells if c.median is not None})
        if found is not None:
            for cell in cells:
                if cell.impl == found[0]:
                    cell.target = f"{cell.target}; {found[1]}" if cell.target else found[1]


def format_cell(cell: Cell, kind: str) -> str:
    head = f"[{cell.workload:8}] {cell.impl:28}"
    if cell.median is None:
        return f"{head} {cell.status}"
    value = f"{cell.median / 2**20:9.2f} MiB" if kind == "memory" else _fmt_time(cell.median)
    ratio = f"{cell.ratio:8.2f}x" if cell.ratio is not None else ""
    per_op = f"  {cell.per_op * 1e6:.2f} us/op" if cell.per_op is not None else ""
    target = f"  target {cell.target}" if cell.target else ""
    return f"{head} {value} {ratio}{per_op}{target}"


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:9.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:9.2f} ms"
    return f"{seconds:9.3f} s "


def run_all(
    selected: Iterable[Workload], opts: Options, log: Callable[[str], None] | None = None
) -> list[Cell]:
    out = log or (lambda s: print(s, file=sys.stderr, flush=True))
    cells: list[Cell] = []
    for w in selected:
        cells += run_workload(w, opts, out)
    return cells
