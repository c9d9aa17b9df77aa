"""Rules (stage ④) for indexing: `x[index]` (basic, integer-array and boolean) is one primitive,
`getitem`, whose transpose is `scatter_add` into zeros, and vice versa; every order follows.
take and take_along_axis compose getitem. The index is static: it carries no derivative."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..core import Traced, primal, register
from ..extend import Rule, defbatch, linear


# ---- the index: static, plain, and whether duplicates can occur -------------------------------
def _static_part(i: Any) -> Any:
    if isinstance(i, Traced):
        value = primal(i)
        if np.asarray(value).dtype.kind not in "biu":
            raise IndexError(
                f"A traced array of dtype {value.dtype} was used as an index. Indices carry no "
                "derivative and must be integers or booleans; to index with a differentiated "
                "value on purpose, use pullback.stop_gradient(i).astype(int)."
            )
        return value
    if isinstance(i, list):  # NumPy reads a list as an index array
        items = [primal(e) for e in i]
        return np.asarray(items, dtype=np.intp) if not items else np.asarray(items)
    return i


def _static_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_static_part(i) for i in index)
    return _static_part(index)


def _accumulates(index: Any) -> bool:
    """True when the index holds an integer array, which may repeat an entry."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.ndim > 0 and i.dtype.kind in "iu" for i in parts)


# ---- scatter_add: zeros of a shape, with g added at index (duplicates accumulate) --------------
def _scatter_fwd(
    g: Any, *, shape: tuple[int, ...], dtype: np.dtype, index: Any, accumulate: bool
) -> tuple[Any, Any]:
    params = {"shape": shape, "dtype": dtype, "index": index, "accumulate": accumulate}
    if isinstance(g, Traced):  # g is traced at an inner level: record the op there
        return SCATTER_ADD.bind(g, **params), params
    out = np.zeros(shape, dtype)
    g = np.asarray(g).astype(dtype, copy=False)
    if accumulate:
        np.add.at(out, index, g)
    else:
        out[index] = g  # basic and boolean indices hit each entry once: a plain write
    return out, params


def _scatter_jvp(params: dict[str, Any], gdot: Any) -> Any:
    return SCATTER_ADD.bind(gdot, **params)  # scatter_add is linear: ydot = scatter_add(gdot)


def _scatter_vjp(params: dict[str, Any], ybar: Any) -> tuple[Any]:
    return (GETITEM.bind(ybar, index=params["index"], accumulate=params["accumulate"]),)  # ybar[i]


SCATTER_ADD = Rule("scatter_add", _scatter_fwd, _scatter_jvp, _scatter_vjp)


# ---- on a batch of directions (core/batching.py): the same index behind a leading slice ---------
def _batched_index(index: Any) -> Any:
    """(slice(None), *index): row k of the result is row k indexed. None when NumPy would move
    the batch axis (advanced indices separated by a slice put their axes first)."""
    parts = index if isinstance(index, tuple) else (index,)
    advanced = [k for k, i in enumerate(parts) if isinstance(i, np.ndarray | bool | np.bool_)]
    if advanced and advanced[-1] - advanced[0] + 1 != len(advanced):
        return None
    return (slice(None), *parts)


def _getitem_apply_batched(x: Any, *, index: Any, accumulate: bool) -> Any:
    bi = _batched_index(index)
    return NotImplemented if bi is None else x[bi]  # ydot[k] = xdot[k][index]


def _getitem_t_batched(ybar: Any, like: Any, *, index: Any, accumulate: bool) -> Any:
    bi = _batched_index(index)
    if bi is None:
        return NotImplemented
    shape = (ybar.shape[0], *like.shape)  # xbar[k] = scatter_add(ybar[k]) at index
    return (SCATTER_ADD.bind(ybar, shape=shape, dtype=like.dtype, index=bi, accumulate=accumulate),)


def _scatter_jvp_batched(params: dict[str, Any], gdot: Any) -> Any:
    bi = _batched_index(params["index"])
    if bi is None:
        return NotImplemented
    shape = (gdot.shape[0], *params["shape"])  # ydot[k] = scatter_add(gdot[k])
    return SCATTER_ADD.bind(gdot, **{**params, "shape": shape, "index": bi})


def _scatter_vjp_batched(params: dict[str, Any], ybar: Any) -> Any:
    bi = _batched_index(params["index"])
    if bi is None:
        return NotImplemented
    return (GETITEM.bind(ybar, index=bi, accumulate=params["accumulate"]),)  # gbar[k] = ybar[k][i]


defbatch(SCATTER_ADD, _scatter_jvp_batched, _scatter_vjp_batched)


# ---- getitem ----------------------------------------------------------------------------------
def _getitem_apply(x: Any, *, index: Any, accumulate: bool) -> Any:
    return x[index]


def _getitem_t(ybar: Any, like: Any, *, index: Any, accumulate: bool) -> tuple[Any]:
    # xbar = zeros(x.shape) with ybar added at index (np.add.at: repeated indices accumulate)
    return (
        SCATTER_ADD.bind(
            ybar, shape=like.shape, dtype=like.dtype, index=index, accumulate=accumulate
        ),
    )


def _getitem(x: Any, index: Any) -> Any:
    index = _static_index(index)
    return GETITEM.bind(x, index=index, accumulate=_accumulates(index))


GETITEM = linear(
    operator.getitem,
    _getitem_apply,
    _getitem_t,
    name="getitem",
    handler=_getitem,
    batched_apply=_getitem_apply_batched,
    batched_transpose=_getitem_t_batched,
)


# ---- composites -------------------------------------------------------------------------------
def _take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
    if out is not None:
        raise TypeError("pullback's numpy.take does not support out=; use the result")
    if axis is None:
        a, axis = np.reshape(a, -1), 0
    axis = normalize_axis_index(axis, a.ndim)
    idx = np.asarray(primal(indices))
    n = a.shape[axis]
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"numpy.take: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    return a[(slice(None),) * axis + (idx,)]


def along_axis_index(shape: tuple[int, ...], indices: Any, axis: int) -> tuple[Any, ...]:
    """The fancy index of take_along_axis / put_along_axis (NumPy's own construction): the
    indices along `axis`, an arange along every other axis, broadcast against each other."""
    idx = np.asarray(primal(indices))
    if idx.ndim != len(shape):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    ranges = [
        np.arange(n).reshape((1,) * d + (n,) + (1,) * (len(shape) - d - 1))
        for d, n in enumerate(shape)
    ]
    ranges[axis] = idx
    return tuple(np.broadcast_arrays(*ranges))


def _take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Any:
    if axis is None:
        arr, axis = np.reshape(arr, -1), 0
    axis = normalize_axis_index(axis, arr.ndim)
    return arr[along_axis_index(arr.shape, indices, axis)]


register(np.take, _take)
register(np.take_along_axis, _take_along_axis)
