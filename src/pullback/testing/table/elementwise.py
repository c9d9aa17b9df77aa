"""OpInfo entries for elementwise functions (rules/elementwise.py) and comparisons (nondiff.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opinfo import BINARY_SHAPES, NondiffInfo, OpInfo

POSITIVE = (0.5, 2.0)
UNIT = (-0.9, 0.9)


def _away_from_zero(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Magnitudes in [0.2, 2] with random signs: no finite-difference step crosses a kink at 0."""
    shapes = [(), (3,), (2, 3), (4, 2, 3)]
    return [((rng.uniform(0.2, 2, s) * rng.choice([-1.0, 1.0], s)).astype(dtype),) for s in shapes]


def _separated(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Pairs that differ by at least 0.2 everywhere: maximum/minimum stay on one branch."""
    out = []
    for s1, s2 in BINARY_SHAPES:
        x1 = rng.uniform(-2, 2, s1)
        if s2 == () and s1 != ():
            x2 = np.asarray(rng.uniform(2.5, 3.0))  # above every x1
        else:
            x2 = x1 + rng.uniform(0.2, 1.0, s2) * rng.choice([-1.0, 1.0], s2)
        out.append((x1.astype(dtype), x2.astype(dtype)))
    return out


def _unary(ufunc: Any, domain: tuple[float, float] = (-2.0, 2.0), **kw: Any) -> OpInfo:
    return OpInfo(ufunc.__name__, ufunc, (ufunc,), domain=domain, **kw)


def _binary(ufunc: Any, domain: Any = (-2.0, 2.0), **kw: Any) -> OpInfo:
    return OpInfo(ufunc.__name__, ufunc, (ufunc,), shapes=BINARY_SHAPES, domain=domain, **kw)


def _mask(shape: tuple[int, ...]) -> np.ndarray:
    return (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)


def _where(x: Any, y: Any) -> Any:
    return np.where(_mask(np.broadcast_shapes(x.shape, y.shape)), x, y)


def _clip(x: Any) -> Any:
    return np.clip(x, -0.9, 0.9)


def _clip_bounds(x: Any, lo: Any, hi: Any) -> Any:
    return np.clip(x, lo - 2.5, hi + 2.5)


def _clip_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """x clear of the bounds +-0.9 by at least 0.1 (inside and outside)."""
    shapes = [(), (3,), (2, 3), (4, 2, 3)]
    out = []
    for s in shapes:
        mag = rng.choice([rng.uniform(0.0, 0.8), rng.uniform(1.0, 2.0)], size=s)
        out.append(((mag * rng.choice([-1.0, 1.0], s)).astype(dtype),))
    return out


def _operators(x: Any, y: Any) -> Any:
    return (2.0 - x) * y / 3.0 + x**2 - (-y) + 1.0 / (1.5 + x * x)


OPS: list[OpInfo] = [
    _binary(np.add),
    _binary(np.subtract),
    _binary(np.multiply),
    _binary(np.divide, domain=((-2.0, 2.0), POSITIVE)),
    _binary(np.power, domain=(POSITIVE, (-2.0, 2.0))),
    _unary(np.negative),
    OpInfo("absolute", np.absolute, (np.absolute,), samples=_away_from_zero),
    _unary(np.reciprocal, POSITIVE),
    _unary(np.square),
    _unary(np.sqrt, POSITIVE),
    _unary(np.cbrt, POSITIVE),
    _unary(np.exp),
    _unary(np.exp2),
    _unary(np.expm1),
    _unary(np.log, POSITIVE),
    _unary(np.log2, POSITIVE),
    _unary(np.log10, POSITIVE),
    _unary(np.log1p, (-0.5, 2.0)),
    _binary(np.logaddexp),
    _binary(np.logaddexp2),
    _unary(np.sin),
    _unary(np.cos),
    _unary(np.tan, (-1.2, 1.2)),
    _unary(np.arcsin, UNIT),
    _unary(np.arccos, UNIT),
    _unary(np.arctan),
    _binary(np.arctan2, domain=(POSITIVE, (-2.0, 2.0))),
    _unary(np.sinh),
    _unary(np.cosh),
    _unary(np.tanh),
    _unary(np.arcsinh),
    _unary(np.arccosh, (1.2, 3.0)),
    _unary(np.arctanh, UNIT),
    _binary(np.hypot, domain=(POSITIVE, POSITIVE)),
    OpInfo("maximum", np.maximum, (np.maximum,), samples=_separated),
    OpInfo("minimum", np.minimum, (np.minimum,), samples=_separated),
    OpInfo("fmax", np.fmax, (np.fmax,), samples=_separated),
    OpInfo("fmin", np.fmin, (np.fmin,), samples=_separated),
    OpInfo("where", _where, (np.where,), shapes=BINARY_SHAPES),
    OpInfo("clip", _clip, (np.clip,), samples=_clip_samples),
    OpInfo("clip_traced_bounds", _clip_bounds, (np.clip,), shapes=(((2, 3), (2, 3), (2, 3)),)),
    OpInfo("astype", lambda x: x.astype(np.float64) ** 2, (np.ndarray.astype,)),  # widening: exact
    OpInfo("copy", lambda x: np.copy(x) * x.copy(), (np.copy,)),
    OpInfo(
        "operators",
        _operators,
        (np.add, np.subtract, np.multiply, np.divide, np.power),
        shapes=BINARY_SHAPES[:5],
    ),
]


def _ufunc_nondiff(ufunc: Any) -> NondiffInfo:
    return NondiffInfo(ufunc.__name__, lambda x: ufunc(x, 0.3), (ufunc,))


NONDIFF: list[NondiffInfo] = [
    *(
        _ufunc_nondiff(u)
        for u in (np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)
    ),
    *(
        NondiffInfo(f.__name__, lambda x, f=f: f(x > 0, x < 0.5), (f,))
        for f in (np.logical_and, np.logical_or, np.logical_xor)
    ),
    *(
        NondiffInfo(f.__name__, f, (f,))
        for f in (
            np.logical_not,
            np.isfinite,
            np.isinf,
            np.isnan,
            np.signbit,
            np.sign,
            np.any,
            np.all,
            np.shape,
            np.ndim,
            np.size,
            np.iscomplexobj,
            np.isrealobj,
            np.floor,
            np.ceil,
            np.trunc,
            np.rint,
            np.round,
            np.argmax,
            np.argmin,
            np.argsort,
            np.nonzero,
            np.argwhere,
            np.flatnonzero,
            np.count_nonzero,
            np.zeros_like,
            np.ones_like,
            np.result_type,
        )
    ),
    NondiffInfo("empty_like", lambda x: np.empty_like(x).shape, (np.empty_like,)),
    NondiffInfo("astype_int", lambda x: x.astype(int), (np.ndarray.astype,)),
    NondiffInfo("allclose", lambda x: np.allclose(x, x), (np.allclose,)),
    NondiffInfo("isclose", lambda x: np.isclose(x, 0.3), (np.isclose,)),
    NondiffInfo("array_equal", lambda x: np.array_equal(x, x), (np.array_equal,)),
    NondiffInfo("searchsorted", lambda x: np.searchsorted([0.0, 1.0], x), (np.searchsorted,)),
]
