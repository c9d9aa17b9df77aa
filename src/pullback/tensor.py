"""The Tensor facade (a consumer of the engine): PyTorch-style `loss.backward()` and `x.grad` on the
same traces, nodes and sweep as `pullback.grad`. A Tensor is a Traced value of a thin layer that
unwraps its arguments, binds the same Rule on them and wraps the result; nothing is re-derived."""

# How the levels nest (the highest level among a primitive's arguments processes it; lower levels
# see it as constants, and the rule's own NumPy calls on their values are traced by them):
#
#     level 0.5   _LAYER  Tensor objects: unwrap, bind the rule again, wrap the result
#     level 0.25  _DUAL   a ForwardTrace: the tangents of `Tensor.with_tangent`
#     level 0     TAPE    a TapeTrace (a ReverseTrace that keeps what create_graph and the graph
#                         view need): the nodes that `backward` sweeps with core.reverse.backward
#     level >= 1  pullback.grad / jvp / ...: opened later, so they always sit above the Tensors
#
# So `pullback.grad(f)(t)` works with a Tensor `t` (the gradient is a Tensor on the tape and can
# be backwarded again), and a Tensor that `f` closes over is a constant of the transform.

from __future__ import annotations

import contextlib
import linecache
import os
import sys
import weakref
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from itertools import count
from typing import Any

import numpy as np
import scipy

from .core import ForwardTrace, ForwardTraced, ReverseTrace, ReverseTraced, Traced, backward
from .core.node import Node
from .core.reverse import SELECT, reachable
from .core.trace import Trace
from .errors import (
    BackwardError,
    CotangentError,
    InPlaceWriteError,
    InputDtypeError,
    NonScalarOutputError,
    TracedConversionError,
)

__all__ = ["Tensor", "TapeNode", "TapeTrace", "no_grad", "record_source_lines"]

_grad_enabled: ContextVar[bool] = ContextVar("pullback_grad_enabled", default=True)


# ---- the tape: a ReverseTrace whose nodes keep what double backward and the graph view need ----
class TapeNode(Node):
    """A Node that also keeps its call (args, params: to re-run fwd on traced values for
    create_graph), its output value, the source line that created it (when asked), the versions
    of the Tensors it read (in-place checks), whether a backward freed it, and for a leaf its
    name and owning Tensor. `seq` numbers TapeNodes in creation order (see `creation_order`)."""

    __slots__ = ("seq", "args", "params", "value", "where", "saved", "freed", "name", "owner")

    def __init__(self, rule: Any, parents: tuple[Node | None, ...], res: Any) -> None:
        Node.__init__(self, rule, parents, res)
        self.seq = _next_seq()
        self.args: tuple[Any, ...] = ()
        self.params: dict[str, Any] = {}
        self.value: Any = None
        self.where: tuple[str, int, str] | None = None
        self.saved: list[tuple[_Version, int]] | None = None
        self.freed = False
        self.name: str | None = None
        self.owner: Any = None


_next_seq = count().__next__


def creation_order(outputs: list[Node]) -> list[Node]:
    """The TapeNodes reachable from `outputs`, in the order they were created: the order a trace's
    tape has, so a Tensor's backward adds cotangents in the same order as pullback.grad (the same
    bits), and the graph view lists nodes in program order."""
    return sorted(reachable(outputs), key=_seq)


def _seq(node: Any) -> int:
    return node.seq


class TapeTrace(ReverseTrace):
    """A ReverseTrace recording TapeNodes; `record_source` captures the user's line per node.
    It lives as long as the program, so it keeps no tape: `backward` sweeps `creation_order`."""

    __slots__ = ("record_source", "saving")

    def __init__(self, level: float) -> None:
        Trace.__init__(self, level)  # type: ignore[arg-type]
        self.record_source = False
        self.saving: list[tuple[_Version, int]] | None = None

    def leaf(self, value: Any, name: str | None = None) -> ReverseTraced:
        node = TapeNode(None, (), None)
        node.value = value
        node.name = name
        return ReverseTraced(value, node, self)

    # every call goes through process below (TapeNodes, no tape), not ReverseTrace's fast paths
    process1 = Trace.process1
    process2 = Trace.process2

    def process(self, rule: Any, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        vals = []
        parents = []
        for a in args:
            if a.__class__ is ReverseTraced and a._trace is self:
                vals.append(a.value)
                parents.append(a.node)
            else:
                vals.append(a)
                parents.append(None)
        y, res = rule.fwd(*vals, **params)
        node = TapeNode(rule, tuple(parents), res)
        node.args = args
        node.params = params
        node.value = y
        node.saved = self.saving
        if self.record_source:
            node.where = user_frame()
        if rule.multiple_results:
            outs = []
            for i, yi in enumerate(y):
                sel = TapeNode(SELECT, (node,), (i, len(y)))
                sel.value = yi
                sel.where = node.where
                sel.saved = self.saving
                outs.append(ReverseTraced(yi, sel, self))
            return tuple(outs)
        return ReverseTraced(y, node, self)


_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SKIP = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (np, scipy))
_USER_FILES = (os.path.join(_HERE, "demo.py"),)  # pullback's own gallery is user code


def user_frame() -> tuple[str, int, str] | None:
    """(file, line, source text) of the innermost frame outside pullback, NumPy and SciPy."""
    frame = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        internal = path.startswith(_SKIP) or path.startswith("<__array_function__")
        if path.startswith(_HERE) and path not in _USER_FILES:
            internal = True
        if not internal:
            line = linecache.getline(path, frame.f_lineno).strip()
            return (path, frame.f_lineno, line)
        frame = frame.f_back
    return None


TAPE = TapeTrace(0)
_DUAL = ForwardTrace(0.25)  # type: ignore[arg-type]


class _Version:
    """A write counter shared by a Tensor and its detached views (they share the array)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


# ---- the Tensor layer -----------------------------------------------------------------------
class _Layer(Trace):
    """Processes a primitive with Tensor arguments: bind the same rule on their contents."""

    __slots__ = ()

    def process(self, rule: Any, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        enabled = _grad_enabled.get()
        inner = []
        saved: list[tuple[_Version, int]] = []
        for a in args:
            if isinstance(a, Tensor):
                saved.append((a._version, a._version.n))
                inner.append(a.value if enabled else _strip_tape(a.value))
            else:
                inner.append(a)
        previous = TAPE.saving
        TAPE.saving = saved
        try:
            out = rule.bind(*inner, **params)
        finally:
            TAPE.saving = previous
        if rule.multiple_results:
            wrapped = tuple(_wrap(o) for o in out)
            saved.extend((t._version, 0) for t in wrapped)
            return wrapped
        result = _wrap(out)
        saved.append((result._version, 0))
        return result


_LAYER = _Layer(0.5)  # type: ignore[arg-type]


def _strip_tape(x: Any) -> Any:
    """x without its tape level (no_grad); a tangent stays."""
    if x.__class__ is ReverseTraced and x._trace is TAPE:
        return x.value
    if x.__class__ is ForwardTraced and x._trace is _DUAL:
        return ForwardTraced(_strip_tape(x.value), _strip_tape(x.tangent), _DUAL)
    return x


def _tape_part(x: Any) -> ReverseTraced | None:
    """The tape-traced value inside x (under a tangent, if any), or None."""
    if x.__class__ is ForwardTraced and x._trace is _DUAL:
        x = x.value
    if x.__class__ is ReverseTraced and x._trace is TAPE:
        return x
    return None


def _wrap(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x
    t = Tensor.__new__(Tensor)
    t._init(x)
    return t


def _plain(x: Any) -> Any:
    """The concrete array of a Tensor (or of anything traced)."""
    while isinstance(x, Traced):
        x = x.value
    return x


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Within this block Tensor operations record nothing (results do not require grad);
    in-place updates of parameters (`w -= lr * w.grad`) are allowed."""
    token = _grad_enabled.set(False)
    try:
        yield
    finally:
        _grad_enabled.reset(token)


@contextlib.contextmanager
def record_source_lines() -> Iterator[None]:
    """Record the user's source line for every Tensor operation in this block, so that
    `tensor.graph()` can show where a NaN or Inf was created. Off by default (it costs a frame
    walk per operation)."""
    previous = TAPE.record_source
    TAPE.record_source = True
    try:
        yield
    finally:
        TAPE.record_source = previous


class Tensor(Traced):
    """An array that records the operations applied to it, for `backward()` and `.grad`.

    >>> import pullback as pb
    >>> x = pb.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> loss = np.sum(np.sin(x) * x)
    >>> loss.backward()
    >>> x.grad                      # d/dx sum(x sin x) = sin x + x cos x
    array([ 1.38177329,  0.07700375, -2.82885748])
    """

    __slots__ = ("_version", "grad", "name")

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Traced) and not isinstance(data, Tensor):
            raise TracedConversionError(
                "pullback.Tensor(x) got a value traced by a transform (pullback.grad, jvp, ...). "
                "A Tensor records its own graph; inside a transform keep computing with x "
                "directly, or pass the Tensor itself to the transform: pullback.grad(f)(t)."
            )
        array = np.array(_plain(data), dtype=dtype, copy=True)
        self._init(array, name)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, inner: Any, name: str | None = None) -> None:
        self.value = inner
        self._trace = _LAYER
        self._version = _Version()
        self.grad: Any = None
        self.name = name

    # ---- state ----
    @property
    def requires_grad(self) -> bool:
        return _tape_part(self.value) is not None

    @property
    def is_leaf(self) -> bool:
        node = self._node
        return node is None or node.rule is None

    @property
    def _node(self) -> Any:
        t = _tape_part(self.value)
        return None if t is None else t.node

    @property
    def op(self) -> str | None:
        """The name of the operation that produced this Tensor (None for a leaf)."""
        node = self._node
        return None if node is None or node.rule is None else node.rule.name

    @property
    def tangent(self) -> Tensor | None:
        """The forward-mode tangent carried by this Tensor (see `with_tangent`), or None."""
        v = self.value
        if v.__class__ is ForwardTraced and v._trace is _DUAL:
            return _wrap(v.tangent)
        return None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Make this leaf record operations (True) or stop recording (False); returns self."""
        if not self.is_leaf:
            raise ValueError(
                "requires_grad_ changes leaf Tensors only; this Tensor was computed by "
                f"{self.op}. Use t.detach().requires_grad_() for a new leaf with its value."
            )
        if requires_grad == self.requires_grad:
            return self
        if not requires_grad:
            self.value = _plain(self.value)
            return self
        array = _plain(self.value)
        if array.dtype.kind not in "fc":
            raise InputDtypeError(
                f"only floating-point Tensors can require grad, got dtype {array.dtype}; "
                "create it with float data, e.g. pullback.Tensor(x, dtype=float, "
                "requires_grad=True)."
            )
        traced = TAPE.leaf(array, self.name)
        traced.node.owner = weakref.ref(self)
        self.value = traced
        return self

    def detach(self) -> Tensor:
        """A Tensor with the same value (and the same memory), outside the graph."""
        t = _wrap(_plain(self.value))
        t._version = self._version
        return t

    @property
    def data(self) -> Tensor:
        """The value as a detached Tensor sharing memory (micrograd/PyTorch's `.data`)."""
        return self.detach()

    @data.setter
    def data(self, new: Any) -> None:
        array = np.asarray(_plain(new))
        old = _plain(self.value)
        if array is old:
            return
        if array.shape != old.shape:
            raise ValueError(f"t.data = ... needs shape {old.shape}, got {array.shape}")
        with no_grad():
            self._write(lambda a: np.copyto(a, array), None)

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array: a read-only view of the Tensor's memory."""
        view = np.asarray(_plain(self.value)).view()
        view.flags.writeable = False
        return view

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear `.grad` (to None, or to zeros with set_to_none=False) before a new backward."""
        if set_to_none or self.grad is None:
            self.grad = None
        else:
            self.grad = np.zeros_like(_plain(self.grad))

    def with_tangent(self, tangent: Any) -> Tensor:
        """This Tensor carrying a forward-mode tangent: every result then carries its own
        directional derivative in `.tangent` (one forward pass, no backward).

        >>> x = Tensor([0.0, 1.0]).with_tangent([1.0, 1.0])
        >>> np.sin(x).tangent
        Tensor([1.        , 0.54030231])
        """
        v = self.value
        if v.__class__ is ForwardTraced and v._trace is _DUAL:
            v = v.value
        if isinstance(tangent, Tensor):
            tdot = tangent.value
        else:
            tdot = np.asarray(tangent, dtype=self.dtype)
        if np.shape(tdot) != self.shape:
            raise CotangentError(
                f"the tangent has shape {np.shape(tdot)} but the Tensor has shape {self.shape}"
            )
        t = _wrap(ForwardTraced(v, tdot, _DUAL))
        t._version = self._version
        return t

    # ---- backward ----
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        `gradient` (the cotangent of self) is required unless self is a scalar. The residuals
        are freed afterwards unless `retain_graph` (default: `create_graph`). With
        `create_graph=True` the gradients are Tensors of the graph, so they can be
        differentiated again (`x.grad.sum().backward()`).
        """
        node = self._node
        if node is None:
            raise BackwardError(
                "backward() on a Tensor that does not require grad: no operation on a Tensor "
                "with requires_grad=True led to it. Create the inputs with "
                "pullback.Tensor(x, requires_grad=True) (outside pullback.no_grad())."
            )
        ybar = self._seed(gradient, create_graph)
        retain = create_graph if retain_graph is None else retain_graph
        nodes = creation_order([node])
        _check_alive(nodes)
        if create_graph:
            leaves = _differentiable_backward(nodes, node, ybar)
        else:
            leaves = backward([(node, ybar)], nodes, retain=retain)
            if not retain:
                _free(nodes)
        for n in nodes:  # a leaf in the graph whose cotangent is zero still gets a .grad
            if n.rule is None and n not in leaves:
                leaves[n] = np.zeros_like(_plain(getattr(n, "value", 0.0)))
        _accumulate_grads(leaves, create_graph)

    def _seed(self, gradient: Any, create_graph: bool) -> Any:
        dtype = self.dtype
        if gradient is None:
            if self.shape != ():
                raise NonScalarOutputError(
                    f"backward() without a gradient needs a scalar Tensor, but this one has "
                    f"shape {self.shape}. Pass the cotangent: y.backward(gradient) with an array "
                    "of y's shape (np.ones_like(y) for the gradient of sum(y)), or reduce y to a "
                    "scalar first."
                )
            return np.ones((), dtype)
        if isinstance(gradient, Tensor):
            g = gradient.value if create_graph else _plain(gradient.value)
        else:
            g = np.asarray(gradient, dtype=dtype)
        if np.shape(g) != self.shape:
            raise CotangentError(
                f"backward(gradient): gradient has shape {np.shape(g)} but the Tensor has "
                f"shape {self.shape}"
            )
        return g

    def graph(self, gradient: Any = None, title: str | None = None) -> Any:
        """The recorded computation behind this Tensor as a `pullback.viz.Graph` (values and
        gradients per node; `gradient` as in backward). Draw it before a backward that frees
        the graph. Source lines are kept inside `pullback.tensor.record_source_lines()`."""
        from .viz import graph_of_tensor

        return graph_of_tensor(self, gradient, title)

    # ---- conversions: explicit extractions work, as in PyTorch ----
    def item(self) -> Any:
        return _plain(self.value).item()

    def tolist(self) -> Any:
        return _plain(self.value).tolist()

    def __float__(self) -> float:
        return float(_plain(self.value))

    def __int__(self) -> int:
        return int(_plain(self.value))

    def __complex__(self) -> complex:
        return complex(_plain(self.value))

    def __index__(self) -> int:
        return _plain(self.value).__index__()

    def __bool__(self) -> bool:
        return bool(_plain(self.value))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self.requires_grad or self.tangent is not None:
            raise TracedConversionError(
                "A Tensor that requires grad (or carries a tangent) was converted to a NumPy "
                "array (numpy.asarray, or a function that calls it), which would drop its "
                "derivative. Use t.numpy() or t.detach() to take its value on purpose."
            )
        array = _plain(self.value)
        return array if dtype is None else array.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(_plain(self.value)), separator=", ", prefix="Tensor(")
        extra = ""
        if self.op is not None:
            extra = f", op={self.op}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ---- results that NumPy computes outside the rules (comparisons, argmax) are Tensors too --
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _wrap_plain(Traced.__array_ufunc__(self, ufunc, method, *inputs, **kwargs))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _wrap_plain(Traced.__array_function__(self, func, types, args, kwargs))

    # ---- in-place writes: recorded (functionally) on intermediates, mutate memory outside the
    # graph (no_grad, constants); the version counters catch a value the graph still needs ----
    def _write(self, apply: Any, functional: Any) -> Tensor:
        if _grad_enabled.get() and isinstance(self.value, Traced):
            if self.requires_grad and self.is_leaf:
                raise InPlaceWriteError(
                    "In-place write into a leaf Tensor that requires grad while gradients are "
                    "recorded: its old value would be lost to the graph. Update parameters "
                    "inside `with pullback.no_grad():`, or build a new Tensor (x = x + y)."
                )
            grad, name = self.grad, self.name
            functional()  # the engine's functional write: self is rebound to the new value
            self.grad, self.name = grad, name
            return self
        array = _plain(self.value)
        if not isinstance(array, np.ndarray) or not array.flags.writeable:
            array = np.array(array)
            self._replace(array)
        apply(array)
        self._version.n += 1
        return self

    def _replace(self, array: np.ndarray) -> None:
        t = _tape_part(self.value)
        if t is not None:
            t.value = array
            t.node.value = array
        else:
            self.value = array

    def __setitem__(self, index: Any, v: Any) -> None:
        self._write(
            lambda a: a.__setitem__(_plain(index), _plain(v)),
            lambda: Traced.__setitem__(self, index, v),
        )


def _compare(name: str) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        return _wrap_plain(getattr(Traced, name)(self, other))

    return method


for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(Tensor, _name, _compare(_name))


def _wrap_plain(out: Any) -> Any:
    if isinstance(out, np.ndarray | np.generic):
        return _wrap(out)
    if isinstance(out, tuple) and any(isinstance(o, np.ndarray) for o in out):
        return tuple(_wrap(o) if isinstance(o, np.ndarray) else o for o in out)
    return out


def _inplace(name: str, ufunc: Any) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        traced = getattr(Traced, name)
        return self._write(lambda a: ufunc(a, _plain(other), out=a), lambda: traced(self, other))

    return method


for _name, _ufunc in {
    "iadd": np.add, "isub": np.subtract, "imul": np.multiply, "itruediv": np.true_divide,
    "ipow": np.power, "ifloordiv": np.floor_divide, "imod": np.remainder, "imatmul": np.matmul,
}.items():  # fmt: skip
    setattr(Tensor, f"__{_name}__", _inplace(f"__{_name}__", _ufunc))
del _name, _ufunc


# ---- backward helpers -------------------------------------------------------------------------
def _check_alive(nodes: Sequence[Node]) -> None:
    """Refuse a sweep through freed residuals or through values changed in place since."""
    checked: set[int] = set()
    for n in nodes:
        if not isinstance(n, TapeNode):
            continue
        if n.freed:
            raise BackwardError(
                f"backward through the graph a second time: the residuals of {n.rule.name} "
                "were freed by the first backward. Pass retain_graph=True to the first "
                "backward() if you need to sweep the graph again, or recompute the forward pass."
            )
        if n.saved is None or id(n.saved) in checked:
            continue
        checked.add(id(n.saved))
        for version, seen in n.saved:
            if version.n != seen:
                where = "" if n.where is None else f" (created at {n.where[0]}:{n.where[1]})"
                raise InPlaceWriteError(
                    f"A value that the backward pass of {n.rule.name}{where} needs was modified "
                    f"in place after it was used (version {seen} -> {version.n}). Compute the "
                    "forward pass again after the update, or write y = y + ... instead of an "
                    "in-place update."
                )


def _free(nodes: Sequence[Node]) -> None:
    for n in nodes:
        if isinstance(n, TapeNode) and n.rule is not None:
            n.freed = True
            n.args = ()
            n.params = {}


def _differentiable_backward(nodes: Sequence[Node], seed: Node, ybar: Any) -> dict[Node, Any]:
    """create_graph: re-run each node's fwd on its traced arguments so that its residuals (and
    hence the vjp computed from them) are recorded on the tape; restore the residuals after."""
    kept = []
    try:
        for n in nodes:
            if isinstance(n, TapeNode) and n.rule is not None and n.rule is not SELECT:
                kept.append((n, n.res))
                n.res = n.rule.fwd(*n.args, **n.params)[1]
        return backward([(seed, ybar)], nodes, retain=True)
    finally:
        for n, res in kept:
            n.res = res


def _accumulate_grads(leaves: dict[Node, Any], create_graph: bool) -> None:
    for node, ct in leaves.items():
        owner = getattr(node, "owner", None)
        tensor = owner() if owner is not None else None
        if tensor is None:
            continue
        like = _plain(node.value)
        if not create_graph:
            ct = _plain(ct)
        if ct.dtype != like.dtype:
            ct = ct.astype(like.dtype)
        if ct.shape != like.shape:
            ct = np.broadcast_to(ct, like.shape)
        g = _wrap(ct) if create_graph else np.array(ct)
        tensor.grad = g if tensor.grad is None else tensor.grad + g
