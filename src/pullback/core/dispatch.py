"""Stage ③ -> ④: the registry from NumPy callables to handlers, the `Rule` record, and `bind`,
which hands a primitive call to the highest trace among its arguments.

The core knows the NumPy protocols, not NumPy functions: rules register themselves from outside.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import (
    DuplicateRuleError,
    LeakedTracerError,
    UnsupportedFunctionError,
    function_name,
)
from .traced import Traced

Handler = Callable[..., Any]

# NumPy callable (or (ufunc, method), or operator.getitem) -> handler taking NumPy's signature.
REGISTRY: dict[Any, Handler] = {}
# NumPy callable -> its Rule, where the registered handler is the rule's own bind: operators and
# ufuncs then call rule.bind1 / rule.bind2 directly (see Rule.bind1).
RULES: dict[Any, Rule] = {}
# NumPy callable -> hint shown when it is called on a traced array without a rule.
HINTS: dict[Any, str] = {}
# The callables in RULES whose rule's fwd takes positional arrays only (the elementwise ufuncs):
# `call` answers keyword arguments to them (dtype=, where=, casting=...) with an
# UnsupportedFunctionError, so those fwds need no **params (which builds a dict on every call).
POSITIONAL: set[Any] = set()


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One primitive: how to compute it and how both modes differentiate it.

    fwd(*args, **params) -> (y, res)   y: the result; res: what jvp and vjp need (factorizations!)
    jvp(res, *xdots) -> ydot           an xdot is None where that argument is constant
    vjp(res, ybar) -> (xbar, ...)      one cotangent per positional argument (None = zero); or a
                                       tuple of per-argument functions vjp_i(res, ybar) -> xbar_i,
                                       which lets the sweep skip constant arguments
    Positional arguments may be traced; keyword `params` are static (not differentiable).
    With `multiple_results`, y is a tuple, ydot a tuple, and ybar a tuple with None for zeros.
    """

    name: str
    fwd: Callable[..., tuple[Any, Any]]
    jvp: Callable[..., Any] | None
    vjp: Callable[..., Any] | tuple[Callable[..., Any], ...] | None
    multiple_results: bool = False

    def bind(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive: traced at the top level of its arguments, or plain."""
        top = None  # the highest trace among the arguments
        for a in args:
            if isinstance(a, Traced):
                t = a._trace
                if t is top:
                    continue
                if top is None or t.level > top.level:
                    top = t
                elif t.level == top.level:
                    raise _leaked()
        if top is None:
            return self.fwd(*args, **params)[0]
        if not top.alive:
            raise _leaked()
        return top.process(self, args, params)

    # bind(x) and bind(a, b) without params, for the operators and NumPy's ufunc protocol: a call
    # with exact arguments skips building *args and **params (0.1 us per op on Python 3.11).
    # Same choice of trace as bind.
    def bind1(self, x: Any) -> Any:
        if not isinstance(x, Traced):
            return self.fwd(x)[0]
        top = x._trace
        if not top.alive:
            raise _leaked()
        return top.process1(self, x)

    def bind2(self, a: Any, b: Any) -> Any:
        ta = a._trace if isinstance(a, Traced) else None
        tb = b._trace if isinstance(b, Traced) else None
        if tb is None or tb is ta:
            top = ta
        elif ta is None or tb.level > ta.level:
            top = tb
        elif tb.level < ta.level:
            top = ta
        else:
            raise _leaked()
        if top is None:
            return self.fwd(a, b)[0]
        if not top.alive:
            raise _leaked()
        return top.process2(self, a, b)

    def __repr__(self) -> str:
        return f"Rule({self.name})"


def _leaked() -> LeakedTracerError:
    return LeakedTracerError(
        "A traced value was used after the transform that created it had returned (it was "
        "stored in a global, an attribute or a closure). Return it from the function instead, "
        "or store pullback.stop_gradient(x)."
    )


def register(fn: Any, handler: Handler) -> None:
    """Make `handler` answer for the NumPy callable `fn` on traced arrays. Once per callable."""
    if isinstance(getattr(fn, "__wrapped__", None), np.ufunc):
        # SciPy wraps its ufuncs in Python functions when SCIPY_ARRAY_API=1; on traced arrays the
        # wrapper calls the ufunc itself (pullback/array_api.py), which is what reaches dispatch
        fn = fn.__wrapped__
    if fn in REGISTRY:
        raise DuplicateRuleError(
            f"{function_name(fn)} already has a rule; a callable is registered once."
        )
    REGISTRY[fn] = handler
    rule = getattr(handler, "__self__", None)
    if isinstance(rule, Rule) and handler == rule.bind:
        RULES[fn] = rule
        if _positional_only(rule.fwd):
            POSITIONAL.add(fn)


def _positional_only(fwd: Callable[..., Any]) -> bool:
    """Whether fwd takes only (required) positional arguments: no keywords, no defaults."""
    try:
        parameters = inspect.signature(fwd).parameters.values()
    except (TypeError, ValueError):  # no signature to read: assume it takes keywords
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return all(
        p.kind is inspect.Parameter.VAR_POSITIONAL
        or (p.kind in positional and p.default is inspect.Parameter.empty)
        for p in parameters
    )


def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the handler registered for `fn` (the entry point of every traced NumPy call)."""
    handler = REGISTRY.get(fn)
    if handler is None:
        raise UnsupportedFunctionError(
            fn if not isinstance(fn, tuple) else _ufunc_method(fn),
            _describe_traced(args, kwargs),
            HINTS.get(fn, ""),
        )
    if kwargs and fn in POSITIONAL:
        raise unsupported_keywords(fn, kwargs)
    return handler(*args, **kwargs)


def unsupported_keywords(fn: Any, kwargs: dict[str, Any]) -> UnsupportedFunctionError:
    """The error for keyword arguments a rule does not take (e.g. numpy.sin(x, dtype=...))."""
    return UnsupportedFunctionError(
        fn, "array", f"Its keyword arguments {sorted(kwargs)} are not supported."
    )


def _ufunc_method(key: tuple[Any, str]) -> Any:
    ufunc, method = key

    class _Named:
        __module__ = "numpy"
        __qualname__ = f"{ufunc.__name__}.{method}"

    return _Named


def _describe_traced(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    named = [(f"argument {i}", a) for i, a in enumerate(args)]
    named += [(f"argument {k!r}", v) for k, v in kwargs.items()]
    for label, a in named:
        found = a if isinstance(a, Traced) else _first_traced(a)
        if found is not None:
            return f"{label} (shape {found.shape}, dtype {found.dtype})"
    return "argument"


def _first_traced(a: Any) -> Traced | None:
    if isinstance(a, list | tuple):
        for item in a:
            if isinstance(item, Traced):
                return item
    return None
