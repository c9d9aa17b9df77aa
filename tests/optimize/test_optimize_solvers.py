"""root, fixed_point, minimize, least_squares: values, closed forms, check_grads to order 2."""

import numpy as np
import pytest

import pullback as pb
from pullback.errors import ConvergenceError
from pullback.optimize import fixed_point, least_squares, minimize, root


# ---- root ----
def cubic(x, p):
    return x**3 + p * x - 1.0


def test_root_scalar_closed_form_and_check_grads():
    p = 0.8
    x = root(cubic, 0.5, args=(p,))
    assert abs(cubic(x, p)) < 1e-14
    dx = pb.grad(lambda p: root(cubic, 0.5, args=(p,)))(p)
    assert dx == pytest.approx(-x / (3 * x**2 + p), rel=1e-12)
    rows = pb.check_grads(lambda p: root(cubic, 0.5, args=(p,)), (np.array(p),), order=2)
    assert all(r.ok for r in rows)


def vec_F(x, A, b):
    return A @ x + 0.1 * x**3 - b


def test_root_vector_closed_form_jacobian_and_check_grads():
    rng = np.random.default_rng(0)
    A = 3 * np.eye(4) + 0.5 * rng.standard_normal((4, 4))
    b = rng.standard_normal(4)
    x = root(vec_F, np.zeros(4), args=(A, b))
    assert np.abs(vec_F(x, A, b)).max() < 1e-13
    # dx/db = (A + 0.3 diag(x^2))^{-1}
    J = pb.jacobian(lambda b: root(vec_F, np.zeros(4), args=(A, b)))(b)
    np.testing.assert_allclose(J, np.linalg.inv(A + 0.3 * np.diag(x**2)), rtol=1e-11, atol=1e-13)
    rows = pb.check_grads(lambda A, b: root(vec_F, np.zeros(4), args=(A, b)), (A, b), order=2)
    assert all(r.ok for r in rows)


def test_root_without_a_root_raises_with_residual():
    with pytest.raises(ConvergenceError, match=r"\|F\(x, args\)\| = ") as info:
        root(lambda x, p: x**2 + p, np.array([0.3]), args=(1.0,))
    assert info.value.residual >= 1.0 - 1e-12
    assert f"{info.value.residual:.3e}" in str(info.value)


def test_root_needs_square_system():
    with pytest.raises(ValueError, match="as many equations"):
        root(lambda x, p: np.concatenate([x - p, x]), np.zeros(1), args=(1.0,))


# ---- fixed_point ----
def contraction(x, a, B):
    return a * np.cos(x) + B @ np.tanh(x) * 0.1


def test_fixed_point_scalar_closed_form():
    f = lambda x, a: a * np.cos(x)
    a = 0.6
    x = fixed_point(f, 0.0, args=(a,))
    assert abs(a * np.cos(x) - x) < 1e-12
    # x = a cos x  =>  dx/da = cos x / (1 + a sin x)
    dx = pb.grad(lambda a: fixed_point(f, 0.0, args=(a,)))(a)
    assert dx == pytest.approx(np.cos(x) / (1 + a * np.sin(x)), rel=1e-10)


def test_fixed_point_vector_check_grads_order_2():
    rng = np.random.default_rng(2)
    a = np.array([0.5, 0.2, -0.3])
    B = rng.standard_normal((3, 3))
    rows = pb.check_grads(
        lambda a, B: fixed_point(contraction, np.zeros(3), args=(a, B)), (a, B), order=2
    )
    assert all(r.ok for r in rows)


def test_fixed_point_not_a_contraction_raises_with_residual():
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        fixed_point(lambda x, a: a - x, np.array(0.0), args=(1.0,), maxiter=50)
    assert info.value.residual == pytest.approx(1.0)


def test_fixed_point_diverging_iteration_raises():
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        fixed_point(lambda x, a: 3.0 * x + a, np.array(1.0), args=(1.0,), maxiter=2000)
    assert not np.isfinite(info.value.residual) or info.value.residual > 1e10


# ---- minimize ----
def smooth(x, a, s):
    return np.sum((x - a) ** 2) + s * np.sum(x**4) + x[0] * x[1]


def test_minimize_quadratic_closed_form():
    Q = np.array([[3.0, 1.0], [1.0, 2.0]])
    f = lambda x, t: 0.5 * x @ Q @ x - t @ x
    t = np.array([1.0, -2.0])
    x = minimize(f, np.zeros(2), args=(t,))
    np.testing.assert_allclose(x, np.linalg.solve(Q, t), rtol=1e-12)
    J = pb.jacobian(lambda t: minimize(f, np.zeros(2), args=(t,)))(t)
    np.testing.assert_allclose(J, np.linalg.inv(Q), rtol=1e-12)


def test_minimize_check_grads_order_2():
    a, s = np.array([1.0, -0.5]), np.array(0.3)
    rows = pb.check_grads(lambda a, s: minimize(smooth, np.zeros(2), args=(a, s)), (a, s), order=2)
    assert all(r.ok for r in rows)


def test_minimize_pytree_x():
    def f(x, a):
        return np.sum((x["u"] - a) ** 2) + (x["v"] - 2 * a[0]) ** 2 + np.sum(x["u"] ** 4)

    a = np.array([0.4, 0.9])
    x = minimize(f, {"u": np.zeros(2), "v": np.array(0.0)}, args=(a,))
    assert x["v"] == pytest.approx(2 * a[0], abs=1e-12)
    g = pb.grad(lambda a: minimize(f, {"u": np.zeros(2), "v": np.array(0.0)}, args=(a,))["v"])(a)
    np.testing.assert_allclose(g, [2.0, 0.0], atol=1e-12)


def test_minimize_saddle_raises():
    with pytest.raises(ConvergenceError, match="Hessian has eigenvalue"):
        minimize(lambda x, a: x[0] ** 2 - x[1] ** 2 + a * x[0], np.zeros(2), args=(0.0,))


# ---- least_squares ----
T = np.linspace(0.0, 1.0, 7)


def decay(k, y):
    return k[1] * np.exp(-k[0] * T) - y


def test_least_squares_exact_fit():
    y = 1.5 * np.exp(-2.0 * T)
    k = least_squares(decay, np.array([1.0, 1.0]), args=(y,))
    np.testing.assert_allclose(k, [2.0, 1.5], rtol=1e-12)


def test_least_squares_nonzero_residual_check_grads_order_2():
    y = 1.5 * np.exp(-2.0 * T) + 0.1 * np.cos(7 * T)
    rows = pb.check_grads(
        lambda y: least_squares(decay, np.array([1.0, 1.0]), args=(y,)), (y,), order=2
    )
    assert all(r.ok for r in rows)


def test_least_squares_uses_full_hessian():
    """At a nonzero residual, Gauss-Newton alone (J^T J) gives a different derivative."""
    y = 1.5 * np.exp(-2.0 * T) + 0.1 * np.cos(7 * T)
    J_ad = pb.jacobian(lambda y: least_squares(decay, np.array([1.0, 1.0]), args=(y,)))(y)
    h = 1e-6
    J_fd = np.stack(
        [
            (
                least_squares(decay, np.array([1.0, 1.0]), args=(y + h * e,))
                - least_squares(decay, np.array([1.0, 1.0]), args=(y - h * e,))
            )
            / (2 * h)
            for e in np.eye(T.size)
        ],
        axis=1,
    )
    np.testing.assert_allclose(J_ad, J_fd, rtol=1e-6, atol=1e-8)
    k = least_squares(decay, np.array([1.0, 1.0]), args=(y,))
    Jr = pb.jacobian(lambda k: decay(k, y))(k)
    gauss_newton = np.linalg.solve(Jr.T @ Jr, Jr.T)  # dk/dy if r were linear in k
    assert np.abs(gauss_newton - J_ad).max() > 1e-3


def test_non_float_args_stay_static():
    """An int and a string among the args reach fun unchanged and are not differentiated."""

    def fun(x, p, power, kind):
        assert isinstance(power, int) and kind == "shifted"
        return x**power + p * x - 1.0

    x = root(fun, 0.5, args=(1.0, 3, "shifted"))
    g = pb.grad(lambda p: root(fun, 0.5, args=(p, 3, "shifted")))(1.0)
    assert g == pytest.approx(-x / (3 * x**2 + 1.0), rel=1e-12)
