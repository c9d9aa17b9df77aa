"""Decompositions beyond the OpInfo table (which checks every rule in both modes to order 2):
the triangle convention of eigh, repeated and zero eigen/singular values, the warnings for
basis-dependent losses, the errors, reconstruction identities, and eig's phase convention."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import pullback as pb
from pullback.errors import (
    DecompositionError,
    DegenerateEigenvalueWarning,
    UndefinedDerivativeError,
    UnsupportedFunctionError,
)
from pullback.testing import check_grads
from pullback.testing import generators as gen


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


def _lower_convention(sbar: np.ndarray) -> np.ndarray:
    """The gradient w.r.t. a when only its lower triangle is read: tril(Sbar + Sbar^T) - diag."""
    return np.tril(sbar + sbar.T) - np.diag(np.diag(sbar))


def _spectral(q: np.ndarray, w: np.ndarray) -> np.ndarray:
    a = (q * w) @ q.T
    return (a + a.T) / 2


# ---- eigh ------------------------------------------------------------------------------------
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_symmetric_directions_both_modes_order_2(rng, uplo) -> None:
    a = gen.symmetric(rng, 4)

    def f(x):
        w, v = np.linalg.eigh(x, UPLO=uplo)
        return w, v * v

    rows = check_grads(f, (a,), order=2, structure={0: "symmetric"}, rng=rng)
    assert rows and all(r.ok for r in rows)


def test_eigh_gradient_lives_on_the_triangle_lapack_reads(rng) -> None:
    a = gen.symmetric(rng, 3)
    b = rng.standard_normal((3, 3))

    def loss(x, uplo):  # sum(w^2) = ||S||_F^2 and <V diag(w) V^T, B> = <S, B>
        w, v = np.linalg.eigh(x, UPLO=uplo)
        return np.sum(w**2) + np.sum(((v * w) @ v.T) * b)

    g_lower = pb.grad(loss)(a, "L")
    g_upper = pb.grad(loss)(a, "U")
    sbar = 2 * a + (b + b.T) / 2
    np.testing.assert_allclose(g_lower, _lower_convention(sbar), atol=1e-12)
    np.testing.assert_allclose(g_upper, _lower_convention(sbar).T, atol=1e-12)
    # the unread triangle has no influence, so its entries get a zero derivative
    assert np.all(np.triu(g_lower, 1) == 0) and np.all(np.tril(g_upper, -1) == 0)


def test_eigh_scipy_spelling_matches_numpy(rng) -> None:
    a = gen.symmetric(rng, 3, batch=(2,))

    def via_scipy(x):
        w, v = pb.linalg.eigh(x, lower=False)
        return np.sum(w * np.arange(3.0)) + np.sum(v[..., 0] ** 2 * np.arange(3.0))

    def via_numpy(x):
        w, v = np.linalg.eigh(x, UPLO="U")
        return np.sum(w * np.arange(3.0)) + np.sum(v[..., 0] ** 2 * np.arange(3.0))

    np.testing.assert_allclose(pb.grad(via_scipy)(a), pb.grad(via_numpy)(a), atol=1e-12)
    np.testing.assert_allclose(pb.linalg.eigvalsh(a[0]), scipy.linalg.eigvalsh(a[0]))


def test_eigh_repeated_eigenvalue_invariant_loss_is_exact(rng) -> None:
    q = gen.orthogonal(rng, 4)
    a = _spectral(q, np.array([1.0, 1.0, 1.0, 3.0]))
    expm_a = scipy.linalg.expm(a)

    def loss(x):  # trace(expm(x)) through the eigenvalues
        return np.sum(np.exp(np.linalg.eigvalsh(x)))

    g = pb.grad(loss)(a)
    np.testing.assert_allclose(g, _lower_convention(expm_a), rtol=1e-10, atol=1e-12)
    e = rng.standard_normal((4, 4))
    e = e + e.T
    _, ydot = pb.jvp(loss, (a,), (e,))
    np.testing.assert_allclose(ydot, np.sum(expm_a * e), rtol=1e-10)


def test_eigh_identity_is_finite(rng) -> None:
    def loss(x):  # sum(w^2) and sum over all of V * V (a constant n) are basis-independent
        w, v = np.linalg.eigh(x)
        return np.sum(w**2) + np.sum(v * v)

    g = pb.grad(loss)(np.eye(3))
    np.testing.assert_allclose(g, 2 * np.eye(3), atol=1e-12)
    h = pb.hessian(lambda x: np.sum(np.linalg.eigvalsh(x) ** 2))(np.eye(2))
    assert np.all(np.isfinite(h))


def test_eigh_projector_onto_a_whole_eigenspace(rng) -> None:
    q = gen.orthogonal(rng, 4)
    a = _spectral(q, np.array([1.0, 1.0, 3.0, 4.0]))
    b = rng.standard_normal((4, 4))

    def loss(x):  # <P, B> with P the projector onto the double eigenvalue's eigenspace
        v = np.linalg.eigh(x)[1][:, :2]
        return np.sum((v @ v.T) * b)

    rows = check_grads(loss, (a,), order=1, structure={0: "symmetric"}, rng=rng)
    assert all(r.ok for r in rows)


def test_eigh_basis_dependent_loss_warns(rng) -> None:
    q = gen.orthogonal(rng, 3)
    a = _spectral(q, np.array([2.0, 2.0, 5.0]))
    with pytest.warns(DegenerateEigenvalueWarning, match="eigenvector basis"):
        g = pb.grad(lambda x: np.sum(np.linalg.eigh(x)[1][:, 0] ** 4))(a)
    assert np.all(np.isfinite(g))
    with pytest.warns(DegenerateEigenvalueWarning, match="equal eigenvalues"):
        pb.grad(lambda x: np.linalg.eigvalsh(x)[0])(a)


# ---- svd -------------------------------------------------------------------------------------
def _reconstruct(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return (u * np.expand_dims(s, -2)) @ vh


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 3)])
def test_svd_reconstruction_identity(rng, shape) -> None:
    a = rng.standard_normal(shape)
    b = rng.standard_normal(shape)
    y, back = pb.vjp(_reconstruct, a)
    np.testing.assert_allclose(y, a, atol=1e-12)
    np.testing.assert_allclose(back(b)[0], b, atol=1e-10)  # d(U S Vh) = dA
    np.testing.assert_allclose(pb.jvp(_reconstruct, (a,), (b,))[1], b, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5)])
def test_svd_repeated_singular_values(rng, shape) -> None:
    m, n = shape
    q = gen.orthogonal(rng, max(m, n))
    a = 2.0 * q[:m, :n]  # every singular value is 2

    def polar(x):  # U Vh does not depend on the basis of the repeated singular value
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        return u @ vh

    # the F+ = 1/(s_i + s_j) part carries this derivative: masking 1/(s_j^2 - s_i^2) whole
    # (both parts) would return a zero derivative here
    rows = check_grads(polar, (a,), order=1, rng=rng)
    assert all(r.ok for r in rows)
    if m == n:  # d polar(2Q) = Q skew(Q^T dA) / 2, so <B, d polar> has gradient Q skew(Q^T B) / 2
        b = rng.standard_normal(shape)
        qtb = a.T @ b / 2
        expected = a / 2 @ (qtb - qtb.T) / 4
        np.testing.assert_allclose(pb.grad(lambda x: np.sum(polar(x) * b))(a), expected, atol=1e-12)
    # the nuclear norm sum(s) has gradient U Vh
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    g = pb.grad(lambda x: np.sum(np.linalg.svdvals(x)))(a)
    np.testing.assert_allclose(g, u @ vh, atol=1e-12)


def test_svd_repeated_values_combined_with_their_vectors_warn(rng) -> None:
    # U S Vh at repeated s is a smooth function (A itself), but its derivative through the SVD
    # needs lim (X + Y)_ij / (s_j - s_i), which no rule for the SVD alone can know: it warns
    a = 2.0 * gen.orthogonal(rng, 3)
    b = rng.standard_normal((3, 3))
    with pytest.warns(DegenerateEigenvalueWarning):
        pb.grad(lambda x: np.sum(_reconstruct(x) * b))(a)


def test_svd_zero_singular_values_are_finite(rng) -> None:
    a = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))  # rank 2, s_3 = 0
    g = pb.grad(lambda x: np.sum(np.linalg.svd(x, compute_uv=False) ** 2))(a)
    np.testing.assert_allclose(g, 2 * a, atol=1e-12)  # d ||A||_F^2 = 2 A
    # the singular vectors of the nonzero singular values stay smooth: both modes agree with FD
    rows = check_grads(lambda x: np.linalg.svd(x, full_matrices=False)[0][:, :2] ** 2, (a,), 1)
    assert all(r.ok for r in rows)
    with pytest.warns(DegenerateEigenvalueWarning, match="zero singular value"):
        pb.grad(lambda x: np.sum(np.linalg.svdvals(x)))(a)  # the nuclear norm has a kink here


def test_svd_basis_dependent_loss_warns(rng) -> None:
    a = gen.orthogonal(rng, 3)
    with pytest.warns(DegenerateEigenvalueWarning, match="singular vector basis"):
        g = pb.grad(lambda x: np.sum(np.linalg.svd(x)[0][:, 0] ** 4))(a)
    assert np.all(np.isfinite(g))


def test_svd_full_matrices_on_a_non_square_matrix_is_an_error(rng) -> None:
    a = rng.standard_normal((4, 3))
    with pytest.raises(UndefinedDerivativeError, match="full_matrices=False"):
        pb.grad(lambda x: np.sum(np.linalg.svd(x)[0]))(a)
    with pytest.raises(UndefinedDerivativeError, match="full_matrices=False"):
        pb.grad(lambda x: np.sum(pb.linalg.svd(x)[2]))(a.T)
    # singular values alone are fine with the default full_matrices=True
    g = pb.grad(lambda x: np.sum(np.linalg.svd(x, compute_uv=False)))(a)
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(g, u @ vh, atol=1e-12)


def test_svd_hermitian_is_refused(rng) -> None:
    with pytest.raises(UnsupportedFunctionError, match="hermitian"):
        pb.grad(lambda x: np.sum(np.linalg.svd(x, hermitian=True)[1]))(np.eye(2))


# ---- qr --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 4), (2, 3, 4)])
def test_qr_reconstruction_and_orthogonality(rng, shape) -> None:
    a = rng.standard_normal(shape)
    b = rng.standard_normal(shape)

    def product(x):
        q, r = np.linalg.qr(x)
        return q @ r

    def gram(x):  # Q^T Q = I whatever x is: zero derivative
        q = np.linalg.qr(x)[0]
        return np.sum(np.swapaxes(q, -1, -2) @ q)

    np.testing.assert_allclose(pb.vjp(product, a)[1](b)[0], b, atol=1e-10)
    np.testing.assert_allclose(pb.jvp(product, (a,), (b,))[1], b, atol=1e-10)
    np.testing.assert_allclose(pb.grad(gram)(a), 0.0, atol=1e-10)
    r = np.linalg.qr(a)[1]
    assert np.all(np.tril(pb.jvp(lambda x: np.linalg.qr(x)[1], (a,), (b,))[1], -1) == 0)
    assert r.shape[-2:] == (min(shape[-2:]), shape[-1])


def test_qr_wide_matches_numpy_and_scipy(rng) -> None:
    a = rng.standard_normal((3, 5))
    q, r = pb.jvp(lambda x: tuple(np.linalg.qr(x)), (a,), (a,))[0]
    q0, r0 = np.linalg.qr(a)
    np.testing.assert_allclose(q, q0, atol=1e-12)
    np.testing.assert_allclose(r, r0, atol=1e-12)
    (r_s,) = pb.jvp(lambda x: pb.linalg.qr(x, mode="r"), (a.T,), (a.T,))[0]
    np.testing.assert_allclose(np.abs(r_s), np.abs(scipy.linalg.qr(a.T, mode="r")[0]), atol=1e-12)


def test_qr_complete_on_a_tall_matrix_is_an_error(rng) -> None:
    a = rng.standard_normal((4, 2))
    with pytest.raises(UndefinedDerivativeError, match="reduced"):
        pb.grad(lambda x: np.sum(np.linalg.qr(x, mode="complete")[0]))(a)
    with pytest.raises(UndefinedDerivativeError, match="economic"):
        pb.grad(lambda x: np.sum(pb.linalg.qr(x)[1]))(a)  # SciPy's default mode is 'full'


def test_qr_rank_deficient_is_an_error() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    with pytest.raises(DecompositionError, match="rank-deficient"):
        pb.grad(lambda x: np.sum(np.linalg.qr(x)[1]))(a)


# ---- eig -------------------------------------------------------------------------------------
ROTATION = np.array([[0.0, -2.0, 0.3], [1.5, 0.1, 0.2], [0.1, 0.4, 1.0]])  # a complex pair


def test_eig_follows_lapacks_phase_convention() -> None:
    # V itself (not only phase-blind functions of it) agrees with finite differences of
    # np.linalg.eig: unit columns whose largest entry is real, as LAPACK returns them
    rows = check_grads(lambda x: np.linalg.eig(x)[1], (ROTATION,), order=2)
    assert all(r.ok for r in rows)


def test_eig_of_a_complex_matrix(rng) -> None:
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))

    def f(x):
        w, v = np.linalg.eig(x)
        return w, v  # the phase convention makes even V itself differentiable

    rows = check_grads(f, (a,), order=2, rng=rng)
    assert rows and all(r.ok for r in rows)


def test_eig_real_spectrum_eigenvalues_and_vectors(rng) -> None:
    a = gen.distinct_eigenvalues(rng, 4)
    rows = check_grads(lambda x: np.linalg.eig(x)[1] ** 2, (a,), order=1, rng=rng)
    assert all(r.ok for r in rows)
    # d w_i = (V^-1 dA V)_ii: the gradient of sum(w * c) is V^-T diag(c) V^T
    v = np.linalg.eig(a)[1]
    c = np.arange(1.0, 5.0)
    g = pb.grad(lambda x: np.sum(np.linalg.eig(x)[0] * c))(a)
    np.testing.assert_allclose(g, np.linalg.inv(v).T @ np.diag(c) @ v.T, atol=1e-10)


def test_eig_of_a_real_matrix_has_a_real_cotangent() -> None:
    def loss(x):  # a real function of the complex eigenvalues: sum |w|^2
        w = np.linalg.eigvals(x)
        return np.sum(np.real(w * np.conj(w)))

    g = pb.grad(loss)(ROTATION)
    assert g.dtype == np.float64
    w, v = np.linalg.eig(ROTATION)
    vinv = np.linalg.inv(v)
    expected = np.real(vinv.conj().T @ np.diag(2 * w) @ v.conj().T)  # Abar = Re V^-H diag(2w) V^H
    np.testing.assert_allclose(g, expected, atol=1e-10)


def test_eig_repeated_eigenvalue(rng) -> None:
    v = gen.well_conditioned(rng, 3)
    a = v @ np.diag([2.0, 2.0, 5.0]) @ np.linalg.inv(v)  # diagonalizable, a double eigenvalue
    # sum(w^2) = trace(A^2) treats equal eigenvalues alike: exact, no warning
    g = pb.grad(lambda x: np.sum(np.linalg.eigvals(x) ** 2))(a)
    np.testing.assert_allclose(g, 2 * a.T, atol=1e-9)
    with pytest.warns(DegenerateEigenvalueWarning, match="equal eigenvalues"):
        pb.grad(lambda x: np.sum(np.linalg.eigvals(x) * np.arange(3.0)))(a)
    with pytest.warns(DegenerateEigenvalueWarning, match="eigenvector basis"):
        pb.grad(lambda x: np.sum(np.linalg.eig(x)[1][:, 0] ** 4))(a)


def test_eig_scipy_spelling_returns_complex_eigenvalues(rng) -> None:
    a = gen.distinct_eigenvalues(rng, 3)
    w, _ = pb.jvp(lambda x: pb.linalg.eig(x), (a,), (a,))[0]
    assert np.iscomplexobj(w)
    np.testing.assert_allclose(np.sort(w.real), [1.0, 2.0, 3.0], atol=1e-10)
    g = pb.grad(lambda x: np.sum(np.real(pb.linalg.eigvals(x)) ** 2))(a)
    np.testing.assert_allclose(g, 2 * a.T, atol=1e-9)  # sum(w^2) = trace(A^2)


# ---- complex input: every rule follows LAPACK's phase, so even raw vectors match FD --------------
def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_of_a_hermitian_matrix(rng, uplo) -> None:
    z = _complex(rng, (2, 3, 3))
    h = z + np.conj(np.swapaxes(z, -1, -2))
    rows = check_grads(lambda x: tuple(np.linalg.eigh(x, UPLO=uplo)), (h,), order=2, rng=rng)
    assert rows and all(r.ok for r in rows)
    # only one triangle and the real part of the diagonal are read: the rest gets zero
    g = pb.grad(lambda x: np.sum(np.linalg.eigvalsh(x, UPLO=uplo) ** 2))(h[0])
    unread = np.triu(np.ones((3, 3)), 1) if uplo == "L" else np.tril(np.ones((3, 3)), -1)
    assert np.all(g[unread == 1] == 0)
    assert np.all(np.diag(g).imag == 0)
    # d sum(w^2) = d ||S||_F^2: 2 S on the read triangle, off-diagonals twice
    expected = 2 * h[0] * (1 + (unread.T == 1))
    np.testing.assert_allclose(g, np.where(unread == 1, 0, expected), atol=1e-12)


def test_another_lapacks_phase_is_moved_to_the_convention(rng) -> None:
    from pullback.linalg.decomp import _unphase

    vh = np.linalg.svd(_complex(rng, (4, 3)), full_matrices=False)[2]
    np.testing.assert_array_equal(_unphase(np.conj(vh[:, 0])), 1.0)  # NumPy's: row 0 of V real
    turn = np.exp(1j * rng.uniform(0, 6, 3))  # what another LAPACK might return instead
    c = _unphase(np.conj(vh[:, 0] / turn))
    np.testing.assert_allclose(np.abs(c), 1.0)
    np.testing.assert_allclose(np.imag(np.conj(vh[:, 0] / turn) * c), 0.0, atol=1e-15)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3)])
def test_svd_and_qr_of_a_complex_matrix(rng, shape) -> None:
    a = _complex(rng, shape)
    rows = check_grads(lambda x: tuple(np.linalg.svd(x, full_matrices=False)), (a,), 2, rng=rng)
    rows += check_grads(lambda x: tuple(np.linalg.qr(x)), (a,), order=2, rng=rng)
    assert rows and all(r.ok for r in rows)


# ---- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (lambda x: np.linalg.eigh(x)[0], "numpy.linalg.eigh"),
        (lambda x: pb.linalg.eigvalsh(x), "pullback.linalg.eigvalsh"),
        (lambda x: np.real(pb.linalg.eigvals(x)), "pullback.linalg.eigvals"),
        (lambda x: pb.linalg.svdvals(x), "pullback.linalg.svdvals"),
        (lambda x: np.linalg.svd(x)[1], "numpy.linalg.svd"),
        (lambda x: np.linalg.qr(x)[1], "numpy.linalg.qr"),
        (lambda x: np.real(np.linalg.eigvals(x)), "numpy.linalg.eigvals"),
    ],
)
def test_nan_input_is_a_linalg_error_naming_the_function(fn, name) -> None:
    a = np.array([[1.0, np.nan], [np.nan, 2.0]])
    with pytest.raises(np.linalg.LinAlgError, match=name) as info:
        pb.grad(lambda x: np.sum(fn(x)))(a)
    assert isinstance(info.value, DecompositionError)
    with pytest.raises(DecompositionError, match="NaN or Inf"):
        pb.jvp(fn, (a,), (a,))


def test_unsupported_arguments_are_refused(rng) -> None:
    a = gen.spd(rng, 3)
    with pytest.raises(UnsupportedFunctionError, match="generalized"):
        pb.grad(lambda x: np.sum(pb.linalg.eigh(x, a)[0]))(a)
    with pytest.raises(DecompositionError, match="square"):
        pb.grad(lambda x: np.sum(np.linalg.eigvalsh(x)))(np.ones((2, 3)))


def test_plain_inputs_give_scipys_results(rng) -> None:
    a = gen.symmetric(rng, 3)
    for ours, theirs in [
        (pb.linalg.eigh(a), scipy.linalg.eigh(a)),
        (pb.linalg.svd(a), scipy.linalg.svd(a)),
        (pb.linalg.qr(a), scipy.linalg.qr(a)),
        (pb.linalg.eig(a), scipy.linalg.eig(a)),
    ]:
        for x, y in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(x, y)
