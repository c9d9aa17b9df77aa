"""Rules (stage ④) for complex numbers: real, imag, conj/conjugate, angle, and abs/absolute (for
real and complex input).

The convention (docs/complex.md): a cotangent is the adjoint under the real inner product
<a, b> = Re(sum(conj(a) * b)). So `real` (C -> R) has the transpose ybar -> ybar + 0j, `imag`
the transpose ybar -> 1j * ybar, `conj` is its own transpose, and for |z| the cotangent is
ybar * z / |z|. Everything is written with NumPy calls on possibly traced values: every order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import primal, register
from ..extend import Rule, as_array, defbatch, linear


def _is_complex(x: Any) -> bool:
    return x.dtype.kind == "c"


def _no_kwargs(fn: str, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise TypeError(f"pullback's numpy.{fn} does not support the arguments {sorted(kwargs)}")


def _to_complex(ybar: Any) -> Any:
    return ybar + 0j  # R -> C embedding (float32 stays single precision: complex64)


# ---- real: y = Re(z); <ybar, Re(zdot)> = Re(conj(ybar + 0j) zdot), so zbar = ybar + 0j -----------
def _real_apply(x: Any) -> Any:
    return np.real(x)


def _real_t(ybar: Any, like: Any) -> tuple[Any]:
    return (_to_complex(ybar),)  # zbar = ybar + 0i


def _real(val: Any) -> Any:
    val = as_array(val)
    if not _is_complex(val):
        return val  # NumPy: real(x) is x itself for a real x
    return REAL.bind(val)


REAL = linear(np.real, _real_apply, _real_t, name="real", handler=_real)


# ---- imag: y = Im(z); <ybar, Im(zdot)> = Re(conj(1j ybar) zdot), so zbar = 1j * ybar ------------
def _imag_apply(x: Any) -> Any:
    return np.imag(x)


def _imag_t(ybar: Any, like: Any) -> tuple[Any]:
    return (ybar * 1j,)  # zbar = i ybar


def _imag(val: Any) -> Any:
    val = as_array(val)
    if not _is_complex(val):
        return np.zeros(val.shape, val.dtype)  # Im of a real array: a constant zero
    return IMAG.bind(val)


IMAG = linear(np.imag, _imag_apply, _imag_t, name="imag", handler=_imag)


# ---- conj: y = conj(z), R-linear and self-adjoint under the real inner product: zbar = conj(ybar)
def _conj_apply(x: Any) -> Any:
    return np.conjugate(x)


def _conj_t(ybar: Any, like: Any) -> tuple[Any]:
    return (np.conjugate(ybar),)  # zbar = conj(ybar)


def _conjugate(x: Any, /, **kwargs: Any) -> Any:
    _no_kwargs("conjugate", kwargs)
    x = as_array(x)
    if not _is_complex(x):
        return x  # conj of a real array is the array
    return CONJ.bind(x)


CONJ = linear(np.conjugate, _conj_apply, _conj_t, name="conjugate", handler=_conjugate)


# ---- angle: arg(z) = arctan2(Im z, Re z), a composite; of a real array, a constant 0 or pi ------
def _angle(z: Any, deg: bool = False) -> Any:
    z = as_array(z)
    if not _is_complex(z):
        return np.angle(primal(z), deg=deg)  # piecewise constant in a real z: zero derivative
    a = np.arctan2(np.imag(z), np.real(z))
    return a * float(180 / np.pi) if deg else a


register(np.angle, _angle)


# ---- absolute: |x| -------------------------------------------------------------------------------
# real x:    d|x| = sign(x) dx               xbar = ybar sign(x)   (0 at 0: min-norm subgradient)
# complex z: d|z| = Re(conj(z) dz) / |z|     zbar = ybar z / |z|   (0 at z = 0)
def _abs_fwd(x: Any) -> tuple[Any, Any]:
    y = np.absolute(x)
    return y, (x, y)


def _safe(y: Any) -> Any:
    return y + (y == 0)  # |z| with 0 replaced by 1: z / safe(|z|) is 0 at z = 0, no warning


def _abs_jvp(res: Any, xdot: Any) -> Any:
    x, y = res
    if _is_complex(x):
        return np.real(np.conjugate(x) * xdot) / _safe(y)
    return xdot * np.sign(x)


def _abs_vjp(res: Any, ybar: Any) -> Any:
    x, y = res
    if _is_complex(x):
        return ybar * x / _safe(y)
    return ybar * np.sign(x)


ABSOLUTE = Rule("absolute", _abs_fwd, _abs_jvp, (_abs_vjp,))


def _absolute(x: Any, /, **kwargs: Any) -> Any:
    _no_kwargs("absolute", kwargs)
    return ABSOLUTE.bind(as_array(x))


register(np.absolute, _absolute)  # also numpy.abs and abs(x)

# Jacobians (core/batching.py): these rules act elementwise on (co)tangents, so a leading batch
# axis of directions, shape (B, *x.shape), broadcasts through them unchanged.
for _rule in (REAL, IMAG, CONJ):
    defbatch(_rule, _rule.jvp, _rule.vjp)
defbatch(ABSOLUTE, _abs_jvp, (_abs_vjp,))
