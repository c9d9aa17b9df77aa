"""Rules (stage ④) for reductions. sum and cumsum are linear primitives, prod and max/min are
primitives with their own derivatives; everything else is a composite of them (no AD work of its
own): mean, var, std, ptp, average, cumprod and the running max/min (prod and max over a masked
(n, n) copy), diff, ediff1d, gradient, trapezoid, cumulative_sum/prod, and the nan-aware
reductions (NaN entries replaced by the identity, so their gradient is zero). The ufunc methods
np.add.reduce etc. answer with the same rules."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..core import Traced, batching, primal, register
from ..extend import defbatch, defrule, linear
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
# Declared as a rule of its own rather than with extend.linear: it runs in most losses, and its
# own fwd/jvp/vjp skip linear's generic packing (per-argument _Like records, *xs / **params
# calls) and np.sum's Python wrapper (np.add.reduce is what np.sum runs for an ndarray). About
# 2 us less per np.sum under a reverse trace. res = (x's shape, dtype, axis, keepdims, size).
_add_reduce_nd = np.add.reduce


def _sum_apply(x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    if x.__class__ is np.ndarray:  # exactly np.sum's own path for an ndarray, minus its wrapper
        return _add_reduce_nd(x, axis, None, None, keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)  # traced at a lower level: dispatched


def _sum_fwd(x: Any, *, axis: tuple[int, ...], keepdims: bool) -> tuple[Any, Any]:
    res = (x.shape, x.dtype, axis, keepdims, x.size)
    return _sum_apply(x, axis=axis, keepdims=keepdims), res


def _sum_jvp(res: Any, xdot: Any) -> Any:
    shape, dtype, axis, keepdims, _ = res
    return _sum_apply(
        np.zeros(shape, dtype) if xdot is None else xdot, axis=axis, keepdims=keepdims
    )


_SMALL = 4096  # elements: a sum over one axis of fewer has its cotangent written out


def _sum_vjp(res: Any, ybar: Any) -> Any:
    # xbar = ybar broadcast back along the reduced axes
    shape, _, axis, keepdims, size = res
    plain = ybar.__class__ is np.ndarray or isinstance(ybar, np.generic)
    if plain and size <= _SMALL and len(axis) == 1:
        # small (a loss's row sums): repeated into a plain array, which costs less to build than
        # a read-only stride-0 view (np.broadcast_to) and less to use (contiguous ufunc loops)
        (ax,) = axis
        if not keepdims:
            ybar = ybar.reshape((*shape[:ax], 1, *shape[ax + 1 :]))
        return ybar.repeat(shape[ax], ax)
    # ybar broadcasts against x as it is where the reduced axes are the leading ones (a full
    # sum, or axis=0); elsewhere they come back as length-1 axes first
    if not keepdims and axis and max(axis) != len(axis) - 1:
        kept = tuple(1 if i in axis else n for i, n in enumerate(shape))
        ybar = ybar.reshape(kept) if hasattr(ybar, "reshape") else np.reshape(ybar, kept)
    return np.broadcast_to(ybar, shape)


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


def _sum_jvp_batched(res: Any, xdot: Any) -> Any:
    shape, _, axis, keepdims, _ = res  # each row summed alike
    return np.sum(batching.full(xdot, shape), axis=batching.shift(axis), keepdims=keepdims)


def _sum_vjp_batched(res: Any, ybar: Any) -> Any:
    # xbar[k] = ybar[k] broadcast back along the reduced axes
    shape, _, axis, keepdims, _ = res
    full = (ybar.shape[0], *shape)
    if not keepdims:
        ybar = np.reshape(ybar, (full[0], *(1 if i in axis else n for i, n in enumerate(shape))))
    return np.broadcast_to(ybar, full)


_SUM = defrule(np.sum, _sum_fwd, _sum_jvp, (_sum_vjp,), name="sum", handler=_sum)
defbatch(_SUM, _sum_jvp_batched, (_sum_vjp_batched,))


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
    a = _prepare(a, dtype)
    if where is not _NO and where is not True:  # sum over the mask / its count
        mask = np.broadcast_to(np.asarray(primal(where), bool), a.shape)
        n = np.sum(mask, axis=axis, keepdims=_flag(keepdims))
        return np.sum(a, axis=axis, keepdims=keepdims, where=mask) / n.astype(primal(a).dtype)
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
    _no_kw("var", mean=mean)
    if correction is not _NO:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    a = _prepare(a, dtype)
    if where is not _NO and where is not True:  # the same over the entries of the mask
        mask = np.broadcast_to(np.asarray(primal(where), bool), a.shape)
        d = a - np.mean(a, axis=axis, keepdims=True, where=mask)
        n = np.sum(mask, axis=axis, keepdims=_flag(keepdims)) - ddof
        total = np.sum(_abs2(d), axis=axis, keepdims=keepdims, where=mask)
        return total / n.astype(total.dtype)
    d = a - np.mean(a, axis=axis, keepdims=True)
    return np.sum(_abs2(d), axis=axis, keepdims=keepdims) / (_count(a, _axes(a, axis)) - ddof)


def _abs2(d: Any) -> Any:
    """|d|^2: d * d for real d; for complex d, NumPy's var is real, so d * conj(d) taken real."""
    return np.real(d * np.conj(d)) if np.iscomplexobj(primal(d)) else d * d


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


def _cumsum_apply_batched(x: Any, *, axis: int) -> Any:
    return np.cumsum(x, axis=axis + 1)


def _cumsum_t_batched(ybar: Any, like: Any, *, axis: int) -> tuple[Any]:
    # xbar[k] = reverse cumulative sum of ybar[k]
    return (np.flip(np.cumsum(np.flip(ybar, axis + 1), axis=axis + 1), axis + 1),)


_CUMSUM = linear(
    np.cumsum,
    _cumsum_apply,
    _cumsum_t,
    handler=_cumsum,
    batched_apply=_cumsum_apply_batched,
    batched_transpose=_cumsum_t_batched,
)


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
    others = _others(x, axis)
    if np.iscomplexobj(primal(others)):
        others = np.conj(others)  # xbar = ybar * conj(others): the adjoint under Re<a, b>
    return (_keep(x.shape, axis, ybar, keepdims) * others,)  # xbar = ybar * others


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


def _prod_jvp_batched(res: Any, xdot: Any) -> Any:
    x, axis, keepdims = res  # ydot[k] = sum(xdot[k] * others)
    xdot = batching.full(xdot, x.shape)
    return np.sum(xdot * _others(x, axis), axis=batching.shift(axis), keepdims=keepdims)


def _prod_vjp_batched(res: Any, ybar: Any) -> tuple[Any]:
    x, axis, keepdims = res  # xbar[k] = ybar[k] * conj(others)
    others = _others(x, axis)
    if np.iscomplexobj(primal(others)):
        others = np.conj(others)
    shape = (ybar.shape[0], *x.shape)
    return (_keep(shape, batching.shift(axis), ybar, keepdims) * others,)


_PROD = defrule(np.prod, _prod_fwd, _prod_jvp, _prod_vjp, handler=_prod)
defbatch(_PROD, _prod_jvp_batched, _prod_vjp_batched)
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

    def jvp_batched(res: Any, xdot: Any) -> Any:
        w, axis, keepdims = res  # ydot[k] = sum(w * xdot[k])
        xdot = batching.full(xdot, w.shape)
        return np.sum(xdot * w, axis=batching.shift(axis), keepdims=keepdims)

    def vjp_batched(res: Any, ybar: Any) -> tuple[Any]:
        w, axis, keepdims = res  # xbar[k] = w * ybar[k]
        shape = (ybar.shape[0], *w.shape)
        return (_keep(shape, batching.shift(axis), ybar, keepdims) * w,)

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

    rule = defbatch(defrule(fn, fwd, jvp, vjp, handler=handler), jvp_batched, vjp_batched)

    def reduce(a: Any, axis: Any = 0, **kwargs: Any) -> Any:
        return handler(a, axis, **kwargs)

    register((pick, "reduce"), reduce)
    return handler


_max = _extremum(np.max, np.maximum)
_min = _extremum(np.min, np.minimum)
if np.amax is not np.max:  # distinct callables in NumPy 2.x; aliases in older versions
    register(np.amax, _max)
    register(np.amin, _min)


# ---- composites (issue 3): ptp, cumprod, diff, gradient, average, nan-aware reductions -----------
def _ptp(a: Any, axis: Any = None, out: Any = None, keepdims: Any = False) -> Any:
    _no_out("ptp", out)
    return np.max(a, axis=axis, keepdims=keepdims) - np.min(a, axis=axis, keepdims=keepdims)


register(np.ptp, _ptp)  # ptp = max - min (ties split as in max and min)


def _cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """y_k = prod_{i <= k} x_i as prod over a masked (n, n) copy: row k holds x_0..x_k and ones
    after; prod's rule is exact with zeros, so y' needs no division. O(n^2) memory per slice."""
    _no_out("cumprod", out)
    a = _prepare(a, dtype)
    if axis is None:
        a, axis = np.reshape(a, -1), 0
    axis = normalize_axis_index(axis, a.ndim)
    z = np.moveaxis(a, axis, -1)
    n = z.shape[-1]
    rows = np.broadcast_to(np.expand_dims(z, -2), (*z.shape, n))  # rows[..., k, i] = x_i
    lower = np.tri(n, dtype=bool)  # i <= k
    y = np.prod(np.where(lower, rows, np.ones((), a.dtype)), axis=-1)
    return np.moveaxis(y, -1, axis)


def _multiply_accumulate(a: Any, axis: Any = 0, dtype: Any = None, out: Any = None) -> Any:
    return _cumprod(a, axis, dtype, out)


register(np.cumprod, _cumprod)
register((np.multiply, "accumulate"), _multiply_accumulate)


def _cumulative(cum: Any, identity: float) -> Any:
    def handler(
        x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None, include_initial=False
    ) -> Any:
        x = _prepare(x, dtype)
        if axis is None:
            if x.ndim > 1:
                raise ValueError(
                    "For arrays which have more than one dimension ``axis`` argument is required."
                )
            axis = 0
        y = cum(x, axis=axis, out=out)
        if include_initial:
            axis = normalize_axis_index(axis, x.ndim)
            shape = (*x.shape[:axis], 1, *x.shape[axis + 1 :])
            y = np.concatenate([np.full(shape, identity, y.dtype), y], axis=axis)
        return y

    return handler


def _running_extremum(fn: Any, fill: float) -> Any:
    """maximum.accumulate (running max) as fn over a masked (n, n) copy, like cumprod: row k
    holds x_0..x_k and -inf after; ties split the derivative evenly, as in max."""

    def handler(a: Any, axis: Any = 0, dtype: Any = None, out: Any = None) -> Any:
        _no_out("accumulate", out)
        a = _prepare(a, dtype)
        axis = normalize_axis_index(axis, a.ndim)
        z = np.moveaxis(a, axis, -1)
        n = z.shape[-1]
        rows = np.broadcast_to(np.expand_dims(z, -2), (*z.shape, n))
        y = fn(np.where(np.tri(n, dtype=bool), rows, np.full((), fill, a.dtype)), axis=-1)
        return np.moveaxis(y, -1, axis)

    return handler


register((np.maximum, "accumulate"), _running_extremum(np.max, -np.inf))
register((np.minimum, "accumulate"), _running_extremum(np.min, np.inf))
register(np.cumulative_sum, _cumulative(np.cumsum, 0.0))
register(np.cumulative_prod, _cumulative(np.cumprod, 1.0))


def _diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = _NO, append: Any = _NO) -> Any:
    """n-th forward difference along axis: y = x[1:] - x[:-1], n times (linear)."""
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    a = _prepare(a, None)
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis_index(axis, a.ndim)
    parts = []
    for extra in (prepend, append):
        if extra is _NO:
            parts.append(None)
            continue
        extra = _prepare(extra, None)
        if extra.ndim == 0:
            extra = np.broadcast_to(extra, (*a.shape[:axis], 1, *a.shape[axis + 1 :]))
        parts.append(extra)
    pieces = [p for p in (parts[0], a, parts[1]) if p is not None]
    if len(pieces) > 1:
        a = np.concatenate(pieces, axis=axis)
    head = (slice(None),) * axis
    for _ in range(n):
        a = a[(*head, slice(1, None))] - a[(*head, slice(None, -1))]
    return a


register(np.diff, _diff)


def _ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    y = np.diff(np.reshape(ary, -1))

    def piece(p: Any) -> Any:  # cast to the input's dtype, as NumPy does
        p = np.reshape(_prepare(p, None), -1)
        return p if p.dtype == y.dtype else p.astype(y.dtype)

    pieces = [piece(p) for p in (to_begin,) if p is not None]
    pieces += [y] + [piece(p) for p in (to_end,) if p is not None]
    return np.concatenate(pieces) if len(pieces) > 1 else y


register(np.ediff1d, _ediff1d)


def _gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Central differences inside, one-sided (order 1 or 2) at the ends, uniform spacing h per
    axis (a scalar): linear in f. Spacing given as coordinate arrays is not supported."""
    f = _prepare(f, None)
    axes = _axes(f, axis)
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes) and all(np.ndim(h) == 0 for h in varargs):
        spacing = list(varargs)
    else:
        raise TypeError(
            "pullback's numpy.gradient supports scalar spacings only (one, or one per axis); "
            "for coordinate arrays write the differences with numpy.diff"
        )
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    if f.dtype.kind not in "fc":
        f = f.astype(np.float64)
    out = []
    for ax, h in zip(axes, spacing, strict=True):
        h = primal(h)
        n = f.shape[ax]
        if n < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, "
                "at least (edge_order + 1) elements are required."
            )

        def at(s: slice, ax: int = ax) -> Any:
            return f[(slice(None),) * ax + (s,)]

        inner = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / h
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
        else:
            first = (-1.5 * at(slice(0, 1)) + 2.0 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / h
            last = (
                0.5 * at(slice(-3, -2)) - 2.0 * at(slice(-2, -1)) + 1.5 * at(slice(-1, None))
            ) / h
        out.append(np.concatenate([first, inner, last], axis=ax))
    return out[0] if len(out) == 1 else tuple(out)


register(np.gradient, _gradient)


def _average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims: Any = _NO
) -> Any:
    """sum(a w) / sum(w) (both a and w differentiable); mean when w is None."""
    a = _prepare(a, None)
    keep = _flag(keepdims)
    if weights is None:
        avg = np.mean(a, axis=axis, keepdims=keep)
        total = np.full(np.shape(avg), _count(a, _axes(a, axis)), dtype=primal(avg).dtype)
    else:
        w = _prepare(weights, None)
        if w.shape != a.shape:
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            ax = normalize_axis_tuple(axis, a.ndim)
            if w.shape != tuple(a.shape[i] for i in ax):
                raise ValueError(
                    "Shape of weights must be consistent with shape of a along specified axis."
                )
            order = sorted(range(len(ax)), key=lambda k: ax[k])
            w = np.transpose(w, order) if len(ax) > 1 else w
            w = np.reshape(w, tuple(a.shape[i] if i in ax else 1 for i in range(a.ndim)))
            w = np.broadcast_to(w, a.shape)
        total = np.sum(w, axis=axis, keepdims=keep)
        avg = np.sum(a * w, axis=axis, keepdims=keep) / total
    if returned:
        return avg, np.broadcast_to(total, np.shape(avg)) if np.shape(total) != np.shape(
            avg
        ) else total
    return avg


register(np.average, _average)


def _trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """sum of (y_i + y_{i+1}) / 2 * (x_{i+1} - x_i): bilinear in (y, x)."""
    y = _prepare(y, None)
    axis = normalize_axis_index(axis, y.ndim)
    if x is None:
        d = dx
    else:
        x = _prepare(x, None)
        d = np.diff(x, axis=-1 if x.ndim == 1 else axis)
        if x.ndim == 1:
            d = np.reshape(d, tuple(d.shape[0] if i == axis else 1 for i in range(y.ndim)))
    head = (slice(None),) * axis
    mid = (y[(*head, slice(1, None))] + y[(*head, slice(None, -1))]) / 2.0
    return np.sum(d * mid, axis=axis)


register(np.trapezoid, _trapezoid)


# ---- nan-aware reductions: NaN entries are replaced by the identity; their gradient is zero ------
def _nan_filled(a: Any, fill: float) -> tuple[Any, Any]:
    a = _prepare(a, None)
    nan = np.isnan(primal(a))
    return np.where(nan, np.full((), fill, a.dtype), a), nan


def _nansum(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = False, **kw: Any
) -> Any:
    _no_out("nansum", out)
    return np.sum(_nan_filled(_prepare(a, dtype), 0.0)[0], axis=axis, keepdims=keepdims, **kw)


def _nanprod(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = False, **kw: Any
) -> Any:
    _no_out("nanprod", out)
    return np.prod(_nan_filled(_prepare(a, dtype), 1.0)[0], axis=axis, keepdims=keepdims, **kw)


def _nancumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    return np.cumsum(_nan_filled(_prepare(a, dtype), 0.0)[0], axis=axis, out=out)


def _nancumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    return np.cumprod(_nan_filled(_prepare(a, dtype), 1.0)[0], axis=axis, out=out)


def _nanmean(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = False, **kw: Any
) -> Any:
    """nansum / (number of non-NaN entries); an all-NaN slice gives NaN (with NumPy's warning)."""
    _no_out("nanmean", out)
    _no_kw("nanmean", **kw)
    filled, nan = _nan_filled(_prepare(a, dtype), 0.0)
    count = np.sum(~nan, axis=axis, keepdims=_flag(keepdims))
    total = np.sum(filled, axis=axis, keepdims=_flag(keepdims))
    return total / _safe_count(count, total)


def _safe_count(count: Any, like: Any) -> Any:
    """count as like's dtype, NaN where zero (an all-NaN slice), with NumPy's RuntimeWarning."""
    count = np.asarray(count)
    if np.any(count == 0):
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=3)
    return np.where(count == 0, np.nan, count).astype(primal(like).dtype)


def _nanvar(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = False,
    **kw: Any,
) -> Any:
    """sum over non-NaN entries of (x - nanmean)^2 / (count - ddof)."""
    _no_out("nanvar", out)
    _no_kw("nanvar", **{k: v for k, v in kw.items() if k != "correction"})
    if kw.get("correction", _NO) is not _NO:
        ddof = kw["correction"]
    filled, nan = _nan_filled(_prepare(a, dtype), 0.0)
    count = np.sum(~nan, axis=axis, keepdims=True)
    mean = np.sum(filled, axis=axis, keepdims=True) / np.maximum(count, 1).astype(filled.dtype)
    d = np.where(nan, np.zeros((), filled.dtype), filled - mean)
    dof = np.sum(~nan, axis=axis, keepdims=_flag(keepdims)) - ddof
    total = np.sum(d * d, axis=axis, keepdims=_flag(keepdims))
    dof = np.asarray(dof)
    if np.any(dof <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)
    return total / np.where(dof <= 0, np.nan, dof).astype(filled.dtype)


def _nanstd(a: Any, *args: Any, **kwargs: Any) -> Any:
    return np.sqrt(_nanvar(a, *args, **kwargs))


def _nan_extremum(fn: Any, fill: float) -> Any:
    """nanmax = max over the entries that are not NaN (NaN entries get zero gradient); an
    all-NaN slice gives NaN, as in NumPy (which also warns)."""

    def handler(a: Any, axis: Any = None, out: Any = None, keepdims: Any = False, **kw: Any) -> Any:
        _no_out(f"nan{fn.__name__}", out)
        filled, nan = _nan_filled(a, fill)
        y = fn(filled, axis=axis, keepdims=keepdims, **kw)
        empty = np.all(nan, axis=axis, keepdims=_flag(keepdims))
        if np.any(empty):
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)
            y = np.where(empty, np.full((), np.nan, filled.dtype), y)
        return y

    return handler


register(np.nansum, _nansum)
register(np.nanprod, _nanprod)
register(np.nancumsum, _nancumsum)
register(np.nancumprod, _nancumprod)
register(np.nanmean, _nanmean)
register(np.nanvar, _nanvar)
register(np.nanstd, _nanstd)
register(np.nanmax, _nan_extremum(np.max, -np.inf))
register(np.nanmin, _nan_extremum(np.min, np.inf))
