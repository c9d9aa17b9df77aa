"""Stage ①: the public transforms. Each picks a mode, flattens pytree arguments (②), opens a trace
level, runs the user's function on traced leaves (③-④), sweeps (⑤a reverse, ⑤b forward) and
unflattens the results (⑥)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import numpy as np

from .core import (
    ForwardTrace,
    ForwardTraced,
    ReverseTrace,
    ReverseTraced,
    Rule,
    Traced,
    backward,
    batching,
    new_trace,
    primal,
    push_forward,
    reachable,
)
from .core.node import Node
from .core.pytree import PyTree, TreeDef, flatten, tree_map, unflatten
from .errors import CotangentError, InputDtypeError, NonScalarOutputError

__all__ = [
    "checkpoint",
    "grad",
    "hessian",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linearize",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]

ArgNums = int | Sequence[int]


# ---- helpers shared by every transform ----
def _as_inputs(leaves: list[Any], where: Callable[[int], str]) -> list[Any]:
    """Differentiable leaves: float (or complex) arrays, or values traced by an outer level.
    `where(k)` names leaf k in the error (built only when one is raised)."""
    out = []
    for k, x in enumerate(leaves):
        if x.__class__ is not np.ndarray and not isinstance(x, Traced):
            x = np.asarray(x)
        if x.dtype.kind not in "fc":
            fix = "float(x)" if x.ndim == 0 else "x.astype(float)"
            raise InputDtypeError(
                f"{where(k)} has dtype {x.dtype}; only floating-point inputs can be "
                "differentiated (an integer or boolean input has no tangent space). Pass "
                f"{fix} instead, or leave the argument out of argnums if it is not meant to be "
                "differentiated."
            )
        out.append(x)
    return out


def _argnums(argnums: ArgNums, nargs: int, name: str) -> tuple[int, ...]:
    if argnums.__class__ is int and 0 <= argnums < nargs:  # the common case, checked
        return (argnums,)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{name}: argnums={argnums!r} but the function got {nargs} arguments")
    return tuple(i % nargs for i in nums)


def _unbox(x: Any, trace: Any) -> Any:
    return x.value if isinstance(x, Traced) and x._trace is trace else x


def _strip_level(tree: PyTree, trace: Any) -> PyTree:
    return tree_map(lambda x: _unbox(x, trace), tree)


def _zeros(x: Any) -> np.ndarray:
    return np.zeros(np.shape(x), np.result_type(x))  # x may be a Python number


def _finish(g: Any, like: Any) -> Any:
    """A cotangent (or tangent) as the caller expects it: like's shape and dtype, an ndarray."""
    if g.__class__ is np.ndarray and g.dtype == like.dtype and g.shape == like.shape:
        return g  # the common case: a gradient already as the caller expects it
    if g is None:
        return _zeros(like)
    if not isinstance(g, Traced):
        g = np.asarray(g)
    if g.dtype != like.dtype:
        g = g.astype(like.dtype)
    if g.shape != like.shape:
        g = np.broadcast_to(g, like.shape)
    return g


class _Recording:
    """A function traced once in reverse mode: its outputs, their nodes, and the input leaves."""

    def __init__(
        self,
        fun: Callable[..., Any],
        args: tuple[Any, ...],
        nums: tuple[int, ...],
        has_aux: bool,
        name: str,
    ) -> None:
        dyn = [args[i] for i in nums]
        leaves, self.in_def = flatten(tuple(dyn))
        self.in_leaves = _as_inputs(
            leaves, lambda k: f"{name}: argument {_where(nums, self.in_def, k)}"
        )
        with new_trace(ReverseTrace) as trace:
            boxed = [trace.leaf(x) for x in self.in_leaves]
            self.leaf_nodes = [b.node for b in boxed]
            full = list(args)
            for i, a in zip(nums, unflatten(self.in_def, boxed), strict=True):
                full[i] = a
            out = fun(*full)
            self.aux = None
            if has_aux:
                out, aux = _split_aux(out, name)
                self.aux = _strip_level(aux, trace)
        out_leaves, self.out_def = flatten(out)
        self.out_nodes: list[Node | None] = []
        self.out_values = []
        for o in out_leaves:
            mine = isinstance(o, ReverseTraced) and o._trace is trace
            self.out_nodes.append(o.node if mine else None)
            self.out_values.append(o.value if mine else o)
        # the recording owns the tape from now on: a traced value that leaked out of the function
        # keeps only its own ancestors alive, not every node of the trace
        self.tape, trace.tape = trace.tape, []

    @property
    def out(self) -> PyTree:
        return unflatten(self.out_def, self.out_values)

    def pull(self, ybars: list[Any], retain: bool) -> list[Any]:
        seeds = [(n, g) for n, g in zip(self.out_nodes, ybars, strict=True) if n is not None]
        cts = backward(seeds, self.tape, retain=retain)
        return _independent(
            [_finish(cts.get(n), x) for n, x in zip(self.leaf_nodes, self.in_leaves, strict=True)]
        )

    def push(self, xdots: list[Any]) -> list[Any]:
        nodes = [n for n in self.out_nodes if n is not None]
        tangents = push_forward(reachable(nodes), dict(zip(self.leaf_nodes, xdots, strict=True)))
        return _independent(
            [
                _finish(None if n is None else tangents.get(n), y)
                for n, y in zip(self.out_nodes, self.out_values, strict=True)
            ]
        )


def _independent(arrays: list[Any]) -> list[Any]:
    """The arrays handed to the caller, each writable and sharing memory with no other one: a copy
    where the sweep's result is a read-only view (the broadcast cotangent of a sum) or the same
    buffer as an earlier result (add hands one cotangent to both of its arguments), so that
    updating one gradient in place (g *= 0.5) never changes another. Traced ones pass unchanged."""
    roots: set[int] = set()
    out = []
    for a in arrays:
        if a.__class__ is np.ndarray:
            root = a
            while isinstance(root.base, np.ndarray):
                root = root.base
            if not a.flags.writeable or id(root) in roots:
                a = root = a.copy()
            roots.add(id(root))  # alive while `a` is: no other array can have its id meanwhile
        out.append(a)
    return out


def _where(nums: tuple[int, ...], in_def: TreeDef, k: int) -> str:
    if len(nums) == 1 and in_def.children and in_def.children[0].kind is None:
        return str(nums[0])
    return f"leaf {k} of argnums={nums}"


def _split_aux(out: Any, name: str) -> tuple[Any, Any]:
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise TypeError(
            f"{name}(..., has_aux=True) needs the function to return a pair (output, aux)"
        )
    return out[0], out[1]


def _check_like(g: Any, like: Any, what: str) -> Any:
    """Validate a user-supplied cotangent or tangent against the value it pairs with."""
    shape, dtype = np.shape(like), np.result_type(like)  # like may be a Python number
    if not isinstance(g, Traced | np.ndarray | np.generic):
        g = np.asarray(g, dtype=dtype)
    elif dtype.kind == "c" and g.dtype.kind == "f" and np.can_cast(g.dtype, dtype):
        g = g + np.zeros((), dtype)  # a real (co)tangent of a complex value: its imaginary part 0
    if g.shape != shape:
        raise CotangentError(
            f"{what} has shape {g.shape} but must have the shape {shape} of the value it pairs with"
        )
    if g.dtype != dtype:
        raise CotangentError(
            f"{what} has dtype {g.dtype} but must have dtype {dtype} (shape {shape})"
        )
    return g


def _check_tree(tree: PyTree, treedef: TreeDef, likes: list[Any], what: str, of: str) -> list[Any]:
    """The leaves of a user's tangents or cotangents, checked against the values they pair with."""
    leaves, given = flatten(tree)
    if given != treedef:
        raise CotangentError(f"the {what}s have structure {given!r} but the {of}s have {treedef!r}")
    return [
        _check_like(g, x, f"the {what} for {of} leaf {k}")
        for k, (g, x) in enumerate(zip(leaves, likes, strict=True))
    ]


# ---- reverse mode ----
def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """Run `fun(*primals)` and return `(y, pullback)` (or `(y, pullback, aux)` with has_aux).

    `pullback(ybar)` maps a cotangent of y's structure to a tuple with one cotangent per primal.
    It can be called many times (the residuals are kept).

    >>> y, back = vjp(lambda x: x * x, np.array([1.0, 2.0]))
    >>> back(np.array([1.0, 1.0]))
    (array([2., 4.]),)
    """
    rec = _Recording(fun, primals, tuple(range(len(primals))), has_aux, "vjp")

    def pullback(ybar: Any) -> tuple[Any, ...]:
        checked = _check_tree(ybar, rec.out_def, rec.out_values, "cotangent", "output")
        return tuple(unflatten(rec.in_def, rec.pull(checked, retain=True)))

    return (rec.out, pullback, rec.aux) if has_aux else (rec.out, pullback)


def value_and_grad(
    fun: Callable[..., Any],
    argnums: ArgNums = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """Like `grad`, but the function returns `(value, gradient)` (`((value, aux), gradient)`)."""

    @functools.wraps(fun)
    def value_and_grad_fun(*args: Any, **kwargs: Any) -> Any:
        rec, g = _grad(fun, argnums, holomorphic, has_aux, args, kwargs)
        value = rec.out
        return ((value, rec.aux), g) if has_aux else (value, g)

    return value_and_grad_fun


def _grad(
    fun: Callable[..., Any],
    argnums: ArgNums,
    holomorphic: bool,
    has_aux: bool,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[_Recording, Any]:
    """Trace fun(*args, **kwargs), sweep from its scalar output: (the recording, the gradient)."""
    nums = _argnums(argnums, len(args), "grad")
    f = functools.partial(fun, **kwargs) if kwargs else fun
    rec = _Recording(f, args, nums, has_aux, "grad")
    if holomorphic:
        _holomorphic_inputs(rec)
    dtype = _scalar_output(rec, fun, holomorphic)
    grads = rec.pull([np.ones((), dtype)], retain=False)
    if holomorphic:  # the pullback of 1 is conj(f'(z)) (the adjoint); f'(z) is its conjugate
        grads = [np.conjugate(g) for g in grads]
    grads = unflatten(rec.in_def, grads)
    return rec, grads[0] if isinstance(argnums, int) else tuple(grads)


def _holomorphic_inputs(rec: _Recording) -> None:
    for k, x in enumerate(rec.in_leaves):
        if x.dtype.kind != "c":
            raise InputDtypeError(
                f"grad(..., holomorphic=True): input leaf {k} has dtype {x.dtype}; a holomorphic "
                "derivative f'(z) needs complex inputs. Pass x.astype(complex), or drop "
                "holomorphic=True to differentiate a real-valued loss."
            )


def _scalar_output(rec: _Recording, fun: Any, holomorphic: bool = False) -> np.dtype:
    """The dtype of the function's one scalar output (raises if it is not one)."""
    values = rec.out_values
    if len(values) == 1 and values[0].__class__ is np.ndarray and values[0].shape == ():
        dtype = values[0].dtype
        if dtype.kind == ("c" if holomorphic else "f"):
            return dtype  # the common case: a 0-d array of the right kind, checked here
    name = getattr(fun, "__name__", "the function")
    if len(values) != 1 or np.shape(values[0]) != ():
        shapes = [np.shape(v) for v in values]
        raise NonScalarOutputError(
            f"grad needs {name} to return one scalar, but it returned output(s) of shape "
            f"{shapes[0] if len(shapes) == 1 else shapes}. For the derivative of a non-scalar "
            "output use pullback.jacobian (the full Jacobian) or pullback.vjp (a vector-Jacobian "
            "product); or reduce the output to a scalar, e.g. np.sum(f(x))."
        )
    kind = np.result_type(values[0]).kind
    if holomorphic and kind != "c":
        raise NonScalarOutputError(
            f"grad(..., holomorphic=True) needs {name} to return a complex scalar, got dtype "
            f"{np.result_type(values[0])}. For a real-valued loss of complex inputs drop "
            "holomorphic=True (the gradient is then dL/dx + i dL/dy, see docs/complex.md)."
        )
    if not holomorphic and kind not in "f":
        hint = (
            " For a holomorphic function pass holomorphic=True (the gradient is f'(z)); for a "
            "loss, reduce to a real number, e.g. np.abs(f(z)) ** 2 or np.real(f(z))."
            if kind == "c"
            else ""
        )
        raise NonScalarOutputError(
            f"grad needs {name} to return a real floating-point scalar, "
            f"got dtype {np.result_type(values[0])}.{hint}"
        )
    return np.result_type(values[0])


def grad(
    fun: Callable[..., Any],
    argnums: ArgNums = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """The gradient of a scalar function with respect to the argument(s) `argnums` (pytrees too).

    Complex inputs (docs/complex.md): for a real loss L the gradient w.r.t. z = x + iy is
    dL/dx + i dL/dy, so `z - lr * grad` descends. With `holomorphic=True` (complex inputs and a
    complex output) it is the complex derivative f'(z).

    >>> grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> complex(grad(lambda z: np.abs(z) ** 2)(np.array(3 + 4j)))
    (6+8j)
    >>> complex(grad(lambda z: z ** 2, holomorphic=True)(np.array(3 + 4j)))
    (6+8j)
    """

    @functools.wraps(fun)
    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        rec, g = _grad(fun, argnums, holomorphic, has_aux, args, kwargs)  # the value is not built
        return (g, rec.aux) if has_aux else g

    return grad_fun


# ---- forward mode ----
def jvp(
    fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
) -> Any:
    """Evaluate `fun(*primals)` and its directional derivative along `tangents`: `(y, ydot)`.

    >>> jvp(np.sin, (np.array([0.0, 1.0]),), (np.array([2.0, 0.0]),))
    (array([0.        , 0.84147098]), array([2., 0.]))
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise TypeError(
            "jvp(fun, primals, tangents) takes primals and tangents as tuples, "
            "e.g. jvp(f, (x,), (xdot,))"
        )
    leaves, in_def = flatten(tuple(primals))
    leaves = _as_inputs(leaves, lambda k: f"jvp: primal leaf {k}")
    t_leaves = _check_tree(tuple(tangents), in_def, leaves, "tangent", "primal")
    with new_trace(ForwardTrace) as trace:
        boxed = [ForwardTraced(x, t, trace) for x, t in zip(leaves, t_leaves, strict=True)]
        out = fun(*unflatten(in_def, boxed))
        if has_aux:
            out, aux = _split_aux(out, "jvp")
            aux = _strip_level(aux, trace)
    out_leaves, out_def = flatten(out)
    ys, ydots = [], []
    for o in out_leaves:
        if isinstance(o, ForwardTraced) and o._trace is trace:
            ys.append(o.value)
            ydots.append(o.tangent)
        else:
            ys.append(o)
            ydots.append(_zeros(o) if hasattr(o, "dtype") else np.zeros_like(o))
    result = (unflatten(out_def, ys), unflatten(out_def, _independent(ydots)))
    return (*result, aux) if has_aux else result


def linearize(fun: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """Evaluate `fun` once and return `(y, f_jvp)`: `f_jvp(*tangents)` is the JVP at `primals`,
    computed from the recorded graph and residuals without running `fun` again."""
    rec = _Recording(fun, primals, tuple(range(len(primals))), False, "linearize")

    def f_jvp(*tangents: Any) -> Any:
        checked = _check_tree(tuple(tangents), rec.in_def, rec.in_leaves, "tangent", "primal")
        return unflatten(rec.out_def, rec.push(checked))

    return rec.out, f_jvp


# ---- Jacobians and Hessians ----
def _jacobian(
    fun: Callable[..., Any], argnums: ArgNums, mode: str, has_aux: bool, name: str
) -> Callable[..., Any]:
    if mode not in ("fwd", "rev", "auto"):
        raise ValueError(f"{name}: mode must be 'fwd', 'rev' or 'auto', not {mode!r}")

    @functools.wraps(fun)
    def jac_fun(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args), name)
        f = functools.partial(fun, **kwargs) if kwargs else fun
        rec = _Recording(f, args, nums, has_aux, name)
        n_in = n_out = 0
        for x in rec.in_leaves:  # plain loops: a generator costs a frame per call
            n_in += x.size
        for y in rec.out_values:
            n_out += y.size if isinstance(y, np.ndarray | Traced) else np.size(y)
        forward = mode == "fwd" or (mode == "auto" and n_in < n_out)
        blocks = _jac_forward(rec) if forward else _jac_reverse(rec)
        per_out = []
        for o, y in enumerate(rec.out_values):
            per_in = [
                blocks[o][i].reshape(np.shape(y) + x.shape) for i, x in enumerate(rec.in_leaves)
            ]
            tree = unflatten(rec.in_def, per_in)
            per_out.append(tree[0] if isinstance(argnums, int) else tree)
        jac = unflatten(rec.out_def, per_out)
        return (jac, rec.aux) if has_aux else jac

    return jac_fun


def _basis(x: Any) -> list[np.ndarray]:
    n = x.size
    eye = np.eye(n, dtype=x.dtype)
    return [eye[k].reshape(x.shape) for k in range(n)]


def _basis_rows(x: Any, start: int, stop: int) -> np.ndarray:
    """Basis vectors start..stop-1 of x's space as one batch, shape (stop - start, *x.shape)."""
    n, batch = x.size, stop - start
    rows = np.zeros(batch * n, x.dtype)
    rows[start :: n + 1] = 1  # rows[k, start + k] = 1: flat index k * n + start + k
    return rows.reshape((batch, *x.shape))


def _finish_rows(t: Any, like: Any, batch: int) -> Any:
    """A batched tangent or cotangent of `like` as (batch, like.size): `_finish` for each row."""
    if isinstance(like, np.ndarray | Traced):
        shape, dtype = like.shape, like.dtype
    else:  # a Python number
        shape, dtype = np.shape(like), np.result_type(like)
    if t is None:
        return np.zeros((batch, prod(shape)), dtype)
    if not isinstance(t, Traced):
        t = np.asarray(t)
    if t.dtype != dtype:
        t = t.astype(dtype)
    if t.ndim != 2 or t.shape[1:] != shape:
        t = np.reshape(batching.full(t, shape), (batch, prod(shape)))
    return t


def _jac_reverse(rec: _Recording) -> list[list[Any]]:
    """blocks[o][i] (out_o, in_i): cotangent sweeps seeded with output o's basis vectors, a batch
    of them per sweep (core/batching.py), or one per sweep with batching.per_direction()."""
    if not batching.enabled():
        return _jac_reverse_each(rec)
    blocks = []
    for o, y in enumerate(rec.out_values):
        node = rec.out_nodes[o]
        y0 = np.asarray(primal(y))
        rows: list[list[Any]] = [[] for _ in rec.in_leaves]
        if node is not None:  # seeded at output o alone: other outputs' graphs are not swept
            chunk = batching.chunk_size([y0.size, *(x.size for x in rec.in_leaves)])
            start = 0
            while start < y0.size:
                stop = min(y0.size, start + chunk)
                seed = _basis_rows(y0, start, stop)
                cts, widest = batching.backward([(node, seed)], rec.tape, stop - start)
                for i, x in enumerate(rec.in_leaves):
                    rows[i].append(_finish_rows(cts.get(rec.leaf_nodes[i]), x, stop - start))
                start, chunk = stop, batching.chunk_size([widest])
        blocks.append(
            [_concat(r, 0, (y0.size, x.size)) for r, x in zip(rows, rec.in_leaves, strict=True)]
        )
    return blocks


def _jac_forward(rec: _Recording) -> list[list[Any]]:
    """blocks[o][i] (out_o, in_i): tangent sweeps seeded with input i's basis vectors, a batch of
    them per sweep (core/batching.py), or one per sweep with batching.per_direction()."""
    if not batching.enabled():
        return _jac_forward_each(rec)
    outputs = [n for n in rec.out_nodes if n is not None]
    order = reachable(outputs)  # found once, swept once per input leaf (and chunk)
    sizes = [np.size(y) for y in rec.out_values] + [x.size for x in rec.in_leaves]
    chunk = batching.chunk_size(sizes)
    cols: list[list[list[Any]]] = [[[] for _ in rec.in_leaves] for _ in rec.out_values]
    for i, x in enumerate(rec.in_leaves):
        x0 = np.asarray(primal(x))
        start = 0
        while start < x0.size:
            stop = min(x0.size, start + chunk)
            seed = {rec.leaf_nodes[i]: _basis_rows(x0, start, stop)}  # the other leaves: zero
            tangents, widest = batching.push_forward(order, seed, outputs, stop - start)
            for o, (node, y) in enumerate(zip(rec.out_nodes, rec.out_values, strict=True)):
                ydot = None if node is None else tangents.get(node)
                cols[o][i].append(_finish_rows(ydot, y, stop - start))
            start, chunk = stop, batching.chunk_size([widest])
    return [
        [
            np.transpose(_concat(c, 0, (x.size, np.size(y))))
            for c, x in zip(cols[o], rec.in_leaves, strict=True)
        ]
        for o, y in enumerate(rec.out_values)
    ]


def _concat(blocks: list[Any], axis: int, shape: tuple[int, int]) -> Any:
    if not blocks:
        return np.zeros(shape)
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=axis)


def _jac_reverse_each(rec: _Recording) -> list[list[Any]]:
    """One backward sweep per output element; rows stacked: blocks[o][i] has shape (out_o, in_i)."""
    blocks = []
    for o, y in enumerate(rec.out_values):
        node = rec.out_nodes[o]
        rows: list[list[Any]] = [[] for _ in rec.in_leaves]
        for e in _basis(np.asarray(primal(y))):
            # seeded at output o alone: the other outputs' graphs are not swept with zeros
            cts = {} if node is None else backward([(node, e)], rec.tape, retain=True)
            for i, x in enumerate(rec.in_leaves):
                rows[i].append(np.reshape(_finish(cts.get(rec.leaf_nodes[i]), x), (-1,)))
        blocks.append(
            [_stack(r, 0, (np.size(y), x.size)) for r, x in zip(rows, rec.in_leaves, strict=True)]
        )
    return blocks


def _jac_forward_each(rec: _Recording) -> list[list[Any]]:
    """One tangent sweep per input element; blocks[o][i] has shape (out_o, in_i)."""
    cols: list[list[list[Any]]] = [[[] for _ in rec.in_leaves] for _ in rec.out_values]
    order = reachable([n for n in rec.out_nodes if n is not None])  # found once, swept n times
    for i, x in enumerate(rec.in_leaves):
        for e in _basis(np.asarray(primal(x))):
            tangents = push_forward(order, {rec.leaf_nodes[i]: e})  # the other leaves: zero
            for o, (node, y) in enumerate(zip(rec.out_nodes, rec.out_values, strict=True)):
                ydot = None if node is None else tangents.get(node)
                cols[o][i].append(np.reshape(_finish(ydot, y), (-1,)))
    return [
        [_stack(c, 1, (np.size(y), x.size)) for c, x in zip(cols[o], rec.in_leaves, strict=True)]
        for o, y in enumerate(rec.out_values)
    ]


def _stack(vectors: list[Any], axis: int, shape: tuple[int, int]) -> Any:
    if not vectors:
        return np.zeros(shape)
    return np.stack(vectors, axis=axis)


def jacrev(
    fun: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian by reverse mode (a cotangent per output element, swept as one batch, see
    core/batching.py): shape out.shape + in.shape."""
    return _jacobian(fun, argnums, "rev", has_aux, "jacrev")


def jacfwd(
    fun: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian by forward mode (a tangent per input element, swept as one batch, see
    core/batching.py): shape out.shape + in.shape."""
    return _jacobian(fun, argnums, "fwd", has_aux, "jacfwd")


def jacobian(
    fun: Callable[..., Any], argnums: ArgNums = 0, mode: str = "auto", has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian; mode="auto" records once, then sweeps forward when there are fewer inputs
    than outputs and in reverse otherwise."""
    return _jacobian(fun, argnums, mode, has_aux, "jacobian")


def hessian(fun: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The Hessian of a scalar function, forward over reverse (one batched tangent sweep through
    the recorded gradient computation): shape in.shape + in.shape."""
    return jacfwd(grad(fun, argnums), argnums)


# ---- stop_gradient and checkpoint ----
def stop_gradient(x: PyTree) -> PyTree:
    """The value of `x` as a constant for every transform (its leaves become plain arrays)."""
    if isinstance(x, Traced | np.ndarray):  # one array (a loss's max shift): no pytree walk
        return primal(x)
    return tree_map(primal, x)


def checkpoint(fun: Callable[..., Any]) -> Callable[..., Any]:
    """Differentiate `fun` without storing its intermediate values: the backward (and forward)
    rules run `fun` again from its inputs. Trades compute for memory in long computations."""

    @functools.wraps(fun)
    def checkpointed(*args: Any) -> Any:
        leaves, in_def = flatten(args)
        dyn = [k for k, x in enumerate(leaves) if isinstance(x, Traced)]
        if not dyn:
            return fun(*args)
        out_def: list[TreeDef] = []

        def flat_fun(*values: Any) -> tuple[Any, ...]:
            full = list(leaves)
            for k, v in zip(dyn, values, strict=True):
                full[k] = v
            out_leaves, tree = flatten(fun(*unflatten(in_def, full)))
            out_def[:] = [tree]
            return tuple(out_leaves)

        def fwd(*values: Any) -> tuple[Any, Any]:
            ys = flat_fun(*values)
            return ys, (values, [(np.shape(y), np.result_type(y)) for y in ys])

        def ckpt_jvp(res: Any, *xdots: Any) -> Any:
            values, _ = res
            filled = tuple(
                _zeros(v) if t is None else t for t, v in zip(xdots, values, strict=True)
            )
            return jvp(flat_fun, values, filled)[1]

        def ckpt_vjp(res: Any, ybars: Any) -> Any:
            values, avals = res
            filled = tuple(
                np.zeros(s, d) if g is None else g for g, (s, d) in zip(ybars, avals, strict=True)
            )
            return vjp(flat_fun, *values)[1](filled)

        rule = Rule(
            f"checkpoint({getattr(fun, '__name__', 'fun')})",
            fwd,
            ckpt_jvp,
            ckpt_vjp,
            multiple_results=True,
        )
        outs = rule.bind(*(leaves[k] for k in dyn))
        return unflatten(out_def[0], list(outs))

    return checkpointed
