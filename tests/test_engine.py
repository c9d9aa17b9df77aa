"""Engine properties (stages ③-⑤): nesting and perturbation confusion, leaked tracers, control
flow, long chains, memory, residual lifetime, determinism, dtypes, broadcasting, worked examples."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose

import pullback as pb
from pullback.core.trace import current_level
from pullback.errors import LeakedTracerError

X3 = np.array([0.4, -1.1, 2.3])


# ---- nesting -------------------------------------------------------------------------------------
def test_grad_of_grad() -> None:
    assert_allclose(pb.grad(pb.grad(lambda x: x**4))(1.5), 12 * 1.5**2)
    assert_allclose(pb.grad(pb.grad(pb.grad(np.sin)))(0.7), -np.cos(0.7))
    assert_allclose(pb.grad(pb.grad(pb.grad(pb.grad(np.exp))))(0.3), np.exp(0.3))


def test_jvp_of_grad_and_grad_of_jvp() -> None:
    f = lambda x: np.sum(np.sin(x) * x**2)
    hess_diag = -np.sin(X3) * X3**2 + 4 * X3 * np.cos(X3) + 2 * np.sin(X3)
    v = np.array([1.0, 0.0, 0.0])
    # H v by forward over reverse
    _, hv = pb.jvp(pb.grad(f), (X3,), (v,))
    assert_allclose(hv, hess_diag * v, rtol=1e-13)
    # grad of a jvp-based function: d/dx <grad f(x), v> = H v
    assert_allclose(pb.grad(lambda x: pb.jvp(f, (x,), (v,))[1])(X3), hess_diag * v, rtol=1e-13)
    # grad with respect to the tangent: d/dv <grad f(x), v> = grad f(x)
    g = pb.grad(lambda t: pb.jvp(f, (X3,), (t,))[1])(v)
    assert_allclose(g, np.cos(X3) * X3**2 + 2 * X3 * np.sin(X3), rtol=1e-13)


def test_grad_of_a_vjp_based_function() -> None:
    f = lambda x: np.exp(x) * x

    def inner(x):
        _, back = pb.vjp(f, x)
        return np.sum(back(np.ones(3))[0])  # sum of f'(x) = exp(x) (x + 1)

    assert_allclose(pb.grad(inner)(X3), np.exp(X3) * (X3 + 2), rtol=1e-13)


def test_hessians_by_every_composition_agree(rng) -> None:
    def f(x):
        return np.sum(x**3) / 3 + x[0] * x[1] + np.sum(np.sin(x) * x[::-1])

    x = rng.standard_normal(4)
    expected = pb.hessian(f)(x)
    n = len(x)
    closed = np.diag(2 * x - np.sin(x) * x[::-1])
    closed[0, 1] += 1.0
    closed[1, 0] += 1.0
    for i in range(n):
        j = n - 1 - i
        closed[i, j] += np.cos(x[i])
        closed[j, i] += np.cos(x[i])
    assert_allclose(expected, closed, rtol=1e-13)
    compositions = {
        "jacrev(grad)": pb.jacrev(pb.grad(f)),
        "jacfwd(jacfwd)": pb.jacfwd(pb.jacfwd(f)),
        "jacrev(jacrev)": pb.jacrev(pb.jacrev(f)),
        "jacfwd(jacrev)": pb.jacfwd(pb.jacrev(f)),
        "jacobian(jacobian)": pb.jacobian(pb.jacobian(f)),
    }
    for name, h in compositions.items():
        assert_allclose(h(x), expected, rtol=1e-13, err_msg=name)
    # one row at a time: grad of a partial derivative, and jvp over jvp
    e = np.eye(n)
    rows = [pb.grad(lambda y, i=i: pb.grad(f)(y)[i])(x) for i in range(n)]
    assert_allclose(np.stack(rows), expected, rtol=1e-13)
    ff = lambda y, u, v: pb.jvp(lambda z: pb.jvp(f, (z,), (u,))[1], (y,), (v,))[1]
    entries = [[ff(x, e[i], e[j]) for j in range(n)] for i in range(n)]
    assert_allclose(np.array(entries), expected, rtol=1e-13)


def test_perturbation_confusion_reverse_over_reverse() -> None:
    # f(x) = x * d/dy (x * y) = x * x, so f'(x) = 2x; confusing the levels gives x or 3x
    f = lambda x: x * pb.grad(lambda y: x * y)(1.0)
    for x in (3.0, -0.5, 7.0):
        assert_allclose(f(x), x * x)
        assert_allclose(pb.grad(f)(x), 2 * x)


def test_perturbation_confusion_in_every_mode_pairing() -> None:
    def inner_rev(x):
        return x * pb.grad(lambda y: x * y)(1.0)

    def inner_fwd(x):
        return x * pb.jvp(lambda y: x * y, (1.0,), (1.0,))[1]

    for f in (inner_rev, inner_fwd):
        assert_allclose(pb.grad(f)(3.0), 6.0)
        assert_allclose(pb.jvp(f, (3.0,), (1.0,))[1], 6.0)
        assert_allclose(pb.grad(pb.grad(f))(3.0), 2.0)


def test_nested_closure_over_two_levels() -> None:
    # g(x) = d/dy [x * y * d/dz (x * y * z)] = d/dy [x^2 y^2] = 2 x^2 y at y=1; g'(x) = 4x
    def g(x):
        return pb.grad(lambda y: x * y * pb.grad(lambda z: x * y * z)(1.0))(1.0)

    assert_allclose(g(1.5), 2 * 1.5**2)
    assert_allclose(pb.grad(g)(1.5), 4 * 1.5)


def test_level_is_restored_after_the_function_raises() -> None:
    assert current_level() == 0

    def boom(x):
        assert current_level() >= 1
        raise ZeroDivisionError("user error")

    with pytest.raises(ZeroDivisionError, match="user error"):
        pb.grad(boom)(1.0)
    assert current_level() == 0
    with pytest.raises(ZeroDivisionError, match="user error"):
        pb.grad(lambda x: pb.jvp(boom, (x,), (1.0,))[1])(1.0)
    assert current_level() == 0
    with pytest.raises(ZeroDivisionError):
        pb.jacfwd(pb.grad(boom))(X3)
    assert current_level() == 0
    # and everything works normally afterwards, nesting included
    assert_allclose(pb.grad(lambda x: x**3)(2.0), 12.0)
    assert_allclose(pb.grad(lambda x: x * pb.grad(lambda y: x * y)(1.0))(3.0), 6.0)


def test_levels_during_a_nested_trace() -> None:
    seen = []

    def f(x):
        seen.append(current_level())
        return pb.grad(lambda y: (seen.append(current_level()), y * x)[1])(x)

    pb.grad(f)(1.0)
    assert seen == [1, 2]
    assert current_level() == 0


def test_leaked_tracer_is_an_error() -> None:
    leaked = []

    def f(x):
        leaked.append(x * 2.0)
        return np.sum(x)

    pb.grad(f)(X3)
    (ghost,) = leaked
    with pytest.raises(LeakedTracerError, match="after the transform that created it"):
        np.sin(ghost)
    with pytest.raises(LeakedTracerError, match=r"stop_gradient\(x\)"):
        ghost + 1.0
    with pytest.raises(LeakedTracerError, match="after the transform"):
        pb.grad(lambda y: np.sum(ghost * y))(X3)  # the new trace has the same level
    with pytest.raises(LeakedTracerError, match="after the transform"):
        pb.grad(lambda y: pb.grad(lambda z: np.sum(ghost * z * y))(y)[0])(X3)
    with pytest.raises(LeakedTracerError, match="after the transform"):
        pb.jvp(lambda y: ghost * y, (X3,), (X3,))


def test_leaked_forward_tracer_is_an_error() -> None:
    leaked = []
    pb.jvp(lambda x: leaked.append(x) or x, (X3,), (X3,))
    with pytest.raises(LeakedTracerError, match="after the transform"):
        np.exp(leaked[0])


def test_values_closed_over_from_an_outer_level_are_not_leaks() -> None:
    def f(x):
        inner = pb.grad(lambda y: np.sum(np.sin(x * y)))  # closes over the live outer x
        return np.sum(inner(np.ones(3)))

    # f(x) = sum(x cos x); f'(x) = cos x - x sin x
    assert_allclose(pb.grad(f)(X3), np.cos(X3) - X3 * np.sin(X3), rtol=1e-13)


# ---- control flow and comparisons ----------------------------------------------------------------
def test_comparisons_return_plain_arrays() -> None:
    seen = []

    def f(x):
        seen.extend([x > 0, x <= 0.4, x == x, x != 0.4, np.less(x, 1.0), np.isfinite(x)])
        seen.append(x[0] > 0)
        return np.sum(x)

    pb.grad(f)(X3)
    pb.jvp(f, (X3,), (X3,))
    assert len(seen) == 14
    for s in seen:
        assert type(s) in (np.ndarray, np.bool_), type(s)
    assert_allclose(seen[0], [True, False, True])
    assert_allclose(seen[1], [True, True, False])
    assert bool(seen[6]) is True


def test_python_control_flow_on_traced_values() -> None:
    def f(x):
        if x.sum() > 0:
            y = np.sin(x)
        else:
            y = np.cos(x)
        while np.sum(y * y) < 10.0:
            y = y * 2.0
        return np.sum(y)

    # both branches need exactly two doublings (y -> 4y) to pass sum(y^2) = 10
    for y0 in (np.sin(X3), np.cos(-X3)):
        assert np.sum((2 * y0) ** 2) < 10.0 <= np.sum((4 * y0) ** 2)
    assert_allclose(pb.grad(f)(X3), 4 * np.cos(X3), rtol=1e-14)  # sum(X3) > 0: sin branch
    assert_allclose(pb.grad(f)(-X3), -4 * np.sin(-X3), rtol=1e-14)  # cos branch
    assert_allclose(pb.jvp(f, (X3,), (np.ones(3),))[1], 4 * np.sum(np.cos(X3)), rtol=1e-14)


# ---- long chains, memory, residuals --------------------------------------------------------------
def test_a_100000_node_chain_without_recursion_error() -> None:
    def chain(x):
        for _ in range(50_000):  # two primitives per step: 100,000 nodes
            x = x * 1.0000001 + 1e-9
        return x

    value, g = pb.value_and_grad(chain)(1.0)
    expected_g = 1.0000001**50_000
    assert_allclose(g, expected_g, rtol=1e-10)
    assert_allclose(value, expected_g + 1e-9 * (expected_g - 1) / 1e-7, rtol=1e-10)
    assert_allclose(pb.jvp(chain, (1.0,), (1.0,))[1], expected_g, rtol=1e-10)


def test_a_100000_node_chain_of_sines() -> None:
    def chain(x):
        for _ in range(100_000):
            x = np.sin(x)
        return x

    # reference: the same product of cosines, accumulated by hand
    x, d = 1.0, 1.0
    for _ in range(100_000):
        d *= np.cos(x)
        x = np.sin(x)
    assert_allclose(pb.grad(chain)(1.0), d, rtol=1e-9)
    _, f_jvp = pb.linearize(chain, 1.0)
    assert_allclose(f_jvp(1.0), d, rtol=1e-9)


def test_no_memory_growth_over_repeated_grad_calls() -> None:
    g = pb.grad(lambda x: np.sum(np.tanh(x) * x + x**2))
    x = np.linspace(-1.0, 1.0, 8)
    for _ in range(200):  # warm caches
        g(x)
    tracemalloc.start()
    try:
        for _ in range(1_000):
            g(x)
        gc.collect()
        after_1k = tracemalloc.get_traced_memory()[0]
        for _ in range(9_000):
            g(x)
        gc.collect()
        after_10k = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # a leak of even one small object per call would be ~9000 * 50 bytes
    assert after_10k - after_1k < 20_000, (after_1k, after_10k)


def test_grad_frees_residuals_and_vjp_keeps_them() -> None:
    nodes = []

    def f(x):
        y = np.sin(x)
        z = y * x
        nodes.extend([y.node, z.node])
        return np.sum(z)

    pb.grad(f)(X3)
    assert len(nodes) == 2
    assert all(n.res is None for n in nodes)  # dropped as the sweep passed
    nodes.clear()
    _, back = pb.vjp(f, X3)
    assert all(n.res is not None for n in nodes)
    first = back(1.0)[0]
    assert all(n.res is not None for n in nodes)  # kept: the pullback can run again
    assert_allclose(back(1.0)[0], first, rtol=0, atol=0)
    assert_allclose(first, np.cos(X3) * X3 + np.sin(X3))


def test_results_are_deterministic(rng) -> None:
    x = rng.standard_normal((4, 3))
    w = rng.standard_normal((3, 5))

    def f(x):
        h = np.tanh(x @ w)
        return np.sum(h * h) + np.sum(np.exp(-x * x))

    g1, g2 = pb.grad(f)(x), pb.grad(f)(x)
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(pb.hessian(f)(x), pb.hessian(f)(x))
    np.testing.assert_array_equal(pb.jacrev(np.tanh)(x), pb.jacfwd(np.tanh)(x))


# ---- dtypes --------------------------------------------------------------------------------------
def test_float32_inputs_give_float32_derivatives() -> None:
    x = X3.astype(np.float32)
    f = lambda x: np.sum(np.sin(x) * x + 2.5 * x**2)
    g = pb.grad(f)(x)
    assert g.dtype == np.float32
    assert_allclose(g, np.cos(X3) * X3 + np.sin(X3) + 5 * X3, rtol=1e-6)
    assert pb.jvp(np.sin, (x,), (np.ones(3, np.float32),))[1].dtype == np.float32
    assert pb.jacrev(np.sin)(x).dtype == np.float32
    assert pb.jacfwd(np.sin)(x).dtype == np.float32
    assert pb.hessian(f)(x).dtype == np.float32
    value, g = pb.value_and_grad(f)(x)
    assert np.result_type(value) == np.float32


def test_mixed_precision_cotangent_is_cast_to_the_input_dtype() -> None:
    x32 = X3.astype(np.float32)
    gx, gy = pb.grad(lambda x, y: np.sum(x * y), argnums=(0, 1))(x32, X3)
    assert gx.dtype == np.float32 and gy.dtype == np.float64
    assert_allclose(gx, X3)
    assert_allclose(gy, x32)


# ---- worked examples from the reference notes ----------------------------------------------------
def test_lecture_example_in_both_modes() -> None:
    f = lambda x1, x2: x1 * x2 + np.sin(x1)
    x1, x2 = 2.0, 7.0
    d1, d2 = x2 + np.cos(x1), x1
    assert_allclose(d1, 6.5839, atol=5e-5)
    g = pb.grad(f, argnums=(0, 1))(x1, x2)
    assert_allclose(g, (d1, 2.0), rtol=1e-15)
    assert_allclose(pb.jvp(f, (x1, x2), (1.0, 0.0))[1], 6.5839, atol=5e-5)
    assert_allclose(pb.jvp(f, (x1, x2), (0.0, 1.0))[1], 2.0, rtol=1e-15)
    assert_allclose(pb.jvp(f, (x1, x2), (1.0, 0.0))[1], d1, rtol=1e-15)
    y, back = pb.vjp(f, x1, x2)
    assert_allclose(y, 14 + np.sin(2.0))
    assert_allclose(back(1.0), (d1, d2), rtol=1e-15)


@pytest.mark.parametrize(
    "sigmoid",
    [lambda x: 0.5 * (1 + np.tanh(x / 2)), lambda x: np.exp(-np.logaddexp(0.0, -x))],
    ids=["tanh", "logaddexp"],
)
def test_stable_sigmoid_is_finite_far_out(sigmoid) -> None:
    # filterwarnings = error: an overflow or invalid operation would fail the test
    for x, s in ((100.0, 1.0), (-800.0, 0.0), (0.0, 0.5), (3.0, 1 / (1 + np.exp(-3.0)))):
        value, g = pb.value_and_grad(sigmoid)(x)
        assert np.isfinite(value) and np.isfinite(g)
        assert_allclose(value, s, rtol=1e-14, atol=1e-300)
        assert_allclose(g, s * (1 - s), rtol=1e-12, atol=1e-40)
        _, gdot = pb.jvp(pb.grad(sigmoid), (x,), (1.0,))
        assert np.isfinite(gdot)


def test_gaussian_bump_example() -> None:
    def f(x):
        return (x @ np.array([1.0, 0.0])) * np.exp(np.sum(-x * x, axis=-1))

    x = np.array([1.0, 2.0])
    expected = [-0.00673795, -0.02695179]
    assert_allclose(pb.grad(f)(x), expected, atol=5e-9)
    assert_allclose(pb.jacfwd(f)(x), expected, atol=5e-9)
    # closed form: e^{-|x|^2} * (e1 - 2 x1 x)
    closed = np.exp(-5.0) * (np.array([1.0, 0.0]) - 2 * x[0] * x)
    assert_allclose(pb.grad(f)(x), closed, rtol=1e-14)


def test_broadcast_cotangents_are_summed_back() -> None:
    a = np.linspace(0.0, 1.0, 100).reshape(1, 100)
    b = np.linspace(-1.0, 2.0, 100).reshape(100, 1)
    ga, gb = pb.grad(lambda a, b: np.sum(np.sin(a + b)), argnums=(0, 1))(a, b)
    assert ga.shape == (1, 100) and gb.shape == (100, 1)
    c = np.cos(a + b)
    assert_allclose(ga, c.sum(axis=0, keepdims=True), rtol=1e-12)
    assert_allclose(gb, c.sum(axis=1, keepdims=True), rtol=1e-12)
    ga, gb = pb.grad(lambda a, b: np.sum(a * b), argnums=(0, 1))(a, b)
    assert_allclose(ga, np.full((1, 100), b.sum()), rtol=1e-13)
    assert_allclose(gb, np.full((100, 1), a.sum()), rtol=1e-13)
    _, back = pb.vjp(lambda a, b: a - b, a, b)
    abar, bbar = back(np.ones((100, 100)))
    assert abar.shape == (1, 100) and bbar.shape == (100, 1)
    assert_allclose(abar, np.full((1, 100), 100.0))
    assert_allclose(bbar, np.full((100, 1), -100.0))
    _, ydot = pb.jvp(lambda a, b: a + b, (a, b), (np.ones((1, 100)), np.zeros((100, 1))))
    assert_allclose(ydot, np.ones((100, 100)))


def test_scalar_times_array_broadcast() -> None:
    gs, gx = pb.grad(lambda s, x: np.sum(s * x), argnums=(0, 1))(2.0, X3)
    assert np.shape(gs) == ()
    assert_allclose(gs, np.sum(X3))
    assert_allclose(gx, np.full(3, 2.0))
