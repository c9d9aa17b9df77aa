"""Rules (stage ④) for scipy.special: its ufuncs dispatch through `__array_ufunc__` like NumPy's,
so each is declared once by its derivative (`extend.elementwise`) and both modes follow. The
derivatives are written with the same ufuncs, so every order works (d/dx i1 = (i0 + iv(2, x))/2
calls iv, whose derivative calls iv again).

SciPy functions that are plain Python (logsumexp, softmax, log_softmax, polygamma) convert their
input with np.asarray before any protocol runs, so pullback cannot intercept them: their
differentiable versions live in `pullback.special` (this module), with SciPy's signatures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc
from numpy.lib.array_utils import normalize_axis_tuple

from ..core import Rule, Traced, primal, register
from ..errors import UnsupportedFunctionError
from ..extend import as_array, elementwise, unbroadcast

__all__ = ["log_softmax", "logsumexp", "polygamma", "softmax"]

SQRT_PI = float(np.sqrt(np.pi))
LOG_SQRT_2PI = float(0.5 * np.log(2 * np.pi))
LN2 = float(np.log(2.0))
LN10 = float(np.log(10.0))
DEG = float(np.pi / 180)


def _no_derivative(fn: Any, what: str) -> Any:
    """The derivative w.r.t. an argument that has none in closed form (a Bessel order...)."""

    def d(*args: Any) -> Any:
        raise UnsupportedFunctionError(
            fn,
            f"argument {what}",
            f"Its derivative with respect to {what} is not implemented (no closed form); "
            f"pass {what} as a constant.",
        )

    return d


# ---- logistic and error functions --------------------------------------------------------------
elementwise(sc.expit, lambda x, y: y * sc.expit(-x))  # s'(x) = s(x) s(-x), exact in both tails
elementwise(sc.log_expit, lambda x, y: sc.expit(-x))  # d log s(x) = s(-x)
elementwise(sc.logit, lambda x, y: 1 / (x * (1 - x)))
elementwise(sc.erf, lambda x, y: (2 / SQRT_PI) * np.exp(-x * x))
elementwise(sc.erfc, lambda x, y: (-2 / SQRT_PI) * np.exp(-x * x))
elementwise(sc.erfcx, lambda x, y: 2 * x * y - 2 / SQRT_PI)  # erfcx = exp(x^2) erfc(x)
elementwise(sc.erfinv, lambda x, y: (SQRT_PI / 2) * np.exp(y * y))  # 1 / erf'(y)
elementwise(sc.erfcinv, lambda x, y: (-SQRT_PI / 2) * np.exp(y * y))
elementwise(sc.dawsn, lambda x, y: 1 - 2 * x * y)
elementwise(sc.ndtr, lambda x, y: np.exp(-0.5 * x * x - LOG_SQRT_2PI))  # the normal pdf
elementwise(sc.ndtri, lambda x, y: np.exp(0.5 * y * y + LOG_SQRT_2PI))  # 1 / pdf(y)
# d log Phi(x) = pdf(x) / Phi(x) = exp(log pdf(x) - log Phi(x)): no overflow in the left tail
elementwise(sc.log_ndtr, lambda x, y: np.exp(-0.5 * x * x - LOG_SQRT_2PI - y))

# ---- gamma family ------------------------------------------------------------------------------
elementwise(sc.gamma, lambda x, y: y * sc.digamma(x))
elementwise(sc.gammaln, lambda x, y: sc.digamma(x))
elementwise(sc.loggamma, lambda x, y: sc.digamma(x))
elementwise(sc.rgamma, lambda x, y: -y * sc.digamma(x))
elementwise(sc.psi, lambda x, y: polygamma(1, x))  # scipy.special.digamma is the same ufunc
elementwise(
    sc.beta,
    lambda a, b, y: y * (sc.digamma(a) - sc.digamma(a + b)),
    lambda a, b, y: y * (sc.digamma(b) - sc.digamma(a + b)),
)
elementwise(
    sc.betaln,
    lambda a, b, y: sc.digamma(a) - sc.digamma(a + b),
    lambda a, b, y: sc.digamma(b) - sc.digamma(a + b),
)
# regularized incomplete gamma P(a, x): dP/dx = x^(a-1) e^-x / Gamma(a); no closed form in a
_dgammainc = lambda a, x, y: np.exp((a - 1) * np.log(x) - x - sc.gammaln(a))
elementwise(sc.gammainc, _no_derivative(sc.gammainc, "a"), _dgammainc)
elementwise(sc.gammaincc, _no_derivative(sc.gammaincc, "a"), lambda a, x, y: -_dgammainc(a, x, y))
# Hurwitz zeta(s, q) (scipy.special.zeta(s, q) calls this ufunc): d/dq = -s zeta(s + 1, q)
elementwise(
    sc._ufuncs._zeta,
    _no_derivative(sc.zeta, "s"),
    lambda s, q, y: -s * sc._ufuncs._zeta(s + 1, q),
    name="zeta",
)

# ---- Bessel functions (derivatives from the recurrences, e.g. 2 I_v' = I_(v-1) + I_(v+1)) -----
elementwise(sc.i0, lambda x, y: sc.i1(x))
register(np.i0, lambda x: sc.i0(as_array(x)))  # numpy.i0 is the same function: d i0 = i1
elementwise(sc.i1, lambda x, y: (sc.i0(x) + sc.iv(2, x)) / 2)
elementwise(
    sc.iv, _no_derivative(sc.iv, "v"), lambda v, x, y: (sc.iv(v - 1, x) + sc.iv(v + 1, x)) / 2
)
# exponentially scaled: ive(v, x) = iv(v, x) exp(-|x|)
elementwise(sc.i0e, lambda x, y: sc.i1e(x) - np.sign(x) * y)
elementwise(sc.i1e, lambda x, y: (sc.i0e(x) + sc.ive(2, x)) / 2 - np.sign(x) * y)
elementwise(
    sc.ive,
    _no_derivative(sc.ive, "v"),
    lambda v, x, y: (sc.ive(v - 1, x) + sc.ive(v + 1, x)) / 2 - np.sign(x) * y,
)
elementwise(sc.j0, lambda x, y: -sc.j1(x))
elementwise(sc.j1, lambda x, y: (sc.j0(x) - sc.jv(2, x)) / 2)
elementwise(
    sc.jv, _no_derivative(sc.jv, "v"), lambda v, x, y: (sc.jv(v - 1, x) - sc.jv(v + 1, x)) / 2
)
elementwise(sc.y0, lambda x, y: -sc.y1(x))
elementwise(sc.y1, lambda x, y: (sc.y0(x) - sc.yv(2, x)) / 2)
elementwise(
    sc.yv, _no_derivative(sc.yv, "v"), lambda v, x, y: (sc.yv(v - 1, x) - sc.yv(v + 1, x)) / 2
)
elementwise(sc.k0, lambda x, y: -sc.k1(x))
elementwise(sc.k1, lambda x, y: -(sc.k0(x) + sc.kv(2, x)) / 2)
elementwise(
    sc.kv, _no_derivative(sc.kv, "v"), lambda v, x, y: -(sc.kv(v - 1, x) + sc.kv(v + 1, x)) / 2
)
# kve(v, x) = kv(v, x) exp(x)
elementwise(sc.k0e, lambda x, y: y - sc.k1e(x))
elementwise(sc.k1e, lambda x, y: y - (sc.k0e(x) + sc.kve(2, x)) / 2)
elementwise(
    sc.kve,
    _no_derivative(sc.kve, "v"),
    lambda v, x, y: y - (sc.kve(v - 1, x) + sc.kve(v + 1, x)) / 2,
)

# ---- exponential integrals and friends ---------------------------------------------------------
elementwise(sc.exp1, lambda x, y: -np.exp(-x) / x)  # E1(x) = int_x^inf e^-t / t dt
elementwise(sc.expi, lambda x, y: np.exp(x) / x)
# E_n' = -E_(n-1) for n >= 1; E_0(x) = e^-x / x, so E_0' = -e^-x (x + 1) / x^2
elementwise(
    sc.expn,
    _no_derivative(sc.expn, "n"),
    lambda n, x, y: np.where(
        n >= 1, -sc.expn(np.maximum(n - 1, 0), x), -np.exp(-x) * (x + 1) / (x * x)
    ),
)
elementwise(sc.spence, lambda x, y: np.log(x) / (1 - x))  # spence(z) = int_1^z log t / (1 - t) dt

# ---- entropies and losses ----------------------------------------------------------------------
elementwise(sc.entr, lambda x, y: -np.log(x) - 1)  # entr = -x log x
elementwise(sc.rel_entr, lambda x, z, y: np.log(x / z) + 1, lambda x, z, y: -x / z)
elementwise(sc.kl_div, lambda x, z, y: np.log(x / z), lambda x, z, y: 1 - x / z)
elementwise(sc.xlogy, lambda x, z, y: np.log(z), lambda x, z, y: x / z)
elementwise(sc.xlog1py, lambda x, z, y: np.log1p(z), lambda x, z, y: x / (1 + z))
# huber(d, r) = r^2/2 if |r| <= d else d (|r| - d/2)
elementwise(
    sc.huber,
    lambda d, r, y: np.where(np.abs(r) <= d, 0.0 * r, np.abs(r) - d),
    lambda d, r, y: np.where(np.abs(r) <= d, r, d * np.sign(r)),
)
# pseudo_huber(d, r) = d^2 (s - 1), s = sqrt(1 + (r/d)^2)
elementwise(
    sc.pseudo_huber,
    lambda d, r, y: 2 * y / d - r * r / (d * np.sqrt(1 + (r / d) ** 2)),
    lambda d, r, y: r / np.sqrt(1 + (r / d) ** 2),
)
# boxcox(x, l) = (x^l - 1) / l (log x at l = 0); d/dl = (x^l log x - y) / l, (log x)^2 / 2 at 0
elementwise(
    sc.boxcox,
    lambda x, lam, y: x ** (lam - 1),
    lambda x, lam, y: np.where(
        lam == 0,
        np.log(x) ** 2 / 2,
        (x**lam * np.log(x) - y) / (lam + (lam == 0)),  # no 0/0 where l = 0
    ),
)
elementwise(
    sc.inv_boxcox,
    lambda z, lam, y: y / (1 + lam * z),  # y = (1 + l z)^(1/l)
    _no_derivative(sc.inv_boxcox, "lmbda"),
)

# ---- SciPy's own copies of elementary functions ------------------------------------------------
elementwise(sc.cbrt, lambda x, y: 1 / (3 * y * y))
elementwise(sc.exp2, lambda x, y: y * LN2)
elementwise(sc.exp10, lambda x, y: y * LN10)
elementwise(sc.cosdg, lambda x, y: -DEG * sc.sindg(x))
elementwise(sc.sindg, lambda x, y: DEG * sc.cosdg(x))
elementwise(sc.log1p, lambda x, y: 1 / (1 + x), name="scipy.special.log1p")
elementwise(sc.expm1, lambda x, y: y + 1, name="scipy.special.expm1")


# ---- the plain-Python functions of scipy.special, with SciPy's signatures ----------------------
def polygamma(n: Any, x: Any) -> Any:
    """scipy.special.polygamma, differentiable in x: psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for
    n >= 1 and psi(x) for n = 0 (n is an integer constant). d/dx psi^(n) = psi^(n+1)."""
    x = as_array(x)
    n = np.asarray(n)
    if n.ndim == 0:
        k = int(n)
        if k == 0:
            return sc.psi(x)
        fac = float((-1.0) ** (k + 1) * sc.gamma(k + 1.0))  # a Python float keeps float32
        return fac * sc._ufuncs._zeta(np.asarray(k + 1.0, x.dtype), x)
    fac = ((-1.0) ** (n + 1) * sc.gamma(n + 1.0)).astype(x.dtype)
    y = fac * sc._ufuncs._zeta((n + 1.0).astype(x.dtype), x)
    return np.where(n == 0, sc.psi(x), y)


def _logsumexp_fwd(a: Any, b: Any, *, axis: Any, keepdims: bool) -> tuple[Any, Any]:
    # shift by the (constant) maximum: y = m + log sum(b exp(a - m)), never overflows
    m = np.max(_plain(a), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0).astype(m.dtype)
    shifted = np.exp(a - m)
    s = np.sum(shifted if b is None else b * shifted, axis=axis, keepdims=True)
    y = np.log(np.abs(s)) + m
    # p = dy/da = b exp(a - y) / sign = b exp(a - m) / s (the softmax when b is None); dividing the
    # shifted exponentials by their sum keeps every digit (exp(a - y) loses them when |m| is large)
    e = shifted / s
    p = e if b is None else b * e
    out = y if keepdims else np.squeeze(y, axis=axis)
    return out, (p, e, a, b, axis, keepdims)


def _expand(ybar: Any, axis: Any, keepdims: bool, ndim: int) -> Any:
    if keepdims or ndim == 0:
        return ybar
    axes = tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)
    return np.expand_dims(ybar, axes)


def _logsumexp_jvp(res: Any, adot: Any, bdot: Any) -> Any:
    # dy = sum(p da + (exp(a - y) / sign) db)
    p, e, _, _, axis, keepdims = res
    terms = 0.0
    if adot is not None:
        terms = p * adot
    if bdot is not None:
        terms = terms + e * bdot
    return np.sum(terms, axis=axis, keepdims=keepdims)


def _logsumexp_vjp_a(res: Any, ybar: Any) -> Any:
    p, _, a, _, axis, keepdims = res  # abar = p ybar, broadcast over the reduced axes
    return unbroadcast(p * _expand(ybar, axis, keepdims, np.ndim(a)), a)


def _logsumexp_vjp_b(res: Any, ybar: Any) -> Any:
    _, e, a, b, axis, keepdims = res  # bbar = exp(a - y) / sign ybar
    return unbroadcast(e * _expand(ybar, axis, keepdims, np.ndim(a)), b)


_LOGSUMEXP = Rule("logsumexp", _logsumexp_fwd, _logsumexp_jvp, (_logsumexp_vjp_a, _logsumexp_vjp_b))


def logsumexp(
    a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False
) -> Any:
    """scipy.special.logsumexp, differentiable in a and b: log(sum(b * exp(a))) computed with the
    maximum shifted out, so neither the value nor the gradient (the softmax, b exp(a - y)) can
    overflow. With return_sign, returns (log|sum|, sign) and the sign is a plain array."""
    a = as_array(a)
    if b is not None:
        b = as_array(b)
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    if isinstance(axis, list):
        axis = tuple(axis)
    y = _LOGSUMEXP.bind(a, b, axis=axis, keepdims=keepdims)
    if b is None:
        return (y, np.ones(np.shape(y))) if return_sign else y
    a0, b0 = _plain(a), _plain(b)
    m = np.max(a0, axis=axis, keepdims=True)
    sign = np.sign(
        np.sum(b0 * np.exp(a0 - np.where(np.isfinite(m), m, 0.0)), axis=axis, keepdims=keepdims)
    )
    if return_sign:
        return y, sign
    if np.any(sign < 0):
        raise ValueError(
            "logsumexp: the weighted sum sum(b * exp(a)) is negative, so its log is undefined "
            "(SciPy returns NaN here). Pass return_sign=True to get log|sum| and its sign."
        )
    return y


def softmax(x: Any, axis: Any = None) -> Any:
    """scipy.special.softmax: exp(x - logsumexp(x)), stable in value and gradient."""
    x = as_array(x)
    return np.exp(x - logsumexp(x, axis=axis, keepdims=True))


def log_softmax(x: Any, axis: Any = None) -> Any:
    """scipy.special.log_softmax: x - logsumexp(x), stable in value and gradient."""
    x = as_array(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def _traced(*xs: Any) -> bool:
    return any(isinstance(x, Traced) for x in xs)


_plain = primal
