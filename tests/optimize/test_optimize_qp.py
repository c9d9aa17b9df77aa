"""qp: equality QP against the closed-form KKT derivatives, inequality QP with a known active set,
check_grads to order 2, and the specific errors and warnings."""

import numpy as np
import pytest

import pullback as pb
from pullback.errors import (
    ConvergenceError,
    DegenerateActiveSetWarning,
    InfeasibleError,
    NonConvexError,
    SingularJacobianError,
    UnboundedError,
)
from pullback.optimize import qp, quadratic
from pullback.optimize.quadratic import KKTFactor, SchurKKT, _factor_equality
from pullback.testing import generators


def eq_problem(n=5, p=2, seed=0):
    rng = np.random.default_rng(seed)
    Q = generators.spd(rng, n)
    return Q, rng.standard_normal(n), rng.standard_normal((p, n)), rng.standard_normal(p)


def test_equality_qp_solves_kkt():
    Q, c, A, b = eq_problem()
    x, y, z = qp(Q, c, A, b)
    np.testing.assert_allclose(Q @ x + c + A.T @ y, 0, atol=1e-13)
    np.testing.assert_allclose(A @ x, b, atol=1e-13)
    assert z.shape == (0,)


def test_equality_qp_vjp_matches_closed_form():
    """K w = [xbar; ybar]; Qbar = -sym(w_x x^T), cbar = -w_x, Abar = -(w_y x^T + y w_x^T),
    bbar = w_y (the derivation in docs/derivations/qp.md)."""
    Q, c, A, b = eq_problem()
    n, p = c.size, b.size
    rng = np.random.default_rng(5)
    xbar, ybar = rng.standard_normal(n), rng.standard_normal(p)
    (x, y), back = pb.vjp(lambda Q, c, A, b: tuple(qp(Q, c, A, b)[:2]), Q, c, A, b)
    Qbar, cbar, Abar, bbar = back((xbar, ybar))
    K = np.block([[Q, A.T], [A, np.zeros((p, p))]])
    w = np.linalg.solve(K, np.concatenate([xbar, ybar]))
    wx, wy = w[:n], w[n:]
    np.testing.assert_allclose(Qbar, -(np.outer(wx, x) + np.outer(x, wx)) / 2, atol=1e-13)
    np.testing.assert_allclose(Qbar, Qbar.T, atol=0)
    np.testing.assert_allclose(cbar, -wx, atol=1e-13)
    np.testing.assert_allclose(Abar, -(np.outer(wy, x) + np.outer(y, wx)), atol=1e-13)
    np.testing.assert_allclose(bbar, wy, atol=1e-13)


def test_equality_qp_jvp_matches_closed_form():
    Q, c, A, b = eq_problem(seed=1)
    n, p = c.size, b.size
    rng = np.random.default_rng(6)
    S = rng.standard_normal((n, n))
    Qd, cd, Ad, bd = (
        S + S.T,
        rng.standard_normal(n),
        rng.standard_normal((p, n)),
        rng.standard_normal(p),
    )
    (x, y), (xd, yd) = pb.jvp(lambda *a: tuple(qp(*a)[:2]), (Q, c, A, b), (Qd, cd, Ad, bd))
    K = np.block([[Q, A.T], [A, np.zeros((p, p))]])
    rhs = -np.concatenate([Qd @ x + cd + Ad.T @ y, Ad @ x - bd])
    ref = np.linalg.solve(K, rhs)
    np.testing.assert_allclose(np.concatenate([xd, yd]), ref, atol=1e-13)


def test_equality_qp_check_grads_order_2():
    rows = pb.check_grads(
        lambda Q, c, A, b: tuple(qp(Q, c, A, b)[:2]),
        eq_problem(),
        order=2,
        structure={0: "symmetric"},
    )
    assert all(r.ok for r in rows)


def test_unsymmetric_Q_uses_its_symmetric_part():
    Q, c, A, b = eq_problem()
    N = np.triu(np.ones_like(Q))
    x1 = qp(Q + N - N.T, c, A, b).x
    np.testing.assert_allclose(x1, qp(Q, c, A, b).x, atol=1e-13)
    g = pb.grad(lambda Q: np.sum(qp(Q, c, A, b).x ** 2))(Q + N - N.T)
    np.testing.assert_allclose(g, g.T, atol=0)


def test_kkt_factor_solves_and_counts_inertia():
    Q, _, A, _ = eq_problem(n=6, p=3)
    K = np.block([[Q, A.T], [A, np.zeros((3, 3))]])
    f = KKTFactor(K)
    r = np.arange(9.0)
    np.testing.assert_allclose(K @ f.solve(r), r, atol=1e-12)
    assert f.inertia() == (6, 3, 0)


def test_kkt_factor_inertia_with_2x2_pivots():
    """Q = 0 forces 2x2 pivots in Bunch-Kaufman; the inertia read off the packed D matches the
    eigenvalues of K (an indefinite Q too), and the solve is exact to rounding."""
    rng = np.random.default_rng(7)
    for Q in (np.zeros((5, 5)), np.diag([3.0, -2.0, 1.0, 0.5, -1.0, 2.0, 4.0, -0.5])):
        n = Q.shape[0]
        K = kkt_matrix(Q, rng.standard_normal((5, n)))
        f = KKTFactor(K)
        assert np.any(f.ipiv < 0) or Q.any()
        ev = np.linalg.eigvalsh(K)
        assert np.min(np.abs(ev)) > 1e-3  # K is nonsingular: the count is unambiguous
        assert f.inertia() == (int(np.sum(ev > 0)), int(np.sum(ev < 0)), 0)
        r = rng.standard_normal(n + 5)
        np.testing.assert_allclose(K @ f.solve(r), r, atol=1e-12)


def kkt_matrix(Q, A):
    p = A.shape[0]
    return np.block([[(Q + Q.T) / 2, A.T], [A, np.zeros((p, p))]])


def test_schur_factor_is_the_fast_path_and_solves_like_ldl():
    """Q positive definite and A of full row rank: block elimination, to rounding."""
    Q, c, A, b = eq_problem(n=30, p=7, seed=3)
    f = _factor_equality(Q, c, A, b)
    assert isinstance(f, SchurKKT) and not f.refine
    K = kkt_matrix(Q, A)
    r = np.random.default_rng(0).standard_normal(37)
    z = f.solve(r)
    np.testing.assert_allclose(z, np.linalg.solve(K, r), rtol=1e-12, atol=1e-12)
    assert np.max(np.abs(K @ z - r)) < 1e-13 * np.max(np.abs(K)) * np.max(np.abs(z))


def test_schur_refines_when_Q_is_ill_conditioned():
    """cond(Q) = 1e6: one refinement step brings the residual to rounding level (without it,
    block elimination leaves about cond(Q) eps); the answer matches the LDL^T path."""
    rng = np.random.default_rng(1)
    n, p = 40, 6
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    Q = U @ np.diag(np.logspace(0, -6, n)) @ U.T
    Q = (Q + Q.T) / 2
    A = rng.standard_normal((p, n))
    f = SchurKKT.of(Q, A)
    assert f is not None and f.refine
    K = kkt_matrix(Q, A)
    r = K @ rng.standard_normal(n + p)
    z = f.solve(r)
    assert np.max(np.abs(K @ z - r)) < 1e-14 * np.max(np.abs(K)) * np.max(np.abs(z))
    np.testing.assert_allclose(z, KKTFactor(K).solve(r), rtol=0, atol=1e-8 * np.max(np.abs(z)))


def test_refined_schur_path_check_grads_order_2(monkeypatch):
    """The refinement step inside every solve (forced here on a well-conditioned problem, where
    finite differences are reliable) keeps the derivatives exact to order 2."""
    monkeypatch.setattr(quadratic, "_REFINE", 2.0)
    args = eq_problem(seed=4)
    assert SchurKKT.of(args[0], args[2]).refine
    rows = pb.check_grads(
        lambda Q, c, A, b: tuple(qp(Q, c, A, b)[:2]), args, order=2, structure={0: "symmetric"}
    )
    assert all(r.ok for r in rows)


def test_singular_or_indefinite_Q_falls_back_to_ldl():
    """Q singular (or indefinite) but positive definite on null(A): a unique minimizer that
    block elimination cannot reach; the LDL^T path solves it, derivatives included."""
    A = np.array([[0.3, 0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.5, 0.2]])
    c, b = np.array([1.0, -0.5, 0.3, 0.8, -1.2]), np.array([0.4, -0.7])
    for d5 in (0.0, -0.5):  # null(A) has x5 = -0.3 x1: curvature x1^2 (1 + 0.09 d5) > 0
        Q = np.diag([1.0, 2.0, 1.5, 1.0, d5])
        assert SchurKKT.of(Q, A) is None
        assert isinstance(_factor_equality(Q, c, A, b), KKTFactor)
        x, y, _ = qp(Q, c, A, b)
        np.testing.assert_allclose(Q @ x + c + A.T @ y, 0, atol=1e-12)
        np.testing.assert_allclose(A @ x, b, atol=1e-12)
        rows = pb.check_grads(
            lambda Q, c, A, b: tuple(qp(Q, c, A, b)[:2]),
            (Q, c, A, b),
            order=2,
            structure={0: "symmetric"},
        )
        assert all(r.ok for r in rows)


def test_unconstrained_qp_and_its_gradient():
    """No constraints: x = -Q^-1 c (the Schur path with p = 0); d sum(x^2)/dc = -2 Q^-1 x."""
    Q, c, _, _ = eq_problem(n=8)
    x, y, z = qp(Q, c)
    np.testing.assert_allclose(x, -np.linalg.solve(Q, c), rtol=1e-13)
    assert y.shape == (0,) and z.shape == (0,)
    g = pb.grad(lambda c: np.sum(qp(Q, c).x ** 2))(c)
    np.testing.assert_allclose(g, -2 * np.linalg.solve(Q, x), rtol=1e-12)
    rows = pb.check_grads(lambda Q, c: qp(Q, c).x, (Q, c), order=2, structure={0: "symmetric"})
    assert all(r.ok for r in rows)


# ---- inequalities ----
def test_box_projection_known_active_set():
    """min 1/2 |x - a|^2 s.t. x <= u: x = min(a, u); z = max(a - u, 0)."""
    a = np.array([0.3, 2.0, -1.0, 1.5])
    u = np.array([1.0, 1.0, 1.0, 1.0])
    G, Q = np.eye(4), np.eye(4)
    x, _, z = qp(Q, -a, G=G, h=u)
    np.testing.assert_allclose(x, np.minimum(a, u), atol=1e-12)
    np.testing.assert_allclose(z, np.maximum(a - u, 0), atol=1e-12)
    Ja = pb.jacobian(lambda a: qp(Q, -a, G=G, h=u).x)(a)
    Ju = pb.jacobian(lambda u: qp(Q, -a, G=G, h=u).x)(u)
    active = a > u
    np.testing.assert_allclose(Ja, np.diag(~active * 1.0), atol=1e-13)
    np.testing.assert_allclose(Ju, np.diag(active * 1.0), atol=1e-13)
    Jz = pb.jacobian(lambda a: qp(Q, -a, G=G, h=u).z, mode="fwd")(a)
    np.testing.assert_allclose(Jz, np.diag(active * 1.0), atol=1e-13)


def ineq_problem(seed=0, n=5, p=1, m=6):
    rng = np.random.default_rng(seed)
    Q = generators.spd(rng, n)
    c = 3 * rng.standard_normal(n)
    A = rng.standard_normal((p, n))
    x_feas = rng.standard_normal(n)
    G = rng.standard_normal((m, n))
    return Q, c, A, A @ x_feas, G, G @ x_feas + rng.random(m) + 0.1


def test_inequality_qp_kkt_and_check_grads_order_2():
    args = ineq_problem()
    Q, c, A, _, G, h = args
    x, y, z = qp(*args)
    np.testing.assert_allclose(Q @ x + c + A.T @ y + G.T @ z, 0, atol=1e-12)
    assert np.all(z >= 0) and np.all(G @ x - h <= 1e-12)
    active = z > 0
    assert 0 < active.sum() < z.size  # a mixed active set: the test exercises both kinds
    assert np.min(z[active]) > 1e-3 and np.max((G @ x - h)[~active]) < -1e-3  # strict
    rows = pb.check_grads(lambda *a: tuple(qp(*a)), args, order=2, structure={0: "symmetric"})
    assert all(r.ok for r in rows)


def test_inequality_qp_larger_problem_is_accurate():
    rng = np.random.default_rng(4)
    n, m = 40, 30
    Q = generators.spd(rng, n)
    c, G, h = rng.standard_normal(n), rng.standard_normal((m, n)), rng.random(m)
    x, _, z = qp(Q, c, G=G, h=h)
    np.testing.assert_allclose(Q @ x + c + G.T @ z, 0, atol=1e-11)
    assert np.all(z >= 0) and np.max(G @ x - h) < 1e-11 and np.max(np.abs(z * (G @ x - h))) < 1e-11


# ---- errors and warnings ----
def test_infeasible_inequalities_raise():
    with pytest.raises(InfeasibleError, match="infeasible"):
        qp(np.eye(1), np.zeros(1), G=np.array([[1.0], [-1.0]]), h=np.array([-1.0, -1.0]))


def test_infeasible_equalities_raise():
    A = np.array([[1.0, 0.0], [2.0, 0.0]])
    with pytest.raises(InfeasibleError, match="no solution"):
        qp(np.eye(2), np.ones(2), A, np.array([1.0, 3.0]))


def test_unbounded_inequality_qp_raises():
    with pytest.raises(UnboundedError, match="unbounded"):
        qp(np.zeros((1, 1)), np.ones(1), G=np.array([[1.0]]), h=np.array([1.0]))


def test_unbounded_equality_qp_raises():
    with pytest.raises(UnboundedError, match="unbounded"):
        qp(np.diag([1.0, -1.0]), np.ones(2), np.array([[1.0, 0.0]]), np.zeros(1))
    with pytest.raises(UnboundedError, match="unbounded"):
        qp(np.zeros((2, 2)), np.ones(2), np.array([[1.0, -1.0]]), np.zeros(1))


def test_redundant_equalities_raise_singular():
    A = np.array([[1.0, 0.0], [2.0, 0.0]])
    with pytest.raises(SingularJacobianError, match="not unique"):
        qp(np.eye(2), np.ones(2), A, np.array([1.0, 2.0]))


def test_nonconvex_with_inequalities_raises():
    with pytest.raises(NonConvexError, match="eigenvalue"):
        qp(np.diag([1.0, -1.0]), np.ones(2), G=np.eye(2), h=np.ones(2))


def test_ipm_non_convergence_raises_with_residual():
    Q, c, A, b, G, h = ineq_problem()
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        qp(Q, c, A, b, G, h, maxiter=2)
    assert info.value.residual > 1e-6
    assert f"{info.value.residual:.3e}" in str(info.value)


def test_weakly_active_constraint_warns_and_returns_inactive_side():
    """min 1/2 (x - a)^2 s.t. x <= 0 at a = 0: the constraint is weakly active. The derivative
    returned is the inactive side's: dx/da = 1 (the active side would give 0)."""
    f = lambda a: qp(np.eye(1), -a, G=np.array([[1.0]]), h=np.zeros(1)).x[0]
    with pytest.warns(DegenerateActiveSetWarning, match=r"weakly active"):
        g = pb.grad(f)(np.array([0.0]))
    np.testing.assert_allclose(g, [1.0], atol=1e-12)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="Q has shape"):
        qp(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="c has shape"):
        qp(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="real floating point"):
        qp(np.eye(2) * 1j, np.ones(2))
    np.testing.assert_allclose(qp(np.eye(2, dtype=int), [1, 2]).x, [-1.0, -2.0])
    with pytest.raises(ValueError, match="both"):
        qp(np.eye(2), np.ones(2), A=np.ones((1, 2)))
