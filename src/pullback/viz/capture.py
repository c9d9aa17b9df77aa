"""Graph capture (a consumer of the engine): record a function on a TapeTrace (the reverse trace
that Tensors use), run the forward and reverse sweeps over the recorded nodes, and keep every
node's value, tangent and cotangent, with the source line that created it."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import ReverseTraced, Traced, new_trace, primal, push_forward
from ..core.node import Node
from ..core.pytree import flatten, unflatten
from ..core.reverse import SELECT, accumulate_into
from ..errors import BackwardError, CotangentError, NonScalarOutputError
from ..tensor import TapeNode, TapeTrace, creation_order

SMALL = 6  # values with at most this many entries are shown in full


@dataclass(slots=True)
class GraphNode:
    """One node of the view: an input, a constant or the result of one primitive call.

    value, tangent, cotangent: plain arrays (a tuple for a multiple-results primitive), None
    where there is none. `cotangent` is the gradient of the output with respect to this node.
    `nan_forward`: this node's value is the first non-finite one on its path (its inputs are
    finite); `nan_backward`: its vjp turned a finite cotangent into a non-finite one.
    """

    id: str
    kind: str  # "input" | "op" | "const"
    op: str
    inputs: tuple[str, ...] = ()
    value: Any = None
    tangent: Any = None
    cotangent: Any = None
    where: tuple[str, int, str] | None = None
    output: bool = False
    nan_forward: bool = False
    nan_backward: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...] | str:
        return "tuple" if isinstance(self.value, tuple) else np.shape(self.value)

    @property
    def dtype(self) -> str:
        if isinstance(self.value, tuple):
            return ", ".join(str(np.result_type(v)) for v in self.value)
        return str(np.result_type(self.value))

    @property
    def flagged(self) -> bool:
        return self.nan_forward or self.nan_backward

    @property
    def source(self) -> str:
        """`file.py:12: y = 1 / x`, the user's line that created the node ('' if unknown)."""
        if self.where is None:
            return ""
        path, line, code = self.where
        where = f"{os.path.basename(path)}:{line}"
        return f"{where}: {code}" if code else where


# ---- summaries of values -----------------------------------------------------------------------
def _num(v: Any) -> str:
    if isinstance(v, complex | np.complexfloating):
        return f"{complex(v):.4g}"
    return f"{float(v):.4g}"


def summary(v: Any) -> str:
    """The value itself when it has at most SMALL entries, else min / max / norm."""
    if v is None:
        return "-"
    if isinstance(v, tuple):
        return "(" + ", ".join(summary(x) for x in v) + ")"
    a = np.asarray(primal(v))
    if a.dtype.kind not in "biufc":
        return str(a.dtype)
    with np.errstate(all="ignore"):
        if a.ndim == 0:
            return _num(a)
        if a.size <= SMALL:
            return "[" + ", ".join(_num(x) for x in a.ravel()) + "]"
        norm = float(np.linalg.norm(a.ravel()))
        if a.dtype.kind == "c":
            return f"max|.| {_num(np.max(np.abs(a)))}  norm {norm:.4g}"
        return f"min {_num(np.min(a))}  max {_num(np.max(a))}  norm {norm:.4g}"


def full(v: Any) -> str:
    """The whole value (up to 200 entries), for hover text."""
    if v is None:
        return "-"
    if isinstance(v, tuple):
        return "\n".join(f"[{i}] {full(x)}" for i, x in enumerate(v))
    a = np.asarray(primal(v))
    with np.errstate(all="ignore"):
        text = np.array2string(a, precision=6, threshold=200, separator=", ")
    return text if a.size <= SMALL else f"{text}\n{summary(a)}"


def _nonfinite(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, tuple):
        return any(_nonfinite(x) for x in v)
    a = primal(v)
    if not isinstance(a, np.ndarray | np.generic | float | complex):
        return False
    a = np.asarray(a)
    return a.dtype.kind in "fc" and not bool(np.all(np.isfinite(a)))


# ---- the sweeps ------------------------------------------------------------------------------
def sweep_cotangents(
    seeds: list[tuple[Node, Any]], nodes: Sequence[Node]
) -> tuple[dict[Node, Any], set[Node]]:
    """The reverse sweep of core.reverse.backward over `nodes` (creation order), keeping the
    cotangent of EVERY node (the engine keeps only the leaves') and the nodes whose vjp first
    produced a NaN or Inf. Residuals are kept, so the graph stays usable."""
    ct: dict[Node, Any] = {}
    owned: set[Node] = set()
    seen: dict[Node, Any] = {}
    bad: set[Node] = set()
    for node, ybar in seeds:
        accumulate_into(ct, node, ybar, owned)
    for node in reversed(nodes):
        ybar = ct.pop(node, None)
        if ybar is None:
            continue
        seen[node] = ybar
        rule = node.rule
        if rule is None or rule.vjp is None:
            continue
        vjp = rule.vjp
        if type(vjp) is tuple:
            xbars = [
                None if p is None else vjp[i](node.res, ybar) for i, p in enumerate(node.parents)
            ]
        else:
            xbars = list(vjp(node.res, ybar))
        finite_in = not _nonfinite(ybar)
        for p, xbar in zip(node.parents, xbars, strict=True):
            if p is None or xbar is None:
                continue
            if finite_in and _nonfinite(xbar):
                bad.add(node)
            accumulate_into(ct, p, xbar, owned)
    return seen, bad


# ---- building the view ---------------------------------------------------------------------
def build(
    nodes: Sequence[Node],
    outputs: Sequence[Node],
    seeds: list[tuple[Node, Any]] | None,
    tangent_seeds: dict[Node, Any] | None,
) -> list[GraphNode]:
    """GraphNodes (topological order, constants first where they are used) from tape nodes."""
    for n in nodes:
        if isinstance(n, TapeNode) and n.freed:
            raise BackwardError(
                "the graph was freed by a backward() without retain_graph=True; draw it before "
                "the backward, or pass retain_graph=True."
            )
    with np.errstate(all="ignore"):
        cts, bad = sweep_cotangents(seeds, nodes) if seeds else ({}, set())
        tans = push_forward(list(nodes), tangent_seeds) if tangent_seeds else {}
    ids = {n: f"v{k}" for k, n in enumerate(nodes)}
    out_set = set(outputs)
    consts: dict[int, GraphNode] = {}
    result: list[GraphNode] = []
    for n in nodes:
        node_value = getattr(n, "value", None)
        inputs = []
        in_values = []
        args = getattr(n, "args", ()) or ()
        for i, p in enumerate(n.parents):
            if p is not None:
                inputs.append(ids[p])
                in_values.append(getattr(p, "value", None))
            elif i < len(args):
                c = _const(consts, args[i], result)
                inputs.append(c.id)
                in_values.append(c.value)
        if n.rule is None:
            kind, op = "input", getattr(n, "name", None) or "input"
        elif n.rule is SELECT:
            kind, op = "op", f"select[{n.res[0] if n.res else '?'}]"
        else:
            kind, op = "op", n.rule.name
        # first NaN/Inf: forward, the value is bad but its inputs are not; backward, the vjp made
        # a bad cotangent from a good one although the forward values are all finite
        bad_in = any(_nonfinite(v) for v in in_values)
        forward_bad = _nonfinite(node_value) and not bad_in
        result.append(
            GraphNode(
                id=ids[n],
                kind=kind,
                op=op,
                inputs=tuple(inputs),
                value=_detach(node_value),
                tangent=_detach(tans.get(n)) if tangent_seeds else None,
                cotangent=_detach(cts.get(n)),
                where=getattr(n, "where", None),
                output=n in out_set,
                nan_forward=forward_bad,
                nan_backward=n in bad and not bad_in and not _nonfinite(node_value),
                params=_static(getattr(n, "params", {}) or {}),
            )
        )
    return result


def _const(consts: dict[int, GraphNode], a: Any, result: list[GraphNode]) -> GraphNode:
    key = id(a)
    if key not in consts:
        node = GraphNode(id=f"c{len(consts)}", kind="const", op="const", value=_detach(a))
        consts[key] = node
        result.append(node)
    return consts[key]


def _detach(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, tuple | list):
        return tuple(_detach(x) for x in v)
    v = primal(v)
    return v if isinstance(v, np.ndarray | np.generic) else np.asarray(v)


def _static(params: dict[str, Any]) -> dict[str, Any]:
    """Params shown in the view: small plain values only (not factorizations)."""
    shown = {}
    for k, v in params.items():
        if v is None or isinstance(v, bool | int | float | str):
            shown[k] = v
        elif isinstance(v, tuple) and all(isinstance(x, int | None) for x in v):
            shown[k] = v
    return shown


# ---- entry points --------------------------------------------------------------------------
def _seed(values: list[Any], nodes: list[Node | None], cotangent: Any) -> list[tuple[Node, Any]]:
    if cotangent is None:
        if len(values) != 1 or np.shape(values[0]) != ():
            shapes = [np.shape(v) for v in values]
            raise NonScalarOutputError(
                f"graph: the function returned output(s) of shape {shapes}; the gradient of a "
                "non-scalar output needs its cotangent: graph(f, *args, cotangent=ybar) (e.g. "
                "np.ones_like(y) for the gradient of sum(y))."
            )
        ybars = [np.ones((), np.result_type(primal(values[0])))]
    else:
        ybars, _ = flatten(cotangent)
        if len(ybars) != len(values):
            raise CotangentError(f"graph: {len(ybars)} cotangents for {len(values)} outputs")
        ybars = [
            np.asarray(g, dtype=np.result_type(primal(v)))
            for g, v in zip(ybars, values, strict=True)
        ]
        for g, v in zip(ybars, values, strict=True):
            if g.shape != np.shape(v):
                raise CotangentError(
                    f"graph: a cotangent has shape {g.shape}, its output has {np.shape(v)}"
                )
    return [(n, g) for n, g in zip(nodes, ybars, strict=True) if n is not None]


def _arg_names(fun: Callable[..., Any], nargs: int) -> list[str]:
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = [p.name for p in params if p.kind is p.VAR_POSITIONAL]
    while len(names) < nargs:
        names.append(f"{star[0]}[{len(names)}]" if star else f"arg{len(names)}")
    return names[:nargs]


def capture(
    fun: Callable[..., Any],
    args: tuple[Any, ...],
    tangents: Sequence[Any] | None,
    cotangent: Any,
) -> tuple[list[GraphNode], str]:
    """Record `fun(*args)` (every floating-point leaf of args is an input), sweep both ways."""
    names = _arg_names(fun, len(args))
    leaf_names: list[str] = []
    for name, a in zip(names, args, strict=True):
        leaves, tdef = flatten(a)
        leaf_names += [name] if tdef.kind is None else [f"{name}[{k}]" for k in range(len(leaves))]
    leaves, in_def = flatten(tuple(args))
    with new_trace(TapeTrace) as trace:
        trace.record_source = True
        boxed = []
        leaf_nodes: list[Node | None] = []
        for x, name in zip(leaves, leaf_names, strict=True):
            if not isinstance(x, Traced):
                x = np.asarray(x)
            if x.dtype.kind in "fc":
                b = trace.leaf(x, name)
                boxed.append(b)
                leaf_nodes.append(b.node)
            else:
                boxed.append(x)
                leaf_nodes.append(None)
        out = fun(*unflatten(in_def, boxed))
    out_leaves, _ = flatten(out)
    out_nodes: list[Node | None] = []
    out_values = []
    for o in out_leaves:
        mine = isinstance(o, ReverseTraced) and o._trace is trace
        out_nodes.append(o.node if mine else None)
        out_values.append(o.value if mine else o)
    seeds = _seed(out_values, out_nodes, cotangent)
    tseeds = None
    if tangents is not None:
        t_leaves, _ = flatten(tuple(tangents))
        if len(t_leaves) != len(leaves):
            raise CotangentError(f"graph: {len(t_leaves)} tangents for {len(leaves)} input leaves")
        tseeds = {
            n: np.asarray(t, dtype=np.result_type(x))
            for n, t, x in zip(leaf_nodes, t_leaves, leaves, strict=True)
            if n is not None
        }
    real = [n for n in out_nodes if n is not None]
    nodes = creation_order(real + [n for n in leaf_nodes if n is not None])
    return build(nodes, real, seeds, tseeds), getattr(fun, "__name__", "f")


def capture_tensor(t: Any, gradient: Any = None) -> list[GraphNode]:
    """The view of the graph recorded behind a Tensor."""
    node = t._node
    if node is None:
        raise BackwardError(
            "this Tensor has no graph: it does not depend on a Tensor with requires_grad=True."
        )
    seeds = _seed([t.value], [node], gradient)
    return build(creation_order([node]), [node], seeds, None)
