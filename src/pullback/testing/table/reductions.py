"""OpInfo entries for reductions (rules/reductions.py): sum, mean, prod, max/min, var/std, cumsum
and the ufunc methods add.reduce, multiply.reduce, maximum/minimum.reduce, add.accumulate."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opinfo import UNARY_SHAPES, NondiffInfo, OpInfo

NDIM2 = (((2, 3),), ((4, 2, 3),))
NONSCALAR = UNARY_SHAPES[1:]


def _distinct(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Values at least 0.3 apart: no finite-difference step changes which entry is the max."""
    shapes = [(), (3,), (2, 3), (4, 2, 3)]
    return [
        ((rng.permutation(np.prod(s, dtype=int)) * 0.3 - 2).reshape(s).astype(dtype),)
        for s in shapes
    ]


def _signed(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Magnitudes in [0.5, 1.5] with random signs: products of 24 entries stay well scaled."""
    shapes = [(), (3,), (2, 3), (4, 2, 3)]
    return [
        ((rng.uniform(0.5, 1.5, s) * rng.choice([-1.0, 1.0], s)).astype(dtype),) for s in shapes
    ]


def _one_zero(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """A single zero: the full product's gradient is nonzero only there (no x / x anywhere)."""
    x, v = rng.uniform(0.5, 1.5, (3, 4)), rng.uniform(0.5, 1.5, 4)
    x[1, 2] = v[0] = 0.0
    return [(x.astype(dtype),), (v.astype(dtype),)]


def _row_zeros(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Rows with two zeros, one zero and none (reduced along the last axis)."""
    x = rng.uniform(0.5, 1.5, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    x[0, 1] = x[0, 3] = x[1, 0] = 0.0
    return [(x.astype(dtype),)]


_MASK = np.array([True, False, True])


def _sum_axes(x: Any) -> Any:
    return np.sum(x, axis=(0, -1), keepdims=True)


def _sum_where(x: Any) -> Any:
    return np.sum(x, axis=0, where=_MASK, initial=1.5)


def _mean_axis(x: Any) -> Any:
    return np.mean(x, axis=-2, keepdims=True)


def _var_axes(x: Any) -> Any:
    return np.var(x, axis=(0, 2), ddof=1)


def _std_axis(x: Any) -> Any:
    return np.std(x, axis=-1, ddof=1, keepdims=True)


def _prod_axis(x: Any) -> Any:
    return np.prod(x, axis=-1)


def _prod_axes(x: Any) -> Any:
    return np.prod(x, axis=(0, 2), keepdims=True)


def _max_axis(x: Any) -> Any:
    return np.max(x, axis=-1)


def _min_axes(x: Any) -> Any:
    return np.min(x, axis=(0, 1), keepdims=True)


def _max_where(x: Any) -> Any:
    return np.max(x, axis=-1, where=_MASK, initial=-10.0)


def _cumsum_axis(x: Any) -> Any:
    return np.cumsum(x, axis=-2)


def _add_reduce(x: Any) -> Any:
    return np.add.reduce(x)


def _add_reduce_axis(x: Any) -> Any:
    return np.add.reduce(x, axis=None, keepdims=True)


def _multiply_reduce(x: Any) -> Any:
    return np.multiply.reduce(x, axis=-1)


def _maximum_reduce(x: Any) -> Any:
    return np.maximum.reduce(x)


def _minimum_reduce(x: Any) -> Any:
    return np.minimum.reduce(x, axis=-1)


def _add_accumulate(x: Any) -> Any:
    return np.add.accumulate(x, axis=-1)


def _methods(x: Any) -> Any:
    return (
        x.sum(axis=0)
        + x.mean(axis=0) * x.prod(axis=0)
        + x.var(axis=0)
        + x.cumsum(axis=0).sum(axis=0)
    )


OPS: list[OpInfo] = [
    OpInfo("sum", np.sum, (np.sum,)),
    OpInfo("sum_axes_keepdims", _sum_axes, (np.sum,), shapes=NDIM2),
    OpInfo("sum_where_initial", _sum_where, (np.sum, np.where), shapes=NDIM2),
    OpInfo("add.reduce", _add_reduce, ((np.add, "reduce"),), shapes=NONSCALAR),
    OpInfo("add.reduce_none", _add_reduce_axis, ((np.add, "reduce"),)),
    OpInfo("mean", np.mean, (np.mean,)),
    OpInfo("mean_axis_keepdims", _mean_axis, (np.mean,), shapes=NDIM2),
    OpInfo("var", np.var, (np.var,)),
    OpInfo("var_axes_ddof", _var_axes, (np.var,), shapes=(((4, 2, 3),),)),
    OpInfo("std", np.std, (np.std,), shapes=NONSCALAR, dtypes=(np.float64,)),
    # float32: the second-order finite differences of std lose ~1e-2 relative accuracy where
    # the second directional derivative is small against the first (rounding of f / eps)
    OpInfo("std_float32", np.std, (np.std,), shapes=NONSCALAR, dtypes=(np.float32,), rtol=2e-2),
    OpInfo("std_axis_ddof", _std_axis, (np.std,), shapes=NDIM2),
    OpInfo("prod", np.prod, (np.prod,), samples=_signed),
    OpInfo("prod_axis", _prod_axis, (np.prod,), samples=lambda r, d: _signed(r, d)[1:]),
    OpInfo("prod_axes_keepdims", _prod_axes, (np.prod,), shapes=(((4, 2, 3),),), domain=(0.5, 1.5)),
    OpInfo("prod_zeros", np.prod, (np.prod,), samples=_one_zero),
    OpInfo("prod_zeros_axis", _prod_axis, (np.prod,), samples=_row_zeros),
    OpInfo("multiply.reduce", _multiply_reduce, ((np.multiply, "reduce"),), samples=_row_zeros),
    OpInfo("max", np.max, (np.max,), samples=_distinct),
    OpInfo("max_axis", _max_axis, (np.max,), samples=lambda r, d: _distinct(r, d)[1:]),
    OpInfo("max_where_initial", _max_where, (np.max,), samples=lambda r, d: _distinct(r, d)[2:]),
    OpInfo("min", np.min, (np.min,), samples=_distinct),
    OpInfo("min_axes_keepdims", _min_axes, (np.min,), samples=lambda r, d: _distinct(r, d)[2:]),
    OpInfo("amax", np.amax, (np.amax,), samples=_distinct),
    OpInfo("amin", np.amin, (np.amin,), samples=_distinct),
    OpInfo(
        "maximum.reduce",
        _maximum_reduce,
        ((np.maximum, "reduce"),),
        samples=lambda r, d: _distinct(r, d)[1:],
    ),
    OpInfo(
        "minimum.reduce",
        _minimum_reduce,
        ((np.minimum, "reduce"),),
        samples=lambda r, d: _distinct(r, d)[1:],
    ),
    OpInfo("cumsum", np.cumsum, (np.cumsum,)),
    OpInfo("cumsum_axis", _cumsum_axis, (np.cumsum,), shapes=NDIM2),
    OpInfo("add.accumulate", _add_accumulate, ((np.add, "accumulate"),), shapes=NONSCALAR),
    OpInfo("methods", _methods, (np.sum, np.mean, np.prod, np.var, np.cumsum), shapes=NDIM2),
]

NONDIFF: list[NondiffInfo] = []


# ---- issue 3: ptp, cumprod, diff, gradient, average, trapezoid, nan-aware reductions -------------
_NAN = np.array([[True, False, True], [True, True, True]])  # False: a NaN entry


def _with_nan(x: Any) -> Any:
    """x (2, 3) with one entry replaced by a constant NaN (its gradient must be zero)."""
    return np.where(_NAN, x, np.nan)


def _diff_all(x: Any) -> Any:
    return np.diff(x, 2, axis=-1, prepend=0.5, append=x[..., :1])


def _gradient_axes(x: Any) -> Any:
    return np.gradient(x, 0.5, 2.0, edge_order=2)


def _average_weights(x: Any, w: Any) -> Any:
    return np.average(x, axis=-1, weights=w)


def _average_returned(x: Any) -> Any:
    avg, total = np.average(x, axis=0, weights=x * x + 1.0, returned=True)
    return avg * total


OPS += [
    OpInfo(
        "ptp", lambda x: np.ptp(x, axis=-1), (np.ptp,), samples=lambda r, d: _distinct(r, d)[1:]
    ),
    OpInfo("cumprod", np.cumprod, (np.cumprod,), samples=_signed),
    OpInfo(
        "cumprod_axis",
        lambda x: np.cumprod(x, axis=-2),
        (np.cumprod,),
        samples=lambda r, d: _signed(r, d)[2:],
    ),
    OpInfo("cumprod_zeros", lambda x: np.cumprod(x, axis=-1), (np.cumprod,), samples=_row_zeros),
    OpInfo(
        "multiply.accumulate",
        lambda x: np.multiply.accumulate(x, axis=-1),
        ((np.multiply, "accumulate"),),
        samples=lambda r, d: _signed(r, d)[1:],
    ),
    OpInfo(
        "cumulative_sum",
        lambda x: np.cumulative_sum(x, axis=-1, include_initial=True),
        (np.cumulative_sum,),
        shapes=NONSCALAR,
    ),
    OpInfo(
        "cumulative_prod",
        lambda x: np.cumulative_prod(x, axis=0),
        (np.cumulative_prod,),
        samples=lambda r, d: _signed(r, d)[1:],
    ),
    OpInfo("diff", np.diff, (np.diff,), shapes=NONSCALAR),
    OpInfo("diff_n_axis", lambda x: np.diff(x, 2, axis=0), (np.diff,), shapes=(((4, 2, 3),),)),
    OpInfo("diff_prepend_append", _diff_all, (np.diff,), shapes=NONSCALAR),
    OpInfo(
        "ediff1d",
        lambda x: np.ediff1d(x, to_end=x[..., :1], to_begin=2.0),
        (np.ediff1d,),
        shapes=NONSCALAR,
    ),
    OpInfo("gradient", np.gradient, (np.gradient,), shapes=(((3,),), ((5,),))),
    OpInfo("gradient_axis", lambda x: np.gradient(x, 0.3, axis=-1), (np.gradient,), shapes=NDIM2),
    OpInfo("gradient_edge2", _gradient_axes, (np.gradient,), shapes=(((3, 4),),)),
    OpInfo("average", np.average, (np.average,)),
    OpInfo(
        "average_weights",
        _average_weights,
        (np.average,),
        shapes=(((2, 3), (3,)), ((4, 2, 3), (3,))),
        domain=((-2.0, 2.0), (0.5, 2.0)),
    ),
    OpInfo("average_returned", _average_returned, (np.average,), shapes=NDIM2),
    OpInfo("trapezoid", np.trapezoid, (np.trapezoid,), shapes=NONSCALAR),
    OpInfo(
        "trapezoid_x",
        lambda y, x: np.trapezoid(y, x, axis=0),
        (np.trapezoid,),
        shapes=(((3,), (3,)), ((3, 2), (3,)), ((3, 2), (3, 2))),
    ),
    OpInfo("nansum", lambda x: np.nansum(_with_nan(x), axis=0), (np.nansum,), shapes=(((2, 3),),)),
    OpInfo("nansum_plain", np.nansum, (np.nansum,)),
    OpInfo(
        "nanprod", lambda x: np.nanprod(_with_nan(x), axis=-1), (np.nanprod,), shapes=(((2, 3),),)
    ),
    OpInfo(
        "nancumsum",
        lambda x: np.nancumsum(_with_nan(x), axis=-1),
        (np.nancumsum,),
        shapes=(((2, 3),),),
    ),
    OpInfo(
        "nancumprod", lambda x: np.nancumprod(_with_nan(x)), (np.nancumprod,), shapes=(((2, 3),),)
    ),
    OpInfo(
        "nanmean", lambda x: np.nanmean(_with_nan(x), axis=1), (np.nanmean,), shapes=(((2, 3),),)
    ),
    OpInfo("nanmean_all", lambda x: np.nanmean(_with_nan(x)), (np.nanmean,), shapes=(((2, 3),),)),
    OpInfo(
        "nanvar",
        lambda x: np.nanvar(_with_nan(x), axis=1, ddof=1, keepdims=True),
        (np.nanvar,),
        shapes=(((2, 3),),),
    ),
    OpInfo(
        "nanstd", lambda x: np.nanstd(_with_nan(x)), (np.nanstd,), shapes=(((2, 3),),), rtol=None
    ),
    OpInfo(
        "nanmax",
        lambda x: np.nanmax(_with_nan(x), axis=1),
        (np.nanmax,),
        samples=lambda r, d: _distinct(r, d)[2:3],
    ),
    OpInfo(
        "nanmin",
        lambda x: np.nanmin(_with_nan(x)),
        (np.nanmin,),
        samples=lambda r, d: _distinct(r, d)[2:3],
    ),
]


_WHERE23 = np.array([[True, False, True], [False, True, True]])

OPS += [
    OpInfo("mean_where", lambda x: np.mean(x, axis=-1, where=_WHERE23), (np.mean,), shapes=NDIM2),
    OpInfo(
        "var_where",
        lambda x: np.var(x, axis=-1, ddof=1, where=_WHERE23, keepdims=True),
        (np.var,),
        shapes=NDIM2,
    ),
    OpInfo("std_where", lambda x: np.std(x, where=_WHERE23), (np.std,), shapes=NDIM2),
    OpInfo(
        "maximum.accumulate",
        lambda x: np.maximum.accumulate(x, axis=-1),
        ((np.maximum, "accumulate"),),
        samples=lambda r, d: _distinct(r, d)[1:],
    ),
    OpInfo(
        "minimum.accumulate",
        lambda x: np.minimum.accumulate(x),
        ((np.minimum, "accumulate"),),
        samples=lambda r, d: _distinct(r, d)[1:],
    ),
]
