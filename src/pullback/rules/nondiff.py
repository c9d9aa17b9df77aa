"""Rules (stage ④) for functions with no derivative: they run on the concrete values and return
plain arrays (comparisons, predicates, integer-valued and metadata functions). Gradients through
them are zero by definition; control flow on their results works (eager tracing)."""

from __future__ import annotations

import numpy as np
import scipy.special

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

# integer-valued and index-valued results (zeros_like, ones_like, empty_like of a traced array
# are traced constants, buffers for writes: rules/writes.py registers them)
for _fn in (
    np.floor, np.ceil, np.trunc, np.rint, np.round, np.argmax, np.argmin, np.argsort,
    np.nonzero, np.argwhere, np.flatnonzero, np.searchsorted, np.count_nonzero,
):  # fmt: skip
    nondifferentiable(_fn)
del _fn

# integer-valued ufuncs, predicates and rounding (issue 3: NumPy parity); `fix`/`around` round too
for _fn in (
    np.fix, np.around, np.floor_divide, np.heaviside, np.isneginf, np.isposinf, np.isreal,
    np.iscomplex, np.nextafter, np.spacing, np.gcd, np.lcm, np.bitwise_and, np.bitwise_or,
    np.bitwise_xor, np.invert, np.left_shift, np.right_shift, np.bitwise_count, np.array_equiv,
):  # fmt: skip
    nondifferentiable(_fn)

# sorting, searching, counting and set functions: indices, counts, or values chosen by comparison
# (gradients through unique/set results are zero by definition; sort and partition are
# differentiable, in sorting.py)
for _fn in (
    np.argpartition, np.lexsort, np.nanargmax, np.nanargmin, np.unique, np.unique_all,
    np.unique_counts, np.unique_inverse, np.unique_values, np.isin, np.intersect1d, np.union1d,
    np.setdiff1d, np.setxor1d, np.histogram, np.histogram2d, np.histogramdd,
    np.histogram_bin_edges, np.bincount, np.digitize,
):  # fmt: skip
    nondifferentiable(_fn)

# index helpers and memory predicates
for _fn in (
    np.tril_indices_from, np.triu_indices_from, np.diag_indices_from, np.ravel_multi_index,
    np.unravel_index, np.shares_memory, np.may_share_memory, np.min_scalar_type, np.can_cast,
):  # fmt: skip
    nondifferentiable(_fn)
# index builders, bit packing, dates, printing and paths: no numbers to differentiate
for _fn in (
    np.ix_, np.packbits, np.unpackbits, np.isnat, np.busday_count, np.busday_offset,
    np.is_busday, np.datetime_as_string, np.array2string, np.array_repr, np.array_str,
    np.einsum_path, np.common_type,
):  # fmt: skip
    nondifferentiable(_fn)
del _fn
nondifferentiable(np.linalg.matrix_rank)  # an integer count of singular values above a tolerance
nondifferentiable(scipy.special.gammasgn)  # the sign of Gamma(x): piecewise constant
nondifferentiable(scipy.special.round)  # round half to even: piecewise constant


def is_nondifferentiable(handler: object) -> bool:
    """True when `handler` (a registry value) came from `extend.nondifferentiable` (the coverage
    table reads it: such functions return plain arrays and have zero derivative)."""
    return getattr(handler, "__qualname__", "").startswith("nondifferentiable.")
