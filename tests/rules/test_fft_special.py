"""numpy.fft with complex inputs and outputs (exact adjoint identity under Re<a, b>, finite
differences), and scipy.special beyond the table: stability, signs, orders, SciPy agreement."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import pullback as pb

FFT = np.fft


def _rdot(a, b) -> float:
    return float(np.sum(np.real(np.conj(a) * b)))


def _check_linear(f, x, rng) -> None:
    """ydot = J v against central differences, and Re<u, J v> = Re<J* u, v> exactly."""
    cplx = np.iscomplexobj(x)
    v = rng.standard_normal(x.shape) + (1j * rng.standard_normal(x.shape) if cplx else 0)
    y, ydot = pb.jvp(f, (x,), (v,))
    np.testing.assert_allclose(y, f(x), rtol=1e-12, atol=1e-12)
    h = 1e-3  # f is linear: central differences are exact up to rounding
    np.testing.assert_allclose(ydot, (f(x + h * v) - f(x - h * v)) / (2 * h), atol=1e-9)
    u = rng.standard_normal(y.shape) + (
        1j * rng.standard_normal(y.shape) if ydot.dtype.kind == "c" else 0
    )
    _, back = pb.vjp(f, x)
    (xbar,) = back(u.astype(y.dtype))
    assert xbar.dtype == x.dtype and xbar.shape == x.shape
    lhs, rhs = _rdot(u, ydot), _rdot(xbar, v)
    assert abs(lhs - rhs) <= 1e-12 * (1 + abs(lhs)), (lhs, rhs)


C2C = [
    FFT.fft,
    FFT.ifft,
    lambda a: FFT.fft(a, n=9),
    lambda a: FFT.fft(a, n=3, axis=0, norm="ortho"),
    lambda a: FFT.ifft(a, norm="forward"),
    FFT.fft2,
    FFT.ifft2,
    FFT.fftn,
    FFT.ifftn,
    lambda a: FFT.fftn(a, s=(5, 8), axes=(0, 1)),
    lambda a: FFT.ifftn(a, s=(3,), axes=(-1,), norm="ortho"),
    FFT.irfft,
    lambda a: FFT.irfft(a, n=11),
    lambda a: FFT.irfft(a, n=4, norm="forward"),
    FFT.irfft2,
    lambda a: FFT.irfftn(a, s=(4, 9), axes=(0, 1), norm="ortho"),
    FFT.fftshift,
    lambda a: FFT.ifftshift(a, axes=0),
]
R2C = [
    FFT.rfft,
    lambda a: FFT.rfft(a, n=9),
    lambda a: FFT.rfft(a, n=4, axis=0, norm="ortho"),
    FFT.rfft2,
    lambda a: FFT.rfftn(a, s=(3, 7), axes=(0, 1), norm="forward"),
]


@pytest.mark.parametrize("k", range(len(C2C)))
@pytest.mark.parametrize("complex_input", [True, False])
def test_fft_complex_and_real_inputs(k, complex_input, rng) -> None:
    x = rng.standard_normal((4, 6))
    if complex_input:
        x = x + 1j * rng.standard_normal((4, 6))
    _check_linear(C2C[k], x, rng)


@pytest.mark.parametrize("k", range(len(R2C)))
def test_rfft_real_input_complex_output(k, rng) -> None:
    _check_linear(R2C[k], rng.standard_normal((4, 6)), rng)


def test_fft_keeps_float32() -> None:
    x = np.ones((2, 4), np.float32)
    _, back = pb.vjp(FFT.rfft, x)
    (xbar,) = back(np.ones((2, 3), np.complex64))
    assert xbar.dtype == np.float32


def test_fft_power_spectrum_gradient(rng) -> None:
    """A real loss of a spectrum: |rfft(x)|^2 summed is Parseval-weighted n |x|^2 in closed form."""
    x = rng.standard_normal(8)
    # sum_k w_k |X_k|^2 over the half spectrum, w = 1 at k = 0 and n/2, 2 inside, equals n |x|^2
    w = np.array([1.0, 2, 2, 2, 1])

    def power(x):
        y = FFT.rfft(x)
        return np.sum(w * (y * np.conj(y)).real)

    np.testing.assert_allclose(pb.grad(power)(x), 2 * 8 * x, rtol=1e-12)


def test_fft_rejects_out_and_bad_norm() -> None:
    x = np.ones(4)
    with pytest.raises(TypeError, match="out="):
        pb.grad(lambda x: np.sum(FFT.irfft(FFT.rfft(x), out=np.empty(4))))(x)
    with pytest.raises(ValueError, match="norm"):
        pb.grad(lambda x: np.sum(FFT.irfft(FFT.rfft(x, norm="twice"))))(x)


# ---- scipy.special ------------------------------------------------------------------------------
def test_logsumexp_is_stable_in_value_and_gradient() -> None:
    x = np.array([1000.0, 1000.0, -1000.0])
    y, g = pb.value_and_grad(pb.special.logsumexp)(x)
    assert y == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(g, [0.5, 0.5, 0.0], atol=1e-300)
    s = pb.jacobian(lambda x: pb.special.softmax(x))(np.array([-1000.0, 0.0, 1000.0]))
    assert np.all(np.isfinite(s))
    h = pb.hessian(lambda x: np.sum(pb.special.log_softmax(x) * np.array([1.0, 2.0, 3.0])))(x)
    assert np.all(np.isfinite(h))


def test_logsumexp_matches_scipy_with_axis_weights_and_sign(rng) -> None:
    a = rng.standard_normal((3, 4))
    b = rng.uniform(-1, 1, (3, 4))
    b[:, 0] = -3.0  # every row's weighted sum is negative
    for kw in ({"axis": 0}, {"axis": (0, 1)}, {"axis": -1, "keepdims": True}, {"b": -b, "axis": 1}):
        np.testing.assert_allclose(pb.special.logsumexp(a, **kw), sc.logsumexp(a, **kw))
    y, sign = pb.special.logsumexp(a, b=b, axis=1, return_sign=True)
    y0, sign0 = sc.logsumexp(a, b=b, axis=1, return_sign=True)
    np.testing.assert_allclose(y, y0)
    np.testing.assert_array_equal(sign, sign0)
    # a negative weighted sum: d log|s| / da = b exp(a - y) / sign, checked against differences
    pb.check_grads(lambda a, b: pb.special.logsumexp(a, b=b, axis=1, return_sign=True)[0], (a, b))
    with pytest.raises(ValueError, match="return_sign=True"):
        pb.special.logsumexp(a, b=b, axis=1)


def test_softmax_matches_scipy_and_rows_sum_to_one(rng) -> None:
    x = rng.standard_normal((3, 5))
    np.testing.assert_allclose(pb.special.softmax(x, axis=1), sc.softmax(x, axis=1))
    np.testing.assert_allclose(pb.special.log_softmax(x, axis=0), sc.log_softmax(x, axis=0))
    # the softmax Jacobian annihilates the ones vector (rows sum to 1 for every input)
    J = pb.jacobian(lambda x: pb.special.softmax(x))(x[0])
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)


def test_polygamma_matches_scipy_and_differentiates_to_the_next_order() -> None:
    x = np.array([0.7, 1.5, 3.0])
    for n in (0, 1, 2, 3):
        np.testing.assert_allclose(pb.special.polygamma(n, x), sc.polygamma(n, x), rtol=1e-12)
        g = pb.grad(lambda x, n=n: np.sum(pb.special.polygamma(n, x)))(x)
        np.testing.assert_allclose(g, sc.polygamma(n + 1, x), rtol=1e-12)
    np.testing.assert_allclose(
        pb.special.polygamma(np.array([0, 2, 1]), x), sc.polygamma(np.array([0, 2, 1]), x)
    )


def test_gradients_of_special_functions_match_closed_forms() -> None:
    x = np.array([0.3, 1.1, 2.4])
    cases = [
        (sc.gammaln, sc.digamma(x)),
        (sc.expit, sc.expit(x) * (1 - sc.expit(x))),
        (sc.erf, 2 / np.sqrt(np.pi) * np.exp(-(x**2))),
        (sc.i0, sc.i1(x)),
        (sc.j0, -sc.j1(x)),
        (sc.k0, -sc.k1(x)),
        (sc.log_ndtr, np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi) / sc.ndtr(x)),
        (lambda x: sc.iv(2.0, x), (sc.iv(1.0, x) + sc.iv(3.0, x)) / 2),
    ]
    for f, want in cases:
        np.testing.assert_allclose(pb.grad(lambda x, f=f: np.sum(f(x)))(x), want, rtol=1e-12)
        np.testing.assert_allclose(pb.jvp(f, (x,), (np.ones(3),))[1], want, rtol=1e-12)


def test_log_ndtr_gradient_is_finite_far_in_the_left_tail() -> None:
    g = pb.grad(lambda x: np.sum(sc.log_ndtr(x)))(np.array([-40.0, -200.0]))
    np.testing.assert_allclose(g, [40.025, 200.005], rtol=1e-4)  # ~ -x - 1/x


def test_derivative_with_respect_to_a_bessel_order_is_refused() -> None:
    with pytest.raises(pb.UnsupportedFunctionError, match="with respect to v"):
        pb.grad(lambda v: np.sum(sc.iv(v, 1.5)))(np.array([1.0, 2.0]))


def test_scipy_logsumexp_on_a_traced_array_says_what_to_call() -> None:
    with pytest.raises(pb.TracedConversionError):
        pb.grad(lambda x: sc.logsumexp(x))(np.array([1.0, 2.0]))
