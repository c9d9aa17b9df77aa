"""Trace levels for nesting (principle 5): every transform call opens a new level, kept in a
ContextVar and restored in `finally`, so a raising user function leaves no stale state.

Levels solve perturbation confusion. Take

    def f(x):
        g = lambda y: x * y            # closes over x
        return x * grad(g)(1.0)        # d/dy (x*y) = x, so f(x) = x**2 and f'(x) = 2x

`grad(f)` traces x at level 1; the inner `grad(g)` traces y at level 2. In `x * y` the level-2
trace sees x (level 1) as a constant, so the inner gradient is x itself (a level-1 traced value),
not 1 + x or any mixture; the outer sweep then differentiates `x * x` and returns 2x. A primitive
is always processed by the highest level among its arguments; lower-level values pass through
it as constants, and the rule's own NumPy calls on them are traced by their own level.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dispatch import Rule

_level: ContextVar[int] = ContextVar("pullback_trace_level", default=0)


class Trace:
    """One level of differentiation. Subclasses say how a primitive is processed at this level."""

    __slots__ = ("level", "alive")

    def __init__(self, level: int) -> None:
        self.level = level
        self.alive = True

    def process(self, rule: Rule, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        raise NotImplementedError

    # process for one or two positional arguments and no params (Rule.bind1 / bind2: operators
    # and ufuncs). The engine's own traces override them with versions that build no tuple or dict.
    def process1(self, rule: Rule, a: Any) -> Any:
        return self.process(rule, (a,), {})

    def process2(self, rule: Rule, a: Any, b: Any) -> Any:
        return self.process(rule, (a, b), {})


def current_level() -> int:
    return _level.get()


class new_trace:  # lower case: used like a function, `with new_trace(Kind) as trace:`
    """Open a trace one level above the current one; close it (and the level) on exit.

    A class rather than a @contextmanager generator: 0.8 us less per transform call."""

    __slots__ = ("trace", "token")

    def __init__(self, kind: type[Trace]) -> None:
        self.trace = kind(_level.get() + 1)

    def __enter__(self) -> Any:
        self.token = _level.set(self.trace.level)
        return self.trace

    def __exit__(self, *exc: object) -> None:
        _level.reset(self.token)
        self.trace.alive = False
