"""Find where a NaN or Inf is born with pullback's graph view, then fix it.

Run:  python examples/graph_nan.py [output folder]   (writes logsumexp.html, a standalone page)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import pullback as pb


def naive_logsumexp(x):
    e = np.exp(x)  # overflows to inf for x = 1000
    return np.log(np.sum(e))


def stable_logsumexp(x):
    m = np.max(pb.stop_gradient(x))  # a constant shift: the gradient is unchanged
    return m + np.log(np.sum(np.exp(x - m)))


def main(out: Path) -> pb.viz.Graph:
    x = np.array([1000.0, 1.0])
    with np.errstate(over="ignore", invalid="ignore"):
        g = pb.graph(naive_logsumexp, x)
    print(g.table())
    for node in g.flagged:
        print(f"first NaN/Inf: {node.id} {node.op} at {node.source}")
    out.mkdir(parents=True, exist_ok=True)
    print(f"wrote {g.render(out / 'logsumexp.html')}")
    fixed = pb.graph(stable_logsumexp, x)
    print(fixed.table())
    return fixed


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
