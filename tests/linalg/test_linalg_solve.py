"""pullback.linalg's solve family beyond the OpInfo table: values against NumPy/SciPy, the
conventions (SciPy's upper Cholesky, symmetric cotangents, norms at 0), singular and malformed
inputs, and factorization reuse (one LU per solve, at every order)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

import pullback as pb
import pullback.linalg as pla
from pullback.errors import LinearAlgebraError, UndefinedDerivativeError
from pullback.testing import check_grads
from pullback.testing import generators as gen


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


# ---- values agree with NumPy and SciPy -----------------------------------------------------------
def test_values_match_numpy_and_scipy(rng) -> None:
    a, s = gen.well_conditioned(rng, 4), gen.spd(rng, 4)
    b, bm = rng.standard_normal(4), rng.standard_normal((4, 2))
    ab = gen.well_conditioned(rng, 4, batch=(3,))
    close = np.testing.assert_allclose
    close(pla.solve(a, bm), sla.solve(a, bm), rtol=1e-12)
    close(pla.solve(a, b, transposed=True), sla.solve(a, b, transposed=True), rtol=1e-12)
    close(pla.solve(s, bm, assume_a="positive definite"), np.linalg.solve(s, bm), rtol=1e-12)
    close(pla.solve(s, b, assume_a="sym", lower=True), np.linalg.solve(s, b), rtol=1e-12)
    close(pla.inv(ab), np.linalg.inv(ab), rtol=1e-12)
    close(pla.det(ab), np.linalg.det(ab), rtol=1e-12)
    sign, logdet = pla.slogdet(ab)
    ref = np.linalg.slogdet(ab)
    close(sign, ref.sign)
    close(logdet, ref.logabsdet, rtol=1e-12)
    close(pla.cholesky(s), sla.cholesky(s), rtol=1e-12)  # SciPy: upper by default
    close(pla.cholesky(s, lower=True), np.linalg.cholesky(s), rtol=1e-12)
    close(pla.solve_triangular(a, b, trans="C"), sla.solve_triangular(a, b, trans=2), rtol=1e-12)
    r = rng.standard_normal((5, 3))
    close(pla.pinv(r), np.linalg.pinv(r), rtol=1e-10)
    x, res, rank, sv = pla.lstsq(a[:, :3], b)
    rx, rres, rrank, rsv = np.linalg.lstsq(a[:, :3], b)
    close(x, rx, rtol=1e-12)
    close(res, rres, rtol=1e-10)
    assert rank == rrank == 3
    close(sv, rsv, rtol=1e-12)
    close(pla.matrix_power(a, -3), np.linalg.matrix_power(a, -3), rtol=1e-12)


def test_traced_values_match_numpy(rng) -> None:
    """Under a transform the same calls return NumPy's numbers (batched, broadcast b)."""
    a = gen.well_conditioned(rng, 3, batch=(4,))
    b = rng.standard_normal(3)
    seen = {}

    def f(a, b):
        seen["solve"] = pb.stop_gradient(np.linalg.solve(a, b))
        seen["det"] = pb.stop_gradient(np.linalg.det(a))
        seen["lu"] = pb.stop_gradient(pla.lu_factor(a)[0])
        seen["chol"] = pb.stop_gradient(np.linalg.cholesky(a @ a.mT))
        return np.sum(np.linalg.solve(a, b))

    pb.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(seen["solve"], np.linalg.solve(a, b), rtol=1e-12)
    np.testing.assert_allclose(seen["det"], np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(seen["lu"], sla.lu_factor(a)[0], rtol=1e-12)
    np.testing.assert_allclose(seen["chol"], np.linalg.cholesky(a @ a.mT), rtol=1e-12)


# ---- the gradient of a solve is the hand-written one ---------------------------------------------
def test_grad_of_sum_of_squares_matches_hand_formula(rng) -> None:
    a, b = gen.well_conditioned(rng, 5), rng.standard_normal(5)

    def loss(a, b):
        return np.sum(pla.solve(a, b) ** 2)

    ga, gb = pb.grad(loss, argnums=(0, 1))(a, b)
    x = np.linalg.solve(a, b)
    w = np.linalg.solve(a.T, 2 * x)  # w = A^-T xbar, xbar = 2 x
    np.testing.assert_allclose(gb, w, rtol=1e-12)
    np.testing.assert_allclose(ga, -np.outer(w, x), rtol=1e-12)  # Abar = -w x^T


def test_solve_factorizes_once_at_every_order(rng, monkeypatch) -> None:
    calls = []
    real = sla.lu_factor

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sla, "lu_factor", counting)
    a, b = gen.well_conditioned(rng, 4), rng.standard_normal(4)

    def loss(a):
        return np.sum(np.linalg.solve(a, b) ** 2)

    pb.grad(loss)(a)
    assert len(calls) == 1
    pb.jvp(loss, (a,), (a,))
    assert len(calls) == 2
    h = pb.hessian(loss)(a)
    assert len(calls) == 3  # one LU for the whole Hessian: every order reuses it
    assert h.shape == (4, 4, 4, 4)


def test_grad_in_a_and_b_solves_once_forward_and_once_adjoint(rng, monkeypatch) -> None:
    calls = []
    real = sla.lu_solve
    monkeypatch.setattr(sla, "lu_solve", lambda *a, **k: calls.append(k["trans"]) or real(*a, **k))
    a, b = gen.well_conditioned(rng, 4), rng.standard_normal(4)
    pb.grad(lambda a, b: np.sum(np.linalg.solve(a, b) ** 2), argnums=(0, 1))(a, b)
    assert calls == [0, 2]  # x = A^-1 b, then w = A^-H xbar shared by Abar and bbar


def test_pos_solve_factorizes_once_with_cholesky(rng, monkeypatch) -> None:
    calls = []
    real = sla.cho_factor
    monkeypatch.setattr(sla, "cho_factor", lambda *a, **k: calls.append(1) or real(*a, **k))
    s, b = gen.spd(rng, 4), rng.standard_normal(4)
    pb.grad(lambda s: np.sum(pla.solve(s, b, assume_a="pos") ** 2))(s)
    assert len(calls) == 1


# ---- conventions ---------------------------------------------------------------------------------
def test_symmetric_solves_give_symmetric_cotangents(rng) -> None:
    s, b = gen.spd(rng, 4), rng.standard_normal(4)
    for assume in ("pos", "sym", "her"):

        def f(s, assume=assume):
            return pla.solve(s, b, assume_a=assume)

        g = pb.grad(lambda s: np.sum(f(s) ** 2))(s)
        np.testing.assert_allclose(g, g.T, rtol=1e-12)
        check_grads(f, (s,), order=1, structure={0: "symmetric"}, rng=rng)


def test_cholesky_cotangent_is_symmetric_and_checks_on_psd_directions(rng) -> None:
    s = gen.spd(rng, 4)
    g = pb.grad(lambda s: np.sum(np.sin(pla.cholesky(s))))(s)
    np.testing.assert_allclose(g, g.T, rtol=1e-12)
    check_grads(pla.cholesky, (s,), order=1, structure={0: "psd"}, rng=rng)
    check_grads(np.linalg.cholesky, (s,), order=1, structure={0: "psd"}, rng=rng)


def test_upper_cholesky_reads_the_upper_triangle_like_numpy_and_scipy() -> None:
    a = np.array([[4.0, 1.0], [2.0, 3.0]])  # not symmetric: which triangle is read shows
    seen = []

    def f(a):
        seen.extend([np.linalg.cholesky(a, upper=True), pla.cholesky(a), np.linalg.cholesky(a)])
        return np.sum(seen[-1])

    pb.grad(f)(a)
    got = [pb.stop_gradient(y) for y in seen]
    np.testing.assert_allclose(got[0], np.linalg.cholesky(a, upper=True), rtol=1e-14)
    np.testing.assert_allclose(got[1], sla.cholesky(a), rtol=1e-14)
    np.testing.assert_allclose(got[2], np.linalg.cholesky(a), rtol=1e-14)
    assert got[0][0, 1] == 0.5 and got[2][1, 0] == 1.0


def test_cho_factor_then_cho_solve_on_traced_input(rng) -> None:
    s, b = gen.spd(rng, 4), rng.standard_normal(4)

    def f(s):
        return pla.cho_solve(pla.cho_factor(s), b)

    np.testing.assert_allclose(f(s), np.linalg.solve(s, b), rtol=1e-12)
    g1 = pb.grad(lambda s: np.sum(f(s) ** 2))(s)
    g2 = pb.grad(lambda s: np.sum(pla.solve(s, b, assume_a="pos") ** 2))(s)
    np.testing.assert_allclose(g1, g2, rtol=1e-10)


def test_triangular_solve_ignores_the_other_triangle(rng) -> None:
    a, b = rng.standard_normal((4, 4)) + 4 * np.eye(4), rng.standard_normal(4)
    g = pb.grad(lambda a: np.sum(pla.solve_triangular(a, b, lower=True, unit_diagonal=True)))(a)
    assert np.all(np.triu(g) == 0)
    assert np.any(np.tril(g, -1) != 0)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.linalg.norm(x),
        lambda x: np.linalg.norm(x, 3),
        lambda x: np.linalg.vector_norm(x, ord=2),
        lambda x: np.linalg.norm(np.reshape(x, (2, 2)), "fro"),
    ],
    ids=["2", "p=3", "vector_norm", "fro"],
)
def test_norm_at_zero_has_gradient_zero(f) -> None:
    x = np.zeros(4)
    assert float(f(x)) == 0.0
    np.testing.assert_array_equal(pb.grad(f)(x), np.zeros(4))
    _, ydot = pb.jvp(f, (x,), (np.ones(4),))
    assert float(ydot) == 0.0
    x1 = np.array([3.0, 0.0, 4.0, 0.0])  # away from 0 the gradient is the usual one
    if f(x1) == 5.0:
        np.testing.assert_allclose(pb.grad(f)(x1), x1 / 5.0, rtol=1e-14)


def test_norm_zero_counts_and_is_constant(rng) -> None:
    x = np.array([1.0, 0.0, -2.0])
    assert float(np.linalg.norm(x, 0)) == 2.0
    np.testing.assert_array_equal(pb.grad(lambda x: np.linalg.norm(x, 0) + np.sum(x))(x), 1.0)


def test_slogdet_returns_numpys_result_type(rng) -> None:
    a = gen.well_conditioned(rng, 3)
    seen = []

    def f(a):
        r = np.linalg.slogdet(a)
        seen.append(r)
        return r.logabsdet

    g = pb.grad(f)(a)
    assert type(seen[0]).__name__ == "SlogdetResult"
    assert not isinstance(seen[0].sign, pb.core.Traced)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-12)  # d log|det A| = A^-T


# ---- bad inputs raise clear errors -------------------------------------------------------------
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("solve", lambda a: pla.solve(a, np.ones(2))),
        ("solve", lambda a: np.linalg.solve(a, np.ones(2))),
        ("inv", lambda a: np.linalg.inv(a)),
        ("lu_solve", lambda a: pla.lu_solve(pla.lu_factor(a), np.ones(2))),
        ("solve_triangular", lambda a: pla.solve_triangular(np.triu(a) * [1, 0], np.ones(2))),
        ("cholesky", lambda a: pla.cholesky(-np.eye(2) + 0 * a)),
        ("solve", lambda a: pla.solve(-np.eye(2) + 0 * a, np.ones(2), assume_a="pos")),
    ],
)
def test_singular_inputs_raise_linalg_errors(name, call) -> None:
    with pytest.raises(np.linalg.LinAlgError):  # plain numpy.linalg calls raise NumPy's own
        call(SINGULAR)
    with pytest.raises(LinearAlgebraError, match=name) as info:
        pb.grad(lambda a: np.sum(call(a)))(SINGULAR)
    assert isinstance(info.value, np.linalg.LinAlgError)


@pytest.mark.parametrize(
    "a",
    [
        SINGULAR,  # rank 1: the cofactor matrix is rank one
        np.arange(1.0, 10.0).reshape(3, 3),  # rank 2 of 3
        np.outer([1.0, 2.0, 0.5], [0.3, -1.0, 2.0]),  # rank 1 of 3: the cofactor is 0
        np.stack([np.eye(2) * 2, SINGULAR]),  # a stack with one singular matrix
    ],
    ids=["2x2-rank1", "3x3-rank2", "3x3-rank1", "stack"],
)
def test_det_at_a_singular_matrix_has_the_cofactor_as_derivative(a) -> None:
    # det is a polynomial: its derivative is the cofactor matrix, singular or not; compare with
    # central differences (exact up to rounding for a polynomial of degree n in each direction)
    grad = pb.grad(lambda a: np.sum(np.linalg.det(a)))(a)
    fd = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = 1e-4
        fd[idx] = (np.sum(np.linalg.det(a + e)) - np.sum(np.linalg.det(a - e))) / 2e-4
    np.testing.assert_allclose(grad, fd, atol=1e-7)
    direction = np.random.default_rng(0).standard_normal(a.shape)
    _, ydot = pb.jvp(lambda a: np.sum(np.linalg.det(a)), (a,), (direction,))
    np.testing.assert_allclose(ydot, np.sum(grad * direction), rtol=1e-12, atol=1e-12)


def test_det_second_derivative_at_a_singular_matrix_raises() -> None:
    with pytest.raises(UndefinedDerivativeError, match="second derivative of the determinant"):
        pb.hessian(np.linalg.det)(SINGULAR)


def test_slogdet_at_a_singular_matrix_has_value_but_no_derivative() -> None:
    assert float(np.linalg.det(SINGULAR)) == 0.0
    assert float(pla.slogdet(SINGULAR).logabsdet) == -np.inf
    with pytest.raises(LinearAlgebraError, match="slogdet"):
        pb.grad(lambda a: np.linalg.slogdet(a)[1])(SINGULAR)


def test_rank_deficient_pinv_and_lstsq_have_no_derivative() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(pla.pinv(a), np.linalg.pinv(a), atol=1e-14)
    with pytest.raises(LinearAlgebraError, match="rank deficient"):
        pb.grad(lambda a: np.sum(np.linalg.pinv(a)))(a)
    with pytest.raises(LinearAlgebraError, match="lstsq"):
        pb.grad(lambda a: np.sum(np.linalg.lstsq(a, np.ones(3))[0]))(a)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda t: pla.solve(t * np.ones((2, 3)), np.ones(2)), "square"),
        (lambda t: pla.solve(t * np.eye(3), np.ones(2)), "right-hand side"),
        (lambda t: np.linalg.solve(t * np.eye(3), np.ones((2, 2))), "right-hand side"),
        (lambda t: pla.solve(t * np.eye(2), np.ones(2), assume_a="banana"), "assume_a"),
        (lambda t: pla.solve_triangular(t * np.eye(2), np.ones(2), trans=3), "trans"),
        (lambda t: pla.solve(t * np.array([[np.nan, 0], [0, 1]]), np.ones(2)), "infs or NaNs"),
        (lambda t: np.linalg.inv(t * np.ones(3)), "square"),
        (lambda t: np.linalg.det(t * np.ones((2, 3))), "square"),
        (lambda t: np.linalg.norm(t * np.ones((2, 2, 2)), 2), "dimensions"),
        (lambda t: np.linalg.norm(t * np.ones(3), "fro"), "Invalid norm order"),
        (lambda t: np.linalg.lstsq(t * np.ones((3, 2)), np.ones(2)), "lstsq"),
    ],
)
def test_wrong_shapes_and_arguments_raise_value_errors(call, match) -> None:
    with pytest.raises(ValueError):  # plain numpy.linalg calls raise NumPy's own message
        call(1.0)
    with pytest.raises(ValueError, match=match):  # pullback's, on traced input
        pb.grad(lambda t: np.sum(call(t)[0]))(1.0)


# ---- complex input: cotangents under the real inner product (dL/dx + i dL/dy) -------------------
def _fd_gradient(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        for unit in (1.0, 1j):
            e = np.zeros_like(x)
            e[idx] = unit * h
            g[idx] += (f(x + e) - f(x - e)) / (2 * h) * unit
    return g


def _herm(a):
    return (a + a.conj().T) / 2


_W = np.random.default_rng(3).standard_normal((3, 3))
_B = np.array([1.0 + 2.0j, -0.5j, 0.3])
COMPLEX_LOSSES = {
    "solve": lambda a: np.sum(np.abs(pla.solve(a, _B)) ** 2),
    "solve_transposed": lambda a: np.sum(np.abs(pla.solve(a, _B, transposed=True)) ** 2),
    "inv": lambda a: np.sum(_W * np.abs(np.linalg.inv(a)) ** 2),
    "det": lambda a: np.abs(np.linalg.det(a)) ** 2,
    "slogdet": lambda a: np.linalg.slogdet(a)[1],
    "solve_triangular_C": lambda a: np.sum(
        np.abs(pla.solve_triangular(a, _B, trans=2, lower=True)) ** 2
    ),
    "lu_solve_T": lambda a: np.sum(np.abs(pla.lu_solve(pla.lu_factor(a), _B, trans=1)) ** 2),
    "pinv": lambda a: np.sum(_W * np.abs(np.linalg.pinv(a)) ** 2),
    "solve_pos": lambda a: np.sum(np.abs(pla.solve(_herm(a), _B, assume_a="pos")) ** 2),
    "cholesky": lambda a: np.sum(_W * np.abs(pla.cholesky(_herm(a))) ** 2),
}


@pytest.mark.parametrize("name", list(COMPLEX_LOSSES))
def test_complex_gradients_match_finite_differences(name) -> None:
    rng = np.random.default_rng(11)
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)) + 3 * np.eye(3)
    if name in ("solve_pos", "cholesky"):
        a = a @ a.conj().T + np.eye(3)
    f = COMPLEX_LOSSES[name]
    g = pb.grad(f)(a)
    assert g.dtype == np.complex128
    ref = _fd_gradient(f, a)
    np.testing.assert_allclose(g, ref, atol=1e-7 * np.abs(ref).max())
