"""Specific tests for the reduction and shape rules beyond the OpInfo table: exact values,
ties, zeros in prod, axis / keepdims / ddof variants, constants mixed in, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb

# registers the rules until rules/__init__.py imports these modules
import pullback.rules.reductions
import pullback.rules.shape
from pullback.core import REGISTRY
from pullback.testing import check_grads


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ---- max / min ---------------------------------------------------------------------------------
def test_max_ties_split_the_cotangent_evenly() -> None:
    x = np.array([1.0, 3.0, 3.0, 2.0])
    np.testing.assert_array_equal(pb.grad(np.max)(x), [0.0, 0.5, 0.5, 0.0])
    _, ydot = pb.jvp(np.max, (x,), (np.array([0.0, 2.0, 4.0, 8.0]),))
    assert ydot == 3.0


def test_min_axis_keepdims_goes_to_the_argmin() -> None:
    x = np.array([[4.0, 1.0, 1.0], [0.0, 5.0, 2.0]])
    y, back = pb.vjp(lambda x: np.min(x, axis=1, keepdims=True), x)
    np.testing.assert_array_equal(y, [[1.0], [0.0]])
    (xbar,) = back(np.array([[2.0], [3.0]]))
    np.testing.assert_array_equal(xbar, [[0.0, 1.0, 1.0], [3.0, 0.0, 0.0]])


def test_amax_and_ufunc_reduce_agree_with_max() -> None:
    x = _rng().permutation(12).reshape(3, 4) * 1.0
    expected = pb.grad(lambda x: np.sum(np.max(x, axis=0) * np.arange(4.0)))(x)
    for f in (np.amax, np.maximum.reduce):
        np.testing.assert_array_equal(
            pb.grad(lambda x, f=f: np.sum(f(x, axis=0) * np.arange(4.0)))(x), expected
        )


def test_max_with_where_and_initial() -> None:
    x = np.array([1.0, 9.0, 0.5])
    f = lambda x: np.max(x, where=np.array([True, False, True]), initial=-5.0)
    assert f(x) == 1.0
    np.testing.assert_array_equal(pb.grad(f)(x), [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="initial"):
        pb.grad(lambda x: np.max(x, where=np.array([True, False, True])))(x)


def test_amax_is_registered_once_per_distinct_callable() -> None:
    assert np.amax in REGISTRY and np.max in REGISTRY
    assert (np.maximum, "reduce") in REGISTRY and (np.minimum, "reduce") in REGISTRY


# ---- prod --------------------------------------------------------------------------------------
def test_prod_gradient_and_hessian_with_one_zero() -> None:
    x = np.array([0.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(pb.grad(np.prod)(x), [24.0, 0.0, 0.0, 0.0])
    h = pb.hessian(np.prod)(x)  # H_ij = prod_{k != i, j} x_k
    expected = np.array(
        [[0.0, 12.0, 8.0, 6.0], [12.0, 0.0, 0.0, 0.0], [8.0, 0.0, 0.0, 0.0], [6.0, 0.0, 0.0, 0.0]]
    )
    np.testing.assert_array_equal(h, expected)
    check_grads(np.prod, (x,), order=3, rng=_rng())


def test_prod_gradient_and_hessian_with_two_zeros() -> None:
    x = np.array([0.0, 2.0, 0.0, 4.0])
    np.testing.assert_array_equal(pb.grad(np.prod)(x), np.zeros(4))
    h = pb.hessian(np.prod)(x)
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[2, 0] = 8.0
    np.testing.assert_array_equal(h, expected)
    _, hv = pb.jvp(pb.grad(np.prod), (x,), (np.ones(4),))
    np.testing.assert_array_equal(hv, [8.0, 0.0, 8.0, 0.0])


def test_prod_axis_keepdims_exact() -> None:
    x = np.array([[1.0, 2.0, 3.0], [0.0, 5.0, 6.0]])
    (xbar,) = pb.vjp(lambda x: np.prod(x, axis=1, keepdims=True), x)[1](np.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(xbar, [[6.0, 3.0, 2.0], [60.0, 0.0, 0.0]])
    g = pb.grad(lambda x: np.sum(np.multiply.reduce(x)))(x)  # axis=0 by default
    np.testing.assert_array_equal(g, [[0.0, 5.0, 6.0], [1.0, 2.0, 3.0]])


# ---- sum, mean, var, std, cumsum --------------------------------------------------------------
def test_sum_axis_tuple_negative_keepdims_shapes_and_dtype() -> None:
    x = np.ones((4, 2, 3), np.float32)
    y, back = pb.vjp(lambda x: np.sum(x, axis=(0, -1), keepdims=True), x)
    assert y.shape == (1, 2, 1) and y.dtype == np.float32
    (xbar,) = back(np.array([[[1.0], [2.0]]], np.float32))
    assert xbar.shape == x.shape and xbar.dtype == np.float32
    np.testing.assert_array_equal(xbar[:, 1], np.full((4, 3), 2.0))


def test_sum_where_initial_and_add_reduce() -> None:
    x = np.arange(6.0).reshape(2, 3)
    f = lambda x: np.sum(x, axis=1, where=np.array([True, False, True]), initial=10.0)
    np.testing.assert_array_equal(f(x), [12.0, 18.0])
    np.testing.assert_array_equal(pb.grad(lambda x: np.sum(f(x)))(x), [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(pb.jvp(np.add.reduce, (x,), (x,))[1], [3.0, 5.0, 7.0])


def test_mean_divides_by_the_reduced_count() -> None:
    x = np.zeros((4, 2, 3))
    np.testing.assert_allclose(pb.grad(lambda x: np.mean(x))(x), np.full(x.shape, 1 / 24))
    g = pb.grad(lambda x: np.sum(np.mean(x, axis=(0, 2))))(x)
    np.testing.assert_allclose(g, np.full(x.shape, 1 / 12))


@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_var_and_std_gradients_with_ddof(ddof: int) -> None:
    x = np.array([1.0, 2.0, 4.0, 7.0])
    n, d = x.size, x - x.mean()
    np.testing.assert_allclose(pb.grad(lambda x: np.var(x, ddof=ddof))(x), 2 * d / (n - ddof))
    std = np.std(x, ddof=ddof)
    np.testing.assert_allclose(pb.grad(lambda x: np.std(x, ddof=ddof))(x), d / ((n - ddof) * std))
    check_grads(lambda x: np.std(x, ddof=ddof), (x,), order=2, rng=_rng())


def test_var_axis_keepdims_and_correction() -> None:
    x = _rng().normal(size=(3, 4))
    f = lambda x: np.var(x, axis=-1, keepdims=True, correction=1)
    np.testing.assert_allclose(f(x), np.var(x, axis=-1, keepdims=True, ddof=1))
    check_grads(f, (x,), order=2, rng=_rng())


def test_cumsum_flattens_without_axis_and_transposes_to_reverse_cumsum() -> None:
    x = np.ones((2, 2))
    y, back = pb.vjp(np.cumsum, x)
    np.testing.assert_array_equal(y, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(back(np.array([1.0, 0.0, 0.0, 1.0]))[0], [[2.0, 1.0], [1.0, 1.0]])
    _, ydot = pb.jvp(
        lambda x: np.add.accumulate(x, axis=1), (x,), (np.array([[1.0, 2.0], [3.0, 4.0]]),)
    )
    np.testing.assert_array_equal(ydot, [[1.0, 3.0], [3.0, 7.0]])


def test_methods_on_traced_arrays() -> None:
    x = np.arange(1.0, 7.0).reshape(2, 3)
    g = pb.grad(lambda x: x.sum() + x.mean() * 6 + np.sum(x.T.reshape(-1) * np.arange(6.0)))(x)
    np.testing.assert_array_equal(g, [[2.0, 4.0, 6.0], [3.0, 5.0, 7.0]])


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.sum(x, out=np.zeros(())),
        lambda x: np.median(x, out=np.zeros(())),
        lambda x: np.var(x, mean=np.zeros(())),
        lambda x: np.cumsum(x, out=np.zeros(3)),
        lambda x: np.concatenate([x, x], out=np.zeros(6)),
    ],
)
def test_unsupported_keywords_raise_type_error(f) -> None:
    with pytest.raises(TypeError, match="does not support"):
        pb.grad(lambda x: np.sum(f(x)))(np.ones(3))


# ---- shape ops ---------------------------------------------------------------------------------
def test_concatenate_with_a_constant_and_mixed_shapes() -> None:
    x, c = np.array([[1.0, 2.0]]), np.array([[5.0, 6.0], [7.0, 8.0]])
    y, back = pb.vjp(lambda x: np.concatenate([c, x, x], axis=0), x)
    np.testing.assert_array_equal(y[2:], [[1.0, 2.0], [1.0, 2.0]])
    (xbar,) = back(np.arange(8.0).reshape(4, 2))
    np.testing.assert_array_equal(xbar, [[10.0, 12.0]])


def test_split_pieces_unused_and_indices() -> None:
    x = np.arange(5.0)
    y, back = pb.vjp(lambda x: np.split(x, [1, -2])[2] * 3.0, x)
    np.testing.assert_array_equal(y, [9.0, 12.0])
    np.testing.assert_array_equal(back(np.ones(2))[0], [0.0, 0.0, 0.0, 3.0, 3.0])
    parts = pb.jvp(lambda x: np.array_split(x, 3), (x,), (np.ones(5),))[1]
    assert [p.shape for p in parts] == [(2,), (2,), (1,)]
    with pytest.raises(ValueError, match="equal division"):
        pb.grad(lambda x: np.sum(np.split(x, 2)[0]))(x)


def test_stack_hstack_vstack_values() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    f = lambda a, b: np.sum(np.stack([a, b], axis=1) * np.array([[1.0, 10.0], [100.0, 1000.0]]))
    ga, gb = pb.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, [1.0, 100.0])
    np.testing.assert_array_equal(gb, [10.0, 1000.0])
    assert pb.jvp(lambda a: np.vstack([a, b]), (a,), (b,))[1].shape == (2, 2)
    np.testing.assert_array_equal(pb.jvp(lambda a: np.hstack([a, b]), (a,), (b,))[1], [3, 4, 0, 0])


def test_repeat_and_tile_gradients_count_the_copies() -> None:
    x = np.array([[1.0, 2.0, 3.0]])
    g = pb.grad(lambda x: np.sum(np.repeat(x, [2, 0, 3], axis=1)))(x)
    np.testing.assert_array_equal(g, [[2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(
        pb.grad(lambda x: np.sum(np.repeat(x, 4)))(x), np.full((1, 3), 4.0)
    )
    np.testing.assert_array_equal(
        pb.grad(lambda x: np.sum(np.tile(x, (2, 3))))(x), np.full((1, 3), 6.0)
    )
    np.testing.assert_array_equal(
        np.tile(x, (2, 1, 2)), pb.jvp(lambda x: np.tile(x, (2, 1, 2)), (x,), (x,))[1]
    )


@pytest.mark.parametrize("k", [-2, 0, 1])
def test_diag_round_trip_and_exact_gradients(k: int) -> None:
    v = np.array([1.0, 2.0, 3.0])
    m = _rng().normal(size=(3 + abs(k), 3 + abs(k)))
    np.testing.assert_array_equal(pb.jvp(lambda v: np.diag(v, k), (v,), (v,))[1], np.diag(v, k))
    np.testing.assert_array_equal(pb.grad(lambda v: np.sum(np.diag(v, k) * m))(v), np.diag(m, k))
    g = pb.grad(lambda m: np.sum(np.diag(m, k) * v))(m)
    np.testing.assert_array_equal(g, np.diag(v, k))


def test_diagonal_and_trace_on_stacked_axes() -> None:
    a = _rng().normal(size=(4, 2, 3))
    (abar,) = pb.vjp(lambda a: np.diagonal(a, 1, 2, 0), a)[1](np.ones((2, 3)))
    expected = np.zeros_like(a)
    for i in range(3):
        if i + 1 < 4:
            expected[i + 1, :, i] = 1.0
    np.testing.assert_array_equal(abar, expected)
    g = pb.grad(lambda a: np.sum(np.trace(a, -1, axis1=1, axis2=2)))(a)
    np.testing.assert_array_equal(g[0], [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])


def test_triu_tril_gradients_are_the_masks() -> None:
    x = np.ones((3, 4))
    np.testing.assert_array_equal(pb.grad(lambda x: np.sum(np.triu(x, 1)))(x), np.triu(x, 1))
    np.testing.assert_array_equal(pb.grad(lambda x: np.sum(np.tril(x, -1)))(x), np.tril(x, -1))


def test_reshape_order_f_transpose_moveaxis_flip() -> None:
    x = np.arange(24.0).reshape(4, 2, 3)
    u = _rng().normal(size=24)
    f = lambda x: np.ravel(np.flip(np.moveaxis(x, 0, -1), (0, 2)).reshape(3, 8, order="F"))
    y, back = pb.vjp(f, x)
    np.testing.assert_array_equal(y, f(x))
    (xbar,) = back(u)
    assert np.sum(xbar * x) == pytest.approx(np.sum(u * y))  # f is linear: <J'u, x> = <u, Jx>
    assert pb.jvp(lambda x: np.squeeze(np.expand_dims(x, (0, 2)), 0), (x,), (x,))[1].shape == (
        4,
        1,
        2,
        3,
    )


def test_float32_cotangents_stay_float32() -> None:
    x = np.ones((2, 3), np.float32)
    fns = [np.ravel, np.transpose, lambda x: np.tile(x, 2), np.flip, np.cumsum, np.prod]
    for f in fns:
        (xbar,) = pb.vjp(f, x)[1](np.ones_like(f(x)))
        assert xbar.dtype == np.float32 and xbar.shape == x.shape
