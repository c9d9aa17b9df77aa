"""pullback.optimize (rules, stage ④): the one implicit-function-theorem primitive. A solution x*
of F(x, theta) = 0, found on plain numbers by any solver, is bound as a function of theta whose
JVP and VJP solve linear systems with dF/dx (docs/derivations/implicit.md)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from ..core import Rule, Traced
from ..core.pytree import PyTree, TreeDef, flatten, unflatten
from ..core.traced import primal
from ..errors import ConvergenceError, SingularJacobianError
from ..transforms import jacfwd, jvp, vjp

__all__ = ["custom_root"]

TANGENT_SOLVES = ("auto", "dense", "gmres")
DENSE_MAX = 500  # "auto": dense up to this many unknowns, GMRES above


def resolve_tangent_solve(tangent_solve: str, n: int) -> str:
    """Map "auto" to "dense" for n <= DENSE_MAX and to "gmres" above; unknown names raise."""
    if tangent_solve not in TANGENT_SOLVES:
        raise ValueError(f"tangent_solve must be one of {TANGENT_SOLVES}, got {tangent_solve!r}")
    if tangent_solve == "auto":
        return "dense" if n <= DENSE_MAX else "gmres"
    return tangent_solve


# ---- a linear solve with a factorization computed once, from the plain numbers -----------------
def _make_dense_rule() -> Rule:
    """x = A^{-1} b (trans=0) or A^{-T} b (trans=1); `lu` = lu_factor(primal(A)), never rebuilt.

    jvp: xdot = A^{-1} (bdot - Adot x)        (trans=1: A^{-T} (bdot - Adot^T x))
    vjp: w = A^{-T} xbar, Abar = -w x^T, bbar = w   (trans=1: w = A^{-1} xbar, Abar = -x w^T)
    """
    rule: Rule

    def fwd(a: Any, b: Any, *, lu: Any, trans: int) -> tuple[Any, Any]:
        if isinstance(a, Traced) or isinstance(b, Traced):  # lower levels apply the rule too
            x = rule.bind(a, b, lu=lu, trans=trans)
        else:
            x = scipy.linalg.lu_solve(lu, b, trans=trans, check_finite=False)
        return x, (a, x, lu, trans)

    def jvp_(res: Any, adot: Any, bdot: Any) -> Any:
        a, x, lu, trans = res
        rhs = np.zeros(x.shape, x.dtype) if bdot is None else bdot
        if adot is not None:
            rhs = rhs - (adot.T @ x if trans else adot @ x)
        return rule.bind(a, rhs, lu=lu, trans=trans)

    def vjp_(res: Any, xbar: Any) -> tuple[Any, Any]:
        a, x, lu, trans = res
        w = rule.bind(a, xbar, lu=lu, trans=1 - trans)
        abar = -np.outer(x, w) if trans else -np.outer(w, x)
        return abar, w

    rule = Rule("optimize.dense_solve", fwd, jvp_, vjp_)
    return rule


_dense_solve = _make_dense_rule()


def _any_traced(*trees: Any) -> bool:
    return any(isinstance(v, Traced) for t in trees for v in flatten(t)[0])


# ---- the problem: F on flat vectors, and how to solve with dF/dx ------------------------------
@dataclass(eq=False)
class _Problem:
    """G(x, theta) = ravel(F(x, *args)) on flat vectors, with the factorization of dG/dx at the
    plain solution (dense) or a GMRES tolerance (gmres)."""

    G: Callable[[Any, Any], Any]
    n: int
    tangent_solve: str
    lu: Any = None
    gmres_tol: float = 1e-12
    _cache: dict[str, Any] = field(default_factory=dict)

    def jac_x(self, x: Any, theta: Any) -> Any:
        return jacfwd(lambda xx: self.G(xx, theta))(x)

    def factor(self, x: np.ndarray, theta: np.ndarray) -> None:
        """lu_factor(dG/dx) at the plain solution; a singular dG/dx raises."""
        a = self.jac_x(x, theta)
        scale = np.max(np.abs(a)) if a.size else 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            lu = scipy.linalg.lu_factor(a, check_finite=False)
        diag = np.abs(np.diag(lu[0]))
        if a.size and (scale == 0 or diag.min() <= 100 * a.shape[0] * np.finfo(float).eps * scale):
            raise SingularJacobianError(
                "dF/dx is singular at the solution, so the solution is not a differentiable "
                "function of the parameters (the implicit function theorem needs dF/dx "
                "invertible). Check that the root is isolated (not a double root) and that F has "
                "as many independent equations as unknowns."
            )
        self.lu = lu

    def solve(self, x: Any, theta: Any, b: Any, trans: int) -> Any:
        """dG/dx^{-1} b (trans=0) or dG/dx^{-T} b (trans=1) at (x, theta)."""
        outer = _any_traced(x, theta)
        if self.tangent_solve == "gmres" and not outer and not isinstance(b, Traced):
            return self._gmres(x, theta, b, trans)
        if self.lu is None:  # gmres at order 2: factor the plain Jacobian once, lazily
            self.factor(primal(x), primal(theta))
        if not outer:
            if isinstance(b, Traced):
                return _dense_solve.bind(self._plain_jac(x, theta), b, lu=self.lu, trans=trans)
            return scipy.linalg.lu_solve(self.lu, b, trans=trans, check_finite=False)
        # order >= 2: dG/dx depends on the outer traces; the solve differentiates through it
        return _dense_solve.bind(self.jac_x(x, theta), b, lu=self.lu, trans=trans)

    def _plain_jac(self, x: Any, theta: Any) -> Any:
        if "jac" not in self._cache:
            self._cache["jac"] = self.jac_x(x, theta)
        return self._cache["jac"]

    def _gmres(self, x: np.ndarray, theta: np.ndarray, b: np.ndarray, trans: int) -> np.ndarray:
        """Matrix-free: products with dG/dx from pullback's jvp (trans=0) or vjp (trans=1)."""
        if trans:
            _, back = vjp(lambda xx: self.G(xx, theta), x)

            def matvec(v: np.ndarray) -> np.ndarray:
                return back(v)[0]
        else:

            def matvec(v: np.ndarray) -> np.ndarray:
                return jvp(lambda xx: self.G(xx, theta), (x,), (v,))[1]

        op = scipy.sparse.linalg.LinearOperator((self.n, self.n), matvec=matvec, dtype=x.dtype)
        sol, info = scipy.sparse.linalg.gmres(
            op, b, rtol=self.gmres_tol, atol=0.0, restart=min(self.n, 50), maxiter=10 * self.n
        )
        resid = float(np.linalg.norm(matvec(sol) - b))
        if info != 0 or not np.isfinite(resid):
            raise ConvergenceError(
                f"GMRES did not solve the linear system with dF/dx (residual {resid:.3e} after "
                f"info={info}). Use tangent_solve='dense' for small problems, or precondition "
                "F (rescale the equations).",
                resid,
            )
        return sol


# ---- the primitive ------------------------------------------------------------------------
def _make_root_rule() -> Rule:
    """x = x*(theta) with G(x*, theta) = 0   (docs/derivations/implicit.md)

    jvp: dG/dx xdot = -dG/dtheta thetadot
    vjp: dG/dx^T w = xbar,  thetabar = -dG/dtheta^T w
    """
    rule: Rule

    def fwd(theta: Any, *, x_star: np.ndarray, problem: _Problem) -> tuple[Any, Any]:
        if isinstance(theta, Traced):  # lower trace levels bind the same solution
            x = rule.bind(theta, x_star=x_star, problem=problem)
        else:
            x = x_star
        return x, (theta, x, problem)

    def jvp_(res: Any, thetadot: Any) -> Any:
        theta, x, problem = res
        _, g_dot = jvp(lambda t: problem.G(x, t), (theta,), (thetadot,))
        return -problem.solve(x, theta, g_dot, 0)  # xdot = -dG/dx^{-1} (dG/dtheta thetadot)

    def vjp_(res: Any, xbar: Any) -> tuple[Any]:
        theta, x, problem = res
        w = problem.solve(x, theta, xbar, 1)  # dG/dx^T w = xbar
        _, back = vjp(lambda t: problem.G(x, t), theta)
        return (-back(w)[0],)  # thetabar = -dG/dtheta^T w

    rule = Rule("optimize.root", fwd, jvp_, vjp_)
    return rule


_root_rule = _make_root_rule()


# ---- flat vectors <-> pytrees -----------------------------------------------------------------
@dataclass(frozen=True)
class _Layout:
    """Where each leaf of a pytree lives in one flat vector."""

    treedef: TreeDef
    shapes: tuple[tuple[int, ...], ...]
    offsets: tuple[int, ...]
    size: int

    @classmethod
    def of(cls, leaves: list[Any], treedef: TreeDef) -> _Layout:
        shapes = tuple(tuple(np.shape(v)) for v in leaves)
        sizes = [int(np.prod(s)) for s in shapes]
        offsets = tuple(int(o) for o in np.cumsum([0, *sizes])[:-1])
        return cls(treedef, shapes, offsets, int(sum(sizes)))

    def pieces(self, flat: Any) -> list[Any]:
        return [
            flat[o : o + int(np.prod(s))].reshape(s)
            for o, s in zip(self.offsets, self.shapes, strict=True)
        ]


def _ravel(leaves: list[Any]) -> Any:
    if not leaves:
        return np.zeros(0)
    parts = [np.reshape(v, (-1,)) for v in leaves]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _is_float(v: Any) -> bool:
    """A differentiable leaf: traced, or a real floating-point array or Python float."""
    if isinstance(v, Traced):
        return True
    return isinstance(v, np.ndarray | np.generic | float) and np.asarray(v).dtype.kind == "f"


@dataclass(frozen=True)
class Implicit:
    """F(x, *args) = 0 on flat vectors: `x_layout` for x, `theta_layout` for the float leaves of
    args (the rest of args stays fixed)."""

    F: Callable[..., Any]
    x_layout: _Layout
    args_def: TreeDef
    arg_leaves: tuple[Any, ...]
    diff: tuple[int, ...]
    theta_layout: _Layout

    @classmethod
    def of(cls, F: Callable[..., Any], x0: PyTree, args: tuple[Any, ...]) -> Implicit:
        x_leaves, x_def = flatten(x0)
        leaves, args_def = flatten(tuple(args))
        diff = tuple(k for k, v in enumerate(leaves) if _is_float(v))
        leaves = [
            np.asarray(v) if k in diff and not isinstance(v, Traced) else v
            for k, v in enumerate(leaves)
        ]
        return cls(
            F,
            _Layout.of(x_leaves, x_def),
            args_def,
            tuple(leaves),
            diff,
            _Layout.of([leaves[k] for k in diff], args_def),
        )

    def x_tree(self, x_flat: Any) -> PyTree:
        return unflatten(self.x_layout.treedef, self.x_layout.pieces(x_flat))

    def args(self, theta_flat: Any) -> tuple[Any, ...]:
        leaves = list(self.arg_leaves)
        for k, piece in zip(self.diff, self.theta_layout.pieces(theta_flat), strict=True):
            leaves[k] = piece
        return unflatten(self.args_def, leaves)

    def theta(self) -> Any:
        return _ravel([self.arg_leaves[k] for k in self.diff])

    def G(self, x_flat: Any, theta_flat: Any) -> Any:
        out = self.F(self.x_tree(x_flat), *self.args(theta_flat))
        out_leaves, _ = flatten(out)
        return _ravel(out_leaves)

    def plain_G(self) -> Callable[[np.ndarray], np.ndarray]:
        theta = primal(self.theta())
        return lambda x: np.asarray(self.G(x, theta), dtype=float)


def bind_root(
    imp: Implicit,
    x_star: np.ndarray,
    tangent_solve: str = "auto",
    problem: _Problem | None = None,
) -> PyTree:
    """x*(theta) as a traced function of the args (the float leaves of `imp.arg_leaves`)."""
    tangent_solve = resolve_tangent_solve(tangent_solve, x_star.size)
    theta = imp.theta()
    if problem is None:
        problem = _Problem(imp.G, x_star.size, tangent_solve)
        if tangent_solve == "dense":
            problem.factor(x_star, primal(theta))
    x = _root_rule.bind(theta, x_star=x_star, problem=problem) if _any_traced(theta) else x_star
    return imp.x_tree(x)


def residual_norm(imp: Implicit, x_flat: np.ndarray) -> float:
    return float(np.linalg.norm(imp.plain_G()(x_flat)))


def newton_polish(
    imp: Implicit, x: np.ndarray, jac: Callable[[np.ndarray], np.ndarray], steps: int = 3
) -> np.ndarray:
    """A few exact Newton steps on G(., theta) = 0, kept only while the residual decreases: the
    derivative is only as accurate as the solution it is taken at."""
    g = imp.plain_G()
    r = g(x)
    for _ in range(steps):
        norm = np.linalg.norm(r)
        if norm == 0 or not np.all(np.isfinite(r)):
            break
        try:
            step = np.linalg.solve(jac(x), r)
        except np.linalg.LinAlgError:
            break
        x_new = x - step
        r_new = g(x_new)
        if not np.linalg.norm(r_new) < norm:
            break
        x, r = x_new, r_new
    return x


# ---- the public primitive ---------------------------------------------------------------------
def custom_root(
    F: Callable[..., Any],
    solve: Callable[[Callable[[Any], Any], Any], Any],
    tangent_solve: str = "auto",
    *,
    atol: float = 1e-8,
) -> Callable[..., Any]:
    """Make `solve` differentiable through the implicit function theorem for F(x, *args) = 0.

    `solve(f, x0)` is any solver on plain numbers (f = F with the args fixed, x0 and the result
    pytrees like x0). The returned `root(x0, *args)` is differentiable with respect to args
    (pytrees of arrays) in both modes and to any order: derivatives never go through `solve`.
    `tangent_solve`: "dense" (dF/dx built and factorized once, from pullback's products),
    "gmres" (matrix-free, first order; order 2 falls back to dense) or "auto" (dense up to 500
    unknowns). A residual above `atol`
    raises ConvergenceError.

    >>> import pullback as pb
    >>> from scipy.optimize import brentq
    >>> F = lambda x, p: x**3 + p * x - 1.0
    >>> root = custom_root(F, lambda f, x0: brentq(f, 0.0, 2.0))
    >>> x = root(1.0, 1.0)
    >>> bool(abs(pb.grad(lambda p: root(1.0, p))(1.0) - (-x / (3 * x**2 + 1))) < 1e-12)
    True
    """

    def root(x0: PyTree, *args: Any) -> PyTree:
        x0 = _plain_tree(x0)
        imp = Implicit.of(F, x0, args)
        plain_args = imp.args(primal(imp.theta()))
        x_sol = solve(lambda x: F(x, *plain_args), x0)
        x_flat = np.asarray(_ravel(flatten(_plain_tree(x_sol))[0]), dtype=float)
        if x_flat.shape != (imp.x_layout.size,):
            raise ValueError(
                f"custom_root: solve returned {x_flat.size} numbers, but x0 has "
                f"{imp.x_layout.size}; it must return a solution shaped like x0."
            )
        check_residual(imp, x_flat, atol, "custom_root's solve")
        return bind_root(imp, x_flat, tangent_solve)

    return root


def check_residual(imp: Implicit, x_flat: np.ndarray, atol: float, who: str) -> None:
    res = residual_norm(imp, x_flat)
    if not res <= atol:
        raise ConvergenceError(
            f"{who} stopped at a point where |F(x, args)| = {res:.3e} > atol = {atol:.1e}: the "
            "solution (and so its derivative) is not accurate. Raise the iteration limit, "
            "tighten the solver's tolerance, or start closer to the solution.",
            res,
        )


def _plain_tree(tree: PyTree) -> PyTree:
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [np.asarray(primal(v), dtype=float) for v in leaves])
