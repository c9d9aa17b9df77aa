"""The functions added to close issue 3/4's coverage gaps: values on traced input equal NumPy's and
SciPy's (the OpInfo table checks the derivatives), closed-form derivatives at special points, and
the errors for inputs with no derivative."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import pullback as pb
from pullback.errors import LinearAlgebraError, UnsupportedFunctionError

RNG = np.random.default_rng(11)
A = 2.0 * np.eye(3) + RNG.standard_normal((3, 3)) / 3
AB = 2.0 * np.eye(3) + RNG.standard_normal((2, 3, 3)) / 3


def _value(f, *args):
    """f's value computed on traced input (through jvp)."""
    y, _ = pb.jvp(f, args, args)
    return y


# ---- values on traced input equal NumPy's ------------------------------------------------------
@pytest.mark.parametrize(
    ("f", "args"),
    [
        (lambda a: np.linalg.cond(a), (AB,)),
        (lambda a: np.linalg.cond(a, -2), (A,)),
        (lambda a: np.linalg.cond(a, "fro"), (AB,)),
        (lambda a: np.linalg.cond(a, -np.inf), (A,)),
        (lambda a: np.linalg.cond(a[:, :2]), (A,)),
        (
            lambda a: np.linalg.tensorinv(
                np.reshape(np.kron(a, a)[:6, :6] + 3 * np.eye(6), (2, 3, 6))
            ),
            (A,),
        ),
        (lambda a, b: np.linalg.tensorsolve(np.reshape(a, (3, 3)), b), (A, A[0])),
        (lambda a: np.linalg.matrix_transpose(a), (AB,)),
        (lambda a: np.linalg.diagonal(a, offset=-1), (AB,)),
        (lambda a: np.linalg.trace(a, offset=1), (AB,)),
        (lambda a: np.linalg.cross(a, a[::-1]), (AB,)),
        (lambda x: np.fft.hfft(x * (1 + 0.5j), norm="ortho"), (A,)),
        (lambda x: np.fft.hfft(x, n=5, axis=0, norm="forward"), (A,)),
        (lambda x: np.fft.ihfft(x, n=4), (A,)),
        (np.i0, (A,)),
        (np.roots, (np.array([2.0, -3.0, 0.5, 1.0]),)),
        (lambda x, y: np.polyfit(x, y, 2, w=1 + x * x), (np.linspace(0, 1, 6), A[:2].ravel())),
        (lambda u, v: np.polydiv(u, v)[0], (A[0], A[1, :2])),
        (lambda u, v: np.polydiv(u, v)[1], (A.ravel(), A[1])),
    ],
)
def test_traced_value_equals_numpys(f, args) -> None:
    np.testing.assert_allclose(_value(f, *args), f(*args), rtol=1e-12, atol=1e-12)


def test_real_if_close_returns_the_real_part_only_when_imag_is_negligible() -> None:
    x = A[0]
    near = _value(lambda t: np.real_if_close(t + 1e-20j), x)
    far = _value(lambda t: np.real_if_close(t + 1e-3j), x)
    assert near.dtype == np.float64 and far.dtype == np.complex128
    g = pb.grad(lambda t: np.sum(np.real_if_close(t * (1 + 1e-20j)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * x)


# ---- closed forms at special points ------------------------------------------------------------
def test_cond_2_gradient_is_the_quotient_rule_on_extreme_singular_values() -> None:
    u, s, vh = np.linalg.svd(A)
    expected = (np.outer(u[:, 0], vh[0]) / s[-1]) - s[0] / s[-1] ** 2 * np.outer(u[:, -1], vh[-1])
    np.testing.assert_allclose(pb.grad(np.linalg.cond)(A), expected, rtol=1e-10)


def test_a_simple_root_at_zero_keeps_its_derivative() -> None:
    """p = (x - 1)(x - 2) x: the root at 0 moves by -dp[-1] / p[-2] when the constant term moves
    (NumPy strips the trailing zero; pullback keeps it in the companion matrix)."""
    p = np.array([1.0, -3.0, 2.0, 0.0])
    r, rdot = pb.jvp(np.roots, (p,), (np.array([0.0, 0.0, 0.0, 1.0]),))
    np.testing.assert_allclose(r, np.roots(p), atol=1e-12)
    np.testing.assert_allclose(rdot[np.argmin(np.abs(r))], -1.0 / 2.0, rtol=1e-10)


def test_polydiv_derivative_in_the_divisor_is_rational() -> None:
    """u = x^2, v = x - c: q = x + c, r = c^2; dq/dc = [0, 1], dr/dc = 2c."""
    c = 0.7
    (q, r), (qdot, rdot) = pb.jvp(
        lambda v: np.polydiv(np.array([1.0, 0.0, 0.0]), v),
        (np.array([1.0, -c]),),
        (np.array([0.0, -1.0]),),
    )
    np.testing.assert_allclose(q, [1.0, c])
    np.testing.assert_allclose(r, [c * c])
    np.testing.assert_allclose(qdot, [0.0, 1.0], atol=1e-14)
    np.testing.assert_allclose(rdot, [2 * c], rtol=1e-12)


def test_inverse_boxcox_in_lambda_at_zero() -> None:
    """d/dl inv_boxcox(z, l) at l = 0 is -exp(z) z^2 / 2; near 0 the series gives the same."""
    z = np.array([0.3, 1.2])
    g0 = pb.jacfwd(lambda lam: sc.inv_boxcox(z, lam))(0.0)
    np.testing.assert_allclose(g0, -np.exp(z) * z * z / 2, rtol=1e-14)
    g1 = pb.jacfwd(lambda lam: sc.inv_boxcox(z, lam))(1e-9)
    np.testing.assert_allclose(g1, g0, rtol=1e-7)


def test_exprel_derivative_at_zero_is_one_half() -> None:
    assert pb.grad(sc.exprel)(0.0) == 0.5
    np.testing.assert_allclose(pb.grad(pb.grad(sc.exprel))(0.0), 1 / 3, rtol=1e-14)


def test_betainc_in_x_is_the_beta_density() -> None:
    a, b, x = 1.5, 2.5, 0.3
    np.testing.assert_allclose(
        pb.grad(lambda t: sc.betainc(a, b, t))(x),
        x ** (a - 1) * (1 - x) ** (b - 1) / sc.beta(a, b),
        rtol=1e-12,
    )


# ---- errors ------------------------------------------------------------------------------------
def test_cond_of_a_singular_matrix_raises() -> None:
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(LinearAlgebraError, match=r"numpy\.linalg\.cond"):
        pb.grad(np.linalg.cond)(singular)
    with pytest.raises(LinearAlgebraError):
        pb.grad(lambda a: np.linalg.cond(a, 1))(singular)


def test_polydiv_by_a_zero_leading_coefficient_raises() -> None:
    with pytest.raises(ZeroDivisionError, match="leading coefficient"):
        pb.grad(lambda u: np.sum(np.polydiv(u, np.array([0.0, 1.0]))[0]))(A[0])


def test_linalg_cross_needs_3_vectors() -> None:
    with pytest.raises(ValueError, match="3-dimensional vectors"):
        pb.grad(lambda a: np.sum(np.linalg.cross(a[:, :2], a[:, :2])))(A)


def test_a_shape_parameter_has_no_derivative() -> None:
    with pytest.raises(UnsupportedFunctionError, match="with respect to a"):
        pb.grad(lambda a: sc.betainc(a, 2.0, 0.3))(1.5)
    with pytest.raises(UnsupportedFunctionError, match="with respect to n"):
        pb.grad(lambda n: sc.eval_legendre(n, 0.3))(2.0)
