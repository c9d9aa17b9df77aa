"""Stage ⑤b: forward mode. Under a ForwardTrace each value carries its tangent beside it and each
primitive call maps input tangents to the output tangent with the rule's jvp. `push_forward`
runs the same jvps over a graph recorded by a reverse trace (used by `linearize` and `jacfwd`)."""

from __future__ import annotations

from typing import Any

from ..errors import MissingRuleError
from .dispatch import Rule
from .node import Node
from .trace import Trace
from .traced import Traced


class ForwardTraced(Traced):
    __slots__ = ("tangent",)

    def __init__(self, value: Any, tangent: Any, trace: ForwardTrace) -> None:
        self.value = value
        self.tangent = tangent
        self._trace = trace


class ForwardTrace(Trace):
    __slots__ = ()

    # process1 / process2: Rule.bind1 / bind2 (operators and ufuncs, no params), the hot path
    def process1(self, rule: Rule, a: Any) -> Any:
        jvp = rule.jvp
        if jvp is None:
            raise no_jvp(rule)
        if a.__class__ is ForwardTraced and a._trace is self:
            y, res = rule.fwd(a.value)
            return self._result(rule, y, jvp(res, a.tangent))
        y, res = rule.fwd(a)
        return self._result(rule, y, jvp(res, None))

    def process2(self, rule: Rule, a: Any, b: Any) -> Any:
        jvp = rule.jvp
        if jvp is None:
            raise no_jvp(rule)
        if a.__class__ is ForwardTraced and a._trace is self:
            a, adot = a.value, a.tangent
        else:
            adot = None
        if b.__class__ is ForwardTraced and b._trace is self:
            b, bdot = b.value, b.tangent
        else:
            bdot = None
        y, res = rule.fwd(a, b)
        return self._result(rule, y, jvp(res, adot, bdot))

    def process(self, rule: Rule, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        jvp = rule.jvp
        if jvp is None:
            raise no_jvp(rule)
        vals = []
        xdots = []
        for a in args:  # a plain loop: a comprehension costs a function call on Python 3.11
            if a.__class__ is ForwardTraced and a._trace is self:
                vals.append(a.value)
                xdots.append(a.tangent)
            else:
                vals.append(a)
                xdots.append(None)
        y, res = rule.fwd(*vals, **params)
        return self._result(rule, y, jvp(res, *xdots))

    def _result(self, rule: Rule, y: Any, ydot: Any) -> Any:
        """y traced with its tangent (None: a constant, returned plain)."""
        if rule.multiple_results:
            if ydot is None:
                return y
            return tuple(
                yi if ti is None else ForwardTraced(yi, ti, self)
                for yi, ti in zip(y, ydot, strict=True)
            )
        return y if ydot is None else ForwardTraced(y, ydot, self)


def push_forward(nodes: list[Node], seeds: dict[Node, Any]) -> dict[Node, Any]:
    """Propagate tangents through recorded `nodes` (creation order) from leaf `seeds`."""
    tangent = dict(seeds)
    for node in nodes:
        rule = node.rule
        if rule is None:
            continue
        xdots = parent_tangents(node, tangent)
        if xdots is None:
            continue
        if rule.jvp is None:
            raise no_jvp(rule)
        ydot = rule.jvp(node.res, *xdots)
        if ydot is not None:
            tangent[node] = ydot
    return tangent


def parent_tangents(node: Node, tangent: dict[Node, Any]) -> list[Any] | None:
    """The tangents of node's arguments (None for a constant one), or None when all are zero."""
    xdots = []
    live = False
    for p in node.parents:  # plain loops: comprehensions cost a call each on Python 3.11
        t = None if p is None else tangent.get(p)
        xdots.append(t)
        if t is not None:
            live = True
    return xdots if live else None


def no_jvp(rule: Rule) -> Exception:
    return MissingRuleError(
        f"{rule.name} has no forward-mode (JVP) rule. Define one with f.defjvp(rule), or "
        "differentiate it with pullback.grad / vjp / jacrev instead."
    )
