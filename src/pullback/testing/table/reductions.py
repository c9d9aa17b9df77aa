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
