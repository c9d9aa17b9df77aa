"""Complex numbers: the convention of docs/complex.md, checked against hand-computed values.

grad of a real loss L w.r.t. z = x + iy is dL/dx + i dL/dy; a cotangent is the adjoint under
<a, b> = Re(sum(conj(a) * b)); grad(..., holomorphic=True) is f'(z)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import pullback as pb
from pullback.core.dispatch import Rule
from pullback.errors import GradientCheckError, InputDtypeError, NonScalarOutputError
from pullback.testing import check_grads

Z = np.array([3 + 4j, -1 + 0.5j, 0.25 - 2j])


def _wirtinger(loss, z: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """dL/dx + i dL/dy by central differences, entry by entry (the reference)."""
    g = np.zeros_like(z)
    for k in range(z.size):
        e = np.zeros_like(z)
        e.flat[k] = 1
        dx = (loss(z + h * e) - loss(z - h * e)) / (2 * h)
        dy = (loss(z + 1j * h * e) - loss(z - 1j * h * e)) / (2 * h)
        g.flat[k] = dx + 1j * dy
    return g


def test_grad_of_squared_modulus_is_2z() -> None:
    # |z|^2 = x^2 + y^2: dL/dx + i dL/dy = 2x + 2iy = 2z
    assert complex(pb.grad(lambda z: np.abs(z) ** 2)(np.array(3 + 4j))) == 6 + 8j
    g = pb.grad(lambda z: np.sum(np.real(z * np.conj(z))))(Z)
    np.testing.assert_allclose(g, 2 * Z, rtol=1e-15)


def test_gradient_descent_on_a_complex_parameter_converges() -> None:
    target = np.array([1 - 2j, 0.5j])

    def loss(z):
        return np.sum(np.abs(z - target) ** 2)

    z = np.zeros(2, complex)
    for _ in range(50):
        z = z - 0.25 * pb.grad(loss)(z)  # descends because grad = dL/dx + i dL/dy
    np.testing.assert_allclose(z, target, atol=1e-12)


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        (lambda z: np.sum(np.real(z)), lambda z: np.ones_like(z)),  # d/dx x = 1
        (lambda z: np.sum(np.imag(z)), lambda z: 1j * np.ones_like(z)),  # d/dy y = 1 -> i
        (lambda z: np.sum(np.real(z**2)), lambda z: 2 * np.conj(z)),  # x^2-y^2: 2x - 2iy
        (lambda z: np.sum(np.imag(z**2)), lambda z: 2j * np.conj(z)),  # 2xy: 2y + 2ix
        (lambda z: np.sum(np.real(np.exp(z))), lambda z: np.conj(np.exp(z))),
        (lambda z: np.sum(np.abs(z)), lambda z: z / np.abs(z)),  # |z|: z/|z|
        (lambda z: np.sum(np.angle(z)), lambda z: 1j / np.conj(z)),  # (-y + ix)/r^2
    ],
    ids=["real", "imag", "re_z2", "im_z2", "re_exp", "abs", "angle"],
)
def test_grad_matches_hand_computed_wirtinger_values(loss, expected) -> None:
    g = pb.grad(loss)(Z)
    np.testing.assert_allclose(g, expected(Z), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g, _wirtinger(loss, Z), rtol=1e-7)


def test_angle_grad_hand_value() -> None:
    # angle(x + iy) = atan2(y, x): d/dx = -y/r^2, d/dy = x/r^2; at 3+4j: (-4 + 3i)/25
    g = pb.grad(np.angle)(np.array(3 + 4j))
    assert abs(complex(g) - (-4 + 3j) / 25) < 1e-15


def test_real_input_feeding_complex_output_gets_the_real_part() -> None:
    x = np.array([0.3, -1.2])

    def loss(x):  # |exp(i x)|^2 = 1 for real x, but Re(exp(i x)) = cos x
        return np.sum(np.real(np.exp(1j * x)))

    g = pb.grad(loss)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, -np.sin(x), rtol=1e-14)
    # a complex cotangent pulled back to a real input: the real part of conj-linear transpose
    _, back = pb.vjp(lambda x: x * (2 + 1j), x)
    (xbar,) = back(np.array([1 + 1j, 1j]))
    # J x = (2 + i) x; J^T u = Re(conj(2 + i) u) = Re((2 - i) u)
    np.testing.assert_allclose(xbar, np.real((2 - 1j) * np.array([1 + 1j, 1j])), rtol=1e-15)


def test_matmul_pullback_uses_the_conjugate_transpose() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    b = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    u = rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2))
    _, back = pb.vjp(np.matmul, a, b)
    abar, bbar = back(u)
    np.testing.assert_allclose(abar, u @ b.conj().T, rtol=1e-14)  # Abar = U B^H
    np.testing.assert_allclose(bbar, a.conj().T @ u, rtol=1e-14)  # Bbar = A^H U


@pytest.mark.parametrize(
    ("f", "df"),
    [
        (lambda z: z**2, lambda z: 2 * z),
        (lambda z: np.sin(z) * np.exp(z), lambda z: np.cos(z) * np.exp(z) + np.sin(z) * np.exp(z)),
        (lambda z: 1 / (z + 2), lambda z: -1 / (z + 2) ** 2),
    ],
    ids=["square", "sin_exp", "reciprocal"],
)
def test_holomorphic_grad_is_the_complex_derivative(f, df) -> None:
    z = np.array(0.7 - 1.3j)
    g = pb.grad(f, holomorphic=True)(z)
    np.testing.assert_allclose(g, df(z), rtol=1e-14)
    h = 1e-6  # f'(z) is the same along every direction: check a real and an imaginary step
    np.testing.assert_allclose((f(z + h) - f(z - h)) / (2 * h), df(z), rtol=1e-8)
    np.testing.assert_allclose((f(z + 1j * h) - f(z - 1j * h)) / (2j * h), df(z), rtol=1e-8)


def test_holomorphic_grad_of_a_vector_function() -> None:
    z = np.array([0.7 - 1.3j, 0.2 + 0.4j])
    g = pb.grad(lambda z: np.sum(z**3), holomorphic=True)(z)
    np.testing.assert_allclose(g, 3 * z**2, rtol=1e-14)
    value, g2 = pb.value_and_grad(lambda z: np.sum(np.exp(z)), holomorphic=True)(z)
    np.testing.assert_allclose(value, np.sum(np.exp(z)), rtol=1e-15)
    np.testing.assert_allclose(g2, np.exp(z), rtol=1e-14)


def test_holomorphic_grad_equals_the_conjugate_of_the_real_convention() -> None:
    # For holomorphic f and L = Re(f): grad L = conj(f'(z)) (JAX calls this the "conjugate")
    z = np.array(0.4 + 0.9j)
    g_real = pb.grad(lambda z: np.real(np.sin(z)))(z)
    g_holo = pb.grad(np.sin, holomorphic=True)(z)
    assert abs(complex(g_holo) - complex(np.cos(z))) < 1e-15
    assert abs(complex(g_real) - complex(np.conj(np.cos(z)))) < 1e-15


def test_holomorphic_needs_complex_inputs_and_output() -> None:
    with pytest.raises(InputDtypeError, match="holomorphic"):
        pb.grad(lambda x: x * (1 + 1j), holomorphic=True)(np.array(1.0))
    with pytest.raises(NonScalarOutputError, match="complex scalar"):
        pb.grad(lambda z: np.abs(z), holomorphic=True)(np.array(1j))
    with pytest.raises(NonScalarOutputError, match="holomorphic=True"):
        pb.grad(lambda z: z * z)(np.array(1j))


def test_jvp_of_complex_function_and_real_tangent_for_complex_primal() -> None:
    z = np.array([1 + 1j, 2 - 1j])
    _, ydot = pb.jvp(lambda z: z**2, (z,), (np.array([1.0, 0.0]),))  # real tangent promoted
    np.testing.assert_allclose(ydot, [2 * z[0], 0], rtol=1e-15)
    _, ydot = pb.jvp(np.abs, (z,), (np.array([1j, 1.0]),))
    # d|z| = Re(conj(z) dz) / |z|
    np.testing.assert_allclose(ydot, np.real(np.conj(z) * [1j, 1.0]) / np.abs(z), rtol=1e-15)


def test_vjp_accepts_a_real_cotangent_for_a_complex_output() -> None:
    _, back = pb.vjp(lambda z: 2j * z, np.array([1 + 1j]))
    (zbar,) = back(np.array([1.0]))
    np.testing.assert_allclose(zbar, [-2j], rtol=1e-15)  # J^H 1 = conj(2i) = -2i


def test_check_grads_probes_real_and_imaginary_directions() -> None:
    rows = check_grads(np.exp, (Z,), order=1)
    assert {r.argument for r in rows} == {"x0.re", "x0.im"}
    assert all(r.ok for r in rows)


def _square_rule(conjugate: bool) -> Rule:
    def fwd(z):
        return z * z, z

    def jvp(z, zdot):
        return 2 * z * zdot

    def vjp(z, ybar):
        return (ybar * (np.conj(2 * z) if conjugate else 2 * z),)  # right: ybar * conj(f')

    return Rule("square", fwd, jvp, vjp)


def test_check_grads_catches_a_vjp_missing_its_conj() -> None:
    good, bad = _square_rule(True), _square_rule(False)
    check_grads(good.bind, (Z,), order=1)
    with pytest.raises(GradientCheckError) as info:
        check_grads(bad.bind, (Z,), order=1)
    table = str(info.value)
    # the adjoint identity fails along both directions; the jvp alone is right
    assert "adjoint" in table and "x0.im" in table and "FAIL" in table
    failed = [line for line in table.splitlines() if "FAIL" in line]
    assert not any(line.startswith("jvp vs fd") for line in failed)


def test_check_grads_catches_a_wrong_complex_rule_on_the_imaginary_axis_only() -> None:
    # a jvp that treats z as real (drops the imaginary part of the tangent) is right along real
    # directions and wrong along imaginary ones: only the imaginary probe fails
    def fwd(z):
        return np.exp(z), np.exp(z)

    rule = Rule("bad_exp", fwd, lambda y, zdot: y * np.real(zdot), (lambda y, ybar: ybar * y,))
    with pytest.raises(GradientCheckError) as info:
        check_grads(rule.bind, (Z,), order=1, modes=("fwd",))
    failed = [line for line in str(info.value).splitlines() if "FAIL" in line]
    assert failed and all("x0.im" in line for line in failed)


def test_complex64_stays_single_precision() -> None:
    z = Z.astype(np.complex64)
    g = pb.grad(lambda z: np.sum(np.abs(z) ** 2))(z)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, 2 * z, rtol=1e-6)
    x = np.array([0.5, 1.0], np.float32)
    gx = pb.grad(lambda x: np.sum(np.real(np.exp(1j * x))))(x)
    assert gx.dtype == np.float32


def test_sum_abs_hessian_of_a_complex_loss() -> None:
    # L(z) = |z|^2 = x^2 + y^2: gradient 2z, and the derivative of the gradient along v is 2v
    z = np.array([1 + 2j])
    _, gdot = pb.jvp(pb.grad(lambda z: np.sum(np.abs(z) ** 2)), (z,), (np.array([1j]),))
    np.testing.assert_allclose(gdot, [2j], rtol=1e-14)


# ---- the code blocks of docs/complex.md run ---------------------------------------------------
def _doc_blocks() -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "complex.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_docs_have_code_blocks() -> None:
    assert len(_doc_blocks()) >= 3


@pytest.mark.parametrize("code", _doc_blocks())
def test_doc_block_runs(code: str) -> None:
    exec(compile(code, "<docs/complex.md>", "exec"), {"__name__": "doc_block"})
