"""Rules (stage ④) for writes into arrays: `x[index] = v` on a traced x is the functional update
y = setitem(x, v, index), one primitive; core/traced.py rebinds the Traced object to y (and keeps
basic-slicing views in step), so `x[i] = v`, `x[mask] = v`, `x += y` and `ufunc(..., out=x)`
differentiate like the NumPy code reads. See docs/writes.md.

setitem is linear in (x, v) jointly:
    y = x with y[index] = v
    ydot = setitem(xdot, vdot, index)
    xbar = setitem(ybar, 0, index)             (the overwritten region gets no cotangent)
    vbar = unbroadcast(ybar[index] * won, v)   (won: which writes survive; for a repeated integer
                                                index NumPy keeps the last write, and we ask NumPy)
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..core import REGISTRY, Traced, primal, register
from ..errors import InPlaceWriteError
from ..extend import Rule, as_array, unbroadcast
from .indexing import _accumulates, _static_index


# ---- which of the written values survive (repeated integer indices: NumPy decides) -------------
def _survivors(shape: tuple[int, ...], index: Any) -> np.ndarray | None:
    """A boolean array of x[index]'s shape: True where that write is the one left in the result.

    NumPy keeps one of the values written to a repeated position (in practice the last); writing
    a numbering and reading it back asks NumPy which one, so the cotangents follow the values.
    None when every write survives."""
    target = np.full(shape, -1, dtype=np.intp)
    n = target[index].size
    ids = np.arange(n, dtype=np.intp).reshape(target[index].shape)
    target[index] = ids
    won = target[index] == ids
    return None if won.all() else won


# ---- the primitive ----------------------------------------------------------------------------
def _setitem_fwd(x: Any, v: Any, *, index: Any, won: Any) -> tuple[Any, Any]:
    res = (x.shape, x.dtype, np.shape(v), np.result_type(v), index, won)
    if isinstance(x, Traced) or isinstance(v, Traced):  # traced by an inner level: record it there
        return SETITEM.bind(x, v, index=index, won=won), res
    y = np.array(x, copy=True)
    y[index] = v
    return y, res


def _setitem_jvp(res: Any, xdot: Any, vdot: Any) -> Any:
    xshape, xdtype, _, _, index, won = res
    xdot = np.zeros(xshape, xdtype) if xdot is None else xdot
    vdot = np.zeros((), xdtype) if vdot is None else vdot  # the region holds v: its tangent
    return SETITEM.bind(xdot, vdot, index=index, won=won)  # ydot = setitem(xdot, vdot, index)


def _setitem_vjp_x(res: Any, ybar: Any) -> Any:
    index, won = res[4], res[5]
    return SETITEM.bind(ybar, np.zeros((), ybar.dtype), index=index, won=won)  # ybar, region = 0


class _Like:
    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.shape, self.dtype = shape, dtype


def _setitem_vjp_v(res: Any, ybar: Any) -> Any:
    _, _, vshape, vdtype, index, won = res
    g = ybar[index]  # vbar = unbroadcast(ybar[index] where the write survived, v)
    if won is not None:
        g = np.where(won, g, np.zeros((), g.dtype))
    if len(vshape) > g.ndim:  # NumPy lets v carry extra leading axes of length 1
        g = np.reshape(g, (1,) * (len(vshape) - g.ndim) + g.shape)
    return unbroadcast(g, _Like(vshape, np.dtype(vdtype)))


SETITEM = Rule("setitem", _setitem_fwd, _setitem_jvp, (_setitem_vjp_x, _setitem_vjp_v))


def _setitem(x: Any, index: Any, v: Any) -> Any:
    """The functional form of `x[index] = v`: a new array (x is not modified)."""
    v = as_array(v)
    if v.dtype.kind == "c" and x.dtype.kind != "c":
        raise InPlaceWriteError(
            f"Writing a complex value into a real array (dtype {x.dtype}) would drop its "
            "imaginary part (NumPy warns with ComplexWarning and discards it). Write "
            "numpy.real(v) if that is what you mean, or make the array complex first: "
            "x = x.astype(complex)."
        )
    if v.dtype.kind not in "fc":  # integers and booleans: plain constants of x's kind
        v = np.asarray(primal(v)).astype(x.dtype)
    index = _static_index(index)
    won = _survivors(x.shape, index) if _accumulates(index) else None
    return SETITEM.bind(x, v, index=index, won=won)


register(operator.setitem, _setitem)


# ---- numpy.copyto(dst, src): dst[...] = src -------------------------------------------------
def _copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    if not isinstance(dst, Traced):
        raise InPlaceWriteError(
            "numpy.copyto(dst, src) with a plain NumPy dst and a traced src: pullback cannot "
            "write a traced value into a plain array (its derivative would be lost). Make dst a "
            "traced array (dst = src.copy(), or a traced array you build), or use src directly."
        )
    src = as_array(src)
    if not np.can_cast(src.dtype, dst.dtype, casting):
        raise TypeError(
            f"Cannot cast array data from dtype('{src.dtype}') to dtype('{dst.dtype}') "
            f"according to the rule '{casting}'"
        )
    if where is not True:
        src = np.where(np.asarray(primal(where), bool), src, dst)
    dst[...] = src


register(np.copyto, _copyto)


# ---- fill_diagonal, put, putmask, place: NumPy's in-place writers, as x[index] = v ---------------
def _plain_destination(fn: str) -> InPlaceWriteError:
    return InPlaceWriteError(
        f"numpy.{fn} writes a traced value into a plain NumPy array: pullback cannot make that "
        "array carry a derivative. Make the destination traced first (e.g. a = a + 0 * x, or "
        "build it from traced values), or assemble the result with numpy.where / numpy.stack."
    )


def _cycled(values: Any, n: int) -> Any:
    """values repeated (or cut) to n entries, as NumPy's put-style functions read them."""
    flat = np.reshape(as_array(values), -1)
    if flat.shape[0] == n:
        return flat
    if flat.shape[0] == 0:
        raise ValueError("cannot write from an empty array of values")
    return flat[np.arange(n) % flat.shape[0]]


def _dispatch_write(fn: Any, dst: Any, values: Any, mask: np.ndarray, cycle: Any) -> None:
    """dst[mask] = values, the values cycled to the count by `cycle(values, count)`."""
    if not isinstance(dst, Traced):
        raise _plain_destination(fn.__name__)
    count = int(mask.sum())
    dst[mask] = cycle(values, count)


def _fill_diagonal(a: Any, val: Any, wrap: bool = False) -> None:
    marker = np.zeros(a.shape, bool)
    np.fill_diagonal(marker, True, wrap)  # NumPy's own diagonal (non-square, nd, wrap)
    v = as_array(val)
    _dispatch_write(
        np.fill_diagonal, a, v, marker, lambda v, n: v if v.ndim == 0 else _cycled(v, n)
    )
    return None


def _put(a: Any, ind: Any, v: Any, mode: str = "raise") -> None:
    """a.flat[ind] = v (v cycled); repeated indices: the last write wins."""
    if not isinstance(a, Traced):
        raise _plain_destination("put")
    ind = np.asarray(primal(ind), dtype=np.intp).reshape(-1)
    n = a.size
    if mode == "wrap":
        ind = ind % n
    elif mode == "clip":
        ind = np.clip(ind, 0, n - 1)
    elif mode == "raise":
        if ind.size and (ind.max() >= n or ind.min() < -n):
            raise IndexError(f"index out of range for array of size {n}")
        ind = ind % n
    else:
        raise ValueError(f"numpy.put: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    a[np.unravel_index(ind, a.shape)] = _cycled(v, ind.size)


def _putmask(a: Any, mask: Any, values: Any) -> None:
    """a.flat[n] = values[n % len(values)] where mask.flat[n] (values indexed by position in a)."""
    if not isinstance(a, Traced):
        raise _plain_destination("putmask")
    m = np.broadcast_to(np.asarray(primal(mask), bool), a.shape)
    v = as_array(values)
    if v.shape == a.shape:
        a[m] = v[m]
        return
    positions = np.flatnonzero(m)
    a[m] = _cycled(v, a.size)[positions]


def _place(arr: Any, mask: Any, vals: Any) -> None:
    """arr[mask] = the first N of vals, cycled (N = number of True entries)."""
    if not isinstance(arr, Traced):
        raise _plain_destination("place")
    m = np.asarray(primal(mask), bool).reshape(arr.shape)
    _dispatch_write(np.place, arr, vals, m, _cycled)


register(np.fill_diagonal, _fill_diagonal)
register(np.put, _put)
register(np.putmask, _putmask)
register(np.place, _place)


# ---- traced buffers: numpy.zeros_like / ones_like / empty_like of a traced array ----------------
# A traced constant at the array's trace level (derivative zero), so that the common pattern
# `buf = np.zeros_like(x); buf[i] = v` records its writes. Of a plain array: NumPy's own result.
def _constant_fwd(a: Any, *, value: np.ndarray) -> tuple[Any, Any]:
    return np.array(value, copy=True), value


def _constant_jvp(value: np.ndarray, adot: Any) -> Any:
    return np.zeros(value.shape, value.dtype)  # a constant: its tangent is zero


def _constant_vjp(value: np.ndarray, ybar: Any) -> tuple[Any]:
    return (None,)  # nothing flows back to the array it was shaped after


CONSTANT_LIKE = Rule("constant_like", _constant_fwd, _constant_jvp, _constant_vjp)


def _buffer_like(fn: Any) -> Any:
    def handler(a: Any, *args: Any, **kwargs: Any) -> Any:
        value = fn(primal(a), *args, **kwargs)
        if not isinstance(a, Traced) or value.dtype.kind not in "fc":
            return value  # integer and boolean buffers carry no derivative: plain arrays
        if fn is np.empty_like:
            value = np.zeros_like(value)  # deterministic contents
        return CONSTANT_LIKE.bind(a, value=value)

    handler.__name__ = fn.__name__
    return handler


# Registered here once rules/nondiff.py no longer registers these three (see the report to the
# lead); until then they stay plain arrays and `buf[i] = traced` raises the plain-buffer error.
BUFFER_LIKE = {fn: _buffer_like(fn) for fn in (np.zeros_like, np.ones_like, np.empty_like)}
for _fn, _handler in BUFFER_LIKE.items():
    if _fn not in REGISTRY:
        register(_fn, _handler)
