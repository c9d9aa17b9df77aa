"""Stacks of matrices for the SciPy-only functions (rules, stage ④): SciPy's matrix functions and
equation solvers accept arrays of shape (..., m, n) and solve each matrix of the stack; pullback's
rules are written for one matrix, so the public functions map them over the leading dimensions.

The map is built from differentiable operations (broadcast_to, reshape, indexing, stack), so the
derivatives of a batched call are those of the per-matrix rules, in both modes and at any order,
and every matrix keeps its own factorization."""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np

from ..extend import as_array


def over_batch(fn: Callable[..., Any], *mats: Any, name: str) -> Any:
    """fn(*matrices) for each matrix of the broadcast stack `mats` (each (..., m, n)), stacked to
    (*batch, *fn's result shape). Returns None when no argument has leading dimensions."""
    mats = tuple(as_array(m) for m in mats)
    if all(m.ndim == 2 for m in mats) or any(m.ndim < 2 for m in mats):
        return None  # one matrix each (or a shape error, which the function itself reports)
    try:
        batch = np.broadcast_shapes(*(m.shape[:-2] for m in mats))
    except ValueError:
        shapes = ", ".join(str(m.shape) for m in mats)
        raise ValueError(
            f"{name}: the leading (batch) dimensions of the arguments do not broadcast: {shapes}"
        ) from None
    count = prod(batch)
    if count == 0:
        raise ValueError(f"{name}: an empty stack of matrices (batch shape {batch})")
    flat = [
        np.reshape(np.broadcast_to(m, (*batch, *m.shape[-2:])), (count, *m.shape[-2:]))
        for m in mats
    ]
    results = [fn(*(m[i] for m in flat)) for i in range(count)]
    return np.reshape(np.stack(results), (*batch, *np.shape(results[0])))
