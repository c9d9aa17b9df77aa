"""check_grads itself: it passes correct rules, catches each kind of wrong rule, and says where."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
from pullback.testing import check_grads


def _scaled_sin(scale_fwd: float, scale_bwd: float) -> pb.custom_vjp:
    """sin with hand-written rules whose JVP and VJP can be made wrong independently."""

    @pb.custom_vjp
    def f(x):
        return np.sin(x)

    def f_fwd(x):
        return np.sin(x), np.cos(x)

    def f_bwd(cos_x, g):
        return (scale_bwd * cos_x * g,)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (xdot,) = primals, tangents
        return np.sin(x), scale_fwd * np.cos(x) * xdot

    f.defvjp(f_fwd, f_bwd)
    return f


def test_correct_rules_pass_to_order_two(rng) -> None:
    rows = check_grads(_scaled_sin(1.0, 1.0), (rng.normal(size=(3,)),), order=2, rng=rng)
    checks = {r.check for r in rows}
    assert {"jvp vs fd", "vjp vs fd", "adjoint <u,Jv>=<J'u,v>"} <= checks
    assert any(c.startswith("d(jvp) ") for c in checks)
    assert any(c.startswith("d(vjp) ") for c in checks)
    assert max(r.error for r in rows if r.check.startswith("adjoint")) < 1e-12


@pytest.mark.parametrize(
    ("fwd", "bwd", "bad"), [(1.01, 1.0, "jvp vs fd"), (1.0, 1.01, "vjp vs fd")]
)
def test_a_wrong_rule_fails_with_a_table_naming_the_check(rng, fwd, bwd, bad) -> None:
    with pytest.raises(pb.GradientCheckError) as info:
        check_grads(_scaled_sin(fwd, bwd), (rng.normal(size=(3,)),), order=1, rng=rng)
    text = str(info.value)
    failing = [line for line in text.splitlines() if line.endswith("<-- FAIL")]
    assert any(line.startswith(bad) for line in failing)
    assert any(line.startswith("adjoint") for line in failing)  # JVP and VJP now disagree
    assert "rel. error" in text and "x0" in text


def test_the_adjoint_identity_alone_catches_a_rule_fd_cannot_see(rng) -> None:
    """A JVP that is right only to 1e-8 passes finite differences but not the exact identity."""
    with pytest.raises(pb.GradientCheckError, match="adjoint"):
        check_grads(_scaled_sin(1.0 + 1e-8, 1.0), (rng.normal(size=(3,)),), order=1, rng=rng)


def test_second_order_errors_are_found(rng) -> None:
    """A VJP that is right at first order but whose own derivative is wrong (a constant cos)."""

    @pb.custom_vjp
    def f(x):
        return np.sin(x)

    def f_fwd(x):
        return np.sin(x), pb.stop_gradient(np.cos(x))  # drops d(cos x): wrong second order

    f.defvjp(f_fwd, lambda cos_x, g: (cos_x * g,))
    x = rng.normal(size=(3,))
    check_grads(f, (x,), order=1, modes=("rev",), rng=rng)
    with pytest.raises(pb.GradientCheckError, match="d\\(vjp\\)"):
        check_grads(f, (x,), order=2, modes=("rev",), rng=rng)


def test_structured_directions_stay_in_the_subspace(rng) -> None:
    """eigvalsh-like functions are only differentiable along symmetric directions."""

    def f(a):  # reads only the lower triangle, like a symmetric solver
        return np.sum(np.tril(a) ** 2)

    a = rng.normal(size=(3, 3))
    check_grads(f, (a,), structure={0: "lower"}, rng=rng)
    check_grads(f, (a + a.T,), structure={0: "symmetric"}, rng=rng)
    spd = a @ a.T + 3 * np.eye(3)
    rows = check_grads(lambda m: np.sum(np.sqrt(np.diagonal(m))), (spd,), structure={0: "psd"})
    assert rows and all(r.ok for r in rows)


def test_mutating_the_input_is_reported(rng) -> None:
    buffer = []

    def f(x):
        buffer.append(x)
        return np.sin(x)

    x = rng.normal(size=(3,))
    check_grads(f, (x,), order=1, rng=rng)  # reading is fine

    def g(x):
        if isinstance(x, np.ndarray):
            x[0] += 1.0  # the finite-difference copies are plain arrays
        return np.sin(x)

    with pytest.raises(pb.GradientCheckError, match="mutated"):
        check_grads(g, (x.copy(),), order=1, rng=rng)


def test_float32_uses_float32_tolerances(rng) -> None:
    rows = check_grads(np.tanh, (rng.normal(size=(4,)).astype(np.float32),), rng=rng)
    assert {r.tolerance for r in rows if r.check == "jvp vs fd"} == {2e-3}


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="modes"):
        check_grads(np.sin, (np.ones(2),), modes=("backward",))
    with pytest.raises(ValueError, match="structure"):
        check_grads(np.sin, (np.ones(2),), structure={0: "hermitian"})


def test_structured_directions_really_are_structured(rng) -> None:
    def needs_symmetric(m):
        if isinstance(m, np.ndarray):  # the finite-difference evaluations
            assert np.allclose(m, m.T), "a non-symmetric perturbation reached the function"
        return np.sum(m * m)

    a = rng.normal(size=(3, 3))
    sym = a + a.T
    check_grads(needs_symmetric, (sym,), structure={0: "symmetric"}, rng=rng)
    with pytest.raises(AssertionError, match="non-symmetric"):
        check_grads(needs_symmetric, (sym,), rng=rng)


def test_a_derivative_that_is_exactly_zero_passes_without_atol() -> None:
    # f = sum(zscore(x) * w) with w symmetric around the mean: the derivative at x = (1, 2, 3) is 0,
    # its finite difference ~1e-13 (rounding); the differences' noise floor absorbs that
    def f(x):
        d = x - np.mean(x)
        return np.sum(d / np.sqrt(np.mean(d * d)) * np.array([0.0, 1.0, 2.0]))

    rows = check_grads(f, (np.array([1.0, 2.0, 3.0]),), order=2)
    assert all(r.ok for r in rows)


def test_atol_is_an_absolute_tolerance_and_the_message_suggests_it() -> None:
    # f ~ 1e-15 everywhere but its derivative cancels O(1) intermediates: rounding ~1e-13 remains
    def f(x):
        return np.sum((x - np.mean(x)) * 7.1)

    x = np.array([0.3, 1.7, 2.9])
    with pytest.raises(pb.GradientCheckError, match="pass atol="):
        check_grads(f, (x,), order=1)
    assert all(r.ok for r in check_grads(f, (x,), order=2, atol=1e-9))
    with pytest.raises(pb.GradientCheckError):  # an absolute error of 1e-3 is not hidden by 1e-9
        check_grads(
            _with_wrong_vjp(lambda x: (x - np.mean(x)) * 7.1, 1e-3), (x,), 1, ("rev",), atol=1e-9
        )


def _with_wrong_vjp(fn, error):
    @pb.custom_vjp
    def g(x):
        return np.sum(fn(x))

    g.defvjp(lambda x: (g(x), x), lambda x, ybar: (pb.grad(lambda x: np.sum(fn(x)))(x) + error,))
    return g
