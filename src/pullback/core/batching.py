"""Stage ⑤ for Jacobians and Hessians: batched sweeps over a recorded graph. A batched tangent
(or cotangent) has a leading batch axis, shape (B, *value.shape); row k is direction k. One sweep
then carries B basis vectors through the nodes instead of B sweeps carrying one each.

The convention: `BATCHED_JVP[rule](res, *xdots)` is `rule.jvp` with every xdot (None = zero) of
shape (B, *x.shape), returning (B, *y.shape); `BATCHED_VJP[rule]` is `rule.vjp` likewise (one
function, or a tuple of per-argument functions). Rules declare them with `defbatch`; a batched
rule may return NotImplemented for a call it cannot batch. A node whose rule has no batched form
falls back to calling its ordinary rule once per row and stacking: slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from .dispatch import Rule
from .forward import no_jvp, parent_tangents
from .node import Node
from .reverse import SELECT, accumulate_into, no_vjp
from .traced import Traced

BATCHED_JVP: dict[Rule, Callable[..., Any]] = {}
BATCHED_VJP: dict[Rule, Callable[..., Any] | tuple[Callable[..., Any], ...]] = {}

# A chunk of directions holds at most about this many tangent elements per node (memory bound).
CHUNK_ELEMENTS = 1 << 22


def defbatch(
    rule: Rule,
    jvp: Callable[..., Any] | None = None,
    vjp: Callable[..., Any] | tuple[Callable[..., Any], ...] | None = None,
) -> Rule:
    """Declare how `rule` differentiates a batch of directions at once (see the module docstring).
    Pass `rule.jvp` / `rule.vjp` themselves when they already broadcast over a leading axis."""
    if jvp is not None:
        BATCHED_JVP[rule] = jvp
    if vjp is not None:
        BATCHED_VJP[rule] = vjp
    return rule


defbatch(SELECT, SELECT.jvp, SELECT.vjp)  # picks one output of a tuple: the batch axis rides along


# ---- helpers for batch rules ------------------------------------------------------------------
def lift(t: Any, ndim: int) -> Any:
    """A batched (B, *s) as (B, 1, ..., 1, *s) of rank ndim + 1, so that NumPy's broadcasting
    (which aligns trailing axes) pairs it with a value of rank ndim."""
    missing = ndim + 1 - t.ndim
    return t if missing <= 0 else np.reshape(t, (t.shape[0],) + (1,) * missing + t.shape[1:])


def full(t: Any, shape: tuple[int, ...]) -> Any:
    """A batched (co)tangent of a value of `shape`, broadcast to exactly (B, *shape)."""
    target = (t.shape[0], *shape)
    return t if t.shape == target else np.broadcast_to(lift(t, len(shape)), target)


def unbroadcast(g: Any, like: Any) -> Any:
    """Batched `extend.unbroadcast`: sum g of shape (B, *out) to (B, *like.shape), cast to
    like's dtype (the real part for a real input); the batch axis 0 is never summed."""
    shape = like.shape
    gshape = g.shape
    if gshape[1:] != shape:
        lead = len(gshape) - 1 - len(shape)
        axes = tuple(range(1, 1 + lead)) + tuple(
            1 + lead + i for i, n in enumerate(shape) if n == 1 and gshape[1 + lead + i] != 1
        )
        g = np.sum(g, axis=axes, keepdims=True) if axes else g
        g = np.reshape(g, (gshape[0], *shape))
    return cast_cotangent(g, like.dtype)


def cast_cotangent(g: Any, dtype: np.dtype) -> Any:
    """A cotangent in its input's dtype: a real input feeding a complex output gets the real part
    (the adjoint of the embedding R -> C under <a, b> = Re(sum(conj(a) * b)))."""
    if g.dtype != dtype:
        if g.dtype.kind == "c" and dtype.kind != "c":
            g = np.real(g)
        g = g.astype(dtype) if g.dtype != dtype else g
    return g


def shift(axes: tuple[int, ...]) -> tuple[int, ...]:
    """Non-negative axes of a value, as axes of its batched (co)tangent."""
    return tuple(a + 1 for a in axes)


# ---- switches and the debug log ----------------------------------------------------------------
_enabled: ContextVar[bool] = ContextVar("pullback_batching", default=True)
_log: ContextVar[list[SweepReport] | None] = ContextVar("pullback_batch_log", default=None)


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one batched sweep did: its direction ("forward" or "reverse"), the batch size, and
    the names of the rules applied batched and of those that fell back to one call per row."""

    direction: str
    batch: int
    batched: tuple[str, ...]
    fallback: tuple[str, ...]


def enabled() -> bool:
    return _enabled.get()


@contextmanager
def per_direction() -> Iterator[None]:
    """Compute Jacobians with one sweep per basis vector (the reference the tests compare with)."""
    token = _enabled.set(False)
    try:
        yield
    finally:
        _enabled.reset(token)


@contextmanager
def sweep_log() -> Iterator[list[SweepReport]]:
    """Collect a SweepReport for every batched sweep run inside the block (tests, debugging)."""
    reports: list[SweepReport] = []
    token = _log.set(reports)
    try:
        yield reports
    finally:
        _log.reset(token)


# ---- the sweeps -----------------------------------------------------------------------------
def chunk_size(sizes: list[int]) -> int:
    """How many directions one sweep carries so that a tangent of the largest of `sizes` (values
    per direction) holds about CHUNK_ELEMENTS. The first chunk is sized from the inputs and
    outputs; later ones from the widest tangent the previous sweep met (sweeps return it)."""
    return max(1, CHUNK_ELEMENTS // max(max(sizes, default=1), 1))


def push_forward(
    nodes: list[Node], seeds: dict[Node, Any], outputs: list[Node], batch: int
) -> tuple[dict[Node, Any], int]:
    """Propagate batched tangents through `nodes` (creation order) from leaf `seeds`; return the
    tangents of `outputs` and the widest tangent's size per direction. Other tangents are dropped
    after their last consumer."""
    uses = _uses(nodes, outputs)
    widest = 1
    tangent = dict(seeds)
    report = _log.get()
    batched: list[str] = []
    fallback: list[str] = []
    for node in nodes:
        rule = node.rule
        if rule is None:
            continue
        xdots = parent_tangents(node, tangent)
        if xdots is not None:
            f = BATCHED_JVP.get(rule)
            ydot = NotImplemented if f is None else f(node.res, *xdots)
            if ydot is NotImplemented:
                ydot = _jvp_rows(rule, node.res, xdots, batch)
                if report is not None:
                    fallback.append(rule.name)
            elif report is not None:
                batched.append(rule.name)
            if ydot is not None:
                tangent[node] = ydot
                if type(ydot) is not tuple:
                    widest = max(widest, ydot.size // batch)
        for p in node.parents:
            if p is not None:
                left = uses[p] - 1
                uses[p] = left
                if left == 0:
                    tangent.pop(p, None)
    if report is not None:
        report.append(SweepReport("forward", batch, tuple(batched), tuple(fallback)))
    return {n: tangent[n] for n in outputs if n in tangent}, widest


def backward(
    seeds: list[tuple[Node, Any]], tape: list[Node], batch: int
) -> tuple[dict[Node, Any], int]:
    """Sweep batched cotangents from `seeds` [(node, ybar)] to the leaves, walking `tape` backwards
    (as `reverse.backward` does); return {leaf node: cotangent} and the widest cotangent's size
    per direction. Residuals are kept (the graph is swept once per chunk)."""
    widest = 1
    ct: dict[Node, Any] = {}
    owned: set[Node] = set()  # as in reverse.backward: cotangent sums this sweep may add into
    for node, ybar in seeds:
        accumulate_into(ct, node, ybar, owned)
    report = _log.get()
    batched: list[str] = []
    fallback: list[str] = []
    leaves: dict[Node, Any] = {}
    for node in reversed(tape):
        ybar = ct.pop(node, None)
        if ybar is None:  # no cotangent reached this node
            continue
        if type(ybar) is not tuple:
            widest = max(widest, ybar.size // batch)
        rule = node.rule
        if rule is None:
            leaves[node] = ybar
            continue
        parents = node.parents
        f = BATCHED_VJP.get(rule)
        xbars: Any = NotImplemented
        if type(f) is tuple:  # one function per argument: constant arguments cost nothing
            xbars = []
            for i, p in enumerate(parents):
                xbar = None if p is None else f[i](node.res, ybar)
                if xbar is NotImplemented:
                    xbars = NotImplemented
                    break
                xbars.append(xbar)
        elif f is not None:
            xbars = f(node.res, ybar)
        if xbars is NotImplemented:
            xbars = _vjp_rows(rule, node.res, ybar, parents, batch)
            if report is not None:
                fallback.append(rule.name)
        elif report is not None:
            batched.append(rule.name)
        for p, xbar in zip(parents, xbars, strict=True):
            if p is not None and xbar is not None:
                accumulate_into(ct, p, xbar, owned)
    if report is not None:
        report.append(SweepReport("reverse", batch, tuple(batched), tuple(fallback)))
    return leaves, widest


def _uses(nodes: list[Node], outputs: list[Node]) -> dict[Node, int]:
    """How many times each node is a parent in `nodes`; outputs get one more (never dropped)."""
    uses = dict.fromkeys(nodes, 0)
    for node in nodes:
        for p in node.parents:
            if p is not None:
                uses[p] += 1
    for n in outputs:
        uses[n] += 1
    return uses


# ---- the fallback: the ordinary rule once per row, stacked ---------------------------------------
def _row(t: Any, k: int) -> Any:
    if type(t) is tuple:  # the tangent of a multiple-results node
        return tuple(None if e is None else e[k] for e in t)
    return None if t is None else t[k]


def _stack_rows(rows: list[Any]) -> Any:
    """Stack per-row results along a new axis 0; None (zero) rows become zeros."""
    ref = next((r for r in rows if r is not None), None)
    if ref is None:
        return None
    if type(ref) is tuple:
        return tuple(
            _stack_rows([None if r is None else r[i] for r in rows]) for i in range(len(ref))
        )
    ref = ref if isinstance(ref, Traced | np.ndarray) else np.asarray(ref)
    zero = np.zeros(ref.shape, ref.dtype)
    return np.stack([zero if r is None else r for r in rows])


def _jvp_rows(rule: Rule, res: Any, xdots: list[Any], batch: int) -> Any:
    if rule.jvp is None:
        raise no_jvp(rule)
    return _stack_rows([rule.jvp(res, *(_row(t, k) for t in xdots)) for k in range(batch)])


def _vjp_rows(
    rule: Rule, res: Any, ybar: Any, parents: tuple[Node | None, ...], batch: int
) -> list[Any]:
    vjp = rule.vjp
    if vjp is None:
        raise no_vjp(rule)
    rows: list[list[Any]] = [[] for _ in parents]
    for k in range(batch):
        g = _row(ybar, k)
        if type(vjp) is tuple:
            xs: Any = [None if p is None else vjp[i](res, g) for i, p in enumerate(parents)]
        else:
            xs = vjp(res, g)
        for i, x in enumerate(xs):
            rows[i].append(x)
    return [_stack_rows(r) for r in rows]
