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

from ..core import Rule, Traced, batching, primal, register
from ..errors import UnsupportedFunctionError
from ..extend import as_array, defbatch, elementwise, unbroadcast

__all__ = ["log_softmax", "logsumexp", "polygamma", "softmax"]

SQRT_PI = float(np.sqrt(np.pi))
LOG_SQRT_2PI = float(0.5 * np.log(2 * np.pi))
LN2 = float(np.log(2.0))
LN10 = float(np.log(10.0))
DEG = float(np.pi / 180)
SQRT_HALF = float(np.sqrt(0.5))


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


def _complementary(fn: Any, fnc: Any, params: tuple[str, ...], d: Any) -> None:
    """fn and its complement fnc, elementwise in the last argument x: d fn = d(*args, y) dx and
    d fnc = -d(*args, y) dx (each at its own arguments and output y); none in params."""

    def dc(*args: Any) -> Any:
        return -d(*args)

    elementwise(fn, *(_no_derivative(fn, name) for name in params), d)
    elementwise(fnc, *(_no_derivative(fnc, name) for name in params), dc)


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
def _like(d: Any, y: Any) -> Any:
    """d in the dtype of the output y: a constant parameter (a Python float through gammaln) must
    not promote a float32 derivative to float64."""
    dtype = getattr(y, "dtype", y)
    return d.astype(dtype) if dtype is not None and d.dtype != dtype else d


def _dgammainc(a: Any, x: Any, y: Any) -> Any:
    """dP(a, x)/dx = x^(a-1) e^-x / Gamma(a), in the dtype of y (the output)."""
    return _like(np.exp((a - 1) * np.log(x) - x - sc.gammaln(a)), y)


_complementary(sc.gammainc, sc.gammaincc, ("a",), _dgammainc)  # Q = 1 - P
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

# integer orders and scaled versions for real x (jve = jv, yve = yv on the real line)
elementwise(
    sc.kn, _no_derivative(sc.kn, "n"), lambda n, x, y: -(sc.kn(n - 1, x) + sc.kn(n + 1, x)) / 2
)
elementwise(
    sc.yn, _no_derivative(sc.yn, "n"), lambda n, x, y: (sc.yn(n - 1, x) - sc.yn(n + 1, x)) / 2
)
elementwise(
    sc.jve,
    _no_derivative(sc.jve, "v"),
    lambda v, x, y: (sc.jve(v - 1, x) - sc.jve(v + 1, x)) / 2,
)
elementwise(
    sc.yve,
    _no_derivative(sc.yve, "v"),
    lambda v, x, y: (sc.yve(v - 1, x) - sc.yve(v + 1, x)) / 2,
)
# Struve functions (DLMF 11.4.24, 11.4.26): with c = (x/2)^v / (sqrt(pi) Gamma(v + 3/2)),
# 2 H_v' = H_(v-1) - H_(v+1) + c and 2 L_v' = L_(v-1) + L_(v+1) + c
_struve_c = lambda v, x: np.exp(v * np.log(x / 2) - sc.gammaln(v + 1.5)) / SQRT_PI
elementwise(
    sc.struve,
    _no_derivative(sc.struve, "v"),
    lambda v, x, y: (sc.struve(v - 1, x) - sc.struve(v + 1, x) + _struve_c(v, x)) / 2,
)
elementwise(
    sc.modstruve,
    _no_derivative(sc.modstruve, "v"),
    lambda v, x, y: (sc.modstruve(v - 1, x) + sc.modstruve(v + 1, x) + _struve_c(v, x)) / 2,
)

# integrals of Struve functions: int_0^x H_0, int_0^x L_0, int_x^inf H_0(t) / t dt
elementwise(sc.itstruve0, lambda x, y: _like(sc.struve(0.0, x), y))
elementwise(sc.itmodstruve0, lambda x, y: _like(sc.modstruve(0.0, x), y))
elementwise(sc.it2struve0, lambda x, y: _like(-sc.struve(0.0, x) / x, y))
# Kelvin functions: ber' = berp, and from x^2 w'' + x w' - i x^2 w = 0 (w = ber + i bei):
# ber'' = -ber'/x - bei, bei'' = -bei'/x + ber (the same for ker + i kei)
elementwise(sc.ber, lambda x, y: sc.berp(x))
elementwise(sc.bei, lambda x, y: sc.beip(x))
elementwise(sc.berp, lambda x, y: -y / x - sc.bei(x))
elementwise(sc.beip, lambda x, y: -y / x + sc.ber(x))
elementwise(sc.ker, lambda x, y: sc.kerp(x))
elementwise(sc.kei, lambda x, y: sc.keip(x))
elementwise(sc.kerp, lambda x, y: -y / x - sc.kei(x))
elementwise(sc.keip, lambda x, y: -y / x + sc.ker(x))
# Wright's generalized Bessel function: d/dx Phi(a, b; x) = Phi(a, a + b; x)
elementwise(
    sc.wright_bessel,
    _no_derivative(sc.wright_bessel, "a"),
    _no_derivative(sc.wright_bessel, "b"),
    lambda a, b, x, y: sc.wright_bessel(a, a + b, x),
)
elementwise(
    sc.log_wright_bessel,
    _no_derivative(sc.log_wright_bessel, "a"),
    _no_derivative(sc.log_wright_bessel, "b"),
    lambda a, b, x, y: np.exp(sc.log_wright_bessel(a, a + b, x) - y),
)
# associated Legendre P_v^m: (x^2 - 1) dP/dx = v x P_v^m - (v + m) P_(v-1)^m
elementwise(
    sc.lpmv,
    _no_derivative(sc.lpmv, "m"),
    _no_derivative(sc.lpmv, "v"),
    lambda m, v, x, y: (v * x * y - (v + m) * sc.lpmv(m, v - 1, x)) / (x * x - 1),
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
# inv_boxcox(z, l) = (1 + l z)^(1/l) (exp z at l = 0):
# d/dz = y / (1 + l z); d/dl = y (z / (l (1 + l z)) - log1p(l z) / l^2), -y z^2 / 2 at l = 0
elementwise(
    sc.inv_boxcox,
    lambda z, lam, y: y / (1 + lam * z),
    lambda z, lam, y: y * _inv_boxcox_dl(z, lam),
)
# boxcox1p(x, l) = ((1 + x)^l - 1) / l (log1p x at l = 0): the boxcox rule at 1 + x
elementwise(
    sc.boxcox1p,
    lambda x, lam, y: (1 + x) ** (lam - 1),
    lambda x, lam, y: np.where(
        lam == 0,
        np.log1p(x) ** 2 / 2,
        ((1 + x) ** lam * np.log1p(x) - y) / (lam + (lam == 0)),
    ),
)
# inv_boxcox1p(z, l) = inv_boxcox(z, l) - 1: the same derivatives with y + 1
elementwise(
    sc.inv_boxcox1p,
    lambda z, lam, y: (y + 1) / (1 + lam * z),
    lambda z, lam, y: (y + 1) * _inv_boxcox_dl(z, lam),
)


# ---- incomplete beta and gamma: derivatives in x (the density), inverses by 1 / f'(x) ---------
# I_x(a, b): dI/dx = x^(a-1) (1-x)^(b-1) / B(a, b); no closed form in a or b
def _dbetainc(a: Any, b: Any, x: Any, y: Any) -> Any:
    """dI_x(a, b)/dx = x^(a-1) (1-x)^(b-1) / B(a, b), in the dtype of y (the output)."""
    return _like(np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - sc.betaln(a, b)), y)


_complementary(sc.betainc, sc.betaincc, ("a", "b"), _dbetainc)  # betaincc = 1 - I
# x = I^-1(a, b, p): dx/dp = 1 / I'(x) (the inverse-function rule, with y = x); the inverse of
# the complement, x = I^-1(a, b, 1 - p), has dx/dp = -1 / I'(x)
_complementary(
    sc.betaincinv, sc.betainccinv, ("a", "b"), lambda a, b, p, y: 1 / _dbetainc(a, b, y, y)
)
# x = P^-1(a, p): dx/dp = 1 / P'(x) = exp(x - (a - 1) log x + gammaln(a)); -1 / P'(x) for Q^-1
_complementary(sc.gammaincinv, sc.gammainccinv, ("a",), lambda a, p, y: 1 / _dgammainc(a, y, y))
# binom(n, k) = Gamma(n + 1) / (Gamma(k + 1) Gamma(n - k + 1)): logarithmic derivatives by digamma
elementwise(
    sc.binom,
    lambda n, k, y: y * (sc.digamma(n + 1) - sc.digamma(n - k + 1)),
    lambda n, k, y: y * (sc.digamma(n - k + 1) - sc.digamma(k + 1)),
)
# poch(z, m) = Gamma(z + m) / Gamma(z)
elementwise(
    sc.poch,
    lambda z, m, y: y * (sc.digamma(z + m) - sc.digamma(z)),
    lambda z, m, y: y * sc.digamma(z + m),
)

# ---- probability distributions: the cdf's derivative in its variable is the density -----------
_dchdtr = lambda v, x, y: _dgammainc(v / 2, x / 2, y) / 2  # chdtr(v, x) = P(v/2, x/2)
_complementary(sc.chdtr, sc.chdtrc, ("v",), _dchdtr)
# chdtri(v, p) is the inverse of chdtrc in x: dx/dp = -1 / density(x)
elementwise(sc.chdtri, _no_derivative(sc.chdtri, "v"), lambda v, p, y: -1 / _dchdtr(v, y, y))
# pdtrc(k, m) = P(k + 1, m), pdtr = 1 - pdtrc: d/dm = +- m^k e^-m / Gamma(k + 1)
# (SciPy floors k, n of the discrete distributions; so do their derivatives)
_fk = lambda k: np.floor(k) + 1
_complementary(sc.pdtrc, sc.pdtr, ("k",), lambda k, m, y: _dgammainc(_fk(k), m, y))


def _t_pdf(df: Any, t: Any, y: Any) -> Any:
    """Student's t density: Gamma((v+1)/2) / (sqrt(v pi) Gamma(v/2)) (1 + t^2/v)^(-(v+1)/2)."""
    return _like(
        np.exp(
            sc.gammaln((df + 1) / 2)
            - sc.gammaln(df / 2)
            - 0.5 * np.log(df * np.pi)
            - (df + 1) / 2 * np.log1p(t * t / df)
        ),
        y,
    )


elementwise(sc.stdtr, _no_derivative(sc.stdtr, "df"), lambda df, t, y: _t_pdf(df, t, y))
elementwise(sc.stdtrit, _no_derivative(sc.stdtrit, "df"), lambda df, p, y: 1 / _t_pdf(df, y, y))
# gdtr(a, b, x) = P(b, a x): d/dx = a P'(b, a x), d/da = x P'(b, a x); no closed form in b
elementwise(
    sc.gdtr,
    lambda a, b, x, y: x * _dgammainc(b, a * x, y),
    _no_derivative(sc.gdtr, "b"),
    lambda a, b, x, y: a * _dgammainc(b, a * x, y),
)
elementwise(
    sc.gdtrc,
    lambda a, b, x, y: -x * _dgammainc(b, a * x, y),
    _no_derivative(sc.gdtrc, "b"),
    lambda a, b, x, y: -a * _dgammainc(b, a * x, y),
)


def _dfdtr(dfn: Any, dfd: Any, x: Any, y: Any) -> Any:
    """fdtr = I_u(dfn/2, dfd/2), u = dfn x / s, s = dfd + dfn x: d/dx = I'(u) dfn dfd / s^2."""
    s = dfd + dfn * x
    return _dbetainc(dfn / 2, dfd / 2, dfn * x / s, y) * (dfn * dfd / (s * s))


_complementary(sc.fdtr, sc.fdtrc, ("dfn", "dfd"), _dfdtr)
# bdtr(k, n, p) = I_(1-p)(n - k, k + 1), bdtrc = 1 - bdtr:
# d bdtrc/dp = (1-p)^(n-k-1) p^k / B(n - k, k + 1), d bdtr/dp its negative
_dbdtr = lambda k, n, p, y: _dbetainc(np.floor(n) - np.floor(k), _fk(k), 1 - p, y)
_complementary(sc.bdtrc, sc.bdtr, ("k", "n"), _dbdtr)
# nbdtr(k, n, p) = I_p(n, k + 1)
_complementary(
    sc.nbdtr, sc.nbdtrc, ("k", "n"), lambda k, n, p, y: _dbetainc(np.floor(n), _fk(k), p, y)
)
# inverse cdfs in the probability: dx/dp = 1 / (dcdf/dx at x = y, the output)
elementwise(
    sc.fdtri,
    _no_derivative(sc.fdtri, "dfn"),
    _no_derivative(sc.fdtri, "dfd"),
    lambda dfn, dfd, p, y: 1 / _dfdtr(dfn, dfd, y, y),
)
elementwise(
    sc.gdtrix,
    _no_derivative(sc.gdtrix, "a"),
    _no_derivative(sc.gdtrix, "b"),
    lambda a, b, p, y: 1 / (a * _dgammainc(b, a * y, y)),
)
elementwise(
    sc.bdtri,
    _no_derivative(sc.bdtri, "k"),
    _no_derivative(sc.bdtri, "n"),
    lambda k, n, q, y: -1 / _dbdtr(k, n, y, y),
)
elementwise(
    sc.nbdtri,
    _no_derivative(sc.nbdtri, "k"),
    _no_derivative(sc.nbdtri, "n"),
    lambda k, n, q, y: 1 / _dbetainc(np.floor(n), _fk(k), y, y),
)
elementwise(sc.pdtri, _no_derivative(sc.pdtri, "k"), lambda k, q, y: -1 / _dgammainc(_fk(k), y, y))
# ndtri_exp(y) = ndtri(exp(y)): d/dy = exp(y) / pdf(x)
elementwise(sc.ndtri_exp, lambda t, y: np.exp(t + 0.5 * y * y + LOG_SQRT_2PI))
# owens_t(h, a) = 1/(2 pi) int_0^a exp(-h^2 (1 + t^2) / 2) / (1 + t^2) dt:
# dT/dh = -pdf(h) erf(a h / sqrt 2) / 2, dT/da = exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))
elementwise(
    sc.owens_t,
    lambda h, a, y: -np.exp(-0.5 * h * h - LOG_SQRT_2PI) * sc.erf(a * h * SQRT_HALF) / 2,
    lambda h, a, y: np.exp(-0.5 * h * h * (1 + a * a)) / (2 * np.pi * (1 + a * a)),
)

# ---- more elementary and hypergeometric functions ----------------------------------------------
elementwise(sc.erfi, lambda x, y: (2 / SQRT_PI) * np.exp(x * x))
elementwise(sc.cosm1, lambda x, y: -np.sin(x))  # cos x - 1
elementwise(sc.tandg, lambda x, y: DEG * (1 + y * y))
elementwise(sc.cotdg, lambda x, y: -DEG * (1 + y * y))
# radian(d, m, s) = (d + m / 60 + s / 3600) pi / 180: linear
elementwise(
    sc.radian,
    lambda d, m, s, y: DEG + 0 * y,
    lambda d, m, s, y: DEG / 60 + 0 * y,
    lambda d, m, s, y: DEG / 3600 + 0 * y,
)
# powm1(x, p) = x^p - 1: d/dx = p x^(p-1), d/dp = x^p log x
elementwise(sc.powm1, lambda x, p, y: p * x ** (p - 1), lambda x, p, y: (y + 1) * np.log(x))
elementwise(sc.wrightomega, lambda x, y: y / (1 + y))  # w + log w = x
elementwise(sc.exprel, lambda x, y: _dexprel(x, y))
# complete elliptic integrals (parameter m):
# dK/dm = (E - (1 - m) K) / (2 m (1 - m)), dE/dm = (E - K) / (2 m)
elementwise(sc.ellipk, lambda m, y: (sc.ellipe(m) - (1 - m) * y) / (2 * m * (1 - m)))
elementwise(sc.ellipe, lambda m, y: (y - sc.ellipk(m)) / (2 * m))
# ellipkm1(p) = K(1 - p): d/dp = -K'(1 - p)
elementwise(sc.ellipkm1, lambda p, y: -(sc.ellipe(1 - p) - p * y) / (2 * (1 - p) * p))
# hypergeometric functions in their variable: d/dz pFq(a; b; z) = prod a / prod b pFq(a+1; b+1; z)
elementwise(sc.hyp0f1, _no_derivative(sc.hyp0f1, "v"), lambda v, z, y: sc.hyp0f1(v + 1, z) / v)
elementwise(
    sc.hyp1f1,
    _no_derivative(sc.hyp1f1, "a"),
    _no_derivative(sc.hyp1f1, "b"),
    lambda a, b, x, y: a / b * sc.hyp1f1(a + 1, b + 1, x),
)
elementwise(
    sc.hyp2f1,
    _no_derivative(sc.hyp2f1, "a"),
    _no_derivative(sc.hyp2f1, "b"),
    _no_derivative(sc.hyp2f1, "c"),
    lambda a, b, c, z, y: a * b / c * sc.hyp2f1(a + 1, b + 1, c + 1, z),
)
# U(a, b, x)' = -a U(a + 1, b + 1, x)
elementwise(
    sc.hyperu,
    _no_derivative(sc.hyperu, "a"),
    _no_derivative(sc.hyperu, "b"),
    lambda a, b, x, y: -a * sc.hyperu(a + 1, b + 1, x),
)


def _inv_boxcox_dl(z: Any, lam: Any) -> Any:
    """d log(inv_boxcox)/dl = (t / (1 + t) - log1p(t)) / l^2 with t = l z, which cancels for small
    t; there the series z^2 sum_(k>=1) (-1)^k k t^(k-1) / (k + 1) (to t^11) replaces it."""
    t = lam * z
    small = np.abs(primal(t)) < 0.05
    safe_l = np.where(small, np.ones((), t.dtype), lam)
    safe_t = np.where(small, np.zeros((), t.dtype), t)
    general = (safe_t / (1 + safe_t) - np.log1p(safe_t)) / (safe_l * safe_l)
    series = 0.0 * t
    for k in range(12, 0, -1):
        series = series * t + (-1) ** k * k / (k + 1)
    return np.where(small, z * z * series, general)


# exprel(x) = (e^x - 1) / x: exprel' = (e^x - exprel) / x, which cancels near 0; there the series
# sum_(n>=1) n x^(n-1) / (n+1)! (to x^6, error < 1e-14 for |x| < 0.05) replaces it
_EXPREL_SERIES = (1 / 2, 1 / 3, 1 / 8, 1 / 30, 1 / 144, 1 / 840, 1 / 5760)


def _dexprel(x: Any, y: Any) -> Any:
    small = np.abs(primal(x)) < 0.05
    safe = np.where(small, np.ones((), x.dtype), x)
    series = 0.0 * x
    for c in reversed(_EXPREL_SERIES):
        series = series * x + c
    return np.where(small, series, (np.exp(safe) - y) / safe)


# ---- orthogonal polynomials, differentiable in x (the degree n and the parameters are constants):
# each derivative is a polynomial of degree n - 1 of the same families (DLMF 18.9), 0 for n = 0
def _lower(n: Any) -> Any:
    return np.maximum(n - 1, 0)


def _deg(n: Any, value: Any) -> Any:
    return np.where(n > 0, value, 0 * value)


def _poly(fn: Any, d: Any, nparams: int) -> None:
    """fn(n, *params, x): elementwise in x by d(n, *params, x); no derivative in n or params."""
    names = ("n", "alpha", "beta")[: nparams + 1]
    elementwise(fn, *(_no_derivative(fn, a) for a in names), d)


# C_n^(a)' = 2 a C_(n-1)^(a+1); P_n = C_n^(1/2); U_n = C_n^(1); T_n' = n U_(n-1)
_gegen = lambda n, a, x: _deg(n, 2 * a * sc.eval_gegenbauer(_lower(n), a + 1, x))
_poly(sc.eval_gegenbauer, lambda n, a, x, y: _gegen(n, a, x), 1)
_poly(sc.eval_legendre, lambda n, x, y: _gegen(n, 0.5, x), 0)
_poly(sc.eval_sh_legendre, lambda n, x, y: 2 * _gegen(n, 0.5, 2 * x - 1), 0)  # P_n(2x - 1)
_poly(sc.eval_chebyu, lambda n, x, y: _gegen(n, 1.0, x), 0)
_poly(sc.eval_sh_chebyu, lambda n, x, y: 2 * _gegen(n, 1.0, 2 * x - 1), 0)  # U_n(2x - 1)
_poly(sc.eval_chebys, lambda n, x, y: _gegen(n, 1.0, x / 2) / 2, 0)  # S_n(x) = U_n(x/2)
_poly(sc.eval_chebyt, lambda n, x, y: _deg(n, n * sc.eval_chebyu(_lower(n), x)), 0)
_poly(  # T_n(2x - 1)
    sc.eval_sh_chebyt, lambda n, x, y: _deg(n, 2 * n * sc.eval_chebyu(_lower(n), 2 * x - 1)), 0
)
_poly(  # C_n(x) = 2 T_n(x/2): C_n' = n U_(n-1)(x/2)
    sc.eval_chebyc, lambda n, x, y: _deg(n, n * sc.eval_chebyu(_lower(n), x / 2)), 0
)
# P_n^(a,b)' = (n + a + b + 1) / 2 P_(n-1)^(a+1,b+1)
_poly(
    sc.eval_jacobi,
    lambda n, a, b, x, y: _deg(n, (n + a + b + 1) / 2 * sc.eval_jacobi(_lower(n), a + 1, b + 1, x)),
    2,
)
_poly(sc.eval_hermite, lambda n, x, y: _deg(n, 2 * n * sc.eval_hermite(_lower(n), x)), 0)
_poly(sc.eval_hermitenorm, lambda n, x, y: _deg(n, n * sc.eval_hermitenorm(_lower(n), x)), 0)
# L_n^(a)' = -L_(n-1)^(a+1); L_n = L_n^(0)
_glag = lambda n, a, x: _deg(n, -sc.eval_genlaguerre(_lower(n), a + 1, x))
_poly(sc.eval_genlaguerre, lambda n, a, x, y: _glag(n, a, x), 1)
_poly(sc.eval_laguerre, lambda n, x, y: _glag(n, 0.0, x), 0)

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


# Jacobians (core/batching.py): (co)tangents carry a leading batch axis, so the reduced axes
# shift by one
def _batch_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    axes = tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)
    return tuple(i + 1 for i in axes)


def _logsumexp_jvp_batched(res: Any, adot: Any, bdot: Any) -> Any:
    p, e, a, _, axis, keepdims = res  # dy[k] = sum(p da[k] + (exp(a - y) / sign) db[k])
    terms = 0.0
    if adot is not None:
        terms = p * batching.full(adot, p.shape)
    if bdot is not None:
        terms = terms + e * batching.full(bdot, e.shape)
    return np.sum(terms, axis=_batch_axes(axis, np.ndim(a)), keepdims=keepdims)


def _expand_batched(ybar: Any, axis: Any, keepdims: bool, ndim: int) -> Any:
    if keepdims or ndim == 0:
        return ybar
    return np.expand_dims(ybar, _batch_axes(axis, ndim))


def _logsumexp_vjp_a_batched(res: Any, ybar: Any) -> Any:
    p, _, a, _, axis, keepdims = res  # abar[k] = p ybar[k]
    return batching.unbroadcast(p * _expand_batched(ybar, axis, keepdims, np.ndim(a)), a)


def _logsumexp_vjp_b_batched(res: Any, ybar: Any) -> Any:
    _, e, a, b, axis, keepdims = res  # bbar[k] = exp(a - y) / sign ybar[k]
    return batching.unbroadcast(e * _expand_batched(ybar, axis, keepdims, np.ndim(a)), b)


defbatch(
    _LOGSUMEXP,
    _logsumexp_jvp_batched,
    (_logsumexp_vjp_a_batched, _logsumexp_vjp_b_batched),
)


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
