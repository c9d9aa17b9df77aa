"""Rules (stage ④) for shape ops. The primitives are linear, declared with their transposes
(reshape, transpose, broadcast_to, concatenate, split, flip, diagonal); the rest compose them.
Transposes call NumPy on traced values, so every order works."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..core import batching, primal, register
from ..extend import as_array, defbatch, defrule, linear, unbroadcast


def _order(order: str, fn: str) -> str:
    if order not in ("C", "F"):
        raise TypeError(f"pullback's numpy.{fn} supports order='C' or 'F', not {order!r}")
    return order


# ---- reshape (ravel, expand_dims, squeeze, atleast_*d compose it) --------------------------------
def _reshape_apply(x: Any, *, shape: tuple[int, ...], order: str) -> Any:
    return np.reshape(x, shape, order=order)


def _reshape_t(ybar: Any, like: Any, *, shape: tuple[int, ...], order: str) -> tuple[Any]:
    return (np.reshape(ybar, like.shape, order=order),)  # xbar = reshape(ybar, x.shape)


def _reshape(
    a: Any, /, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None
) -> Any:
    shape = newshape if shape is None else shape
    if shape is None:
        raise TypeError("numpy.reshape() missing the required argument 'shape'")
    shape = (shape,) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)
    return _RESHAPE.bind(as_array(a), shape=shape, order=_order(order, "reshape"))


def _reshape_apply_batched(x: Any, *, shape: tuple[int, ...], order: str) -> Any:
    return np.reshape(x, (x.shape[0], *shape), order=order)  # each row reshaped: (B, *shape)


def _reshape_t_batched(ybar: Any, like: Any, *, shape: tuple[int, ...], order: str) -> tuple[Any]:
    return (np.reshape(ybar, (ybar.shape[0], *like.shape), order=order),)


_RESHAPE = linear(
    np.reshape,
    _reshape_apply,
    _reshape_t,
    handler=_reshape,
    batched_apply=_reshape_apply_batched,
    batched_transpose=_reshape_t_batched,
)


def _ravel(a: Any, order: str = "C") -> Any:
    return np.reshape(a, -1, order=_order(order, "ravel"))


def _expand_dims(a: Any, axis: Any) -> Any:
    axes = normalize_axis_tuple(axis, a.ndim + np.size(axis))
    dims = iter(a.shape)
    return np.reshape(a, tuple(1 if i in axes else next(dims) for i in range(a.ndim + len(axes))))


def _squeeze(a: Any, axis: Any = None) -> Any:
    if axis is None:
        axes = tuple(i for i, n in enumerate(a.shape) if n == 1)
    else:
        axes = normalize_axis_tuple(axis, a.ndim)
        if any(a.shape[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return np.reshape(a, tuple(n for i, n in enumerate(a.shape) if i not in axes))


def _atleast(a: Any, ndim: int) -> Any:
    a = as_array(a)
    if a.ndim >= ndim:
        return a
    if ndim == 3 and a.ndim > 0:  # NumPy's atleast_3d: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)
        return np.reshape(a, (1, *a.shape, 1) if a.ndim == 1 else (*a.shape, 1))
    return np.reshape(a, (1,) * (ndim - a.ndim) + a.shape)


def _atleast_nd(ndim: int) -> Any:
    def handler(*arys: Any) -> Any:
        out = tuple(_atleast(a, ndim) for a in arys)
        return out[0] if len(out) == 1 else out

    return handler


register(np.ravel, _ravel)
register(np.expand_dims, _expand_dims)
register(np.squeeze, _squeeze)
for _k, _fn in enumerate((np.atleast_1d, np.atleast_2d, np.atleast_3d), start=1):
    register(_fn, _atleast_nd(_k))


# ---- transpose (swapaxes, moveaxis compose it) ---------------------------------------------------
def _transpose_apply(x: Any, *, axes: tuple[int, ...]) -> Any:
    return np.transpose(x, axes)


def _transpose_t(ybar: Any, like: Any, *, axes: tuple[int, ...]) -> tuple[Any]:
    return (np.transpose(ybar, tuple(np.argsort(axes).tolist())),)  # xbar = ybar^T (inverse perm)


def _transpose(a: Any, axes: Any = None) -> Any:
    a = as_array(a)
    perm = tuple(range(a.ndim))[::-1] if axes is None else normalize_axis_tuple(axes, a.ndim)
    if len(perm) != a.ndim:
        raise ValueError("axes don't match array")
    return _TRANSPOSE.bind(a, axes=perm)


def _transpose_apply_batched(x: Any, *, axes: tuple[int, ...]) -> Any:
    return np.transpose(x, (0, *batching.shift(axes)))  # the batch axis stays first


def _transpose_t_batched(ybar: Any, like: Any, *, axes: tuple[int, ...]) -> tuple[Any]:
    return (np.transpose(ybar, (0, *batching.shift(tuple(np.argsort(axes).tolist())))),)


_TRANSPOSE = linear(
    np.transpose,
    _transpose_apply,
    _transpose_t,
    handler=_transpose,
    batched_apply=_transpose_apply_batched,
    batched_transpose=_transpose_t_batched,
)


def _swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    perm = list(range(a.ndim))
    i, j = normalize_axis_index(axis1, a.ndim), normalize_axis_index(axis2, a.ndim)
    perm[i], perm[j] = j, i
    return np.transpose(a, perm)


def _moveaxis(a: Any, source: Any, destination: Any) -> Any:
    src = normalize_axis_tuple(source, a.ndim, "source")
    dst = normalize_axis_tuple(destination, a.ndim, "destination")
    if len(src) != len(dst):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    perm = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        perm.insert(d, s)
    return np.transpose(a, perm)


register(np.swapaxes, _swapaxes)
register(np.moveaxis, _moveaxis)


# ---- broadcast_to (tile, repeat compose it) ------------------------------------------------------
def _broadcast_apply(x: Any, *, shape: tuple[int, ...]) -> Any:
    return np.broadcast_to(x, shape)


def _broadcast_t(ybar: Any, like: Any, *, shape: tuple[int, ...]) -> tuple[Any]:
    return (unbroadcast(ybar, like),)  # xbar = sum of ybar over the broadcast axes


def _broadcast_to(array: Any, shape: Any, subok: bool = False) -> Any:
    shape = (shape,) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)
    return _BROADCAST.bind(as_array(array), shape=shape)


def _broadcast_apply_batched(x: Any, *, shape: tuple[int, ...]) -> Any:
    return batching.full(x, shape)  # (B, *x.shape) lifted to rank 1 + len(shape), broadcast


def _broadcast_t_batched(ybar: Any, like: Any, *, shape: tuple[int, ...]) -> tuple[Any]:
    return (batching.unbroadcast(ybar, like),)  # xbar[k] = ybar[k] summed over broadcast axes


_BROADCAST = linear(
    np.broadcast_to,
    _broadcast_apply,
    _broadcast_t,
    handler=_broadcast_to,
    batched_apply=_broadcast_apply_batched,
    batched_transpose=_broadcast_t_batched,
)


def _tile(A: Any, reps: Any) -> Any:
    A = as_array(A)
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    d = max(len(reps), A.ndim)
    reps = (1,) * (d - len(reps)) + reps
    shape = (1,) * (d - A.ndim) + A.shape
    # A[None, s0, None, s1, ...] broadcast to (r0, s0, r1, s1, ...), merged pairwise
    y = np.reshape(A, tuple(n for s in shape for n in (1, s)))
    y = np.broadcast_to(y, tuple(n for r, s in zip(reps, shape, strict=True) for n in (r, s)))
    return np.reshape(y, tuple(r * s for r, s in zip(reps, shape, strict=True)))


def _repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    a = as_array(a)
    if axis is None:
        a, axis = np.reshape(a, -1), 0
    axis = normalize_axis_index(axis, a.ndim)
    n = a.shape[axis]
    counts = np.asarray(primal(repeats)).astype(np.intp).reshape(-1)
    if counts.size == 1:  # every entry r times: x[..., :, None, ...] broadcast along the new axis
        r = int(counts[0])
        y = np.broadcast_to(
            np.expand_dims(a, axis + 1), (*a.shape[: axis + 1], r, *a.shape[axis + 1 :])
        )
        return np.reshape(y, (*a.shape[:axis], n * r, *a.shape[axis + 1 :]))
    if counts.size != n:
        raise ValueError(f"repeats has {counts.size} entries but the axis has length {n}")
    if n == 0:
        return a
    # one piece per entry, each broadcast to its count (n pieces: fine for moderate n)
    pieces = np.split(a, n, axis)
    shapes = [(*a.shape[:axis], int(r), *a.shape[axis + 1 :]) for r in counts]
    return np.concatenate(
        [np.broadcast_to(p, s) for p, s in zip(pieces, shapes, strict=True)], axis=axis
    )


register(np.tile, _tile)
register(np.repeat, _repeat)


# ---- concatenate and split: each the other's transpose (stack, hstack, vstack compose them) ------
def _concat_apply(*xs: Any, axis: int) -> Any:
    return np.concatenate(xs, axis=axis)


def _concat_t(ybar: Any, *likes: Any, axis: int) -> tuple[Any, ...]:
    bounds = np.cumsum([like.shape[axis] for like in likes])[:-1].tolist()
    pieces = np.split(ybar, bounds, axis=axis)  # xbar_i = the i-th block of ybar
    return tuple(unbroadcast(p, like) for p, like in zip(pieces, likes, strict=True))


def _concatenate(
    arrays: Any, /, axis: Any = 0, out: Any = None, *, dtype: Any = None, casting: Any = "same_kind"
) -> Any:
    if out is not None:
        raise TypeError("pullback's numpy.concatenate does not support out=; use the result")
    arrays = [as_array(a) for a in arrays]
    if axis is None:
        arrays, axis = [np.reshape(a, -1) for a in arrays], 0
    y = _CONCAT.bind(*arrays, axis=normalize_axis_index(axis, arrays[0].ndim))
    return y if dtype is None or y.dtype == dtype else y.astype(dtype)


def _concat_apply_batched(*xs: Any, axis: int) -> Any:
    return np.concatenate(xs, axis=axis + 1)


def _concat_t_batched(ybar: Any, *likes: Any, axis: int) -> tuple[Any, ...]:
    bounds = np.cumsum([like.shape[axis] for like in likes])[:-1].tolist()
    pieces = np.split(ybar, bounds, axis=axis + 1)  # xbar_i[k] = the i-th block of ybar[k]
    return tuple(batching.unbroadcast(p, like) for p, like in zip(pieces, likes, strict=True))


_CONCAT = linear(
    np.concatenate,
    _concat_apply,
    _concat_t,
    handler=_concatenate,
    batched_apply=_concat_apply_batched,
    batched_transpose=_concat_t_batched,
)


def _stack(
    arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None, casting: Any = "same_kind"
) -> Any:
    arrays = [as_array(a) for a in arrays]
    if len({a.shape for a in arrays}) > 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis_index(axis, arrays[0].ndim + 1)
    expanded = [np.expand_dims(a, axis) for a in arrays]
    return np.concatenate(expanded, axis=axis, out=out, dtype=dtype)


def _hstack(tup: Any, *, dtype: Any = None, casting: Any = "same_kind") -> Any:
    arrays = [_atleast(a, 1) for a in tup]
    return np.concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1, dtype=dtype)


def _vstack(tup: Any, *, dtype: Any = None, casting: Any = "same_kind") -> Any:
    return np.concatenate([_atleast(a, 2) for a in tup], axis=0, dtype=dtype)


register(np.stack, _stack)
register(np.hstack, _hstack)
register(np.vstack, _vstack)


def _split_fwd(x: Any, *, bounds: tuple[int, ...], axis: int) -> tuple[Any, Any]:
    return tuple(np.split(x, bounds, axis=axis)), (x.shape, x.dtype, bounds, axis)


def _split_jvp(res: Any, xdot: Any) -> tuple[Any, ...]:
    _, _, bounds, axis = res
    return tuple(np.split(xdot, bounds, axis=axis))


def _split_vjp(res: Any, ybars: Any) -> tuple[Any]:
    shape, dtype, bounds, axis = res
    edges = (0, *bounds, shape[axis])
    filled = [
        np.zeros((*shape[:axis], hi - lo, *shape[axis + 1 :]), dtype) if g is None else g
        for g, lo, hi in zip(ybars, edges[:-1], edges[1:], strict=True)
    ]
    return (np.concatenate(filled, axis=axis),)  # xbar = concatenate(ybar_1, ..., ybar_k)


def _splitter(equal: bool) -> Any:
    def handler(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
        ary = as_array(ary)
        axis = normalize_axis_index(axis, ary.ndim)
        n = ary.shape[axis]
        if np.ndim(indices_or_sections) == 0:
            k = int(indices_or_sections)
            if k <= 0:
                raise ValueError("number sections must be larger than 0.")
            if equal and n % k:
                raise ValueError("array split does not result in an equal division")
            sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
            bounds = tuple(np.cumsum(sizes)[:-1].tolist())
        else:
            bounds = tuple(
                min(max(int(i) + n if i < 0 else int(i), 0), n) for i in indices_or_sections
            )
            if any(a > b for a, b in pairwise(bounds)):
                raise ValueError(
                    "pullback's numpy.split needs non-decreasing indices (overlapping pieces "
                    f"are not supported); got {list(indices_or_sections)}"
                )
        return list(_SPLIT.bind(ary, bounds=bounds, axis=axis))

    return handler


_SPLIT = defrule(
    np.split, _split_fwd, _split_jvp, _split_vjp, multiple_results=True, handler=_splitter(True)
)
register(np.array_split, _splitter(False))


def _split_jvp_batched(res: Any, xdot: Any) -> tuple[Any, ...]:
    shape, _, bounds, axis = res  # each row split alike: along axis + 1
    return tuple(np.split(batching.full(xdot, shape), bounds, axis=axis + 1))


def _split_vjp_batched(res: Any, ybars: Any) -> tuple[Any]:
    shape, dtype, bounds, axis = res
    batch = next(g for g in ybars if g is not None).shape[0]
    edges = (0, *bounds, shape[axis])
    filled = [
        np.zeros((batch, *shape[:axis], hi - lo, *shape[axis + 1 :]), dtype) if g is None else g
        for g, lo, hi in zip(ybars, edges[:-1], edges[1:], strict=True)
    ]
    return (np.concatenate(filled, axis=axis + 1),)  # xbar[k] = concatenate(ybar_i[k])


defbatch(_SPLIT, _split_jvp_batched, _split_vjp_batched)


# ---- flip ----------------------------------------------------------------------------------------
def _flip_apply(x: Any, *, axis: tuple[int, ...]) -> Any:
    return np.flip(x, axis)


def _flip_t(ybar: Any, like: Any, *, axis: tuple[int, ...]) -> tuple[Any]:
    return (np.flip(ybar, axis),)  # xbar = flip(ybar): a flip is its own transpose


def _flip(m: Any, axis: Any = None) -> Any:
    m = as_array(m)
    axes = tuple(range(m.ndim)) if axis is None else normalize_axis_tuple(axis, m.ndim)
    return _FLIP.bind(m, axis=axes)


def _flip_batched(x: Any, *, axis: tuple[int, ...]) -> Any:
    return np.flip(x, batching.shift(axis))  # flip each row: its own transpose


def _flip_t_batched(ybar: Any, like: Any, *, axis: tuple[int, ...]) -> tuple[Any]:
    return (np.flip(ybar, batching.shift(axis)),)


_FLIP = linear(
    np.flip,
    _flip_apply,
    _flip_t,
    handler=_flip,
    batched_apply=_flip_batched,
    batched_transpose=_flip_t_batched,
)


# ---- diagonals and triangles ---------------------------------------------------------------------
def _embed_diagonal(d: Any, k: int, n1: int, n2: int) -> Any:
    """Z of shape (..., n1, n2), zero but for Z[..., i, i + k] = d[..., i] (the inverse of
    diagonal): d padded to one value per row, broadcast along the rows, masked by eye(k)."""
    before = max(-k, 0)
    after = n1 - before - d.shape[-1]
    parts = [
        np.zeros((*d.shape[:-1], before), d.dtype),
        d,
        np.zeros((*d.shape[:-1], after), d.dtype),
    ]
    column = np.expand_dims(np.concatenate(parts, axis=-1), -1)
    return np.where(np.eye(n1, n2, k, dtype=bool), column, np.zeros((), d.dtype))


def _diagonal_apply(x: Any, *, offset: int, axis1: int, axis2: int) -> Any:
    return np.diagonal(x, offset, axis1, axis2)


def _diagonal_t(ybar: Any, like: Any, *, offset: int, axis1: int, axis2: int) -> tuple[Any]:
    # xbar = ybar placed on the offset diagonal of a zero array, the two axes put back in place
    z = _embed_diagonal(ybar, offset, like.shape[axis1], like.shape[axis2])
    return (np.moveaxis(z, (-2, -1), (axis1, axis2)),)


def _diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    a = as_array(a)
    i, j = normalize_axis_index(axis1, a.ndim), normalize_axis_index(axis2, a.ndim)
    if i == j:
        raise ValueError("axis1 and axis2 cannot be the same")
    return _DIAGONAL.bind(a, offset=int(offset), axis1=i, axis2=j)


def _diagonal_apply_batched(x: Any, *, offset: int, axis1: int, axis2: int) -> Any:
    return np.diagonal(x, offset, axis1 + 1, axis2 + 1)  # the diagonal of each row


def _diagonal_t_batched(ybar: Any, like: Any, *, offset: int, axis1: int, axis2: int) -> tuple[Any]:
    # xbar[k] = ybar[k] placed on the offset diagonal; the two axes put back after the batch axis
    z = _embed_diagonal(ybar, offset, like.shape[axis1], like.shape[axis2])
    return (np.moveaxis(z, (-2, -1), (axis1 + 1, axis2 + 1)),)


_DIAGONAL = linear(
    np.diagonal,
    _diagonal_apply,
    _diagonal_t,
    handler=_diagonal,
    batched_apply=_diagonal_apply_batched,
    batched_transpose=_diagonal_t_batched,
)


def _diag(v: Any, k: int = 0) -> Any:
    v = as_array(v)
    if v.ndim == 1:
        n = v.shape[0] + abs(k)
        return _embed_diagonal(v, k, n, n)
    if v.ndim == 2:
        return np.diagonal(v, k)
    raise ValueError("Input must be 1- or 2-d.")


def _trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None
) -> Any:
    if out is not None:
        raise TypeError("pullback's numpy.trace does not support out=; use the result")
    return np.sum(np.diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def _triangle(upper: bool) -> Any:
    def handler(m: Any, k: int = 0) -> Any:
        m = as_array(m)
        below = np.tri(*m.shape[-2:], k=k - 1 if upper else k, dtype=bool)  # NumPy's own mask
        keep = ~below if upper else below
        return np.where(keep, m, np.zeros((), m.dtype))

    return handler


register(np.diag, _diag)
register(np.trace, _trace)
register(np.triu, _triangle(True))
register(np.tril, _triangle(False))
