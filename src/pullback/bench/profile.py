"""W1's time per op taken apart (`python -m pullback bench --profile-w1`): what NumPy itself costs,
what NumPy's dispatch protocol costs, and what pullback's Python costs in the forward record and
in the backward sweep. docs/benchmarks.md quotes it; it is how to check a change to the hot path.

Every figure is CPU time per op of W1's chain (4 * steps + 1 ops), the minimum over `samples`
samples (`--repeats`) of 20 calls each, with garbage collection off unless the line says otherwise:
the least noisy estimate on a shared machine, so the lines can be subtracted from one another.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import grad, vjp
from ..core.reverse import ReverseTrace, backward
from ..core.trace import new_trace
from .workloads import _chain, _w1_numpy

STEPS = 200
OPS = 4 * STEPS + 1


def _per_op(fn: Callable[[], Any], samples: int, number: int, ops: int, collect: bool) -> float:
    """Minimum CPU seconds per op over `samples` samples of `number` calls each."""
    for _ in range(3):
        fn()
    enabled = gc.isenabled()
    gc.enable() if collect else gc.disable()
    try:
        best = float("inf")
        for _ in range(samples):
            t0 = time.process_time()
            for _ in range(number):
                fn()
            best = min(best, (time.process_time() - t0) / number)
    finally:
        gc.enable() if enabled else gc.disable()
    return best / ops


class _Stub:
    """Implements the ufunc protocol and does nothing: np.sin(stub) costs NumPy's dispatch only."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return None


def measure(samples: int = 21, number: int = 20) -> dict[str, float]:
    """The breakdown, in microseconds per op (the protocol line: per call)."""
    x = np.random.default_rng(0).standard_normal(10)

    def per_op(fn: Callable[[], Any], collect: bool = False, ops: int = OPS) -> float:
        return _per_op(fn, samples, number, ops, collect) * 1e6

    with new_trace(ReverseTrace) as trace:  # one recorded tape, swept again and again
        out = _chain(np, trace.leaf(x), STEPS)
    tape, seeds = trace.tape, [(out.node, np.float64(1.0))]
    g = grad(lambda x: _chain(np, x, STEPS))
    stub = _Stub()
    stub_call = stub.__array_ufunc__
    r = {
        "numpy_forward": per_op(lambda: _chain(np, x, STEPS)),
        "hand_written": per_op(_w1_numpy({"x": x, "steps": STEPS})),
        "record": per_op(lambda: vjp(lambda x: _chain(np, x, STEPS), x)),
        "sweep": per_op(lambda: backward(seeds, tape, retain=True)),
        "grad": per_op(lambda: g(x)),
        "grad_gc": per_op(lambda: g(x), collect=True),
    }
    r["protocol"] = per_op(lambda: np.sin(stub), ops=1) - per_op(
        lambda: stub_call(np.sin, "__call__", stub), ops=1
    )
    return r


def report(r: dict[str, float]) -> str:
    numpy_backward = r["hand_written"] - r["numpy_forward"]  # the same NumPy calls the sweep makes
    rows = [
        ("NumPy forward alone (the same calls, plain arrays)", r["numpy_forward"]),
        ("hand-written gradient (NumPy forward and backward)", r["hand_written"]),
        ("pullback forward record (vjp, no sweep)", r["record"]),
        ("  of which Python around the NumPy calls", r["record"] - r["numpy_forward"]),
        ("pullback backward sweep (one recorded tape)", r["sweep"]),
        ("  of which Python around the NumPy calls", r["sweep"] - numpy_backward),
        ("pullback grad, garbage collection off", r["grad"]),
        ("pullback grad, garbage collection on", r["grad_gc"]),
    ]
    lines = [f"W1 per op ({OPS} ops, x in R^10), CPU time, minimum of the samples:"]
    lines += [f"  {label:<52} {value:6.3f} us" for label, value in rows]
    lines.append(
        f"  NumPy's __array_ufunc__ dispatch, per np.sin(x) on a non-ndarray: "
        f"{r['protocol'] * 1e3:.0f} ns (a quarter of W1's ops pay it)"
    )
    return "\n".join(lines)


def main(samples: int = 21) -> int:
    print(report(measure(samples)))
    return 0
