"""Rules (stage ④) for numpy.fft. Every transform is linear, so each family is declared once with
its transpose (`extend.linear`), and the transposes are transforms again: every order works.

Three primitives cover the fourteen functions, in n-dimensional form with explicit sizes `s`, `axes`
and `norm` (the 1-D and 2-D functions are the same primitives on one or two axes):

  c2c   y = fftn(x) or ifftn(x)  transpose: the other direction with the dual norm, resized back
  r2c   y = rfftn(x)             transpose: zero-extend the half spectrum, ifftn, real part
  c2r   x = irfftn(y)            transpose: rfftn with the dual norm, interior bins weighted by 2

hfft and ihfft are NumPy's own composites: hfft(a) = irfft(conj(a)), ihfft(x) = conj(rfft(x)),
each with the dual norm.

The dual of a norm swaps where the 1/n goes ("backward" <-> "forward", "ortho" is its own dual):
the adjoint of the unnormalized DFT F is conj(F), which is the inverse transform without 1/n.
Cotangents follow pullback's complex convention (the adjoint under Re <a, b>): a real input's
cotangent is the real part. Derivations: docs/derivations/fft.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..core import register
from ..extend import as_array, linear

DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm: str | None) -> str:
    norm = "backward" if norm is None else norm
    if norm not in DUAL:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return norm


def _axes_sizes(x: Any, s: Any, axes: Any, last_half: bool = False) -> tuple[tuple, tuple]:
    """NumPy's defaulting of (s, axes) for the n-dimensional transforms, made explicit."""
    ndim = np.ndim(x)
    if axes is None:
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    axes = tuple(normalize_axis_index(a, ndim) for a in axes)
    if s is None:
        shape = np.shape(x)
        s = [shape[a] for a in axes]
        if last_half:  # irfftn: the output length along the last axis is 2 (m - 1)
            s[-1] = 2 * (shape[axes[-1]] - 1)
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return tuple(int(n) for n in s), axes


def _resize(z: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """Truncate or zero-pad z along `axes` to `shape` (the transpose of the transform's own
    zero-padding or truncation of its input to the sizes s)."""
    for a in axes:
        n, m = z.shape[a], shape[a]
        if n > m:
            z = np.take(z, np.arange(m), axis=a)
        elif n < m:
            pad = list(z.shape)
            pad[a] = m - n
            z = np.concatenate([z, np.zeros(pad, z.dtype)], axis=a)
    return z


def _real_if(z: Any, like: Any) -> Any:
    return z if np.iscomplexobj(np.empty(0, like.dtype)) else np.real(z)


# ---- c2c: fftn / ifftn --------------------------------------------------------------------------
def _c2c_apply(x: Any, *, s: tuple, axes: tuple, norm: str, inverse: bool) -> Any:
    return (np.fft.ifftn if inverse else np.fft.fftn)(x, s=s, axes=axes, norm=norm)


def _c2c_t(ybar: Any, like: Any, *, s: tuple, axes: tuple, norm: str, inverse: bool) -> tuple:
    # xbar = resize(F^H ybar): F^H is the opposite transform with the dual norm
    z = (np.fft.fftn if inverse else np.fft.ifftn)(ybar, s=s, axes=axes, norm=DUAL[norm])
    return (_real_if(_resize(z, like.shape, axes), like),)


# ---- r2c: rfftn ---------------------------------------------------------------------------------
def _r2c_apply(x: Any, *, s: tuple, axes: tuple, norm: str) -> Any:
    return np.fft.rfftn(x, s=s, axes=axes, norm=norm)


def _r2c_t(ybar: Any, like: Any, *, s: tuple, axes: tuple, norm: str) -> tuple:
    # y = E^T F x keeps the first s[-1]//2 + 1 bins of the full transform: xbar = Re F^H E ybar
    last = axes[-1]
    full = list(ybar.shape)
    full[last] = s[-1]
    z = _resize(ybar, tuple(full), (last,))
    z = np.fft.ifftn(z, s=s, axes=axes, norm=DUAL[norm])
    return (np.real(_resize(z, like.shape, axes)),)


# ---- c2r: irfftn --------------------------------------------------------------------------------
def _c2r_apply(y: Any, *, s: tuple, axes: tuple, norm: str) -> Any:
    return np.fft.irfftn(y, s=s, axes=axes, norm=norm)


def _c2r_t(xbar: Any, like: Any, *, s: tuple, axes: tuple, norm: str) -> tuple:
    # irfftn reads bin k and its mirror n - k: ybar = w * rfftn(xbar, dual norm), w_k = 2 except
    # for the bins without a mirror (k = 0 and, for even n, k = n/2), where w_k = 1
    n = s[-1]
    last = axes[-1]
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * xbar.ndim
    shape[last] = n // 2 + 1
    z = np.fft.rfftn(xbar, s=s, axes=axes, norm=DUAL[norm]) * w.reshape(shape).astype(xbar.dtype)
    return (_real_if(_resize(z, like.shape, axes), like),)


# ---- the NumPy signatures -----------------------------------------------------------------------
def _one(axis: int) -> tuple[int]:
    return (axis,)


def _fft(a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None) -> Any:
    return _c2c(a, None if n is None else (n,), _one(axis), norm, out, inverse=False)


def _ifft(a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None) -> Any:
    return _c2c(a, None if n is None else (n,), _one(axis), norm, out, inverse=True)


def _fftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None) -> Any:
    return _c2c(a, s, axes, norm, out, inverse=False)


def _ifftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None) -> Any:
    return _c2c(a, s, axes, norm, out, inverse=True)


def _fft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None, out: Any = None) -> Any:
    return _c2c(a, s, axes, norm, out, inverse=False)


def _ifft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None, out: Any = None) -> Any:
    return _c2c(a, s, axes, norm, out, inverse=True)


def _c2c(a: Any, s: Any, axes: Any, norm: Any, out: Any, *, inverse: bool) -> Any:
    _no_out(out)
    a = as_array(a)
    s, axes = _axes_sizes(a, s, axes)
    return _C2C.bind(a, s=s, axes=axes, norm=_norm(norm), inverse=inverse)


def _rfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None) -> Any:
    return _rfftn(a, None if n is None else (n,), _one(axis), norm, out)


def _rfftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None) -> Any:
    _no_out(out)
    a = as_array(a)
    if np.iscomplexobj(a):
        raise TypeError("numpy.fft.rfft* takes a real input; use numpy.fft.fft* for complex input")
    s, axes = _axes_sizes(a, s, axes)
    return _R2C.bind(a, s=s, axes=axes, norm=_norm(norm))


def _rfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None, out: Any = None) -> Any:
    return _rfftn(a, s, axes, norm, out)


def _irfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None) -> Any:
    return _irfftn(a, None if n is None else (n,), _one(axis), norm, out)


def _irfftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None) -> Any:
    _no_out(out)
    a = as_array(a)
    s, axes = _axes_sizes(a, s, axes, last_half=True)
    return _C2R.bind(a, s=s, axes=axes, norm=_norm(norm))


def _irfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None, out: Any = None) -> Any:
    return _irfftn(a, s, axes, norm, out)


def _hfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None) -> Any:
    """NumPy's definition: hfft(a, n, norm) = irfft(conj(a), n, norm') with the dual norm (the
    1/n moves to the other direction), so the irfft rule differentiates it."""
    _no_out(out)
    a = as_array(a)
    if n is None:
        n = (a.shape[axis] - 1) * 2
    return _irfft(np.conj(a), n, axis, DUAL[_norm(norm)])


def _ihfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None) -> Any:
    """NumPy's definition: ihfft(a, n, norm) = conj(rfft(a, n, norm')) with the dual norm."""
    _no_out(out)
    return np.conj(_rfft(a, n, axis, DUAL[_norm(norm)]))


def _no_out(out: Any) -> None:
    if out is not None:
        raise TypeError("pullback's numpy.fft functions do not take out=; use the return value")


# one rule per family, registered under its n-dimensional function; the others share it
_C2C = linear(np.fft.fftn, _c2c_apply, _c2c_t, name="fft.c2c", handler=_fftn)
_R2C = linear(np.fft.rfftn, _r2c_apply, _r2c_t, name="fft.r2c", handler=_rfftn)
_C2R = linear(np.fft.irfftn, _c2r_apply, _c2r_t, name="fft.c2r", handler=_irfftn)
for _fn, _handler in (
    (np.fft.fft, _fft),
    (np.fft.ifft, _ifft),
    (np.fft.fft2, _fft2),
    (np.fft.ifft2, _ifft2),
    (np.fft.ifftn, _ifftn),
    (np.fft.rfft, _rfft),
    (np.fft.rfft2, _rfft2),
    (np.fft.irfft, _irfft),
    (np.fft.irfft2, _irfft2),
    (np.fft.hfft, _hfft),
    (np.fft.ihfft, _ihfft),
):
    register(_fn, _handler)


# ---- fftshift / ifftshift: permutations, each the other's transpose ----------------------------
def _shift_axes(x: Any, axes: Any) -> tuple[int, ...]:
    if axes is None:
        return tuple(range(np.ndim(x)))
    axes = (axes,) if np.ndim(axes) == 0 else axes
    return tuple(normalize_axis_index(a, np.ndim(x)) for a in axes)


def _shift_apply(x: Any, *, axes: tuple, inverse: bool) -> Any:
    return (np.fft.ifftshift if inverse else np.fft.fftshift)(x, axes=axes)


def _shift_t(ybar: Any, like: Any, *, axes: tuple, inverse: bool) -> tuple:
    return ((np.fft.fftshift if inverse else np.fft.ifftshift)(ybar, axes=axes),)


def _fftshift(x: Any, axes: Any = None) -> Any:
    x = as_array(x)
    return _SHIFT.bind(x, axes=_shift_axes(x, axes), inverse=False)


def _ifftshift(x: Any, axes: Any = None) -> Any:
    x = as_array(x)
    return _SHIFT.bind(x, axes=_shift_axes(x, axes), inverse=True)


_SHIFT = linear(np.fft.fftshift, _shift_apply, _shift_t, name="fft.shift", handler=_fftshift)
register(np.fft.ifftshift, _ifftshift)
