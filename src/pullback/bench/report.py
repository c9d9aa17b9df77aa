"""Writes a benchmark run: JSON (every sample), a Markdown table, a PNG chart (if matplotlib is
installed) under bench/results/, and docs/benchmarks.md (the latest table and the machine)."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .runner import Cell, Options, format_cell
from .workloads import Workload

_PEERS = ("numpy", "scipy", "autograd", "torch", "jax", "jaxlib", "matplotlib")


def machine() -> dict[str, Any]:
    """The machine and software a run was measured on."""
    versions = {}
    for name in _PEERS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        versions["pullback"] = metadata.version("pullback")
    except metadata.PackageNotFoundError:
        versions["pullback"] = None
    return {
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "platform": platform.platform(),
        "processor": _cpu_name(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "blas_threads": {k: os.environ.get(k) for k in _THREAD_VARS},
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "versions": versions,
    }


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def to_json(cells: list[Cell], opts: Options, info: dict[str, Any]) -> str:
    payload = {
        "machine": info,
        "options": {**dataclasses.asdict(opts), "libs": sorted(opts.libs or []) or "all"},
        "cells": [dataclasses.asdict(c) for c in cells],
    }
    return json.dumps(payload, indent=1)


def _value(cell: Cell, kind: str) -> str:
    if cell.median is None:
        return "-"
    if kind == "memory":
        return f"{cell.median / 2**20:.2f} MiB"
    s = cell.median
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.3f} s"


def markdown_table(cells: list[Cell], workloads: list[Workload]) -> str:
    by_key = {w.key: w for w in workloads}
    lines = [
        "| workload | implementation | median | vs hand-written | per op | target | note |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for c in cells:
        kind = by_key[c.workload].kind if c.workload in by_key else "time"
        ratio = f"{c.ratio:.2f}x" if c.ratio is not None else "-"
        per_op = f"{c.per_op * 1e6:.2f} us" if c.per_op is not None else ""
        note = "" if c.status == "ok" else c.status.replace("|", "/")
        lines.append(
            f"| {c.workload} | {c.impl} | {_value(c, kind)} | {ratio} | {per_op} | "
            f"{c.target} | {note} |"
        )
    return "\n".join(lines) + "\n"


def _machine_line(info: dict[str, Any]) -> str:
    v = info["versions"]
    libs = ", ".join(f"{k} {x}" for k, x in v.items() if x is not None and k != "matplotlib")
    return (
        f"Measured {info['date_utc']} on {info['processor']} ({info['cpus']} CPUs), "
        f"{info['platform']}, Python {info['python']}, 1 BLAS thread; {libs}. "
        f"Load average when the run ended: {info['load_average']}."
    )


def markdown(cells: list[Cell], workloads: list[Workload], opts: Options, info: dict) -> str:
    titles = "\n".join(f"- **{w.key}**: {w.title}" for w in workloads)
    return (
        f"{_machine_line(info)}\n\n"
        f"Median of {opts.repeats} interleaved repeats; ratios are against the hand-written "
        "NumPy/SciPy gradient of the same workload in the same run.\n\n"
        f"{titles}\n\n{markdown_table(cells, workloads)}"
    )


def chart(cells: list[Cell], path: Path) -> bool:
    """A bar chart of the ratios to the hand-written gradient (log scale); False without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [c for c in cells if c.ratio is not None and c.workload != "W8"]
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(8, 0.22 * len(rows) + 1.2))
    labels = [f"{c.workload}  {c.impl}" for c in rows]
    colors = ["tab:orange" if c.lib == "pullback" else "tab:gray" for c in rows]
    ax.barh(np.arange(len(rows)), [c.ratio for c in rows], color=colors)
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("time / hand-written NumPy gradient (log scale; pullback in orange)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


_DOCS_HEAD = """# Benchmarks

`python -m pullback bench` (or `make bench`) times pullback against a hand-written NumPy/SciPy
gradient of the same function (the practical limit: what a careful person writes by hand) and
against whichever peer libraries are installed: HIPS autograd, PyTorch (CPU, eager) and JAX
(eager and jit). Install them with `pip install -e ".[bench]"` (autograd and matplotlib; torch
and jax separately); the suite runs with none of them and skips their cells.

How it measures:

- **One BLAS thread.** The command re-runs itself in a subprocess with `OMP_NUM_THREADS`,
  `OPENBLAS_NUM_THREADS` and `MKL_NUM_THREADS` set to 1 (they must be set before NumPy is
  imported), and sets `torch.set_num_threads(1)`; `--in-process` skips that.
- **Right answers only.** Before timing, every implementation's result is compared with the
  hand-written one (float64: max error <= 1e-6 x max|reference|; float32: 1e-4). A wrong answer
  is reported as `wrong` and never timed; a library that lacks a function is `skipped`.
- **Interleaved repeats.** After a warm-up call, each sample batches enough calls to last
  `--min-time` (20 ms); the libraries of a workload take turns, one sample each per round, for
  `--repeats` (7) rounds, and the median is reported. Ratios within a workload therefore come
  from the same conditions even on a busy machine.
- **Memory (W8)** is the peak of `tracemalloc` during one call above what was live before it;
  NumPy reports its buffers to `tracemalloc`, PyTorch and JAX do not, so only NumPy-based
  libraries have a W8 row.

Outputs: `bench/results/latest.json` (every sample and the machine), `bench/results/latest.md`
(the table), `bench/results/latest.png` (the chart, with matplotlib) and this page.
`python -m pullback bench --workloads W1,W5 --libs pullback,torch` runs a subset (it writes
`bench/results/` and leaves this page alone).

The table below is regenerated by the project lead at the end of each working session, on the
development machine (2 shared cores, so absolute times are noisy; the interleaved ratios are the
numbers to read).

## Where the time goes

**W1 (per-op overhead).** Measured on a quiet machine with `cProfile` and `timeit` (Python 3.11,
x in R^10): the plain NumPy chain costs 0.36 us per op; pullback's traced forward pass 1.85 us
and its backward sweep 1.3 us per op (3.2 us in all, from 3.4 before the hot-path work). One
traced `np.sin(x)` costs 1.64 us: 0.34 the ufunc itself, about 0.55 NumPy's `__array_ufunc__`
protocol, 0.15 building the `Node`, 0.13 the `ReverseTraced`, the rest `Rule.bind`,
`ReverseTrace.process` and the rule's `fwd` wrapper. In the sweep, a `sin` node's vjp costs
0.72 us (0.55 of it NumPy: `cos` and a multiply) and a `x * c` node's 0.8 us (0.41 NumPy), plus
about 0.2 us of heap and dictionary work per node. The floor of this design (a Python object per
op in each direction and one extra NumPy call per derivative) is therefore about 2.5 us per op;
2.0 needs the node merged into the traced value and the elementwise wrappers of `extend.py`
flattened. Python 3.11 detail: a list comprehension costs a function call there, so the hot
loops of `core/` are plain `for` loops.

**W5, W6 (Jacobians, Hessians).** `jacfwd` and `jacrev` record the function once and then run one
forward (or backward) sweep per input (or output) element over the recorded graph, finding the
graph's order once and seeding only the leaf (or output) concerned. Each sweep is a handful of
small NumPy calls with about 1 us of Python around each, so a 10-sweep Jacobian of a two-op
function costs about 15-20 sweeps' worth of overhead against a closed form that is two NumPy
calls: 6-20x, not 5x, and the Hessian (200 sweeps over the gradient's graph, each a few
matrix-vector products) about 20x. Reaching 5x needs sweeps that carry many tangents at once
(matrix-matrix products instead of matrix-vector ones). The rule contract does not allow that
today: a rule's jvp and vjp are written for one tangent of the input's shape, and a leading batch
axis is silently misread by shape-polymorphic code (`unbroadcast` would sum it away, `matmul` of
a (m, n) matrix with (k, n) tangents is wrong or fails). The planned design: a per-rule flag for
jvps (and vjps) vetted to accept a leading batch axis, and a sweep that falls back, node by node,
to one call per tangent for every rule without it, so that the result is always right and the
vetted rules (elementwise, matmul, reshapes, reductions) make it fast.

**W8 (memory).** Residuals are dropped as the backward sweep passes each node, so pullback's
peak stays at the hand-written backward pass's (0.99x).

## Latest results

"""


def write(
    cells: list[Cell],
    workloads: list[Workload],
    opts: Options,
    out_dir: Path,
    docs: Path | None,
) -> list[Path]:
    """Write every output; return the paths written."""
    info = machine()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    json_path = out_dir / "latest.json"
    json_path.write_text(to_json(cells, opts, info))
    md = markdown(cells, workloads, opts, info)
    md_path = out_dir / "latest.md"
    md_path.write_text(md)
    written += [json_path, md_path]
    png = out_dir / "latest.png"
    if chart(cells, png):
        written.append(png)
    if docs is not None:
        docs.parent.mkdir(parents=True, exist_ok=True)
        docs.write_text(_DOCS_HEAD + md)
        written.append(docs)
    return written


__all__ = ["format_cell", "machine", "markdown", "write"]
