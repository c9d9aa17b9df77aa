"""pullback.linalg matrix equations and matrix functions: residuals, agreement with SciPy, one
Schur form per call at every order, errors, and an LQR gradient against finite differences.
(Both modes to order 2 for every function run in tests/test_rules.py via the OpInfo table.)"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import pullback as pb
from pullback import linalg
from pullback.errors import MatrixEquationError, UnsupportedArgumentError
from pullback.testing import check_grads
from pullback.testing import generators as g


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


def _rel(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.linalg.norm(x - y) / np.linalg.norm(y))


# ---- residuals and agreement with scipy.linalg --------------------------------------------------
def test_sylvester_residual_and_scipy(rng) -> None:
    a, b, q = g.stable(rng, 6), g.stable(rng, 4), g.general(rng, 6, 4)
    x = linalg.solve_sylvester(a, b, q)
    assert np.linalg.norm(a @ x + x @ b - q) <= 1e-12 * np.linalg.norm(q)
    assert _rel(x, scipy.linalg.solve_sylvester(a, b, q)) <= 1e-12


def test_continuous_lyapunov_residual_and_scipy(rng) -> None:
    a, q = g.stable(rng, 6), g.general(rng, 6)  # Q need not be symmetric
    x = linalg.solve_continuous_lyapunov(a, q)
    assert np.linalg.norm(a @ x + x @ a.T - q) <= 1e-12 * np.linalg.norm(q)
    assert _rel(x, scipy.linalg.solve_continuous_lyapunov(a, q)) <= 1e-12


def test_discrete_lyapunov_residual_and_scipy(rng) -> None:
    a = g.general(rng, 6)
    a = 0.8 * a / np.max(np.abs(np.linalg.eigvals(a)))
    q = g.spd(rng, 6)
    x = linalg.solve_discrete_lyapunov(a, q)
    assert x.dtype == np.float64
    assert np.linalg.norm(a @ x @ a.T - x + q) <= 1e-12 * np.linalg.norm(x)
    for method in ("direct", "bilinear"):
        assert _rel(x, scipy.linalg.solve_discrete_lyapunov(a, q, method=method)) <= 1e-11


def test_complex_equations_match_scipy(rng) -> None:
    a = g.stable(rng, 4) + 0.5j * g.general(rng, 4)
    b = g.stable(rng, 3) + 0.3j * g.general(rng, 3)
    q = g.general(rng, 4, 3) + 1j * g.general(rng, 4, 3)
    x = linalg.solve_sylvester(a, b, q)
    assert _rel(x, scipy.linalg.solve_sylvester(a, b, q)) <= 1e-12
    qa = q[:, :1] @ q[:, :1].conj().T + np.eye(4)
    x = linalg.solve_continuous_lyapunov(a, qa)
    assert np.linalg.norm(a @ x + x @ a.conj().T - qa) <= 1e-12 * np.linalg.norm(qa)
    d = a / (1.5 * np.max(np.abs(np.linalg.eigvals(a))))
    x = linalg.solve_discrete_lyapunov(d, qa)
    assert np.linalg.norm(d @ x @ d.conj().T - x + qa) <= 1e-12 * np.linalg.norm(qa)


def test_sylvester_with_one_real_and_one_complex_matrix(rng) -> None:
    # The real matrix has complex eigenvalues (2x2 blocks in its real Schur form); SciPy 1.17
    # casts that quasi-triangular form to complex for ztrsyl and returns a wrong X here.
    a = np.array([[0.0, -2.0, 0.5], [2.0, 0.0, 0.3], [0.0, 0.0, 1.0]])  # eigenvalues +-2i and 1
    b = g.stable(rng, 2) + 0.5j * g.general(rng, 2)
    q = g.general(rng, 3, 2)
    x = linalg.solve_sylvester(a, b, q)
    assert np.linalg.norm(a @ x + x @ b - q) <= 1e-12 * np.linalg.norm(q)
    y = linalg.solve_sylvester(b.T, a.T, q.T)  # the complex matrix first
    assert np.linalg.norm(b.T @ y + y @ a.T - q.T) <= 1e-12 * np.linalg.norm(q)
    check_grads(linalg.solve_sylvester, (a, b, q), order=1, rng=rng)


def test_riccati_residuals_and_scipy(rng) -> None:
    a, b = g.general(rng, 5) / np.sqrt(5), g.general(rng, 5, 2)
    q, r = g.spd(rng, 5), g.spd(rng, 2)
    x = linalg.solve_continuous_are(a, b, q, r)
    care = a.T @ x + x @ a - x @ b @ np.linalg.solve(r, b.T) @ x + q
    assert np.linalg.norm(care) <= 1e-10 * np.linalg.norm(x)
    assert _rel(x, scipy.linalg.solve_continuous_are(a, b, q, r)) <= 1e-12
    x = linalg.solve_discrete_are(a, b, q, r)
    k = np.linalg.solve(r + b.T @ x @ b, b.T @ x @ a)
    dare = a.T @ x @ a - x - a.T @ x @ b @ k + q
    assert np.linalg.norm(dare) <= 1e-10 * np.linalg.norm(x)
    assert _rel(x, scipy.linalg.solve_discrete_are(a, b, q, r)) <= 1e-12


def test_matrix_functions_match_scipy(rng) -> None:
    a, e, s = g.general(rng, 4) / 2, g.general(rng, 4), g.spd(rng, 4)
    assert _rel(linalg.expm(a), scipy.linalg.expm(a)) <= 1e-14
    y, frechet = linalg.expm_frechet(a, e)
    y_ref, frechet_ref = scipy.linalg.expm_frechet(a, e)
    assert _rel(y, y_ref) <= 1e-13 and _rel(frechet, frechet_ref) <= 1e-12
    assert _rel(linalg.sqrtm(s), scipy.linalg.sqrtm(s)) <= 1e-13
    assert _rel(linalg.logm(s), scipy.linalg.logm(s)) <= 1e-13
    batch = g.general(rng, 3, batch=(2,))
    assert _rel(linalg.expm(batch)[1], scipy.linalg.expm(batch[1])) <= 1e-14


def test_matrix_function_derivatives_match_their_definitions(rng) -> None:
    a, e = g.spd(rng, 3), g.general(rng, 3)
    _, ldot = pb.jvp(linalg.logm, (a,), (e,))  # exp(log A) = A: L_exp(log A, L_log(A, E)) = E
    assert _rel(scipy.linalg.expm_frechet(scipy.linalg.logm(a), ldot)[1], e) <= 1e-10
    x = scipy.linalg.sqrtm(a)
    _, xdot = pb.jvp(linalg.sqrtm, (a,), (e,))
    assert _rel(x @ xdot + xdot @ x, e) <= 1e-12
    _, edot = pb.jvp(linalg.expm, (a,), (e,))
    assert _rel(edot, scipy.linalg.expm_frechet(a, e)[1]) <= 1e-12


# ---- symmetric inputs, structured directions ----------------------------------------------------
def test_lyapunov_with_symmetric_q_in_symmetric_directions(rng) -> None:
    a, q = g.stable(rng, 4), g.spd(rng, 4)
    check_grads(linalg.solve_continuous_lyapunov, (a, q), structure={1: "symmetric"}, rng=rng)
    x = linalg.solve_continuous_lyapunov(a, q)
    np.testing.assert_allclose(x, x.T, atol=1e-13)
    _, back = pb.vjp(linalg.solve_continuous_lyapunov, a, q)
    _, qbar = back(np.ones((4, 4)))  # a symmetric cotangent gives a symmetric Qbar
    np.testing.assert_allclose(qbar, qbar.T, atol=1e-13)


def test_riccati_called_directly_in_symmetric_directions(rng) -> None:
    a, b, q, r = g.general(rng, 3) / 2, g.general(rng, 3, 2), g.spd(rng, 3), g.spd(rng, 2)
    structure = {2: "symmetric", 3: "symmetric"}
    # order 1: check_grads draws the second-order directions unstructured, and SciPy rejects a
    # non-symmetric Q or R; order 2 runs in the OpInfo table through a symmetrizing wrapper.
    for solver in (linalg.solve_continuous_are, linalg.solve_discrete_are):
        check_grads(solver, (a, b, q, r), order=1, structure=structure, rng=rng)


# ---- Schur reuse: one factorization per call, at every order ------------------------------------
def test_one_schur_form_serves_every_order(rng, monkeypatch) -> None:
    calls = []
    schur = scipy.linalg.schur

    def counting_schur(*args, **kwargs):
        calls.append(1)
        return schur(*args, **kwargs)

    monkeypatch.setattr(scipy.linalg, "schur", counting_schur)
    a, q = g.stable(rng, 3), g.spd(rng, 3)

    def loss(a):
        p = linalg.solve_continuous_lyapunov(a, -q)
        return np.sum(p * p)

    h = pb.hessian(loss)(a)
    assert len(calls) == 1
    assert h.shape == (3, 3, 3, 3)
    flat = h.reshape(9, 9)
    np.testing.assert_allclose(flat, flat.T, rtol=1e-10, atol=1e-12)


def test_the_spectra_are_checked_once_per_pair_of_schur_forms(rng, monkeypatch) -> None:
    from pullback.linalg import equations

    calls = []

    def counted(check):
        def run(*args):
            calls.append(1)
            return check(*args)

        return run

    for check in ("_sums_separated", "_products_separated"):  # the eigenvalue checks
        monkeypatch.setattr(equations, check, counted(getattr(equations, check)))
    a, b, q = g.stable(rng, 3), g.stable(rng, 2), g.spd(rng, 3)
    unstable = np.array([[1.0, 0.3, 0.0], [0.0, -2.0, 0.5], [0.0, 0.0, -0.5]])  # an n x n check
    for x, loss in (
        (a, lambda a: np.sum(linalg.solve_continuous_lyapunov(a, q) ** 2)),
        (unstable, lambda a: np.sum(linalg.solve_continuous_lyapunov(a, q) ** 2)),
        (a, lambda a: np.sum(linalg.solve_discrete_lyapunov(a / 4, q) ** 2)),
        (a, lambda a: np.sum(linalg.solve_sylvester(a, b, np.ones((3, 2))) ** 2)),
        (a, lambda a: np.sum(linalg.solve_continuous_are(a, np.eye(3), q, np.eye(3)) ** 2)),
        (a, lambda a: np.sum(linalg.sqrtm(q + a @ a.T) ** 2)),
    ):
        calls.clear()
        pb.hessian(loss)(x)  # one forward solve, then solves for the JVPs and VJPs of two orders
        assert len(calls) == 1


def test_the_fast_separation_bounds_agree_with_every_eigenvalue_pair(rng) -> None:
    from pullback.linalg.equations import _products_separated, _rounding, _sums_separated

    for trial in range(400):
        lam = rng.standard_normal(5) + 1j * rng.standard_normal(5) * (trial % 3 != 0)
        mu = rng.standard_normal(4) + 1j * rng.standard_normal(4) * (trial % 4 != 0)
        if trial % 5 == 0:
            lam.real, mu.real = -np.abs(lam.real) - 0.1, -np.abs(mu.real) - 0.1  # stable
        if trial % 2 == 0:
            mu[trial % 4] = -lam[trial % 5]  # a singular pair
        tol = _rounding(np.max(np.abs(lam)) + np.max(np.abs(mu)))
        assert _sums_separated(lam, mu) == (np.min(np.abs(lam[:, None] + mu[None, :])) > tol)
        if trial % 3 == 0:
            lam *= 0.9 / np.max(np.abs(lam))  # inside the unit disc
        elif trial % 3 == 1:
            lam *= 1.1 / np.min(np.abs(lam))  # outside
        if trial % 2 == 0:
            lam[trial % 5] /= np.abs(lam[trial % 5])  # on the unit circle
        tol = _rounding(1.0 + np.max(np.abs(lam)) ** 2)
        products = np.abs(1.0 - lam[:, None] * np.conj(lam)[None, :])
        assert _products_separated(lam) == (np.min(products) > tol)


# ---- the LQR gradient ---------------------------------------------------------------------------
def test_lqr_cost_gradient_matches_finite_differences(rng) -> None:
    n, m = 4, 2
    a, b = g.general(rng, n) / np.sqrt(n), g.general(rng, n, m)
    q, r, sigma = g.spd(rng, n), g.spd(rng, m), g.spd(rng, n)

    def cost(a, b):  # the LQR cost E[x0^T X x0] with x0 ~ N(0, Sigma)
        return np.trace(linalg.solve_continuous_are(a, b, q, r) @ sigma)

    ga, gb = pb.grad(cost, argnums=(0, 1))(a, b)

    def fd(k: int, x: np.ndarray) -> np.ndarray:
        out, h = np.zeros_like(x), 1e-5
        for idx in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[idx] = h
            args_p, args_m = [a, b], [a, b]
            args_p[k], args_m[k] = x + step, x - step
            out[idx] = (cost(*args_p) - cost(*args_m)) / (2 * h)
        return out

    assert _rel(ga, fd(0, a)) <= 1e-7
    assert _rel(gb, fd(1, b)) <= 1e-7
    _, cdot = pb.jvp(cost, (a, b), (ga, gb))  # forward mode agrees: <grad, grad>
    assert abs(cdot - (np.sum(ga * ga) + np.sum(gb * gb))) <= 1e-10 * abs(cdot)


# ---- errors -------------------------------------------------------------------------------------
def test_singular_sylvester_raises() -> None:
    a, b = np.diag([1.0, 2.0]), np.diag([-1.0, 3.0])  # a and -b share the eigenvalue 1
    with pytest.raises(MatrixEquationError, match="solve_sylvester") as info:
        linalg.solve_sylvester(a, b, np.ones((2, 2)))
    assert isinstance(info.value, np.linalg.LinAlgError)


def test_lyapunov_without_unique_solution_raises() -> None:
    a = np.diag([1.0, -1.0])  # lambda_1 + lambda_2 = 0
    with pytest.raises(MatrixEquationError, match="solve_continuous_lyapunov"):
        linalg.solve_continuous_lyapunov(a, np.eye(2))
    with pytest.raises(MatrixEquationError, match="solve_discrete_lyapunov"):
        linalg.solve_discrete_lyapunov(np.diag([1.0, 0.5]), np.eye(2))  # on the unit circle


def test_lyapunov_gradient_of_a_singular_operator_raises_instead_of_nan() -> None:
    def loss(a):
        return np.sum(linalg.solve_continuous_lyapunov(a, np.eye(2)))

    with pytest.raises(MatrixEquationError):
        pb.grad(loss)(np.array([[0.0, 1.0], [-1.0, 0.0]]))  # eigenvalues +-i


@pytest.mark.parametrize(
    ("solver", "a"),
    [
        (linalg.solve_continuous_are, np.diag([0.0, -10.0])),
        (linalg.solve_discrete_are, np.diag([1.0, 0.1])),
    ],
)
def test_riccati_value_at_a_barely_stable_closed_loop_has_no_derivative(solver, a) -> None:
    # The closed loop has an eigenvalue 1e-15 inside the stability boundary: the value exists, but
    # the derivative's Lyapunov equation is singular to rounding. Only the derivatives solve on its
    # Schur form, so they run the eigenvalue check (for DARE the Stein solve alone would return a
    # finite, meaningless gradient; for CARE trsyl's own test would catch it too).
    b, q, r = np.array([[1.0], [0.0]]), np.diag([1e-30, 1.0]), np.eye(1)
    assert np.all(np.isfinite(solver(a, b, q, r)))
    for _ in range(2):  # a failed check is not remembered
        with pytest.raises(MatrixEquationError, match=f"{solver.__name__}: .* no unique solution"):
            pb.grad(lambda a: np.sum(solver(a, b, q, r)))(a)


@pytest.mark.parametrize("solver", [linalg.solve_continuous_are, linalg.solve_discrete_are])
def test_riccati_without_stabilizing_solution_raises(solver) -> None:
    a, b = np.diag([2.0, -0.5]), np.array([[0.0], [1.0]])  # the unstable mode is uncontrollable
    with pytest.raises(MatrixEquationError, match=solver.__name__):
        solver(a, b, np.eye(2), np.eye(1))


@pytest.mark.parametrize("solver", [linalg.solve_continuous_are, linalg.solve_discrete_are])
@pytest.mark.parametrize("arg", ["e", "s"])
def test_riccati_generalized_arguments_are_not_supported(solver, arg) -> None:
    a, b = np.eye(2), np.ones((2, 1))
    with pytest.raises(UnsupportedArgumentError, match=f"{arg}="):
        solver(a, b, np.eye(2), np.eye(1), **{arg: np.eye(2) if arg == "e" else np.ones((2, 1))})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: linalg.solve_sylvester(np.eye(2), np.eye(3), np.ones((3, 2))), "q must have"),
        (lambda: linalg.solve_sylvester(np.ones((2, 3)), np.eye(3), np.ones((2, 3))), "a must"),
        (lambda: linalg.solve_continuous_lyapunov(np.eye(3), np.eye(2)), "q must have"),
        (lambda: linalg.solve_discrete_lyapunov(np.ones(3), np.eye(3)), "a must be a square"),
        (
            lambda: linalg.solve_continuous_are(np.eye(2), np.ones((3, 1)), np.eye(2), np.eye(1)),
            "b",
        ),
        (lambda: linalg.solve_discrete_are(np.eye(2), np.ones((2, 1)), np.eye(2), np.eye(2)), "r"),
        (lambda: linalg.sqrtm(np.ones((2, 3))), "sqrtm"),
        (lambda: linalg.expm_frechet(np.eye(2), np.eye(3)), "e must have"),
    ],
)
def test_bad_shapes_raise(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_sqrtm_of_a_singular_matrix_has_no_derivative() -> None:
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    with pytest.warns(scipy.linalg.LinAlgWarning, match="singular"):  # SciPy's own warning
        np.testing.assert_allclose(linalg.sqrtm(a), a)  # the value exists
    with (
        pytest.raises(MatrixEquationError, match="sqrtm"),
        pytest.warns(scipy.linalg.LinAlgWarning),
    ):
        pb.grad(lambda a: np.sum(linalg.sqrtm(a)))(a)


def test_real_matrix_without_real_root_or_log_raises() -> None:
    a = np.diag([-1.0, 2.0])
    for fn in (linalg.sqrtm, linalg.logm):
        with pytest.raises(MatrixEquationError, match="astype\\(complex\\)"):
            fn(a)


def test_float32_in_float32_out(rng) -> None:
    a, q = g.stable(rng, 3, np.float32), g.spd(rng, 3, np.float32)
    for x in (
        linalg.solve_continuous_lyapunov(a, q),
        linalg.solve_discrete_lyapunov(a / 4, q),
        linalg.sqrtm(q),
        linalg.expm(a),
    ):
        assert x.dtype == np.float32
    x = linalg.solve_continuous_lyapunov(a, q)
    ref = scipy.linalg.solve_continuous_lyapunov(a.astype(np.float64), q.astype(np.float64))
    assert _rel(x.astype(np.float64), ref) <= 1e-6  # solved in float64, rounded once


# ---- stacks of matrices (linalg/batching.py) ----------------------------------------------------
def test_stacks_solve_each_matrix_and_differentiate_per_matrix() -> None:
    rng = np.random.default_rng(7)
    a, q = g.stable(rng, 3, batch=(2, 2)), g.spd(rng, 3)  # q broadcast against the stack

    def loss(a):
        return np.sum(linalg.solve_continuous_lyapunov(a, q) ** 2)

    x = linalg.solve_continuous_lyapunov(a, q)
    assert x.shape == (2, 2, 3, 3)
    np.testing.assert_allclose(x[1, 0], scipy.linalg.solve_continuous_lyapunov(a[1, 0], q))
    grad = pb.grad(loss)(a)
    for i, j in np.ndindex(2, 2):
        one = pb.grad(lambda m: np.sum(linalg.solve_continuous_lyapunov(m, q) ** 2))(a[i, j])
        np.testing.assert_allclose(grad[i, j], one, rtol=1e-13)


def test_stacks_that_do_not_broadcast_are_an_error() -> None:
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match=r"solve_sylvester: the leading \(batch\) dimensions"):
        linalg.solve_sylvester(
            g.stable(rng, 2, batch=(2,)), g.stable(rng, 2, batch=(3,)), np.eye(2)
        )
    with pytest.raises(ValueError, match="sqrtm: an empty stack"):
        linalg.sqrtm(np.zeros((0, 2, 2)))
