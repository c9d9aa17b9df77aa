"""Rules (stage ④) for sorting and order statistics: sort, partition, median, quantile,
percentile. No new primitives: the permutation is computed from the plain values and applied with
take_along_axis (a gather), so the gradient flows through the permutation: each output entry
passes its cotangent to the input entry it came from.

Ties: the permutation is the one of a *stable* argsort (equal values keep their input order), so
tied entries each receive the cotangent of their own output position. The function is not
differentiable there; this is one consistent choice (a one-sided derivative), not an average.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..core import primal, register
from ..extend import as_array


def _flat(a: Any, axis: Any) -> tuple[Any, int]:
    a = as_array(a)
    if axis is None:
        return np.reshape(a, -1), 0
    return a, normalize_axis_index(axis, a.ndim)


def _sort(
    a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None
) -> Any:
    """sort(x) = take_along_axis(x, argsort(x, stable)): y' = xdot[perm], xbar = scatter(ybar)."""
    if order is not None:
        raise TypeError("pullback's numpy.sort does not support order= (structured arrays)")
    a, axis = _flat(a, axis)
    perm = np.argsort(primal(a), axis=axis, kind="stable")
    return np.take_along_axis(a, perm, axis=axis)


def _partition(
    a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None
) -> Any:
    """NumPy's partition of the values, with the permutation that produces it: output entry j
    comes from the input entry of equal rank (stable ranks on both sides)."""
    if order is not None:
        raise TypeError("pullback's numpy.partition does not support order= (structured arrays)")
    a, axis = _flat(a, axis)
    values = primal(a)
    y = np.partition(values, kth, axis=axis)
    rank_in = np.argsort(values, axis=axis, kind="stable")  # j-th smallest input entry
    rank_out = np.argsort(y, axis=axis, kind="stable")  # where the j-th smallest sits in y
    perm = np.empty_like(rank_in)
    np.put_along_axis(perm, rank_out, rank_in, axis=axis)  # perm[rank_out[j]] = rank_in[j]
    return np.take_along_axis(a, perm, axis=axis)


register(np.sort, _sort)
register(np.partition, _partition)


# ---- order statistics: sort, then interpolate linearly between neighbours ------------------------
def _order_statistic(a: Any, q: Any, axis: Any, keepdims: bool, *, nan_aware: bool) -> Any:
    """The linear-method quantile over `axis` (nan_aware: over the entries that are not NaN,
    which sort last; NaN entries get no cotangent)."""
    a = as_array(a)
    ndim = a.ndim
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(normalize_axis_index(ax, ndim) for ax in (axis if np.ndim(axis) else (axis,)))
    keep = [i for i in range(ndim) if i not in axes]
    z = np.transpose(a, (*keep, *axes)) if ndim else a
    z = np.reshape(z, (*(a.shape[i] for i in keep), -1))  # batch B, then the reduced entries
    q = np.asarray(primal(q), dtype=np.float64)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    s = np.sort(z, axis=-1)
    batch, n = s.shape[:-1], s.shape[-1]
    nan = np.isnan(primal(z))
    count = np.sum(~nan, axis=-1) if nan_aware else np.full(batch, n)
    qx = np.reshape(q, (1,) * len(batch) + q.shape)
    last = np.reshape(np.maximum(count - 1, 0), batch + (1,) * q.ndim)
    p = qx * last  # (B, *q.shape)
    lo = np.floor(p).astype(np.intp)
    hi = np.minimum(lo + 1, last)
    # NumPy's result dtype: the input's for a scalar q, promoted with float64 for an array q
    work = primal(s).dtype if q.ndim == 0 else np.result_type(primal(s).dtype, q.dtype)
    s = s.astype(work) if s.dtype != work else s
    t = (p - lo).astype(work)

    def gather(i: np.ndarray) -> Any:
        flat = np.reshape(i, (*batch, -1))
        return np.reshape(np.take_along_axis(s, flat, axis=-1), p.shape)

    below, above = gather(lo), gather(hi)
    diff = above - below
    # NumPy's lerp: below + t diff for t < 0.5, above - (1 - t) diff otherwise (exact endpoints)
    y = np.where(t >= 0.5, above - (1 - t) * diff, below + t * diff)
    empty = count == 0 if nan_aware else np.any(nan, axis=-1)  # NaN results
    if np.any(empty):
        if nan_aware:
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
        y = np.where(np.reshape(empty, batch + (1,) * q.ndim), np.nan, y)
    y = np.moveaxis(y, tuple(range(-q.ndim, 0)), tuple(range(q.ndim))) if q.ndim else y
    if keepdims:
        shape = tuple(1 if i in axes else a.shape[i] for i in range(ndim))
        y = np.reshape(y, (*q.shape, *shape))
    return y


def _check(fn: str, out: Any, method: str, weights: Any, interpolation: Any) -> None:
    if out is not None:
        raise TypeError(f"pullback's numpy.{fn} does not support out=; use the result")
    if method != "linear" or weights is not None or interpolation is not None:
        raise TypeError(
            f"pullback's numpy.{fn} supports method='linear' without weights; got method={method!r}"
        )


def _quantile(fn: str, scale: float, nan_aware: bool) -> Any:
    """numpy.<fn>(a, q, ...): the linear-method quantile at q / scale (of the entries that are not
    NaN when nan_aware; NaN entries get no cotangent)."""

    def handler(
        a: Any,
        q: Any,
        axis: Any = None,
        out: Any = None,
        overwrite_input: bool = False,
        method: str = "linear",
        keepdims: bool = False,
        *,
        weights: Any = None,
        interpolation: Any = None,
    ) -> Any:
        """method='linear': with s = sort(x) along axis and p = q (n - 1), i = floor(p),
        t = p - i, y = s_i + t (s_{i+1} - s_i) (NumPy's lerp). Differentiable in x; q is a
        constant. A slice holding NaN gives NaN, as in NumPy."""
        _check(fn, out, method, weights, interpolation)
        q = np.asarray(primal(q), dtype=np.float64) / scale if scale != 1 else q
        return _order_statistic(a, q, axis, keepdims, nan_aware=nan_aware)

    return handler


def _median(fn: str, nan_aware: bool) -> Any:
    """numpy.<fn>(a, ...): the 0.5-quantile, the middle entry or the midpoint of the two middle
    entries (of the entries that are not NaN when nan_aware)."""

    def handler(
        a: Any,
        axis: Any = None,
        out: Any = None,
        overwrite_input: bool = False,
        keepdims: bool = False,
    ) -> Any:
        _check(fn, out, "linear", None, None)
        return _order_statistic(a, 0.5, axis, keepdims, nan_aware=nan_aware)

    return handler


register(np.quantile, _quantile("quantile", 1.0, nan_aware=False))
register(np.percentile, _quantile("percentile", 100.0, nan_aware=False))
register(np.median, _median("median", nan_aware=False))
register(np.nanquantile, _quantile("nanquantile", 1.0, nan_aware=True))
register(np.nanpercentile, _quantile("nanpercentile", 100.0, nan_aware=True))
register(np.nanmedian, _median("nanmedian", nan_aware=True))


def _sort_complex(a: Any) -> Any:
    """Sort by real part, then imaginary part (a stable permutation), as a complex array."""
    a = as_array(a)
    values = primal(a)
    dtype = np.sort_complex(values[..., :0]).dtype  # NumPy's complex type for this input
    perm = np.argsort(values.astype(dtype), axis=-1, kind="stable")
    y = np.take_along_axis(a, perm, axis=-1)
    return y if y.dtype == dtype else y.astype(dtype)


register(np.sort_complex, _sort_complex)
