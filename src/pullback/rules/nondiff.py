"""Rules (stage ④) for functions with no derivative: they run on the concrete values and return
plain arrays (comparisons, predicates, integer-valued and metadata functions). Gradients through
them are zero by definition; control flow on their results works (eager tracing)."""

from __future__ import annotations

import numpy as np

from ..extend import nondifferentiable

# comparisons and logical functions
for _fn in (
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isinf, np.isnan, np.signbit, np.sign,
    np.allclose, np.isclose, np.array_equal, np.any, np.all,
):  # fmt: skip
    nondifferentiable(_fn)

# metadata
for _fn in (np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj):
    nondifferentiable(_fn)

# integer-valued and index-valued results
for _fn in (
    np.floor, np.ceil, np.trunc, np.rint, np.round, np.argmax, np.argmin, np.argsort,
    np.nonzero, np.argwhere, np.flatnonzero, np.searchsorted, np.count_nonzero,
    np.zeros_like, np.ones_like, np.empty_like,
):  # fmt: skip
    nondifferentiable(_fn)
del _fn
