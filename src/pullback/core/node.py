"""Stage ④: one Node per primitive call under a reverse trace; the tape is the nodes reachable
from the output. A Node holds its rule, its parents (an ordered tuple, None for constants) and the
residuals the rule's fwd returned; `seq` orders nodes by creation, a topological order."""

from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dispatch import Rule

# The creation counter. ReverseTrace.process, the hot path, builds Nodes without calling __init__
# and numbers them with next_seq() too.
next_seq = count().__next__


class Node:
    # ybar: the cotangent gathered so far while a backward sweep has this node pending, else None
    __slots__ = ("rule", "parents", "res", "seq", "ybar")

    def __init__(self, rule: Rule | None, parents: tuple[Node | None, ...], res: Any) -> None:
        self.rule = rule  # None for a leaf (an input of the transform)
        self.parents = parents
        self.res = res
        self.seq = next_seq()
        self.ybar = None

    def __repr__(self) -> str:
        name = "leaf" if self.rule is None else self.rule.name
        return f"Node({name}, seq={self.seq})"
