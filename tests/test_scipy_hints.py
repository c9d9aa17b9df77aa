"""SciPy functions written in Python convert traced inputs with numpy.asarray; the error names the
SciPy function and, where pullback has a differentiable twin, that twin."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import scipy.special

import pullback as pb

A = np.eye(3) + 0.1


@pytest.mark.parametrize(
    ("fn", "scipy_name", "twin"),
    [
        (scipy.linalg.inv, "scipy.linalg.inv", "pullback.linalg.inv"),
        (
            lambda a: scipy.linalg.solve_continuous_lyapunov(a, np.eye(3)),  # behind a decorator
            "scipy.linalg.solve_continuous_lyapunov",
            "pullback.linalg.solve_continuous_lyapunov",
        ),
        (scipy.special.logsumexp, "scipy.special.logsumexp", "pullback.special.logsumexp"),
        (lambda a: scipy.signal.convolve(a, a), "scipy.signal.convolve", None),
    ],
    ids=["linalg", "decorated", "special", "no-twin"],
)
def test_the_error_names_the_scipy_function_and_its_twin(fn, scipy_name, twin) -> None:
    for transform in (pb.grad(lambda a: np.sum(fn(a))), lambda a: pb.jvp(fn, (a,), (a,))):
        with pytest.raises(pb.TracedConversionError) as info:
            transform(A)
        message = str(info.value)
        assert message.startswith(f"{scipy_name} converts its inputs with numpy.asarray")
        if twin is None:
            assert "Call pullback." not in message
        else:
            assert f"Call {twin} instead: same arguments, differentiable." in message
        assert "stop_gradient" in message  # the general explanation follows


def test_a_plain_conversion_names_no_scipy_function() -> None:
    with pytest.raises(pb.TracedConversionError) as info:
        pb.grad(lambda a: np.sum(np.asarray(a)))(A)
    assert str(info.value).startswith("A traced array was converted")
