"""Stages ② and ⑥: pytrees (nested tuples, lists, dicts, dataclasses, None) <-> (leaves, treedef).

Every transform flattens its arguments on the way in and unflattens its results on the way out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

PyTree = Any

LEAF: TreeDef  # the treedef of a single leaf, defined below


# Not frozen: a frozen dataclass builds itself with object.__setattr__ per field, 0.5 us more per
# node and several per transform call. Treat it as immutable all the same (it is hashed).
@dataclass(slots=True, unsafe_hash=True)
class TreeDef:
    """The structure of a pytree without its leaves. `kind` is None for a leaf."""

    kind: type | None
    meta: Any
    children: tuple[TreeDef, ...]

    @property
    def num_leaves(self) -> int:
        if self.kind is None:
            return 1
        return sum(child.num_leaves for child in self.children)

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        if self.kind is dict:  # the keys are part of the structure: show them
            inner = ", ".join(
                f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children, strict=True)
            )
        else:
            inner = ", ".join(repr(c) for c in self.children)
        return f"{self.kind.__name__}({inner})"


LEAF = TreeDef(None, None, ())


def flatten(tree: PyTree) -> tuple[list[Any], TreeDef]:
    """Split a pytree into its leaves (depth-first, left to right) and its structure."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: PyTree, leaves: list[Any]) -> TreeDef:
    kind = type(tree)
    if kind is tuple or kind is list or (kind.__bases__ == (tuple,) and hasattr(kind, "_fields")):
        return TreeDef(kind, None, tuple(_flatten(t, leaves) for t in tree))
    if kind is dict:
        keys = tuple(tree)
        return TreeDef(dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if tree is None:
        return TreeDef(type(None), None, ())
    if hasattr(kind, "__dataclass_fields__"):  # a dataclass instance (is_dataclass, inlined)
        names = tuple(f.name for f in dataclasses.fields(tree))
        return TreeDef(kind, names, tuple(_flatten(getattr(tree, n), leaves) for n in names))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves: list[Any] | tuple[Any, ...]) -> PyTree:
    """Rebuild a pytree of structure `treedef` from `leaves` (the inverse of `flatten`)."""
    it = iter(leaves)
    out = _unflatten(treedef, it)
    if next(it, _END) is not _END:
        raise ValueError(f"too many leaves for tree structure {treedef!r}")
    return out


_END = object()


def _unflatten(treedef: TreeDef, it: Any) -> PyTree:
    kind = treedef.kind
    if kind is None:
        leaf = next(it, _END)
        if leaf is _END:
            raise ValueError("too few leaves for the tree structure")
        return leaf
    children = [_unflatten(c, it) for c in treedef.children]
    if kind is tuple or kind is list:
        return kind(children)
    if kind is dict:
        return dict(zip(treedef.meta, children, strict=True))
    if kind is type(None):
        return None
    if treedef.meta is None:  # namedtuple
        return kind(*children)
    return kind(**dict(zip(treedef.meta, children, strict=True)))


def tree_map(fn: Any, tree: PyTree, *rest: PyTree) -> PyTree:
    """Apply `fn` leafwise to `tree` (and to trees of the same structure in `rest`)."""
    leaves, treedef = flatten(tree)
    others = [flatten(r) for r in rest]
    for _, other_def in others:
        if other_def != treedef:
            raise ValueError(f"tree structures differ: {treedef!r} vs {other_def!r}")
    mapped = [fn(*xs) for xs in zip(leaves, *(o[0] for o in others), strict=True)]
    return unflatten(treedef, mapped)
