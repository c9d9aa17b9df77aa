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

    def process(self, rule: Rule, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        vals = []
        xdots = []
        for a in args:
            if a.__class__ is ForwardTraced and a._trace is self:
                vals.append(a.value)
                xdots.append(a.tangent)
            else:
                vals.append(a)
                xdots.append(None)
        jvp = rule.jvp
        if jvp is None:
            raise _no_jvp(rule)
        y, res = rule.fwd(*vals, **params)
        ydot = jvp(res, *xdots)
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
        xdots = [None if p is None else tangent.get(p) for p in node.parents]
        if all(x is None for x in xdots):
            continue
        if rule.jvp is None:
            raise _no_jvp(rule)
        ydot = rule.jvp(node.res, *xdots)
        if ydot is not None:
            tangent[node] = ydot
    return tangent


def _no_jvp(rule: Rule) -> Exception:
    return MissingRuleError(
        f"{rule.name} has no forward-mode (JVP) rule. Define one with f.defjvp(rule), or "
        "differentiate it with pullback.grad / vjp / jacrev instead."
    )
