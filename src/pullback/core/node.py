"""Stage ④: one Node per primitive call under a reverse trace, appended to the trace's tape (in
creation order, a topological one). A Node holds its rule, its parents (an ordered tuple, None for
constants) and the residuals the rule's fwd returned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dispatch import Rule


class Node:
    # ybar: the cotangent gathered so far while a backward sweep has this node pending, else None
    # (ReverseTrace.process1 / process2, the hot path, build Nodes without calling __init__)
    __slots__ = ("rule", "parents", "res", "ybar")

    def __init__(self, rule: Rule | None, parents: tuple[Node | None, ...], res: Any) -> None:
        self.rule = rule  # None for a leaf (an input of the transform)
        self.parents = parents
        self.res = res
        self.ybar = None

    def __repr__(self) -> str:
        name = "leaf" if self.rule is None else self.rule.name
        return f"Node({name})"
