"""Rules (stage ④) for elementwise functions, each declared once by its partial derivatives.

Derivatives are written with NumPy calls, so they are traced in turn: every order works.
Conventions at kinks and jumps: fabs (like absolute) has derivative 0 at 0; mod, fmod, modf and
frexp use the derivative of the piece the point lies on; sqrt at 0 has the infinite derivative
0.5 / sqrt(0) (NumPy's divide-by-zero warning), as the math says.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import batching, primal, register, unsupported_keywords
from ..errors import UnsupportedFunctionError
from ..extend import _conj, as_array, defbatch, defrule, elementwise, unbroadcast, zeros_like

LN2 = float(np.log(2.0))  # a Python float: keeps float32 float32
LN10 = float(np.log(10.0))


# ---- linear ones: no multiplication by 1 ------------------------------------------------------
class _Operand:
    """Shape and dtype of a large ndarray operand of add / subtract, kept in its place: their
    derivatives read no more, and the array itself (often a matmul's output, as in h @ W + b) is
    freed as soon as its value is used instead of at the end of the backward sweep."""

    __slots__ = ("dtype", "ndim", "shape")


_new = object.__new__
_KEEP_BELOW = 4096  # elements: smaller ones are kept as they are (cheaper than a record)


def _operand(x: Any) -> Any:
    if x.__class__ is not np.ndarray or x.size < _KEEP_BELOW:
        return x
    m = _new(_Operand)
    m.shape, m.dtype, m.ndim = x.shape, x.dtype, x.ndim
    return m


def _add_fwd(x1: Any, x2: Any) -> tuple[Any, Any]:
    y = np.add(x1, x2)
    return y, (x1, x2) if y.size < _KEEP_BELOW else (_operand(x1), _operand(x2))


def _sub_fwd(x1: Any, x2: Any) -> tuple[Any, Any]:
    y = np.subtract(x1, x2)
    return y, (x1, x2) if y.size < _KEEP_BELOW else (_operand(x1), _operand(x2))


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


_ADD = defrule(np.add, _add_fwd, _add_jvp, (_first, _second))
_SUB = defrule(np.subtract, _sub_fwd, _sub_jvp, (_first, _second_negated))


# batched (core/batching.py): tangents (B, *x.shape) lifted to y's rank, then the same formulas
def _broadcast_sum_batched(res: Any, d1: Any, d2: Any) -> Any:
    x1, x2 = res
    shape = np.broadcast_shapes(np.shape(x1), np.shape(x2))
    if d1 is None:
        out = d2
    elif d2 is None:
        out = d1
    else:
        out = batching.lift(d1, len(shape)) + batching.lift(d2, len(shape))
    return batching.full(out, shape)  # ydot[k] = x1dot[k] + x2dot[k]


def _add_jvp_batched(res: Any, x1dot: Any, x2dot: Any) -> Any:
    return _broadcast_sum_batched(res, x1dot, x2dot)


def _sub_jvp_batched(res: Any, x1dot: Any, x2dot: Any) -> Any:
    return _broadcast_sum_batched(res, x1dot, None if x2dot is None else -x2dot)


def _first_batched(res: Any, ybar: Any) -> Any:
    return batching.unbroadcast(ybar, res[0])  # x1bar[k] = ybar[k], summed to x1's shape


def _second_batched(res: Any, ybar: Any) -> Any:
    return batching.unbroadcast(ybar, res[1])


def _second_negated_batched(res: Any, ybar: Any) -> Any:
    return batching.unbroadcast(-ybar, res[1])  # x2bar[k] = -ybar[k]


defbatch(_ADD, _add_jvp_batched, (_first_batched, _second_batched))
defbatch(_SUB, _sub_jvp_batched, (_first_batched, _second_negated_batched))


def _neg_fwd(x: Any) -> tuple[Any, Any]:
    return np.negative(x), None


def _neg_jvp(res: Any, xdot: Any) -> Any:
    return -xdot


def _neg_vjp(res: Any, ybar: Any) -> tuple[Any]:
    return (-ybar,)


_NEG = defrule(np.negative, _neg_fwd, _neg_jvp, _neg_vjp)
defbatch(_NEG, _neg_jvp, _neg_vjp)  # -xdot and -ybar act on every row alike


# ---- arithmetic -----------------------------------------------------------------------------
# multiply, the commonest op, is written out like add rather than declared with elementwise(): its
# sweep then calls no derivative lambda and keeps no y (0.03 us less per op in W1)
def _mul_fwd(x1: Any, x2: Any) -> tuple[Any, Any]:
    return np.multiply(x1, x2), (x1, x2)


def _mul_jvp(res: Any, x1dot: Any, x2dot: Any) -> Any:
    x1, x2 = res  # ydot = x1dot x2 + x1 x2dot (each term already has y's broadcast shape)
    if x2dot is None:
        return x1dot * x2
    if x1dot is None:
        return x1 * x2dot
    return x1dot * x2 + x1 * x2dot


def _mul_vjp1(res: Any, ybar: Any) -> Any:
    x1, x2 = res
    return unbroadcast(ybar * _conj(x2), x1)  # x1bar = ybar conj(x2)


def _mul_vjp2(res: Any, ybar: Any) -> Any:
    x1, x2 = res
    return unbroadcast(ybar * _conj(x1), x2)  # x2bar = ybar conj(x1)


_MUL = defrule(np.multiply, _mul_fwd, _mul_jvp, (_mul_vjp1, _mul_vjp2))


# batched (core/batching.py): each tangent lifted to y's rank; ydot[k] = x1dot[k] x2 + x1 x2dot[k]
def _mul_jvp_batched(res: Any, x1dot: Any, x2dot: Any) -> Any:
    x1, x2 = res
    shape = np.broadcast_shapes(np.shape(x1), np.shape(x2))
    out = None if x1dot is None else batching.lift(x1dot, len(shape)) * x2
    if x2dot is not None:
        term = x1 * batching.lift(x2dot, len(shape))
        out = term if out is None else out + term
    return batching.full(out, shape)


def _mul_vjp1_batched(res: Any, ybar: Any) -> Any:
    x1, x2 = res
    return batching.unbroadcast(ybar * _conj(x2), x1)  # x1bar[k] = ybar[k] conj(x2)


def _mul_vjp2_batched(res: Any, ybar: Any) -> Any:
    x1, x2 = res
    return batching.unbroadcast(ybar * _conj(x1), x2)  # x2bar[k] = ybar[k] conj(x1)


defbatch(_MUL, _mul_jvp_batched, (_mul_vjp1_batched, _mul_vjp2_batched))
elementwise(np.divide, lambda x1, x2, y: 1 / x2, lambda x1, x2, y: -y / x2)  # also true_divide


def _power(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    """x ** 2 is np.square (same bits, derivative 2x): the common case skips a general power."""
    _no_ufunc_kwargs(np.power, kwargs)
    if type(x2) in (int, float) and x2 == 2:
        return np.square(x1)
    x1, x2 = _weak(x1, x2)  # 2.0 ** x keeps x's dtype, in the value and in the derivatives
    return _POWER.bind(x1, x2)


_POWER = elementwise(
    np.power,
    lambda x1, x2, y: x2 * np.power(x1, x2 - 1),  # d(x^p) = p x^(p-1) dx
    lambda x1, x2, y: np.log(x1) * y,  # d(b^x) = log(b) b^x dx
    handler=_power,
)
# np.absolute (real and complex input) lives in complex_numbers.py
elementwise(np.reciprocal, lambda x, y: -(y * y), uses_x=False)
elementwise(np.square, lambda x, y: 2 * x)
elementwise(np.sqrt, lambda x, y: 0.5 / y, uses_x=False)
elementwise(np.cbrt, lambda x, y: 1 / (3 * y * y), uses_x=False)

# ---- exponentials and logarithms --------------------------------------------------------------
elementwise(np.exp, lambda x, y: y, uses_x=False)
elementwise(np.exp2, lambda x, y: LN2 * y, uses_x=False)
elementwise(np.expm1, lambda x, y: y + 1, uses_x=False)
elementwise(np.log, lambda x, y: 1 / x)
elementwise(np.log2, lambda x, y: 1 / (LN2 * x))
elementwise(np.log10, lambda x, y: 1 / (LN10 * x))
elementwise(np.log1p, lambda x, y: 1 / (1 + x))
elementwise(np.logaddexp, lambda x1, x2, y: np.exp(x1 - y), lambda x1, x2, y: np.exp(x2 - y))
elementwise(np.logaddexp2, lambda x1, x2, y: np.exp2(x1 - y), lambda x1, x2, y: np.exp2(x2 - y))


# ---- trigonometric and hyperbolic -------------------------------------------------------------
def _one_minus_square(y: Any) -> Any:
    """1 - y * y, in the memory of y * y when that is a plain array (one temporary, not two)."""
    t = y * y
    if t.__class__ is np.ndarray and t.ndim:
        return np.subtract(1, t, out=t)
    return 1 - t


elementwise(np.sin, lambda x, y: np.cos(x))
elementwise(np.cos, lambda x, y: -np.sin(x))
elementwise(np.tan, lambda x, y: 1 + y * y, uses_x=False)
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
elementwise(np.tanh, lambda x, y: _one_minus_square(y), uses_x=False)
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
    x, y = _weak(*xy)
    return _WHERE.bind(x, y, condition=np.asarray(primal(condition), bool))


def _weak(x: Any, y: Any) -> tuple[Any, Any]:
    """Python scalars take the other argument's dtype kind, as in NumPy 2 (weak scalars):
    where(mask, float32 array, nan) is float32."""
    if isinstance(x, bool | int | float | complex) and not isinstance(
        y, bool | int | float | complex
    ):
        y = as_array(y)
        return np.asarray(x, np.result_type(y.dtype, x)), y
    if isinstance(y, bool | int | float | complex) and not isinstance(
        x, bool | int | float | complex
    ):
        x = as_array(x)
        return x, np.asarray(y, np.result_type(x.dtype, y))
    return as_array(x), as_array(y)


_WHERE = defrule(np.where, _where_fwd, _where_jvp, (_where_vjp_x, _where_vjp_y), handler=_where)


def _where_jvp_batched(res: Any, xdot: Any, ydot: Any) -> Any:
    x, y, condition = res  # ydot[k] = where(condition, xdot[k], ydot[k])
    shape = np.broadcast_shapes(x.shape, y.shape, condition.shape)
    batch = (xdot if xdot is not None else ydot).shape[0]
    xdot = np.zeros((batch, *x.shape), x.dtype) if xdot is None else xdot
    ydot = np.zeros((batch, *y.shape), y.dtype) if ydot is None else ydot
    n = len(shape)
    return batching.full(np.where(condition, batching.lift(xdot, n), batching.lift(ydot, n)), shape)


def _where_vjp_x_batched(res: Any, ybar: Any) -> Any:
    x, y, condition = res  # xbar[k] = where(condition, ybar[k], 0)
    ybar = batching.full(ybar, np.broadcast_shapes(x.shape, y.shape, condition.shape))
    return batching.unbroadcast(np.where(condition, ybar, 0.0), x)


def _where_vjp_y_batched(res: Any, ybar: Any) -> Any:
    x, y, condition = res  # ybar_y[k] = where(condition, 0, ybar[k])
    ybar = batching.full(ybar, np.broadcast_shapes(x.shape, y.shape, condition.shape))
    return batching.unbroadcast(np.where(condition, 0.0, ybar), y)


defbatch(_WHERE, _where_jvp_batched, (_where_vjp_x_batched, _where_vjp_y_batched))


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
    if ybar.dtype.kind == "c" and np.dtype(res[0]).kind != "c":
        ybar = np.real(ybar)  # a real input feeding a complex output: the real part
    return (ybar.astype(res[0]),)  # xbar = ybar cast back to x's dtype


def _astype(x: Any, dtype: Any, *args: Any, **kwargs: Any) -> Any:
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":  # an integer or boolean result carries no derivative
        return primal(x).astype(dtype)
    return _ASTYPE.bind(x, dtype=dtype)


_ASTYPE = defrule(np.ndarray.astype, _astype_fwd, _astype_jvp, _astype_vjp, handler=_astype)
defbatch(_ASTYPE, _astype_jvp, _astype_vjp)  # casts act on every row alike


def _copy_fwd(x: Any) -> tuple[Any, Any]:
    return np.copy(x), None


def _copy_jvp(res: Any, xdot: Any) -> Any:
    return xdot


def _copy_vjp(res: Any, ybar: Any) -> tuple[Any]:
    return (ybar,)


def _copy(a: Any, order: str = "K", subok: bool = False) -> Any:
    return _COPY.bind(a)


_COPY = defrule(np.copy, _copy_fwd, _copy_jvp, _copy_vjp, handler=_copy)
defbatch(_COPY, _copy_jvp, _copy_vjp)


# ---- identity and constant scalings: composites of multiply --------------------------------------
def _no_ufunc_kwargs(fn: Any, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise unsupported_keywords(fn, kwargs)


def _scaled(ufunc: Any, c: float) -> None:
    """ufunc(x) = c * x (degrees, radians): y' = c."""

    def handler(x: Any, /, **kwargs: Any) -> Any:
        _no_ufunc_kwargs(ufunc, kwargs)
        return as_array(x) * c

    register(ufunc, handler)


def _positive(x: Any, /, **kwargs: Any) -> Any:
    _no_ufunc_kwargs(np.positive, kwargs)
    return _COPY.bind(as_array(x))  # +x is a copy: y' = 1


register(np.positive, _positive)
_scaled(np.deg2rad, float(np.pi / 180))
_scaled(np.rad2deg, float(180 / np.pi))
_scaled(np.radians, float(np.pi / 180))
_scaled(np.degrees, float(180 / np.pi))


# ---- piecewise-linear: derivatives are constants on each piece -----------------------------------
def _ones(*res: Any) -> Any:
    return np.ones_like(primal(res[-1]))  # a plain array: its own derivative is zero


def _zeros(*res: Any) -> Any:
    return np.zeros_like(primal(res[-1]))


# fabs: d|x| = sign(x) dx, 0 at 0 (the minimum-norm subgradient, as for absolute)
elementwise(np.fabs, lambda x, y: np.sign(x))
# mod(x1, x2) = x1 - floor(x1 / x2) x2: d/dx1 = 1, d/dx2 = -floor(x1 / x2) (jumps where x1/x2 is
# an integer; there the derivative of the piece on the right is used)
elementwise(np.remainder, _ones, lambda x1, x2, y: -np.floor(x1 / x2))
# fmod(x1, x2) = x1 - trunc(x1 / x2) x2 (C's remainder, sign of x1): d/dx2 = -trunc(x1 / x2)
elementwise(np.fmod, _ones, lambda x1, x2, y: -np.trunc(x1 / x2))
# copysign(x1, x2) = |x1| sign(x2): d/dx1 = +1 where the signs agree, -1 where they differ;
# d/dx2 = 0 (a sign change is a jump)
elementwise(
    np.copysign,
    lambda x1, x2, y: np.where(np.signbit(x1) == np.signbit(x2), 1.0, -1.0).astype(y.dtype),
    _zeros,
)


def _ldexp(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    """ldexp(x1, n) = x1 * 2**n with an integer n: linear in x1."""
    _no_ufunc_kwargs(np.ldexp, kwargs)
    x1 = as_array(x1)
    return x1 * np.ldexp(np.ones((), x1.dtype), primal(x2))


def _float_power(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    """float_power is power computed in at least float64."""
    _no_ufunc_kwargs(np.float_power, kwargs)
    x1, x2 = as_array(x1), as_array(x2)
    dtype = np.result_type(x1.dtype, x2.dtype, np.float64)
    return np.power(x1.astype(dtype), x2.astype(dtype))


def _divmod(x1: Any, x2: Any, /, **kwargs: Any) -> tuple[Any, Any]:
    """(floor_divide(x1, x2), mod(x1, x2)): the quotient is integer-valued (no derivative)."""
    _no_ufunc_kwargs(np.divmod, kwargs)
    return np.floor_divide(primal(x1), primal(x2)), np.remainder(x1, x2)


def _modf(x: Any, /, **kwargs: Any) -> tuple[Any, Any]:
    """(x - trunc(x), trunc(x)): the fractional part has derivative 1, the integral part none."""
    _no_ufunc_kwargs(np.modf, kwargs)
    whole = np.trunc(primal(x))
    return as_array(x) - whole, whole


register(np.modf, _modf)


def _frexp(x: Any, /, **kwargs: Any) -> tuple[Any, Any]:
    """x = m 2**e: m = x 2**-e, e from the values (integer-valued, no derivative); dm = 2**-e dx."""
    _no_ufunc_kwargs(np.frexp, kwargs)
    x = as_array(x)
    _, e = np.frexp(primal(x))
    return x * np.ldexp(np.ones((), x.dtype), -e), e


def _unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: float = 2 * np.pi) -> Any:
    """p plus the multiples of period that NumPy's unwrap adds (piecewise constant): dy = dp."""
    p = as_array(p)
    values = primal(p)
    shift = np.unwrap(values, discont, axis, period=period) - values
    y = p + shift.astype(np.result_type(values, shift))
    return y


register(np.frexp, _frexp)
register(np.unwrap, _unwrap)
register(np.ldexp, _ldexp)
register(np.float_power, _float_power)
register(np.divmod, _divmod)


# ---- sinc(x) = sin(pi x) / (pi x), sinc(0) = 1 ---------------------------------------------------
def _sinc_derivative(x: Any, y: Any) -> Any:
    """sinc'(x) = (cos(pi x) - sinc(x)) / x; near 0 (|x| < 0.1) its Taylor series
    sum_k (-1)^k 2k pi^2k x^(2k-1) / (2k+1)!, k = 1..6 (no cancellation; sinc'(0) = 0)."""
    small = x * x < 0.01
    safe = np.where(small, np.ones((), x.dtype), x)
    series = np.zeros_like(primal(x))
    power = x  # x^(2k-1)
    fact = 6.0  # (2k+1)!
    for k in range(1, 7):
        series = series + ((-1) ** k * 2 * k * np.pi ** (2 * k) / fact) * power
        power = power * x * x
        fact *= (2 * k + 2) * (2 * k + 3)
    return np.where(small, series, (np.cos(np.pi * x) - y) / safe)


elementwise(np.sinc, _sinc_derivative)  # a function, not a ufunc: the same rule record


# ---- nan_to_num: the identity on finite entries, constants elsewhere --------------------------
def _nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Any:
    """where(finite, x, replacement): y' = 1 on finite entries, 0 on replaced ones."""
    x = as_array(x)
    if x.dtype.kind == "c":
        raise UnsupportedFunctionError(
            np.nan_to_num, "complex array", "Apply it to the real and imaginary parts instead."
        )
    big = np.finfo(x.dtype).max if x.dtype.kind == "f" else 0
    values = primal(x)
    out = np.where(np.isnan(values), nan, values)
    out = np.where(np.isposinf(values), big if posinf is None else posinf, out)
    out = np.where(np.isneginf(values), -big if neginf is None else neginf, out)
    return np.where(np.isfinite(values), x, out.astype(x.dtype))


register(np.nan_to_num, _nan_to_num)


# ---- ufunc.outer: ufunc(a[..., None, ...], b), a broadcast of the plain call ---------------------
def _outer(ufunc: Any) -> Any:
    """ufunc.outer(a, b)[i..., j...] = ufunc(a[i...], b[j...]): a reshaped to a.shape + (1,) *
    b.ndim, then the ordinary (differentiable) call broadcasts it against b."""

    def handler(a: Any, b: Any, /, **kwargs: Any) -> Any:
        _no_ufunc_kwargs(ufunc, kwargs)
        a, b = _weak(a, b)
        return ufunc(np.reshape(a, a.shape + (1,) * b.ndim), b)

    return handler


OUTER = (
    np.add, np.subtract, np.multiply, np.divide, np.power, np.maximum, np.minimum, np.fmax,
    np.fmin, np.hypot, np.arctan2, np.logaddexp, np.logaddexp2, np.remainder, np.fmod,
    np.copysign, np.float_power, np.less, np.less_equal, np.greater, np.greater_equal,
    np.equal, np.not_equal, np.logical_and, np.logical_or, np.logical_xor,
)  # fmt: skip
for _u in OUTER:
    register((_u, "outer"), _outer(_u))
del _u
