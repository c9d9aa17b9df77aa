"""Specific tests for the indexing and contraction rules beyond the OpInfo table: exact values,
accumulation at repeated indices, masks, every matmul case, dot's N-D semantics, einsum's forms,
third order, dtypes and clear errors."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import pullback as pb

# registers the rules until rules/__init__.py imports these modules
import pullback.rules
import pullback.rules.contractions
import pullback.rules.indexing
from pullback.core import REGISTRY
from pullback.errors import TracedConversionError
from pullback.extend import unbroadcast
from pullback.testing import check_grads
from pullback.testing.table.contractions import DOT_SHAPES, MATMUL_SHAPES


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _normal(*shape: int) -> np.ndarray:
    return _rng().standard_normal(shape)


# ---- indexing ----------------------------------------------------------------------------------
def test_repeated_indices_accumulate() -> None:
    x = np.array([5.0, 6.0, 7.0])
    np.testing.assert_array_equal(pb.grad(lambda x: np.sum(x[[0, 0, 1]]))(x), [2.0, 1.0, 0.0])
    (xbar,) = pb.vjp(lambda x: x[[2, 0, 2, 2]], x)[1](np.array([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(xbar, [10.0, 0.0, 1101.0])


def test_repeated_indices_second_order() -> None:
    x = np.array([1.0, 2.0, 3.0])
    # f = 2 x0^3 + x1^3: H = diag(12 x0, 6 x1, 0)
    h = pb.hessian(lambda x: np.sum(x[[0, 0, 1]] ** 3))(x)
    np.testing.assert_allclose(h, np.diag([12.0, 12.0, 0.0]))
    check_grads(lambda x: x[[0, 0, 1]] ** 2, (x,), order=3, rng=_rng())


def test_repeated_indices_forward_mode() -> None:
    x, v = np.array([1.0, 2.0, 3.0]), np.array([1.0, 10.0, 100.0])
    _, ydot = pb.jvp(lambda x: x[[2, 2, 0]], (x,), (v,))
    np.testing.assert_array_equal(ydot, [100.0, 100.0, 1.0])


def test_boolean_mask_gradient() -> None:
    x = np.array([-1.0, 2.0, -3.0, 4.0])
    np.testing.assert_array_equal(pb.grad(lambda x: np.sum(x[x > 0] ** 2))(x), [0.0, 4.0, 0.0, 8.0])
    X = np.arange(6.0).reshape(2, 3)
    mask = np.array([[True, False, True], [False, True, False]])
    (Xbar,) = pb.vjp(lambda X: X[mask], X)[1](np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(Xbar, [[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    (Xbar,) = pb.vjp(lambda X: X[:, mask[0]], X)[1](np.ones((2, 2)))
    np.testing.assert_array_equal(Xbar, [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])


def test_basic_index_cotangent_lands_in_place() -> None:
    X = np.zeros((3, 4))
    (Xbar,) = pb.vjp(lambda X: X[::-2, None, 1:3], X)[1](np.array([[[1.0, 2.0]], [[3.0, 4.0]]]))
    expected = np.zeros((3, 4))
    expected[2, 1:3], expected[0, 1:3] = [1.0, 2.0], [3.0, 4.0]
    np.testing.assert_array_equal(Xbar, expected)


def test_iteration_over_a_traced_array() -> None:
    X = np.arange(6.0).reshape(3, 2)
    g = pb.grad(lambda X: sum(np.sum(row) * k for k, row in enumerate(X)))(X)
    np.testing.assert_array_equal(g, [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])


def test_index_must_not_be_a_traced_float() -> None:
    with pytest.raises(IndexError, match="used as an index"):
        pb.grad(lambda x: x[x[0]])(np.zeros(3))


def test_take_matches_numpy_and_accumulates() -> None:
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(
        pb.grad(lambda x: np.sum(np.take(x, [1, 1, 4], mode="clip")))(x), [0.0, 2.0, 1.0]
    )


# ---- matmul ------------------------------------------------------------------------------------
def test_pullback_of_xtx_is_x_times_symmetrized_v() -> None:
    X, V = _normal(4, 3), np.random.default_rng(1).standard_normal((3, 3))
    y, back = pb.vjp(lambda X: X.T @ X, X)
    np.testing.assert_allclose(y, X.T @ X)
    np.testing.assert_allclose(back(V)[0], X @ (V + V.T), rtol=1e-13)
    Xdot = np.random.default_rng(2).standard_normal((4, 3))
    _, ydot = pb.jvp(lambda X: X.T @ X, (X,), (Xdot,))
    np.testing.assert_allclose(ydot, Xdot.T @ X + X.T @ Xdot, rtol=1e-13)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_every_case_in_both_modes(shapes) -> None:
    rng = _rng()
    a, b = (rng.standard_normal(s) for s in shapes)
    y, back = pb.vjp(np.matmul, a, b)
    np.testing.assert_allclose(y, a @ b)
    ybar = rng.standard_normal(np.shape(y))
    abar, bbar = back(ybar)
    assert abar.shape == a.shape and bbar.shape == b.shape
    # the cotangents against the explicit sum over the (broadcast) matmul
    a2, b2 = a if a.ndim > 1 else a[None], b if b.ndim > 1 else b[:, None]
    y2 = ybar.reshape(
        (*np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]), a2.shape[-2], b2.shape[-1])
    )
    np.testing.assert_allclose(abar.reshape(a2.shape), unbroadcast(y2 @ b2.mT, a2))
    np.testing.assert_allclose(bbar.reshape(b2.shape), unbroadcast(a2.mT @ y2, b2))
    check_grads(lambda a, b: a @ b, (a, b), order=2, rng=rng)


def test_matmul_third_order() -> None:
    A = _normal(3, 3)
    check_grads(lambda A: A @ A @ A, (A,), order=3, rng=_rng())
    # forward over reverse: the Hessian-vector product against central differences of the gradient
    g = pb.grad(lambda A: np.sum(A @ A @ A))
    E = np.zeros((3, 3))
    E[1, 2] = 1.0
    _, hv = pb.jvp(g, (A,), (E,))
    np.testing.assert_allclose(hv, (g(A + 1e-3 * E) - g(A - 1e-3 * E)) / 2e-3, rtol=1e-8)


def test_constant_matrix_on_the_left() -> None:
    A, x = _normal(2, 3), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(pb.grad(lambda x: np.sum(A @ x))(x), A.sum(axis=0))


def test_float32_stays_float32() -> None:
    A, B = _normal(2, 3).astype(np.float32), _normal(3, 4).astype(np.float32)
    for f in (
        np.matmul,
        np.dot,
        lambda a, b: np.einsum("ij,jk", a, b),
        lambda a, b: np.tensordot(a, b, 1),
        lambda a, b: np.kron(a, b[0]),
        lambda a, b: a[[0, 0]] @ b[::-1, 1:],
    ):
        y, back = pb.vjp(f, A, B)
        assert y.dtype == np.float32
        assert all(g.dtype == np.float32 for g in back(np.ones_like(y)))
        assert pb.jvp(f, (A, B), (A, B))[1].dtype == np.float32


def test_mixed_precision_cotangents_take_each_inputs_dtype() -> None:
    A, B = _normal(2, 3).astype(np.float32), _normal(3, 4)
    abar, bbar = pb.vjp(np.matmul, A, B)[1](np.ones((2, 4)))
    assert abar.dtype == np.float32 and bbar.dtype == np.float64


# ---- dot ---------------------------------------------------------------------------------------
def test_dot_method_differentiates_both_arguments() -> None:
    x, w = _normal(2, 3), np.random.default_rng(1).standard_normal((3, 4))
    gx, gw = pb.grad(lambda x, w: np.sum(x.dot(w)), argnums=(0, 1))(x, w)
    np.testing.assert_allclose(gx, np.ones((2, 4)) @ w.T)
    np.testing.assert_allclose(gw, x.T @ np.ones((2, 4)))
    assert np.any(gx != 0) and np.any(gw != 0)


@pytest.mark.parametrize("shapes", DOT_SHAPES, ids=str)
def test_dot_follows_numpy_semantics(shapes) -> None:
    rng = _rng()
    a, b = (rng.standard_normal(s) for s in shapes)
    np.testing.assert_allclose(pb.jvp(np.dot, (a, b), (a, b))[0], np.dot(a, b), rtol=1e-14)
    check_grads(np.dot, (a, b), order=2, rng=rng)


def test_plain_ndarray_dot_method_with_traced_argument_is_an_error_not_a_zero() -> None:
    with pytest.raises(TracedConversionError):
        pb.grad(lambda x: np.sum(np.ones((2, 3)).dot(x)))(np.ones(3))


# ---- einsum and friends ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [
        ("ij,jk", [(2, 3), (3, 4)]),
        ("ba", [(2, 3)]),
        ("...ij,...jk", [(2, 3), (4, 3, 5)]),
        ("i...->...", [(2, 3)]),
        ("ii", [(3, 3)]),
        ("iij->j", [(2, 2, 3)]),
        ("Ab,bc", [(2, 3), (3, 4)]),
    ],
)
def test_einsum_values_match_numpy(subscripts, shapes) -> None:
    ops = [np.random.default_rng(k).standard_normal(s) for k, s in enumerate(shapes)]
    y, _ = pb.jvp(lambda *o: np.einsum(subscripts, *o), tuple(ops), tuple(ops))
    np.testing.assert_allclose(y, np.einsum(subscripts, *ops), rtol=1e-14)


def test_einsum_trace_and_diagonal_cotangents() -> None:
    X = _normal(3, 3)
    np.testing.assert_array_equal(pb.grad(lambda X: np.einsum("ii->", X))(X), np.eye(3))
    w = np.array([1.0, 2.0, 3.0])
    (Xbar,) = pb.vjp(lambda X: np.einsum("ii->i", X), X)[1](w)
    np.testing.assert_array_equal(Xbar, np.diag(w))
    (xbar,) = pb.vjp(lambda x: np.einsum("ij->i", x), X[:2])[1](np.array([1.0, 2.0]))
    np.testing.assert_array_equal(xbar, [[1.0] * 3, [2.0] * 3])


def test_einsum_repeated_operand_third_order() -> None:
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(pb.grad(lambda x: np.einsum("i,i,i->", x, x, x))(x), 3 * x**2)
    check_grads(lambda x: np.einsum("i,j,i->j", x, x, x), (x,), order=3, rng=_rng())


def test_einsum_rejects_what_it_does_not_support() -> None:
    with pytest.raises(TypeError, match="out"):
        pb.grad(lambda x: np.einsum("i,i", x, x, out=np.zeros(())))(np.ones(3))
    with pytest.raises(ValueError, match="do not match"):
        pb.grad(lambda x: np.einsum("ij", x))(np.ones(3))


def test_kron_and_outer_values() -> None:
    a, b = _normal(2, 3), np.random.default_rng(1).standard_normal((2, 2))
    np.testing.assert_allclose(pb.jvp(np.kron, (a, b), (a, b))[0], np.kron(a, b))
    np.testing.assert_allclose(pb.jvp(np.outer, (a, b), (a, b))[0], np.outer(a, b))
    c = np.random.default_rng(2).standard_normal((4, 3))
    np.testing.assert_allclose(pb.jvp(np.inner, (a, c), (a, c))[0], np.inner(a, c))


def test_tensordot_checks_the_contracted_sizes() -> None:
    with pytest.raises(ValueError, match="shape-mismatch"):
        pb.grad(lambda x: np.sum(np.tensordot(x, np.ones((2, 4)), 1)))(np.ones((2, 3)))


def test_rules_are_registered() -> None:
    for fn in (operator.getitem, np.matmul, np.dot, np.einsum, np.tensordot, np.kron):
        assert fn in REGISTRY
