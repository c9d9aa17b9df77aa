"""pullback.optimize (rules, stage ④): root, fixed_point, minimize, least_squares. SciPy (or a
plain iteration) solves on plain numbers; the optimality condition is bound by implicit.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize

from ..core.pytree import PyTree, flatten
from ..core.traced import primal
from ..errors import ConvergenceError
from ..transforms import grad, jacfwd
from .implicit import (
    Implicit,
    _plain_tree,
    _Problem,
    _ravel,
    bind_root,
    check_residual,
    newton_polish,
    residual_norm,
    resolve_tangent_solve,
)

__all__ = ["fixed_point", "least_squares", "minimize", "root"]


def _setup(F: Callable[..., Any], x0: PyTree, args: Any) -> tuple[Implicit, np.ndarray]:
    if not isinstance(args, tuple):
        args = (args,)
    x0 = _plain_tree(x0)
    imp = Implicit.of(F, x0, args)
    return imp, np.asarray(_ravel(flatten(x0)[0]), dtype=float)


def _plain_jac(imp: Implicit) -> Callable[[np.ndarray], np.ndarray]:
    theta = primal(imp.theta())
    return lambda x: jacfwd(lambda xx: imp.G(xx, theta))(x)


def root(
    fun: Callable[..., Any],
    x0: PyTree,
    args: Any = (),
    *,
    method: str = "hybr",
    tol: float | None = None,
    options: dict[str, Any] | None = None,
    atol: float = 1e-8,
    tangent_solve: str = "auto",
) -> PyTree:
    """x with fun(x, *args) = 0, by scipy.optimize.root, differentiable w.r.t. args.

    x0 and args may be pytrees; fun returns as many numbers as x0 holds. The Jacobian SciPy uses
    is pullback's (exact), and a few Newton steps polish the solution before it is bound, so the
    derivative dx/dargs = -(dF/dx)^{-1} dF/dargs is accurate (docs/derivations/root.md).
    Raises ConvergenceError (with `.residual`) when |fun(x, *args)| > atol at the end.

    >>> import pullback as pb
    >>> f = lambda x, p: x**3 + p * x - 1.0
    >>> x = root(f, 0.5, args=(1.0,))
    >>> dx = pb.grad(lambda p: root(f, 0.5, args=(p,)))(1.0)
    >>> bool(abs(dx + x / (3 * x**2 + 1)) < 1e-12)
    True
    """
    imp, x0_flat = _setup(fun, x0, args)
    g, jac = imp.plain_G(), _plain_jac(imp)
    if g(x0_flat).size != x0_flat.size:
        raise ValueError(
            f"root: fun returns {g(x0_flat).size} numbers for {x0_flat.size} unknowns; a root "
            "needs as many equations as unknowns (use least_squares otherwise)."
        )
    sol = scipy.optimize.root(g, x0_flat, jac=jac, method=method, tol=tol, options=options)
    x = newton_polish(imp, np.asarray(sol.x, dtype=float).reshape(-1), jac)
    check_residual(imp, x, atol, f"scipy.optimize.root (method={method!r}: {sol.message})")
    return bind_root(imp, x, tangent_solve)


def fixed_point(
    f: Callable[..., Any],
    x0: PyTree,
    args: Any = (),
    *,
    tol: float = 1e-12,
    maxiter: int = 10_000,
    tangent_solve: str = "auto",
) -> PyTree:
    """x with f(x, *args) = x, by plain iteration x <- f(x, *args), differentiable w.r.t. args.

    The iteration converges when f is a contraction in x; the derivative applies the implicit
    function theorem to F(x, args) = f(x, args) - x: dx = (I - df/dx)^{-1} df/dargs dargs
    (docs/derivations/fixed_point.md). Raises ConvergenceError (with `.residual`) after
    `maxiter` steps without |f(x) - x| <= tol * (1 + |x|).

    >>> import pullback as pb
    >>> x = fixed_point(lambda x, a: a * np.cos(x), 0.0, args=(0.5,))
    >>> dx = pb.grad(lambda a: fixed_point(lambda x, a: a * np.cos(x), 0.0, args=(a,)))(0.5)
    >>> bool(abs(dx - np.cos(x) / (1 + 0.5 * np.sin(x))) < 1e-10)
    True
    """

    def F(x: Any, *a: Any) -> Any:
        fx, _ = flatten(f(x, *a))
        xs, _ = flatten(x)
        return [u - v for u, v in zip(fx, xs, strict=True)]

    imp, x = _setup(F, x0, args)
    g = imp.plain_G()  # f(x) - x on flat vectors
    with np.errstate(all="ignore"):  # a diverging iteration is reported below
        r = g(x)
        for _ in range(maxiter):
            x = x + r
            r = g(x)
            nr, nx = np.linalg.norm(r), np.linalg.norm(x)
            if not (np.isfinite(nr) and np.isfinite(nx)):
                break
            if nr <= tol * (1 + nx):
                x = newton_polish(imp, x, _plain_jac(imp))
                return bind_root(imp, x, tangent_solve)
        res = float(np.linalg.norm(r))
    raise ConvergenceError(
        f"fixed_point: the iteration x <- f(x, *args) did not converge in {maxiter} steps "
        f"(|f(x) - x| = {res:.3e}). It converges when f is a contraction in x near the fixed "
        "point; rewrite the map (e.g. damp it: x <- x + t (f(x) - x)), or find the root of "
        "f(x) - x with pullback.optimize.root.",
        res,
    )


def _stationary(imp: Implicit, x: np.ndarray, gtol: float, who: str, tangent_solve: str) -> PyTree:
    """Bind x as a minimizer: grad = 0 (checked), Hessian positive definite (checked)."""
    check_residual(imp, x, gtol, who)
    tangent_solve = resolve_tangent_solve(tangent_solve, x.size)
    problem = _Problem(imp.G, x.size, tangent_solve)
    hess = _plain_jac(imp)(x)
    sym = (hess + hess.T) / 2
    lowest = float(np.linalg.eigvalsh(sym)[0]) if x.size else 1.0
    if not lowest > 0:
        raise ConvergenceError(
            f"{who} stopped at a stationary point whose Hessian has eigenvalue {lowest:.3e} <= 0: "
            "a saddle point or a flat minimum, where the minimizer is not a differentiable "
            "function of the parameters (|grad| there is the residual). Start elsewhere, or add "
            "a small regularization (eps/2 |x|^2) so the minimum is strict.",
            residual_norm(imp, x),
        )
    if tangent_solve == "dense":
        problem.factor(x, primal(imp.theta()))
    return bind_root(imp, x, tangent_solve, problem)


def minimize(
    fun: Callable[..., Any],
    x0: PyTree,
    args: Any = (),
    *,
    method: str = "BFGS",
    tol: float | None = None,
    options: dict[str, Any] | None = None,
    gtol: float = 1e-8,
    tangent_solve: str = "auto",
) -> PyTree:
    """The unconstrained minimizer of fun(x, *args) by scipy.optimize.minimize, differentiable
    w.r.t. args through the stationarity condition grad_x fun(x, *args) = 0.

    SciPy gets pullback's exact gradient; Newton steps with the exact Hessian polish the
    minimizer. dx = -H^{-1} d(grad_x fun)/dargs dargs with H the Hessian in x
    (docs/derivations/minimize.md). Raises ConvergenceError when |grad| > gtol at the end, or
    when the Hessian there is not positive definite (a saddle: no differentiable minimizer).

    >>> import pullback as pb
    >>> f = lambda x, a: np.sum((x - a) ** 2) + np.sum(x**4)
    >>> x = minimize(f, np.zeros(2), args=(np.array([1.0, 2.0]),))
    >>> J = pb.jacobian(lambda a: minimize(f, np.zeros(2), args=(a,)))(np.array([1.0, 2.0]))
    >>> bool(np.allclose(J, np.diag(2 / (2 + 12 * x**2))))
    True
    """

    def F(x: Any, *a: Any) -> Any:
        return grad(fun)(x, *a)

    imp, x0_flat = _setup(F, x0, args)
    value, _ = _setup(lambda x, *a: fun(x, *a), x0, args)
    obj = value.plain_G()
    g = imp.plain_G()
    sol = scipy.optimize.minimize(
        lambda x: float(obj(x)[0]), x0_flat, jac=g, method=method, tol=tol, options=options
    )
    x = newton_polish(imp, np.asarray(sol.x, dtype=float).reshape(-1), _plain_jac(imp))
    who = f"scipy.optimize.minimize (method={method!r}: {sol.message})"
    return _stationary(imp, x, gtol, who, tangent_solve)


def least_squares(
    fun: Callable[..., Any],
    x0: PyTree,
    args: Any = (),
    *,
    method: str = "trf",
    ftol: float = 1e-12,
    xtol: float = 1e-12,
    gtol: float = 1e-12,
    max_nfev: int | None = None,
    atol: float = 1e-8,
    tangent_solve: str = "auto",
) -> PyTree:
    """argmin_x 1/2 |fun(x, *args)|^2 by scipy.optimize.least_squares (unbounded), differentiable
    w.r.t. args through the normal equations J^T r = 0.

    The derivative uses the full Hessian of 1/2 |r|^2 (J^T J plus sum r_i d^2 r_i): at a
    nonzero residual Gauss-Newton alone would give a wrong derivative
    (docs/derivations/least_squares.md). Raises ConvergenceError when |J^T r| > atol at the end.

    >>> import pullback as pb
    >>> t = np.linspace(0, 1, 5)
    >>> r = lambda k, y: np.exp(-k * t) - y
    >>> k = least_squares(r, np.array(1.0), args=(np.exp(-2.0 * t),))
    >>> bool(abs(k - 2.0) < 1e-10)
    True
    """

    def R(x: Any, *a: Any) -> Any:
        return _ravel(flatten(fun(x, *a))[0])

    def F(x: Any, *a: Any) -> Any:
        return grad(lambda xx: 0.5 * np.sum(R(xx, *a) ** 2))(x)

    imp, x0_flat = _setup(F, x0, args)
    res_imp, _ = _setup(R, x0, args)
    r = res_imp.plain_G()
    sol = scipy.optimize.least_squares(
        r,
        x0_flat,
        jac=_plain_jac(res_imp),
        method=method,
        ftol=ftol,
        xtol=xtol,
        gtol=gtol,
        max_nfev=max_nfev,
    )
    x = newton_polish(imp, np.asarray(sol.x, dtype=float).reshape(-1), _plain_jac(imp))
    who = f"scipy.optimize.least_squares (method={method!r}: {sol.message})"
    return _stationary(imp, x, atol, who, tangent_solve)
