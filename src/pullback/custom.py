"""User rules (stage ④ from outside the core): `custom_vjp` and `custom_jvp` turn a function and
its hand-written derivative into a per-call `Rule` (multiple results: the output's leaves), bound
like any NumPy primitive. Untraced calls run the function itself."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Rule, Traced, primal
from .core.pytree import PyTree, TreeDef, flatten, tree_map, unflatten
from .errors import InputDtypeError, MissingRuleError, RuleError
from .transforms import vjp

__all__ = ["custom_jvp", "custom_vjp"]

Aval = tuple[tuple[int, ...], np.dtype]  # (shape, dtype) of a leaf


class _CustomFunction:
    """The shared machinery of custom_vjp and custom_jvp (a function may carry both rules)."""

    _kind = "custom"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: int | Sequence[int] = ()) -> None:
        if not callable(fun):
            raise TypeError(f"{self._kind} decorates a function, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        nums = (nondiff_argnums,) if isinstance(nondiff_argnums, int) else tuple(nondiff_argnums)
        self.nondiff_argnums = nums
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None
        self.jvp: Callable[..., Any] | None = None
        self._name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", repr(fun))
        self._signature: inspect.Signature | None = None
        self._checked: set[Any] = set()  # input signatures whose fwd output was checked

    # ---- defining the rules ----------------------------------------------------------------
    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any]) -> None:
        """Reverse mode: `fwd(*args) -> (y, res)`, `bwd(*nondiff_args, res, ybar) -> (xbar, ...)`
        with one cotangent per differentiable argument (None for a zero)."""
        for rule, what in ((fwd, "fwd"), (bwd, "bwd")):
            if not callable(rule):
                raise TypeError(f"{self._name}.defvjp: {what} must be callable, not {rule!r}")
        self.fwd, self.bwd = fwd, bwd
        self._checked.clear()

    def defjvp(self, jvp: Callable[..., Any]) -> Callable[..., Any]:
        """Forward mode: `jvp(*nondiff_args, primals, tangents) -> (y, ydot)`, linear in the
        tangents. Returns `jvp`, so it can be used as a decorator."""
        if not callable(jvp):
            raise TypeError(f"{self._name}.defjvp: the rule must be callable, not {jvp!r}")
        self.jvp = jvp
        return jvp

    # ---- calling ---------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        top = _top_level(args)
        if kwargs:
            top = max(top, _top_level(tuple(kwargs.values())))
        if top == 0:
            return self.fun(*args, **kwargs)
        if self.bwd is None and self.jvp is None:
            raise MissingRuleError(
                f"{self._kind} function {self._name} was differentiated before it got a rule. "
                f"Define one first: {self._name}.defvjp(fwd, bwd) for reverse mode and/or "
                f"{self._name}.defjvp(jvp) for forward mode."
            )
        call = _Call(self, self._positional(args, kwargs), top)
        rule = Rule(
            f"{self._kind} function {self._name}",
            call.fwd_custom if self.bwd is not None else call.fwd_primal,
            None if self.jvp is None else call.jvp,
            call.vjp_custom if self.bwd is not None else call.vjp_transposed,
            multiple_results=True,
        )
        outs = rule.bind(*(call.leaves[k] for k in call.dyn))
        return unflatten(call.out_def, list(outs))

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)

    def _positional(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """Keyword arguments resolved to positions (rules take positional arguments only)."""
        if not kwargs:
            return args
        if self._signature is None:
            self._signature = inspect.signature(self.fun)
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if bound.kwargs:
            raise TypeError(
                f"{self._kind} function {self._name}: keyword-only arguments "
                f"{sorted(bound.kwargs)} cannot be passed to its rules; make them positional."
            )
        return bound.args

    def __repr__(self) -> str:
        return f"<{self._kind} function {self._name}>"


class _Call:
    """One traced call: the split of the arguments into differentiable leaves and static parts,
    and the rule functions (fwd, jvp, vjp) the per-call Rule is made of."""

    def __init__(self, custom: _CustomFunction, args: tuple[Any, ...], top: int) -> None:
        self.custom = custom
        self.top = top
        n = len(args)
        nums = []
        for i in custom.nondiff_argnums:
            if not -n <= i < n:
                raise ValueError(
                    f"{custom._kind} function {custom._name}: nondiff_argnums="
                    f"{custom.nondiff_argnums} but it was called with {n} arguments"
                )
            nums.append(i % n)
        self.nondiff = {i: args[i] for i in sorted(set(nums))}
        for i, a in self.nondiff.items():
            if any(isinstance(x, Traced) for x in flatten(a)[0]):
                raise RuleError(
                    f"argument {i} of {custom._kind} function {custom._name} is in nondiff_argnums "
                    "but holds a traced value, whose derivative would be silently lost. Remove "
                    f"{i} from nondiff_argnums, or pass pullback.stop_gradient(x) if it is meant "
                    "to be a constant."
                )
        diff = tuple(a for i, a in enumerate(args) if i not in self.nondiff)
        self.nargs = len(args)
        self.leaves, self.in_def = flatten(diff)
        self.in_avals = [
            _aval(x, functools.partial(self._leaf_label, k)) for k, x in enumerate(self.leaves)
        ]
        self.dyn = [
            k
            for k, (x, (_, dtype)) in enumerate(zip(self.leaves, self.in_avals, strict=True))
            if isinstance(x, Traced) or dtype.kind in "fc"
        ]
        self.out_def: TreeDef | None = None
        self.out_avals: list[Aval] = []

    # ---- arguments ---------------------------------------------------------------------------
    def _leaf_label(self, k: int) -> str:
        """Leaf k of the differentiable arguments, named by its position in the call."""
        positions = [i for i in range(self.nargs) if i not in self.nondiff]
        for i, tdef in zip(positions, self.in_def.children, strict=True):
            if k < tdef.num_leaves:
                inner = "" if tdef.kind is None else f"leaf {k} of "
                return f"{inner}argument {i} of {self.custom._name}"
            k -= tdef.num_leaves
        raise AssertionError("leaf index out of range")

    def _diff_args(self, vals: Sequence[Any]) -> tuple[Any, ...]:
        full = list(self.leaves)
        for k, v in zip(self.dyn, vals, strict=True):
            full[k] = v
        return unflatten(self.in_def, full)

    def _args(self, diff: tuple[Any, ...]) -> tuple[Any, ...]:
        it = iter(diff)
        return tuple(self.nondiff[i] if i in self.nondiff else next(it) for i in range(self.nargs))

    def _own_name(self) -> str:
        return f"{self.custom._kind} function {self.custom._name}"

    def _nondiff_args(self) -> tuple[Any, ...]:
        return tuple(self.nondiff.values())

    # ---- fwd: the output (and residuals) ---------------------------------------------------
    def fwd_primal(self, *vals: Any) -> tuple[tuple[Any, ...], Any]:
        """Without a VJP rule the output is the function's own; calling the custom function
        (not `fun`) again lets lower trace levels apply the custom rule too."""
        y = self.custom(*self._args(self._diff_args(vals)))
        return self._set_output(y, self._own_name), [None, vals, None]

    def fwd_custom(self, *vals: Any) -> tuple[tuple[Any, ...], Any]:
        c = self.custom
        args = self._args(self._diff_args(vals))
        out = c.fwd(*args)
        fwd = functools.partial(_rule_name, c.fwd, "fwd", c)
        if not (isinstance(out, tuple | list) and len(out) == 2):
            raise RuleError(
                f"{fwd()} must return a pair (y, res): the output of {c._name} and the residuals "
                f"its bwd needs; it returned {_describe(out)}."
            )
        y, res = out
        ys = self._set_output(y, fwd)
        self._check_against_fun(args, fwd)
        return ys, [res, vals if c.jvp is not None else None, None]

    def _set_output(self, y: PyTree, who: Callable[[], str]) -> tuple[Any, ...]:
        ys, self.out_def = flatten(y)
        self.out_avals = [
            _aval(v, lambda k=k: f"leaf {k} of the output of {who()}") for k, v in enumerate(ys)
        ]
        for v in ys:
            if isinstance(v, Traced) and v._trace.level >= self.top:
                raise RuleError(
                    f"the output of {who()} ({self.custom._kind} function {self.custom._name}) "
                    "depends on a traced value that is not one of its arguments (the function "
                    "or its rule closes over it); pass that value as an argument instead."
                )
        return tuple(ys)

    def _check_against_fun(self, args: tuple[Any, ...], fwd: Callable[[], str]) -> None:
        """Once per input signature, evaluate `fun` on the plain values and compare outputs."""
        c = self.custom
        try:
            static = hash(self._nondiff_args())
        except TypeError:
            static = None
        key = (self.in_def, tuple(self.in_avals), static)
        if key in c._checked:
            return
        ref, ref_def = flatten(c.fun(*tree_map(primal, args)))
        ref_avals = [_aval(v, lambda: "an output leaf") for v in ref]
        if ref_def != self.out_def or ref_avals != self.out_avals:
            raise RuleError(
                f"{fwd()} returned y of structure {self.out_def!r} with (shape, dtype) "
                f"{_show(self.out_avals)}, but {c._name} returns {ref_def!r} with "
                f"{_show(ref_avals)}. fwd must return ({c._name}(*args), res)."
            )
        c._checked.add(key)

    # ---- jvp: the user's JVP rule ----------------------------------------------------------
    def jvp(self, res: Any, *xdots: Any) -> tuple[Any, ...]:
        return self._tangent_out(res[1], xdots)

    def _tangent_out(self, vals: Sequence[Any], xdots: Sequence[Any]) -> tuple[Any, ...]:
        c = self.custom
        name = functools.partial(_rule_name, c.jvp, "jvp rule", c)
        tangents = [
            np.zeros(shape, dtype if dtype.kind in "fc" else float)
            for shape, dtype in self.in_avals
        ]
        for k, t in zip(self.dyn, xdots, strict=True):
            if t is not None:
                tangents[k] = t
        out = c.jvp(*self._nondiff_args(), self._diff_args(vals), unflatten(self.in_def, tangents))
        if not (isinstance(out, tuple | list) and len(out) == 2):
            raise RuleError(
                f"{name()} must return a pair (y, ydot): the output of {c._name} and its tangent; "
                f"it returned {_describe(out)}."
            )
        y, ydot = out
        y_leaves, y_def = flatten(y)
        y_avals = [
            _aval(v, lambda k=k: f"leaf {k} of y from {name()}") for k, v in enumerate(y_leaves)
        ]
        if y_def != self.out_def or y_avals != self.out_avals:
            raise RuleError(
                f"{name()} returned y of structure {y_def!r} with (shape, dtype) {_show(y_avals)}, "
                f"but {c._name} returns {self.out_def!r} with {_show(self.out_avals)}."
            )
        leaves = _match(ydot, self.out_def, lambda: f"the tangent ydot returned by {name()}")
        return tuple(
            None
            if t is None or dtype.kind not in "fc"
            else _check_leaf(
                t, (shape, dtype), lambda k=k: f"leaf {k} of ydot from {name()}", "tangent"
            )
            for k, (t, (shape, dtype)) in enumerate(zip(leaves, self.out_avals, strict=True))
        )

    # ---- vjp: the user's bwd, or the transposed JVP rule -----------------------------------
    def _ybar(self, ybars: Sequence[Any]) -> list[Any]:
        return [
            np.zeros(shape, dtype) if g is None else g
            for g, (shape, dtype) in zip(ybars, self.out_avals, strict=True)
        ]

    def vjp_custom(self, res: Any, ybars: Sequence[Any]) -> tuple[Any, ...]:
        c = self.custom
        bwd = functools.partial(_rule_name, c.bwd, "bwd", c)
        g = unflatten(self.out_def, self._ybar(ybars))
        cts = c.bwd(*self._nondiff_args(), res[0], g)
        n = len(self.in_def.children)
        if not isinstance(cts, tuple | list) or len(cts) != n:
            got = f"{len(cts)} entries" if isinstance(cts, tuple | list) else _describe(cts)
            raise RuleError(
                f"{bwd()} must return a tuple with one cotangent per differentiable argument of "
                f"{c._name} ({n}; None for a zero), e.g. (xbar,) for one argument; it returned "
                f"{got}."
            )
        leaves: list[Any] = []
        for i, (ct, tdef) in enumerate(zip(cts, self.in_def.children, strict=True)):
            leaves += _match(ct, tdef, lambda i=i: f"the cotangent {i} returned by {bwd()}")
        return tuple(
            _check_leaf(
                leaves[k],
                self.in_avals[k],
                lambda k=k: f"the cotangent for {self._leaf_label(k)} returned by {bwd()}",
                "cotangent",
            )
            for k in self.dyn
        )

    def vjp_transposed(self, res: Any, ybars: Sequence[Any]) -> tuple[Any, ...]:
        """The JVP rule is linear in the tangents: record it once at zero tangents, transpose."""
        _, vals, state = res
        if state is None:
            zeros = [np.zeros(*self.in_avals[k]) for k in self.dyn]
            _, back = vjp(functools.partial(self._linear, vals), *zeros)
            res[2] = back  # kept for further sweeps (jacrev)
            state = back
        ybar = [
            g if g.dtype == dtype else g.astype(dtype)
            for g, (_, dtype) in zip(self._ybar(ybars), self.out_avals, strict=True)
        ]
        return state(tuple(ybar))

    def _linear(self, vals: Sequence[Any], *xdots: Any) -> tuple[Any, ...]:
        ydots = self._tangent_out(vals, xdots)
        return tuple(
            np.zeros(shape, dtype) if t is None else t
            for t, (shape, dtype) in zip(ydots, self.out_avals, strict=True)
        )


_PLAIN = (np.ndarray, float, int, complex, bool, str, np.float64, np.float32)


def _top_level(args: tuple[Any, ...]) -> int:
    """The highest trace level among the leaves of `args` (0: nothing is traced)."""
    top = 0
    for a in args:
        if type(a) in _PLAIN:
            continue
        for x in [a] if isinstance(a, Traced) else flatten(a)[0]:
            if isinstance(x, Traced) and x._trace.level > top:
                top = x._trace.level
    return top


# ---- checks on what the user's rules return -------------------------------------------------
def _aval(x: Any, where: Callable[[], str]) -> Aval:
    """(shape, dtype) of a numeric leaf; `where()` names it in the error for anything else."""
    if isinstance(x, Traced):
        return x.shape, x.dtype
    if isinstance(x, np.ndarray | np.generic | bool | int | float | complex):
        a = np.asarray(x)
        if a.dtype.kind in "biufc":
            return a.shape, a.dtype
    raise InputDtypeError(
        f"{where()} is {_describe(x)}; custom_vjp and custom_jvp differentiate arrays (and "
        "pytrees of arrays). Pass a static parameter through nondiff_argnums instead."
    )


def _check_leaf(g: Any, like: Aval, what: Callable[[], str], kind: str) -> Any:
    """A cotangent or tangent leaf: floating-point, the shape of its partner, cast to its dtype."""
    if g is None:
        return None
    shape, dtype = like
    if not isinstance(g, Traced):
        if not isinstance(g, np.ndarray | np.generic | bool | int | float | complex):
            raise RuleError(f"{what()} is {_describe(g)}, not an array.")
        g = np.asarray(g)
    if g.dtype.kind not in "fc" or (g.dtype.kind == "c" and dtype.kind != "c"):
        raise RuleError(
            f"{what()} has dtype {g.dtype}; a {kind} of a {dtype} value must be a "
            f"{'complex' if dtype.kind == 'c' else 'real'} floating-point array "
            "(use None for a zero)."
        )
    if g.shape != shape:
        raise RuleError(
            f"{what()} has shape {g.shape} but must have the shape {shape} of the value it pairs "
            "with."
        )
    return g if g.dtype == dtype else g.astype(dtype)


def _match(tree: Any, tdef: TreeDef, what: Callable[[], str]) -> list[Any]:
    """The leaves of `tree` laid out like `tdef`; a None subtree stands for zeros."""
    out: list[Any] = []
    if not _match_into(tree, tdef, out):
        raise RuleError(
            f"{what()} has structure {flatten(tree)[1]!r} but must have the structure {tdef!r} "
            "of the value it pairs with (None for a zero)."
        )
    return out


def _match_into(tree: Any, tdef: TreeDef, out: list[Any]) -> bool:
    if tree is None:
        out.extend([None] * tdef.num_leaves)
        return True
    kind = tdef.kind
    if kind is None:
        if flatten(tree)[1].kind is not None:
            return False
        out.append(tree)
        return True
    if kind is tuple or kind is list:
        ok = type(tree) in (tuple, list) and len(tree) == len(tdef.children)
        children = list(tree) if ok else []
    elif kind is dict:
        ok = isinstance(tree, dict) and set(tree) == set(tdef.meta)
        children = [tree[k] for k in tdef.meta] if ok else []
    elif kind is type(tree):
        ok = True
        children = list(tree) if tdef.meta is None else [getattr(tree, n) for n in tdef.meta]
    else:
        return False
    return ok and all(_match_into(c, t, out) for c, t in zip(children, tdef.children, strict=True))


def _rule_name(rule: Any, role: str, custom: _CustomFunction) -> str:
    name = getattr(rule, "__qualname__", None) or getattr(rule, "__name__", None) or repr(rule)
    return f"{name} (the {role} of {custom._kind} function {custom._name})"


def _describe(x: Any) -> str:
    if isinstance(x, tuple | list):
        return f"a {type(x).__name__} of length {len(x)}"
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"a {type(x).__name__}"


def _show(avals: list[Aval]) -> str:
    return "[" + ", ".join(f"({shape}, {dtype})" for shape, dtype in avals) + "]"


# ---- the public decorators ------------------------------------------------------------------
class custom_vjp(_CustomFunction):
    """A function with a hand-written reverse-mode rule (`nondiff_argnums` as in JAX).

    >>> import pullback as pb
    >>> @custom_vjp
    ... def f(x, y):
    ...     return np.sin(x) * y
    >>> def f_fwd(x, y):
    ...     return f(x, y), (np.cos(x), np.sin(x), y)    # (output, residuals for bwd)
    >>> def f_bwd(res, ybar):
    ...     cos_x, sin_x, y = res
    ...     return (cos_x * ybar * y, sin_x * ybar)      # one cotangent per argument
    >>> f.defvjp(f_fwd, f_bwd)
    >>> pb.grad(f, argnums=(0, 1))(0.0, 2.0)
    (array(2.), array(0.))

    bwd runs on traced values at outer levels, so grad(grad(f)) differentiates it in turn.
    Arguments in `nondiff_argnums` come first in bwd: `bwd(*nondiff_args, res, ybar)`. A
    cotangent of None is a zero. Forward mode needs `f.defjvp(rule)` too (see custom_jvp). The
    first traced call per input signature also runs f on the plain values, to check fwd's y.
    """

    _kind = "custom_vjp"


class custom_jvp(_CustomFunction):
    """A function with a hand-written forward-mode rule; reverse mode transposes it.

    >>> import pullback as pb
    >>> @custom_jvp
    ... def softplus(x):
    ...     return np.log1p(np.exp(x))
    >>> @softplus.defjvp
    ... def softplus_jvp(primals, tangents):
    ...     (x,), (xdot,) = primals, tangents
    ...     return softplus(x), xdot / (1 + np.exp(-x))  # (y, ydot), linear in xdot
    >>> pb.jvp(softplus, (0.0,), (2.0,))[1]
    array(1.)
    >>> pb.grad(softplus)(0.0)                           # the JVP rule, transposed
    array(0.5)

    Arguments in `nondiff_argnums` come first: `rule(*nondiff_args, primals, tangents)`.
    `f.defvjp(fwd, bwd)` adds a reverse-mode rule, used instead of the transposed JVP.
    """

    _kind = "custom_jvp"
