"""Rules (stage ④) for reductions. sum and cumsum are linear primitives, prod and max/min are
primitives with their own derivatives; mean, var and std are composites (no AD work of their own).
The ufunc methods np.add.reduce etc. answer with the same rules."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..core import Traced, primal, register
from ..extend import defrule, linear
from . import shape as _shape  # noqa: F401  (registers reshape, broadcast_to, flip used below)

_NO = np._NoValue


# ---- argument handling shared by the reductions --------------------------------------------------
def _axes(a: Any, axis: Any) -> tuple[int, ...]:
    return tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)


def _count(a: Any, axes: tuple[int, ...]) -> int:
    return int(np.prod([a.shape[i] for i in axes], dtype=np.int64))


def _keep(shape: tuple[int, ...], axes: tuple[int, ...], ybar: Any, keepdims: bool) -> Any:
    """ybar with the reduced axes back as length-1 axes (ready to broadcast against x)."""
    if keepdims:
        return ybar
    return np.reshape(ybar, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _no_out(fn: str, out: Any) -> None:
    if out is not None:
        raise TypeError(
            f"pullback's numpy.{fn} does not support out= (it writes in place); use the result"
        )


def _no_kw(fn: str, **kw: Any) -> None:
    for name, value in kw.items():
        if value is not _NO and not (name == "where" and value is True):
            raise TypeError(f"pullback's numpy.{fn} does not support {name}= on traced arrays")


def _flag(keepdims: Any) -> bool:
    return False if keepdims is _NO else bool(keepdims)


def _prepare(a: Any, dtype: Any) -> Any:
    a = a if isinstance(a, Traced | np.ndarray) else np.asarray(a)
    return a if dtype is None or a.dtype == dtype else a.astype(dtype)


def _masked(a: Any, where: Any, fill: Any) -> Any:
    """a with the entries outside `where` replaced by the reduction's identity `fill`."""
    if where is _NO or where is True:
        return a
    return np.where(np.asarray(primal(where), bool), a, np.full((), fill, a.dtype))


# ---- sum: linear ---------------------------------------------------------------------------------
def _sum_apply(x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_t(ybar: Any, like: Any, *, axis: tuple[int, ...], keepdims: bool) -> tuple[Any]:
    # xbar = ybar broadcast back along the reduced axes
    return (np.broadcast_to(_keep(like.shape, axis, ybar, keepdims), like.shape),)


def _sum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = False,
    initial: Any = _NO,
    where: Any = _NO,
) -> Any:
    _no_out("sum", out)
    a = _masked(_prepare(a, dtype), where, 0)
    y = _SUM.bind(a, axis=_axes(a, axis), keepdims=_flag(keepdims))
    return y if initial is _NO else y + initial


_SUM = linear(np.sum, _sum_apply, _sum_t, handler=_sum)


def _add_reduce(a: Any, axis: Any = 0, **kwargs: Any) -> Any:
    return _sum(a, axis, **kwargs)


register((np.add, "reduce"), _add_reduce)


def _mean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = False,
    *,
    where: Any = _NO,
) -> Any:
    _no_out("mean", out)
    _no_kw("mean", where=where)
    a = _prepare(a, dtype)
    return np.sum(a, axis=axis, keepdims=keepdims) / _count(a, _axes(a, axis))  # sum / n


register(np.mean, _mean)


def _var(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = False,
    *,
    where: Any = _NO,
    mean: Any = _NO,
    correction: Any = _NO,
) -> Any:
    _no_out("var", out)
    _no_kw("var", where=where, mean=mean)
    if correction is not _NO:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    a = _prepare(a, dtype)
    d = a - np.mean(a, axis=axis, keepdims=True)
    return np.sum(d * d, axis=axis, keepdims=keepdims) / (_count(a, _axes(a, axis)) - ddof)


def _std(a: Any, *args: Any, **kwargs: Any) -> Any:
    return np.sqrt(_var(a, *args, **kwargs))


register(np.var, _var)
register(np.std, _std)


# ---- cumsum: linear ------------------------------------------------------------------------------
def _cumsum_apply(x: Any, *, axis: int) -> Any:
    return np.cumsum(x, axis=axis)


def _cumsum_t(ybar: Any, like: Any, *, axis: int) -> tuple[Any]:
    # xbar = reverse cumulative sum of ybar
    return (np.flip(np.cumsum(np.flip(ybar, axis), axis=axis), axis),)


def _cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    _no_out("cumsum", out)
    a = _prepare(a, dtype)
    if axis is None:
        a, axis = np.reshape(a, -1), 0
    return _CUMSUM.bind(a, axis=normalize_axis_index(axis, a.ndim))


_CUMSUM = linear(np.cumsum, _cumsum_apply, _cumsum_t, handler=_cumsum)


def _add_accumulate(a: Any, axis: Any = 0, dtype: Any = None, out: Any = None) -> Any:
    return _cumsum(a, axis, dtype, out)


register((np.add, "accumulate"), _add_accumulate)


# ---- prod: d prod(x) = sum_i xdot_i * prod_{j != i} x_j, computed without dividing by x ----------
def _others(x: Any, axes: tuple[int, ...]) -> Any:
    """prod_{j != i} x_j over the reduced axes, for every i (x's shape). Exact with zeros."""
    keep = [i for i in range(x.ndim) if i not in axes]
    perm = (*keep, *axes)
    n = _count(x, axes)
    z = np.reshape(np.transpose(x, perm), (*(x.shape[i] for i in keep), n))
    if isinstance(x, Traced):
        # differentiable form: row i of an (n, n) matrix holds z with a 1 in place of z_i
        # (O(n^2) memory, only when this derivative is itself differentiated)
        rows = np.broadcast_to(np.expand_dims(z, -2), (*z.shape, n))
        others = np.prod(np.where(np.eye(n, dtype=bool), np.ones((), x.dtype), rows), axis=-1)
    else:  # exclusive cumulative products from the left and from the right, O(n)
        one = np.ones((*z.shape[:-1], 1), z.dtype)
        left = np.concatenate([one, np.cumprod(z[..., :-1], axis=-1)], axis=-1)
        right = np.concatenate([np.cumprod(z[..., :0:-1], axis=-1)[..., ::-1], one], axis=-1)
        others = (left * right)[..., :n]
    others = np.reshape(others, tuple(x.shape[i] for i in perm))
    return np.transpose(others, tuple(np.argsort(perm).tolist()))


def _prod_fwd(x: Any, *, axis: tuple[int, ...], keepdims: bool) -> tuple[Any, Any]:
    return np.prod(x, axis=axis, keepdims=keepdims), (x, axis, keepdims)


def _prod_jvp(res: Any, xdot: Any) -> Any:
    x, axis, keepdims = res
    # ydot = sum(xdot * others)
    return np.sum(xdot * _others(x, axis), axis=axis, keepdims=keepdims)


def _prod_vjp(res: Any, ybar: Any) -> tuple[Any]:
    x, axis, keepdims = res
    return (_keep(x.shape, axis, ybar, keepdims) * _others(x, axis),)  # xbar = ybar * others


def _prod(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = False,
    initial: Any = _NO,
    where: Any = _NO,
) -> Any:
    _no_out("prod", out)
    a = _masked(_prepare(a, dtype), where, 1)
    y = _PROD.bind(a, axis=_axes(a, axis), keepdims=_flag(keepdims))
    return y if initial is _NO else y * initial


def _multiply_reduce(a: Any, axis: Any = 0, **kwargs: Any) -> Any:
    return _prod(a, axis, **kwargs)


_PROD = defrule(np.prod, _prod_fwd, _prod_jvp, _prod_vjp, handler=_prod)
register((np.multiply, "reduce"), _multiply_reduce)


# ---- max and min: the cotangent goes to the arg-max positions; ties split it evenly -------------
def _extremum(fn: Any, pick: Any) -> Any:
    """The rule for fn = np.max or np.min; pick = np.maximum or np.minimum (for initial=)."""

    def fwd(x: Any, *, axis: tuple[int, ...], keepdims: bool) -> tuple[Any, Any]:
        xv = primal(x)
        yv = fn(xv, axis=axis, keepdims=True)
        hit = (xv == yv) | (np.isnan(xv) & np.isnan(yv))  # NaN wins, as in NumPy
        w = (hit / np.sum(hit, axis=axis, keepdims=True)).astype(xv.dtype)  # ties: equal shares
        return fn(x, axis=axis, keepdims=keepdims), (w, axis, keepdims)

    def jvp(res: Any, xdot: Any) -> Any:
        w, axis, keepdims = res
        return np.sum(xdot * w, axis=axis, keepdims=keepdims)  # ydot = sum(w * xdot)

    def vjp(res: Any, ybar: Any) -> tuple[Any]:
        w, axis, keepdims = res
        return (_keep(w.shape, axis, ybar, keepdims) * w,)  # xbar = w * ybar

    def handler(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: Any = False,
        initial: Any = _NO,
        where: Any = _NO,
    ) -> Any:
        _no_out(fn.__name__, out)
        a = a if isinstance(a, Traced | np.ndarray) else np.asarray(a)
        if where is not _NO and where is not True:
            if initial is _NO:
                raise ValueError(
                    f"reduction operation '{pick.__name__}' does not have an identity, "
                    "so to use a where mask one has to specify 'initial'"
                )
            a = _masked(a, where, initial)  # masked entries equal initial: max includes it
        y = rule.bind(a, axis=_axes(a, axis), keepdims=_flag(keepdims))
        return y if initial is _NO else pick(y, np.asarray(initial, a.dtype))

    rule = defrule(fn, fwd, jvp, vjp, handler=handler)

    def reduce(a: Any, axis: Any = 0, **kwargs: Any) -> Any:
        return handler(a, axis, **kwargs)

    register((pick, "reduce"), reduce)
    return handler


_max = _extremum(np.max, np.maximum)
_min = _extremum(np.min, np.minimum)
if np.amax is not np.max:  # distinct callables in NumPy 2.x; aliases in older versions
    register(np.amax, _max)
    register(np.amin, _min)
