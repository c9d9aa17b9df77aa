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
            np.result_type,
        )
    ),
    NondiffInfo("astype_int", lambda x: x.astype(int), (np.ndarray.astype,)),
    NondiffInfo("allclose", lambda x: np.allclose(x, x), (np.allclose,)),
    NondiffInfo("isclose", lambda x: np.isclose(x, 0.3), (np.isclose,)),
    NondiffInfo("array_equal", lambda x: np.array_equal(x, x), (np.array_equal,)),
    NondiffInfo("searchsorted", lambda x: np.searchsorted([0.0, 1.0], x), (np.searchsorted,)),
]


# ---- issue 3: the remaining ufuncs --------------------------------------------------------------
def _off_jumps(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """(x1, x2) with x1 / x2 at least 0.2 away from an integer: mod and fmod stay on one piece."""
    out = []
    for s1, s2 in BINARY_SHAPES[:5]:
        s = np.broadcast_shapes(s1, s2)
        x2 = rng.uniform(0.5, 1.5, s2) * rng.choice([-1.0, 1.0], s2)
        k = rng.integers(-3, 3, s) + rng.uniform(0.2, 0.8, s)
        out.append(((k * x2).astype(dtype), x2.astype(dtype)))
    return out


def _signed_pairs(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Both arguments clear of 0 with random signs (copysign's kink)."""
    out = []
    for s1, s2 in BINARY_SHAPES:
        out.append(
            tuple(
                (rng.uniform(0.2, 2, s) * rng.choice([-1.0, 1.0], s)).astype(dtype)
                for s in (s1, s2)
            )
        )
    return out


def _sinc_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Generic points, points near 0 (the series branch) and 0 itself (sinc'(0) = 0)."""
    return [
        *(tuple(a.astype(dtype) for a in (rng.uniform(-2, 2, s),)) for s in ((), (3,), (2, 3))),
        (np.array([0.0, 0.03, -0.08, 0.12], dtype),),
    ]


def _off_integers(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Integer part in -3..2 plus a fraction in [0.2, 0.8]: modf stays on one piece."""
    shapes = [(), (3,), (2, 3), (4, 2, 3)]
    return [((rng.integers(-3, 3, s) + rng.uniform(0.2, 0.8, s)).astype(dtype),) for s in shapes]


_NAN_MASK = np.array([[True, False, True], [True, True, False]])


def _nan_to_num(x: Any) -> Any:
    """NaN, +inf and -inf entries become constants (zero gradient there), the rest passes."""
    y = np.where(_NAN_MASK, x, np.array([np.nan, np.inf, -np.inf])[np.arange(3)])
    return np.nan_to_num(y) + np.nan_to_num(y, nan=1.5, posinf=2.0, neginf=-2.0)


OPS += [
    OpInfo("fabs", np.fabs, (np.fabs,), samples=_away_from_zero),
    OpInfo("remainder", np.remainder, (np.remainder,), samples=_off_jumps),
    OpInfo("mod_operator", lambda x, y: x % y, (np.remainder,), samples=_off_jumps),
    OpInfo("fmod", np.fmod, (np.fmod,), samples=_off_jumps),
    OpInfo("copysign", np.copysign, (np.copysign,), samples=_signed_pairs),
    OpInfo("divmod", lambda x, y: np.divmod(x, y)[1] * 2.0, (np.divmod,), samples=_off_jumps),
    OpInfo(
        "modf", lambda x: np.modf(x)[0] * 2.0 + np.modf(x)[1], (np.modf,), samples=_off_integers
    ),
    _unary(np.positive),
    _unary(np.deg2rad),
    _unary(np.rad2deg),
    _unary(np.radians),
    _unary(np.degrees),
    OpInfo("ldexp", lambda x: np.ldexp(x, 3) + np.ldexp(x, np.array(-1)), (np.ldexp,)),
    _binary(np.float_power, domain=(POSITIVE, (-2.0, 2.0))),
    OpInfo("sinc", np.sinc, (np.sinc,), samples=_sinc_samples),
    OpInfo("nan_to_num", _nan_to_num, (np.nan_to_num,), shapes=(((2, 3),),)),
]


def _ints(x: Any) -> Any:
    return (x * 3).astype(int)


NONDIFF += [
    NondiffInfo("fix", np.fix, (np.fix,)),
    NondiffInfo("around", lambda x: np.around(x, 1), (np.around,)),
    NondiffInfo("floor_divide", lambda x: np.floor_divide(x, 0.3), (np.floor_divide,)),
    NondiffInfo("heaviside", lambda x: np.heaviside(x, 0.5), (np.heaviside,)),
    NondiffInfo("isneginf", np.isneginf, (np.isneginf,)),
    NondiffInfo("isposinf", np.isposinf, (np.isposinf,)),
    NondiffInfo("isreal", np.isreal, (np.isreal,)),
    NondiffInfo("iscomplex", np.iscomplex, (np.iscomplex,)),
    NondiffInfo("nextafter", lambda x: np.nextafter(x, 3.0), (np.nextafter,)),
    NondiffInfo("spacing", np.spacing, (np.spacing,)),
    NondiffInfo("array_equiv", lambda x: np.array_equiv(x, x[0]), (np.array_equiv,)),
    *(
        NondiffInfo(u.__name__, lambda x, u=u: u(_ints(x), 3), (u,))
        for u in (
            np.gcd,
            np.lcm,
            np.bitwise_and,
            np.bitwise_or,
            np.bitwise_xor,
            np.left_shift,
            np.right_shift,
        )
    ),
    NondiffInfo("invert", lambda x: np.invert(_ints(x)), (np.invert,)),
    NondiffInfo("bitwise_count", lambda x: np.bitwise_count(_ints(x)), (np.bitwise_count,)),
]


def _off_powers_of_two(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Magnitudes in [1.1, 1.9] times 2**k, random signs: frexp's exponent stays constant."""
    shapes = [(), (3,), (2, 3), (4, 2, 3)]
    return [
        (
            (
                rng.uniform(1.1, 1.9, s)
                * 2.0 ** rng.integers(-2, 3, s)
                * rng.choice([-1.0, 1.0], s)
            ).astype(dtype),
        )
        for s in shapes
    ]


def _unwrap_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Phases with jumps of about 2 pi between neighbours, far from the pi threshold."""
    steps = rng.uniform(-1, 1, (2, 5)) + rng.choice([-2 * np.pi, 0.0, 2 * np.pi], (2, 5))
    return [(np.cumsum(steps, axis=-1).astype(dtype),)]


OPS += [
    OpInfo("frexp", lambda x: np.frexp(x)[0] * 3.0, (np.frexp,), samples=_off_powers_of_two),
    OpInfo("unwrap", lambda x: np.unwrap(x) * x, (np.unwrap,), samples=_unwrap_samples),
]

OPS.append(
    OpInfo("astype_complex", lambda x: x.astype(np.complex128) * (1.0 + 2.0j), (np.ndarray.astype,))
)


# ---- ufunc.outer -------------------------------------------------------------------------------
_OUTER_SHAPES = (((3,), (2,)), ((2, 3), (2,)), ((), (3,)), ((3,), ()))


def _outer_entry(ufunc: Any, domain: Any = (-2.0, 2.0), samples: Any = None) -> OpInfo:
    return OpInfo(
        f"{ufunc.__name__}.outer",
        ufunc.outer,
        ((ufunc, "outer"),),
        shapes=_OUTER_SHAPES,
        domain=domain,
        samples=samples,
    )


def _outer_separated(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """a in [-2, -1.2] and [1.2, 2], b in [-0.8, 0.8]: no pair ties (maximum, fmin, ...)."""
    out = []
    for s1, s2 in _OUTER_SHAPES:
        a = rng.uniform(1.2, 2.0, s1) * rng.choice([-1.0, 1.0], s1)
        out.append((a.astype(dtype), rng.uniform(-0.8, 0.8, s2).astype(dtype)))
    return out


def _outer_off_jumps(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """a / b at least 0.2 away from an integer for every pair (mod, fmod)."""
    b = np.array([0.7, 1.1])
    a = np.array([0.35, 1.3, -0.6])  # a / b: 0.5, 0.318, 1.857, 1.18, -0.857, -0.545
    return [(a.astype(dtype), b.astype(dtype))]


OPS += [
    *(_outer_entry(u) for u in (np.add, np.subtract, np.multiply, np.logaddexp, np.logaddexp2)),
    _outer_entry(np.divide, ((-2.0, 2.0), POSITIVE)),
    _outer_entry(np.power, (POSITIVE, (-2.0, 2.0))),
    _outer_entry(np.float_power, (POSITIVE, (-2.0, 2.0))),
    _outer_entry(np.hypot, (POSITIVE, POSITIVE)),
    _outer_entry(np.arctan2, (POSITIVE, (-2.0, 2.0))),
    *(
        _outer_entry(u, samples=_outer_separated)
        for u in (np.maximum, np.minimum, np.fmax, np.fmin, np.copysign)
    ),
    *(_outer_entry(u, samples=_outer_off_jumps) for u in (np.remainder, np.fmod)),
]

NONDIFF += [
    NondiffInfo(f"{u.__name__}.outer", lambda x, u=u: u.outer(x[0], x[1] > 0), ((u, "outer"),))
    for u in (
        np.less,
        np.less_equal,
        np.greater,
        np.greater_equal,
        np.equal,
        np.not_equal,
        np.logical_and,
        np.logical_or,
        np.logical_xor,
    )
]
