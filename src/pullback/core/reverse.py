"""Stage ⑤a: reverse mode. Under a ReverseTrace each primitive call records a Node and appends it
to the trace's tape (a Wengert list: creation order, which is topological); `backward` seeds
cotangents at the outputs and walks the tape backwards (no recursion, no heap), calling the vjp of
each node a cotangent reached, accumulating (in place once the sum is the sweep's own), and freeing
residuals as it goes."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MissingRuleError
from .dispatch import Rule
from .node import Node
from .trace import Trace
from .traced import Traced


class ReverseTraced(Traced):
    __slots__ = ("node",)

    def __init__(self, value: Any, node: Node, trace: ReverseTrace) -> None:
        self.value = value
        self.node = node
        self._trace = trace


class ReverseTrace(Trace):
    # tape: every Node recorded at this level, in creation order (what `backward` walks). The
    # transform that opened the trace takes it when the function returns (transforms._Recording).
    __slots__ = ("tape",)

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.tape: list[Node] = []

    def leaf(self, value: Any) -> ReverseTraced:
        node = Node(None, (), None)
        self.tape.append(node)
        return ReverseTraced(value, node, self)

    # Rule.bind1 / bind2 (operators and ufuncs, no params) land in process1 / process2, the hot
    # path; anything else in process. The two hot ones build Node(rule, parents, res) and
    # ReverseTraced(y, node, self) inline, without running their __init__ (keep them in step
    # with each other and with those classes): on Python 3.11 a class call that runs a Python
    # __init__ costs 0.05 us more per object, and a shared helper one more call per op.
    def process1(self, rule: Rule, a: Any) -> Any:
        if a.__class__ is ReverseTraced and a._trace is self:
            parents: tuple[Node | None, ...] = (a.node,)
            a = a.value
        else:
            parents = (None,)
        y, res = rule.fwd(a)
        node = _new(Node)
        node.rule = rule
        node.parents = parents
        node.res = res
        node.ybar = None
        self.tape.append(node)
        if rule.multiple_results:
            return self._select(node, y)
        out = _new(ReverseTraced)
        out.value = y
        out.node = node
        out._trace = self
        return out

    def process2(self, rule: Rule, a: Any, b: Any) -> Any:
        if a.__class__ is ReverseTraced and a._trace is self:
            pa, a = a.node, a.value
        else:
            pa = None
        if b.__class__ is ReverseTraced and b._trace is self:
            pb, b = b.node, b.value
        else:
            pb = None
        y, res = rule.fwd(a, b)
        node = _new(Node)
        node.rule = rule
        node.parents = (pa, pb)
        node.res = res
        node.ybar = None
        self.tape.append(node)
        if rule.multiple_results:
            return self._select(node, y)
        out = _new(ReverseTraced)
        out.value = y
        out.node = node
        out._trace = self
        return out

    def process(self, rule: Rule, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        # the general path (params, three or more arguments): the plain constructors will do
        vals = list(args)
        parents: list[Node | None] = [None] * len(args)
        for i, a in enumerate(args):
            if a.__class__ is ReverseTraced and a._trace is self:
                vals[i] = a.value
                parents[i] = a.node
        y, res = rule.fwd(*vals, **params)
        node = Node(rule, tuple(parents), res)
        self.tape.append(node)
        return self._select(node, y) if rule.multiple_results else ReverseTraced(y, node, self)

    def _select(self, node: Node, ys: tuple[Any, ...]) -> tuple[ReverseTraced, ...]:
        """One traced value per output of a multiple-results node, each with a SELECT node."""
        n = len(ys)
        outs = []
        for i, yi in enumerate(ys):
            sel = Node(SELECT, (node,), (i, n))
            self.tape.append(sel)
            outs.append(ReverseTraced(yi, sel, self))
        return tuple(outs)


_new = object.__new__


def _select_vjp(res: tuple[int, int], ybar: Any) -> tuple[Any]:
    i, n = res
    return ((None,) * i + (ybar,) + (None,) * (n - i - 1),)


def _select_jvp(res: tuple[int, int], xdot: Any) -> Any:
    return xdot[res[0]]


def _select_fwd(ys: tuple[Any, ...], *, i: int) -> tuple[Any, Any]:
    return ys[i], (i, len(ys))


# Picks output i of a multiple-results node; its cotangent is a tuple with None elsewhere.
SELECT = Rule("select", _select_fwd, _select_jvp, _select_vjp)


def add_cotangents(a: Any, b: Any) -> Any:
    """a + b, elementwise for the tuple cotangent of a multiple-results node (None = zero)."""
    if type(a) is tuple:  # a multiple-results node
        return tuple(
            y if x is None else x if y is None else x + y for x, y in zip(a, b, strict=True)
        )
    return a + b


# Cotangents of at least this many elements are summed in place once the sweep owns the sum;
# below it a new array costs less than np.add's out= path.
IN_PLACE_MIN = 4096


def accumulate(node: Node, old: Any, xbar: Any, owned: set[Node]) -> Any:
    """node's cotangent so far (`old`) plus one more contribution `xbar`.

    A sum the sweep allocated belongs to it alone: `owned` holds the nodes whose pending
    cotangent is such a sum, and a third contribution and every later one is added into it in
    place (no new array per use of a weight shared across many steps). An array a rule returned
    is never written: it may be shared (add hands its ybar to both arguments) or a view."""
    if (
        node in owned
        and old.__class__ is np.ndarray  # (a traced contribution makes the sum traced)
        and xbar.__class__ is np.ndarray
        and xbar.dtype is old.dtype
        and xbar.shape == old.shape
    ):
        return np.add(old, xbar, out=old)
    if type(old) is tuple:
        return add_cotangents(old, xbar)
    total = old + xbar  # a new array, which only this sweep holds
    if total.__class__ is np.ndarray and total.size >= IN_PLACE_MIN:
        owned.add(node)
    return total


def accumulate_into(ct: dict[Node, Any], node: Node, xbar: Any, owned: set[Node]) -> None:
    """`accumulate` for a sweep that keeps pending cotangents in a dict (batched, graph view)."""
    old = ct.get(node)
    ct[node] = xbar if old is None else accumulate(node, old, xbar, owned)


def backward(
    seeds: list[tuple[Node, Any]], tape: list[Node], retain: bool = False
) -> dict[Node, Any]:
    """Sweep from `seeds` [(node, ybar)] to the leaves; return {leaf node: cotangent}.

    `tape` holds every node reachable from the seeds in creation order (a trace's tape, or
    `reachable(...)`). A node's consumers were all created after it, so walking the tape backwards
    reaches a node only when all its cotangent contributions have arrived; a node no cotangent
    reached (a constant branch, another output) is passed over. Without `retain`, residuals are
    dropped as soon as their node is processed (the graph cannot be swept a second time).

    A pending node gathers its cotangent in `node.ybar` (like micrograd's `Value.grad`), which is
    None again once the node is processed or the sweep raises. A slot instead of a dict keyed by
    node: 0.08 us less per op in W1; the tape instead of a heap keyed by creation order: 0.1 us
    less. So one graph is swept by one sweep at a time (a rule's vjp never sweeps its own trace's
    graph; do not sweep one graph from two threads at once).
    """
    leaves: dict[Node, Any] = {}
    owned: set[Node] = set()  # the nodes whose pending cotangent is a sum this sweep allocated
    try:
        for node, ybar in seeds:
            old = node.ybar
            node.ybar = ybar if old is None else add_cotangents(old, ybar)
        for node in reversed(tape):
            ybar = node.ybar
            if ybar is None:
                continue
            node.ybar = None
            rule = node.rule
            if rule is None:
                leaves[node] = ybar
                continue
            vjp = rule.vjp
            res = node.res
            if not retain:
                node.res = None  # free the residuals as the sweep passes
            if type(vjp) is tuple:  # one function per argument: constant arguments cost nothing
                i = -1
                for p in node.parents:
                    i += 1
                    if p is None:
                        continue
                    xbar = vjp[i](res, ybar)
                    old = p.ybar
                    p.ybar = xbar if old is None else accumulate(p, old, xbar, owned)
            elif vjp is None:
                raise no_vjp(rule)
            else:
                for p, xbar in zip(node.parents, vjp(res, ybar), strict=True):
                    if p is not None and xbar is not None:
                        old = p.ybar
                        p.ybar = xbar if old is None else accumulate(p, old, xbar, owned)
            del res
    except BaseException:
        for node in tape:  # a failed sweep leaves no cotangents behind on its nodes
            node.ybar = None
        raise
    return leaves


def no_vjp(rule: Rule) -> Exception:
    return MissingRuleError(
        f"{rule.name} has no reverse-mode (VJP) rule. Define one with f.defvjp(fwd, bwd), or "
        "differentiate it with pullback.jvp / jacfwd instead."
    )


def reachable(outputs: list[Node]) -> list[Node]:
    """The nodes reachable from `outputs`, parents first (a topological order): the tape of a
    graph that has none (the Tensor facade's), or the part of a trace's tape a forward sweep
    needs. Depth-first, without recursion; parents are visited in argument order."""
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(node, False) for node in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if expanded:  # every parent is in `order` by now
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if p is not None)
    return order
