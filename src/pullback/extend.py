"""The rule-author API in one place (stage ④'s records): `Rule`, `defrule`, `elementwise`,
`linear`, `nondifferentiable`, `unbroadcast`, and `defbatch` (a rule's form on a batch of
directions, for Jacobians). Every rule in rules/ and linalg/ is built from these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .core import Rule, Traced, batching, register
from .core.batching import defbatch
from .core.dispatch import HINTS
from .core.traced import primal

__all__ = [
    "Rule",
    "as_array",
    "defbatch",
    "defrule",
    "elementwise",
    "linear",
    "nondifferentiable",
    "register",
    "unbroadcast",
    "zeros_like",
    "HINTS",
]


def unbroadcast(g: Any, like: Any) -> Any:
    """Sum the cotangent `g` back to the shape of `like` (an input) and cast it to its dtype
    (a complex `g` for a real input becomes its real part)."""
    shape = like.shape
    gshape = g.shape
    if gshape != shape:
        lead = len(gshape) - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
        )
        if len(axes) == lead and g.__class__ is np.ndarray:  # a bias: the sum has x's shape
            g = _add_reduce(g, axes)  # what np.sum runs, without its wrapper and the reshape
        else:
            g = np.sum(g, axis=axes, keepdims=True) if axes else g
            g = np.reshape(g, shape)
    # the common case inline (this runs once per argument of every vjp): NumPy's built-in dtypes
    # are singletons, and `is` costs 0.03 us less than ==
    dtype, gdtype = like.dtype, g.dtype
    return g if gdtype is dtype or gdtype == dtype else batching.cast_cotangent(g, dtype)


_add_reduce = np.add.reduce


def as_array(x: Any) -> Any:
    """x unchanged if it is an ndarray or traced, else np.asarray(x) (lists, Python numbers)."""
    return x if isinstance(x, Traced | np.ndarray) else np.asarray(x)


def zeros_like(x: Any) -> np.ndarray:
    """A plain zero array with x's shape and dtype (x may be traced)."""
    return np.zeros(x.shape, x.dtype)


def defrule(
    fn: Any,
    fwd: Callable[..., tuple[Any, Any]],
    jvp: Callable[..., Any] | None,
    vjp: Callable[..., Any] | tuple[Callable[..., Any], ...] | None,
    *,
    name: str | None = None,
    multiple_results: bool = False,
    handler: Callable[..., Any] | None = None,
) -> Rule:
    """Create the Rule for NumPy callable `fn` and register it.

    Without `handler`, `fn(*arrays, **params)` on traced arrays binds the rule directly. Pass a
    handler (taking fn's NumPy signature) to map that signature onto `rule.bind(*arrays, **params)`.
    """
    rule = Rule(name or _name(fn), fwd, jvp, vjp, multiple_results)
    register(fn, handler if handler is not None else rule.bind)
    return rule


def elementwise(
    ufunc: Any,
    *derivatives: Callable[..., Any],
    name: str | None = None,
    handler: Callable[..., Any] | None = None,
    uses_x: bool = True,
) -> Rule:
    """Declare an elementwise function once by its partial derivatives; both modes follow.

    Each derivative is a function of (*xs, y), e.g. `elementwise(np.sin, lambda x, y: np.cos(x))`
    or for `np.divide`: `lambda x1, x2, y: 1 / x2, lambda x1, x2, y: -y / x2`.
    `uses_x=False` (one argument only) says the derivative reads y alone (`d tanh x = 1 - y^2`):
    the residuals then keep y, not x, and x is freed as soon as nothing else holds it.
    """
    label = name or _name(ufunc)

    # positional arrays only (dispatch.POSITIONAL: keyword arguments are refused before fwd)
    def fwd(*xs: Any) -> tuple[Any, Any]:
        y = ufunc(*xs)
        return y, (*xs, y)

    if len(derivatives) == 1:
        (d,) = derivatives
        fwd = _unary_fwd(ufunc, uses_x)

        def jvp(res: Any, xdot: Any) -> Any:
            return xdot * d(*res)

        vjp: Any = (_unary_vjp(d),)
    else:

        def jvp(res: Any, *xdots: Any) -> Any:
            y = res[-1]
            ydot = None
            for xdot, d in zip(xdots, derivatives, strict=True):
                if xdot is not None:
                    term = xdot * d(*res)
                    ydot = term if ydot is None else ydot + term
            return ydot if ydot.shape == y.shape else np.broadcast_to(ydot, y.shape)

        vjp = tuple(_binary_vjp(d, i) for i, d in enumerate(derivatives))
    rule = defrule(ufunc, fwd, jvp, vjp, name=label, handler=handler)
    return defbatch(rule, _batched_jvp(derivatives), _batched_vjp(derivatives))


def _batched_jvp(derivatives: tuple[Callable[..., Any], ...]) -> Callable[..., Any]:
    def jvp(res: Any, *xdots: Any) -> Any:
        # ydot[k] = sum_i xdot_i[k] * df/dx_i: each (B, *x_i.shape) lifted to y's rank first
        y = res[-1]
        ydot = None
        for xdot, d in zip(xdots, derivatives, strict=True):
            if xdot is not None:
                term = batching.lift(xdot, y.ndim) * d(*res)
                ydot = term if ydot is None else ydot + term
        return batching.full(ydot, y.shape)

    return jvp


def _batched_vjp(derivatives: tuple[Callable[..., Any], ...]) -> tuple[Callable[..., Any], ...]:
    unary = len(derivatives) == 1

    def make(d: Callable[..., Any], i: int) -> Callable[..., Any]:
        def vjp(res: Any, ybar: Any) -> Any:
            # xbar_i[k] = ybar[k] * conj(df/dx_i), summed back to (B, *x_i.shape)
            g = batching.full(ybar, res[-1].shape) * _conj(d(*res))
            return g if unary else batching.unbroadcast(g, res[i])

        return vjp

    return tuple(make(d, i) for i, d in enumerate(derivatives))


def _conj(d: Any) -> Any:
    """conj(d) for a complex derivative, d itself otherwise (no call: real code pays nothing)."""
    if d.__class__ is float:  # the constant c of x * c: 0.03 us sooner than the getattr below
        return d
    dtype = getattr(d, "dtype", None)
    if dtype is None:  # a Python number, e.g. the constant 1j of x * 1j
        return d.conjugate() if isinstance(d, complex) else d
    return np.conjugate(d) if dtype.kind == "c" else d


def _unary_fwd(ufunc: Any, uses_x: bool) -> Callable[..., Any]:
    """fwd for one argument: without `*xs` in its signature the trace calls it 0.06 us faster
    (Python 3.11; W1 runs one per np.sin)."""

    def fwd(x: Any) -> tuple[Any, Any]:
        y = ufunc(x)
        return y, (x, y)

    def fwd_y(x: Any) -> tuple[Any, Any]:
        y = ufunc(x)
        return y, (None, y)  # d(None, y): x is not kept alive until the backward sweep

    return fwd if uses_x else fwd_y


def _unary_vjp(d: Callable[..., Any]) -> Callable[..., Any]:
    def vjp(res: Any, ybar: Any) -> Any:
        x, y = res  # d(x, y), not d(*res): a call with exact arguments is 0.04 us cheaper
        # xbar = ybar * conj(f'(x)): the adjoint of dx -> f'(x) dx under the real inner product
        return ybar * _conj(d(x, y))

    return vjp


def _binary_vjp(d: Callable[..., Any], i: int) -> Callable[..., Any]:
    def vjp(res: Any, ybar: Any) -> Any:
        return unbroadcast(ybar * _conj(d(*res)), res[i])  # xbar_i = ybar * conj(df/dx_i)

    return vjp


def linear(
    fn: Any,
    apply: Callable[..., Any],
    transpose: Callable[..., tuple[Any, ...]],
    *,
    name: str | None = None,
    handler: Callable[..., Any] | None = None,
    batched_apply: Callable[..., Any] | None = None,
    batched_transpose: Callable[..., tuple[Any, ...]] | None = None,
) -> Rule:
    """Declare an op that is linear in its positional arguments by the op and its transpose.

    apply(*xs, **params) computes it (and, applied to tangents, its JVP);
    transpose(ybar, *xs_like, **params) returns one cotangent per x (xs_like hold only shape and
    dtype: `like.shape`, `like.dtype`).
    Optionally the same two on a batch of directions (core/batching.py, for Jacobians):
    batched_apply(*xdots, **params) with each xdot of shape (B, *x.shape) returns (B, *y.shape);
    batched_transpose(ybar, *xs_like, **params) with ybar (B, *y.shape) returns (B, *x.shape)s.
    """

    def fwd(*xs: Any, **params: Any) -> tuple[Any, Any]:
        y = apply(*xs, **params)
        return y, (tuple(_Like(x) for x in xs), params)

    def jvp(res: Any, *xdots: Any) -> Any:
        likes, params = res
        filled = [
            x if x is not None else zeros_like(like) for x, like in zip(xdots, likes, strict=True)
        ]
        return apply(*filled, **params)

    def vjp(res: Any, ybar: Any) -> tuple[Any, ...]:
        likes, params = res
        return transpose(ybar, *likes, **params)

    rule = defrule(fn, fwd, jvp, vjp, name=name or _name(fn), handler=handler)
    if batched_apply is not None:

        def jvp_batched(res: Any, *xdots: Any) -> Any:
            likes, params = res
            batch = next(x.shape[0] for x in xdots if x is not None)
            filled = [
                np.zeros((batch, *like.shape), like.dtype)
                if x is None
                else batching.full(x, like.shape)
                for x, like in zip(xdots, likes, strict=True)
            ]
            return batched_apply(*filled, **params)

        defbatch(rule, jvp_batched)
    if batched_transpose is not None:

        def vjp_batched(res: Any, ybar: Any) -> tuple[Any, ...]:
            likes, params = res
            return batched_transpose(ybar, *likes, **params)

        defbatch(rule, vjp=vjp_batched)
    return rule


class _Like:
    """Shape and dtype of an input, kept instead of the input itself (linear ops need no more)."""

    __slots__ = ("dtype", "ndim", "shape")

    def __init__(self, x: Any) -> None:
        self.shape = np.shape(x) if not hasattr(x, "shape") else x.shape
        self.dtype = x.dtype if hasattr(x, "dtype") else np.result_type(x)
        self.ndim = len(self.shape)


def nondifferentiable(fn: Any, name: str | None = None) -> None:
    """Register `fn` as having no derivative: it runs on the concrete values and returns a plain
    array (comparisons, argmax, floor, ...). Gradients through it are zero by definition."""

    def handler(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_strip(a) for a in args)
        kwargs = {k: _strip(v) for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    register(fn, handler)


def _strip(a: Any) -> Any:
    if isinstance(a, list | tuple):
        return type(a)(_strip(x) for x in a)
    return primal(a)


def _name(fn: Any) -> str:
    if isinstance(fn, tuple):
        return f"{fn[0].__name__}.{fn[1]}"
    return getattr(fn, "__name__", repr(fn))
