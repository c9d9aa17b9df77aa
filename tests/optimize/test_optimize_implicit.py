"""custom_root: the implicit-function-theorem primitive, in both modes, to order 2, on pytrees."""

import numpy as np
import pytest
from scipy.optimize import brentq

import pullback as pb
from pullback.errors import ConvergenceError, SingularJacobianError
from pullback.optimize import custom_root


def cubic(x, p):
    return x**3 + p * x - 1.0


def bisect(f, x0):
    return brentq(f, 0.0, 2.0, xtol=1e-15, rtol=1e-15)


root_of_cubic = custom_root(cubic, bisect)


def x_of(p):
    return root_of_cubic(0.5, p)


def test_scalar_root_closed_form_first_and_second_derivative():
    p = 1.3
    x = x_of(p)
    assert abs(cubic(x, p)) < 1e-14
    # x' = -x / (3x^2 + p);  x'' = -(x' D - x (6 x x' + 1)) / D^2 with D = 3x^2 + p
    d = 3 * x**2 + p
    dx = -x / d
    ddx = -(dx * d - x * (6 * x * dx + 1)) / d**2
    assert pb.grad(x_of)(p) == pytest.approx(dx, rel=1e-13)
    assert pb.jvp(x_of, (p,), (1.0,))[1] == pytest.approx(dx, rel=1e-13)
    assert pb.grad(pb.grad(x_of))(p) == pytest.approx(ddx, rel=1e-11)
    assert pb.hessian(x_of)(np.array(p)) == pytest.approx(ddx, rel=1e-11)


def test_scalar_root_check_grads_order_2():
    rows = pb.check_grads(x_of, (np.array(0.7),), order=2)
    assert len(rows) == 9 and all(r.ok for r in rows)


def newton(f, x0):
    x = {k: np.array(v, dtype=float) for k, v in x0.items()}
    for _ in range(50):
        J = pb.jacobian(lambda u, v: _flat(f({"u": u, "v": v})), argnums=(0, 1))(x["u"], x["v"])
        J = np.concatenate([J[0].reshape(3, -1), J[1].reshape(3, -1)], axis=1)
        step = np.linalg.solve(J, _flat(f(x)))
        x = {"u": x["u"] - step[:2], "v": x["v"] - step[2]}
    return x


def _flat(r):
    return np.concatenate([np.reshape(r[0], (-1,)), np.reshape(r[1], (-1,))])


def pytree_F(x, params):
    """x = {'u': (2,), 'v': ()}; params = (M (2, 2), {'s': ()})."""
    M, extra = params
    u, v = x["u"], x["v"]
    return (M @ u + 0.1 * np.sin(u) - v, u[0] * u[1] + v - extra["s"])


def test_pytree_x_and_theta_both_modes_order_2():
    solve = custom_root(pytree_F, newton)
    M = np.array([[3.0, 0.5], [-0.4, 2.5]])
    s = np.array(0.3)

    def f(M, s):
        x = solve({"u": np.zeros(2), "v": np.array(0.0)}, (M, {"s": s}))
        return np.concatenate([x["u"], np.reshape(x["v"], (1,))])

    x = f(M, s)
    r = pytree_F({"u": x[:2], "v": x[2]}, (M, {"s": s}))
    assert np.abs(_flat(r)).max() < 1e-13
    rows = pb.check_grads(f, (M, s), order=2)
    assert all(r.ok for r in rows)


def test_gmres_matches_dense():
    def F(x, A, b):
        return A @ x + 0.2 * np.tanh(x) - b

    def solve(f, x0):
        from scipy.optimize import root

        return root(f, x0, tol=1e-14).x

    rng = np.random.default_rng(1)
    A = 4 * np.eye(6) + rng.standard_normal((6, 6)) * 0.3
    b = rng.standard_normal(6)
    w = rng.standard_normal(6)
    grads = []
    for mode in ("dense", "gmres"):
        r = custom_root(F, solve, tangent_solve=mode)
        grads.append(pb.grad(lambda A, b, r=r: w @ r(np.zeros(6), A, b), argnums=(0, 1))(A, b))
        rows = pb.check_grads(lambda A, b, r=r: r(np.zeros(6), A, b), (A, b), order=2)
        assert all(row.ok for row in rows)
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-9, atol=1e-12)


def test_double_root_raises_singular_jacobian():
    double = custom_root(lambda x, p: (x - p) ** 2, lambda f, x0: np.array(2.0))
    with pytest.raises(SingularJacobianError, match="singular"):
        pb.grad(lambda p: double(0.0, p))(2.0)


def test_inaccurate_solve_raises_with_residual():
    sloppy = custom_root(cubic, lambda f, x0: np.array(0.6))
    with pytest.raises(ConvergenceError, match="=") as info:
        sloppy(0.5, 1.0)
    assert info.value.residual == pytest.approx(abs(0.6**3 + 0.6 - 1.0), rel=1e-12)
    assert f"{info.value.residual:.3e}" in str(info.value)


def test_wrong_tangent_solve_and_wrong_solution_size():
    with pytest.raises(ValueError, match="tangent_solve"):
        custom_root(cubic, bisect, tangent_solve="cg")(0.5, 1.0)
    with pytest.raises(ValueError, match="shaped like x0"):
        custom_root(cubic, lambda f, x0: np.zeros(2))(0.5, 1.0)


def test_no_trace_returns_plain_solution():
    x = x_of(1.0)
    assert isinstance(x, np.ndarray) and x.shape == ()


def test_auto_uses_gmres_above_500_unknowns(monkeypatch):
    """x + 0.1 tanh(x) = b, n = 600: "auto" goes matrix-free; dx/db = 1 / (1 + 0.1 sech^2 x)."""
    import scipy.sparse.linalg

    calls = []
    gmres = scipy.sparse.linalg.gmres
    monkeypatch.setattr(
        scipy.sparse.linalg, "gmres", lambda *a, **k: calls.append(1) or gmres(*a, **k)
    )

    def F(x, b):
        return x + 0.1 * np.tanh(x) - b

    def newton_diag(f, x0):
        x = x0
        for _ in range(30):
            x = x - f(x) / (1 + 0.1 / np.cosh(x) ** 2)
        return x

    solve = custom_root(F, newton_diag)
    rng = np.random.default_rng(3)
    b, w = rng.standard_normal(600), rng.standard_normal(600)
    x = solve(np.zeros(600), b)
    g = pb.grad(lambda b: w @ solve(np.zeros(600), b))(b)
    np.testing.assert_allclose(g, w / (1 + 0.1 / np.cosh(x) ** 2), rtol=1e-10)
    _, xdot = pb.jvp(lambda b: solve(np.zeros(600), b), (b,), (w,))
    np.testing.assert_allclose(xdot, w / (1 + 0.1 / np.cosh(x) ** 2), rtol=1e-10)
    assert len(calls) == 2  # one transposed solve (grad), one solve (jvp)
    with pytest.raises(ValueError, match="tangent_solve"):
        custom_root(F, newton_diag, tangent_solve="lu")(np.zeros(3), b[:3])
