"""Rules (stage ④) for elementwise functions, each declared once by its partial derivatives.

Derivatives are written with NumPy calls, so they are traced in turn: every order works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import primal, register
from ..extend import as_array, defrule, elementwise, unbroadcast, zeros_like

LN2 = float(np.log(2.0))  # a Python float: keeps float32 float32
LN10 = float(np.log(10.0))


# ---- linear ones: no multiplication by 1 ------------------------------------------------------
def _add_fwd(x1: Any, x2: Any) -> tuple[Any, Any]:
    return np.add(x1, x2), (x1, x2)


def _sub_fwd(x1: Any, x2: Any) -> tuple[Any, Any]:
    return np.subtract(x1, x2), (x1, x2)


def _broadcast_sum(res: Any, d1: Any, d2: Any) -> Any:
    x1, x2 = res
    if d1 is None:
        out = d2
    elif d2 is None:
        out = d1
    else:
        out = d1 + d2
    shape = np.broadcast_shapes(np.shape(x1), np.shape(x2))
    return out if out.shape == shape else np.broadcast_to(out, shape)


def _add_jvp(res: Any, x1dot: Any, x2dot: Any) -> Any:
    return _broadcast_sum(res, x1dot, x2dot)


def _sub_jvp(res: Any, x1dot: Any, x2dot: Any) -> Any:
    return _broadcast_sum(res, x1dot, None if x2dot is None else -x2dot)


def _first(res: Any, ybar: Any) -> Any:
    return unbroadcast(ybar, res[0])


def _second(res: Any, ybar: Any) -> Any:
    return unbroadcast(ybar, res[1])


def _second_negated(res: Any, ybar: Any) -> Any:
    return unbroadcast(-ybar, res[1])


defrule(np.add, _add_fwd, _add_jvp, (_first, _second))
defrule(np.subtract, _sub_fwd, _sub_jvp, (_first, _second_negated))


def _neg_fwd(x: Any) -> tuple[Any, Any]:
    return np.negative(x), None


def _neg_jvp(res: Any, xdot: Any) -> Any:
    return -xdot


def _neg_vjp(res: Any, ybar: Any) -> tuple[Any]:
    return (-ybar,)


defrule(np.negative, _neg_fwd, _neg_jvp, _neg_vjp)

# ---- arithmetic -----------------------------------------------------------------------------
elementwise(np.multiply, lambda x1, x2, y: x2, lambda x1, x2, y: x1)
elementwise(np.divide, lambda x1, x2, y: 1 / x2, lambda x1, x2, y: -y / x2)  # also true_divide


def _power(x1: Any, x2: Any, **params: Any) -> Any:
    """x ** 2 is np.square (same bits, derivative 2x): the common case skips a general power."""
    if not params and type(x2) in (int, float) and x2 == 2:
        return np.square(x1)
    return _POWER.bind(x1, x2, **params)


_POWER = elementwise(
    np.power,
    lambda x1, x2, y: x2 * np.power(x1, x2 - 1),  # d(x^p) = p x^(p-1) dx
    lambda x1, x2, y: np.log(x1) * y,  # d(b^x) = log(b) b^x dx
    handler=_power,
)
elementwise(np.absolute, lambda x, y: np.sign(x))  # 0 at 0: the minimum-norm subgradient
elementwise(np.reciprocal, lambda x, y: -(y * y))
elementwise(np.square, lambda x, y: 2 * x)
elementwise(np.sqrt, lambda x, y: 0.5 / y)
elementwise(np.cbrt, lambda x, y: 1 / (3 * y * y))

# ---- exponentials and logarithms --------------------------------------------------------------
elementwise(np.exp, lambda x, y: y)
elementwise(np.exp2, lambda x, y: LN2 * y)
elementwise(np.expm1, lambda x, y: y + 1)
elementwise(np.log, lambda x, y: 1 / x)
elementwise(np.log2, lambda x, y: 1 / (LN2 * x))
elementwise(np.log10, lambda x, y: 1 / (LN10 * x))
elementwise(np.log1p, lambda x, y: 1 / (1 + x))
elementwise(np.logaddexp, lambda x1, x2, y: np.exp(x1 - y), lambda x1, x2, y: np.exp(x2 - y))
elementwise(np.logaddexp2, lambda x1, x2, y: np.exp2(x1 - y), lambda x1, x2, y: np.exp2(x2 - y))

# ---- trigonometric and hyperbolic -------------------------------------------------------------
elementwise(np.sin, lambda x, y: np.cos(x))
elementwise(np.cos, lambda x, y: -np.sin(x))
elementwise(np.tan, lambda x, y: 1 + y * y)
elementwise(np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x))
elementwise(np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x))
elementwise(np.arctan, lambda x, y: 1 / (1 + x * x))
elementwise(
    np.arctan2,
    lambda x1, x2, y: x2 / (x1 * x1 + x2 * x2),
    lambda x1, x2, y: -x1 / (x1 * x1 + x2 * x2),
)
elementwise(np.sinh, lambda x, y: np.cosh(x))
elementwise(np.cosh, lambda x, y: np.sinh(x))
elementwise(np.tanh, lambda x, y: 1 - y * y)
elementwise(np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1))
elementwise(np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1))
elementwise(np.arctanh, lambda x, y: 1 / (1 - x * x))
elementwise(np.hypot, lambda x1, x2, y: x1 / y, lambda x1, x2, y: x2 / y)


# ---- selection: ties split the derivative evenly between the two arguments -----------------------
def _pick_first(x1: Any, x2: Any, y: Any) -> Any:
    return np.where(x1 > x2, 1.0, np.where(x1 == x2, 0.5, 0.0)).astype(y.dtype)


def _pick_second(x1: Any, x2: Any, y: Any) -> Any:
    return np.where(x2 > x1, 1.0, np.where(x1 == x2, 0.5, 0.0)).astype(y.dtype)


def _pick_first_nan(x1: Any, x2: Any, y: Any) -> Any:  # fmax ignores a NaN argument
    return np.where(np.isnan(x2), 1.0, _pick_first(x1, x2, y)).astype(y.dtype)


def _pick_second_nan(x1: Any, x2: Any, y: Any) -> Any:
    return np.where(np.isnan(x1), 1.0, _pick_second(x1, x2, y)).astype(y.dtype)


elementwise(np.maximum, _pick_first, _pick_second)
elementwise(np.minimum, _pick_second, _pick_first)
elementwise(np.fmax, _pick_first_nan, _pick_second_nan)
elementwise(np.fmin, _pick_second_nan, _pick_first_nan)


# ---- where and clip ---------------------------------------------------------------------------
def _where_fwd(x: Any, y: Any, *, condition: Any) -> tuple[Any, Any]:
    return np.where(condition, x, y), (x, y, condition)


def _where_jvp(res: Any, xdot: Any, ydot: Any) -> Any:
    x, y, condition = res
    xdot = zeros_like(x) if xdot is None else xdot
    ydot = zeros_like(y) if ydot is None else ydot
    return np.where(condition, xdot, ydot)


def _where_vjp_x(res: Any, ybar: Any) -> Any:
    x, _y, condition = res
    return unbroadcast(np.where(condition, ybar, 0.0), x)


def _where_vjp_y(res: Any, ybar: Any) -> Any:
    _x, y, condition = res
    return unbroadcast(np.where(condition, 0.0, ybar), y)


def _where(condition: Any, *xy: Any) -> Any:
    if not xy:
        return np.nonzero(primal(condition))
    x, y = xy
    return _WHERE.bind(as_array(x), as_array(y), condition=np.asarray(primal(condition), bool))


_WHERE = defrule(np.where, _where_fwd, _where_jvp, (_where_vjp_x, _where_vjp_y), handler=_where)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kwargs: Any) -> Any:
    """clip(a, lo, hi) = minimum(maximum(a, lo), hi): differentiable in a and in both bounds."""
    if out is not None or kwargs:
        raise TypeError("pullback's numpy.clip supports clip(a, a_min, a_max) only")
    if a_min is not None:
        a = np.maximum(a, a_min)
    if a_max is not None:
        a = np.minimum(a, a_max)
    return a


register(np.clip, _clip)


# ---- casts and copies: identity maps up to dtype ------------------------------------------------
def _astype_fwd(x: Any, *, dtype: np.dtype) -> tuple[Any, Any]:
    return x.astype(dtype), (x.dtype, dtype)


def _astype_jvp(res: Any, xdot: Any) -> Any:
    return xdot.astype(res[1])


def _astype_vjp(res: Any, ybar: Any) -> tuple[Any]:
    return (ybar.astype(res[0]),)  # xbar = ybar cast back to x's dtype


def _astype(x: Any, dtype: Any, *args: Any, **kwargs: Any) -> Any:
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":  # an integer or boolean result carries no derivative
        return primal(x).astype(dtype)
    return _ASTYPE.bind(x, dtype=dtype)


_ASTYPE = defrule(np.ndarray.astype, _astype_fwd, _astype_jvp, _astype_vjp, handler=_astype)


def _copy_fwd(x: Any) -> tuple[Any, Any]:
    return np.copy(x), None


def _copy_jvp(res: Any, xdot: Any) -> Any:
    return xdot


def _copy_vjp(res: Any, ybar: Any) -> tuple[Any]:
    return (ybar,)


def _copy(a: Any, order: str = "K", subok: bool = False) -> Any:
    return _COPY.bind(a)


_COPY = defrule(np.copy, _copy_fwd, _copy_jvp, _copy_vjp, handler=_copy)
