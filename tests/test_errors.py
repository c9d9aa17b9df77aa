"""Every user mistake gets its own exception class from pullback.errors, raised during the trace,
with a message that says what went wrong and the fix (DESIGN principles 6 and 7)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import pullback as pb
from pullback.core import REGISTRY, Rule, register
from pullback.errors import (
    CotangentError,
    DuplicateRuleError,
    InPlaceWriteError,
    InputDtypeError,
    MissingRuleError,
    NonScalarOutputError,
    PullbackError,
    TracedConversionError,
    UnsupportedFunctionError,
)

X = np.array([1.0, 2.0, 3.0])


# ---- grad of a non-scalar output -----------------------------------------------------------------
def test_grad_of_a_vector_output_points_at_jacobian_and_vjp() -> None:
    def vector_valued(x):
        return x * 2

    with pytest.raises(NonScalarOutputError, match=r"shape \(3,\)") as info:
        pb.grad(vector_valued)(X)
    message = str(info.value)
    assert "vector_valued" in message
    assert "pullback.jacobian" in message and "pullback.vjp" in message


def test_grad_of_several_outputs_is_not_scalar() -> None:
    with pytest.raises(NonScalarOutputError, match="jacobian"):
        pb.grad(lambda x: (np.sum(x), np.sum(x)))(X)
    with pytest.raises(NonScalarOutputError, match="jacobian"):
        pb.value_and_grad(lambda x: x[None, 0])(X)


def test_grad_of_an_integer_output() -> None:
    with pytest.raises(NonScalarOutputError, match="floating-point scalar, got dtype int"):
        pb.grad(lambda x: 3)(X)


# ---- integer and boolean inputs ------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [np.array([1, 2, 3]), 3, np.array([True, False]), True, np.int32(4)],
    ids=["int-array", "python-int", "bool-array", "python-bool", "int32-scalar"],
)
def test_integer_and_boolean_inputs_cannot_be_differentiated(bad) -> None:
    dtype = np.asarray(bad).dtype
    with pytest.raises(InputDtypeError, match=f"argument 0 has dtype {dtype}; only floating"):
        pb.grad(lambda x: np.sum(x * 1.0))(bad)
    with pytest.raises(InputDtypeError, match=f"primal leaf 0 has dtype {dtype}"):
        pb.jvp(lambda x: x * 1.0, (bad,), (np.zeros(np.shape(bad)),))
    with pytest.raises(InputDtypeError, match="leave the argument out of argnums"):
        pb.vjp(lambda x: x * 1.0, bad)


def test_input_dtype_error_is_a_type_error() -> None:
    assert issubclass(InputDtypeError, TypeError) and issubclass(InputDtypeError, PullbackError)
    with pytest.raises(TypeError, match="dtype int64"):
        pb.jacobian(lambda x: x * 1.0)(np.arange(3))


def test_integer_leaf_inside_a_pytree_argument() -> None:
    with pytest.raises(InputDtypeError, match=r"leaf 1 of argnums=\(0,\) has dtype int64"):
        pb.grad(lambda p: np.sum(p[0]) * p[1])((X, 2))


def test_integer_argument_not_in_argnums_is_fine() -> None:
    f = lambda x, n, mask: np.sum(np.where(mask, x**n, 0.0))
    mask = np.array([True, False, True])
    np.testing.assert_allclose(pb.grad(f)(X, 3, mask), [3.0, 0.0, 27.0])
    np.testing.assert_allclose(pb.grad(f, argnums=0)(X, np.int64(2), mask), [2.0, 0.0, 6.0])


# ---- cotangents and tangents of the wrong shape or dtype -----------------------------------------
def test_cotangent_of_the_wrong_shape_names_both_shapes() -> None:
    _, back = pb.vjp(lambda x: np.outer(x, x), X)
    with pytest.raises(CotangentError, match=r"has shape \(3,\) but must have the shape \(3, 3\)"):
        back(np.ones(3))
    with pytest.raises(CotangentError, match=r"has shape \(3, 3, 1\) .* \(3, 3\)"):
        back(np.ones((3, 3, 1)))


def test_cotangent_of_the_wrong_dtype() -> None:
    _, back = pb.vjp(lambda x: x * 2, X)
    with pytest.raises(CotangentError, match="has dtype float32 but must have dtype float64"):
        back(np.ones(3, np.float32))
    with pytest.raises(CotangentError, match="has dtype int64 but must have dtype float64"):
        back(np.ones(3, np.int64))
    _, back32 = pb.vjp(lambda x: x * 2, X.astype(np.float32))
    with pytest.raises(CotangentError, match="has dtype float64 but must have dtype float32"):
        back32(np.ones(3))


def test_tangent_of_the_wrong_shape_or_dtype() -> None:
    with pytest.raises(
        CotangentError, match=r"tangent for primal leaf 0 has shape \(2,\) .* \(3,\)"
    ):
        pb.jvp(np.sin, (X,), (np.ones(2),))
    with pytest.raises(CotangentError, match="tangent for primal leaf 0 has dtype int64"):
        pb.jvp(np.sin, (X,), (np.ones(3, np.int64),))
    _, f_jvp = pb.linearize(np.sin, X)
    with pytest.raises(CotangentError, match=r"has shape \(4,\) but must have the shape \(3,\)"):
        f_jvp(np.ones(4))


def test_jvp_needs_tuples() -> None:
    with pytest.raises(TypeError, match=r"takes primals and tangents as tuples"):
        pb.jvp(np.sin, X, X)


def test_argnums_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"argnums=2 but the function got 2 arguments"):
        pb.grad(lambda x, y: np.sum(x * y), argnums=2)(X, X)


def test_has_aux_needs_a_pair() -> None:
    with pytest.raises(TypeError, match=r"has_aux=True\) needs the function to return a pair"):
        pb.grad(lambda x: np.sum(x), has_aux=True)(X)


# ---- unsupported functions -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (lambda x: scipy.special.airy(x)[0], "scipy.special.airy"),
        (scipy.special.kolmogorov, "scipy.special.kolmogorov"),
        (lambda x: scipy.special.sici(x)[0], "scipy.special.sici"),
        (lambda x: np.multiply.reduceat(x, [0, 2]), "numpy.multiply.reduceat"),
        (lambda x: np.add.reduceat(x, [0, 1]), "numpy.add.reduceat"),
        (lambda x: scipy.special.ellipkinc(x, 0.5), "scipy.special.ellipkinc"),
    ],
    ids=["multi-output", "series", "pair", "ufunc-method-2", "ufunc-method", "scipy-ufunc"],
)
def test_unsupported_function_names_the_function_the_argument_and_the_fixes(fn, name) -> None:
    with pytest.raises(UnsupportedFunctionError) as info:
        pb.grad(lambda x: np.sum(np.real(fn(x))))(X)
    message = str(info.value)
    assert f"no differentiation rule for {name}, called on the traced argument" in message
    assert "(shape (" in message and "dtype float64" in message
    assert "custom_vjp" in message and "stop_gradient" in message
    assert "no implementation found" not in message.lower()
    assert info.value.function == name


def test_unsupported_function_names_the_traced_argument_position() -> None:
    with pytest.raises(
        UnsupportedFunctionError, match=r"scipy.special.ellipkinc, called on the traced argument 1 "
    ):
        pb.grad(lambda x: np.sum(scipy.special.ellipkinc(0.5, x / 4)))(X)


def test_unsupported_function_in_forward_mode() -> None:
    with pytest.raises(UnsupportedFunctionError, match=r"scipy\.special\.kolmogorov") as info:
        pb.jvp(scipy.special.kolmogorov, (X,), (X,))
    assert "no implementation found" not in str(info.value).lower()


def test_stop_gradient_is_the_advertised_escape_hatch() -> None:
    g = pb.grad(lambda x: np.sum(x * scipy.special.kolmogorov(pb.stop_gradient(x))))(X)
    np.testing.assert_allclose(g, scipy.special.kolmogorov(X))


# ---- traced values turned into constants ---------------------------------------------------------
@pytest.mark.parametrize(
    "convert",
    [np.asarray, np.array, lambda t: np.array([t[0], t[1]]), lambda t: np.asarray(t, dtype=float)],
    ids=["asarray", "array", "array-of-pieces", "asarray-dtype"],
)
def test_conversion_to_a_plain_array_is_an_error(convert) -> None:
    with pytest.raises(TracedConversionError, match="silently drop its derivative") as info:
        pb.grad(lambda x: np.sum(convert(x)))(X)
    assert "stop_gradient" in str(info.value)
    with pytest.raises(TracedConversionError, match=r"numpy\.asarray, numpy\.array"):
        pb.jvp(lambda x: np.sum(convert(x)), (X,), (X,))


@pytest.mark.parametrize("convert", [float, int, complex, lambda t: t.item(), lambda t: t.tolist()])
def test_conversion_to_a_python_number_is_an_error(convert) -> None:
    with pytest.raises(TracedConversionError, match=r"traced array of shape \(3,\) was converted"):
        pb.grad(lambda x: convert(x) * 1.0)(X)
    with pytest.raises(TracedConversionError, match=r"traced array of shape \(\) was converted"):
        pb.grad(lambda x: convert(x) * 1.0)(2.0)


# ---- in-place writes -----------------------------------------------------------------------------
# Writes into traced arrays are functional updates (tests/test_writes.py); what stays an error is a
# traced value written into a plain NumPy array, which NumPy performs without asking pullback.
def _out_into_plain(x):
    buf = np.zeros(3)
    np.multiply(x, 2.0, out=buf)
    return np.sum(buf)


def _plain_iadd(x):
    buf = np.zeros(3)
    buf += x
    return np.sum(buf)


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (_out_into_plain, r"numpy\.multiply\(\.\.\., out=\.\.\.\) into a plain NumPy array"),
        (_plain_iadd, r"numpy\.add\(\.\.\., out=\.\.\.\) into a plain NumPy array"),
    ],
    ids=["out-plain-buffer", "plain-iadd-traced"],
)
def test_writing_traced_values_into_plain_arrays_is_an_error(fn, match) -> None:
    with pytest.raises(InPlaceWriteError, match=match):
        pb.grad(fn)(X.copy())
    with pytest.raises(InPlaceWriteError, match=match):
        pb.jvp(fn, (X.copy(),), (np.ones(3),))


def test_in_place_write_leaves_the_input_untouched() -> None:
    x = X.copy()

    def f(x):
        x[0] = 1.0
        return np.sum(x * x)

    np.testing.assert_array_equal(pb.grad(f)(x), [0.0, *(2 * X[1:])])
    np.testing.assert_array_equal(x, X)


# ---- registration --------------------------------------------------------------------------------
def test_registering_a_callable_twice_is_an_error() -> None:
    def my_op(x):
        return x

    register(my_op, my_op)
    try:
        with pytest.raises(DuplicateRuleError, match=r"my_op already has a rule"):
            register(my_op, my_op)
    finally:
        del REGISTRY[my_op]
    with pytest.raises(DuplicateRuleError, match=r"numpy\.sin already has a rule"):
        register(np.sin, np.sin)
    with pytest.raises(DuplicateRuleError, match=r"numpy\.sum already has a rule"):
        register(np.sum, np.sum)


# ---- a rule without the mode the transform needs -------------------------------------------------
def _double_fwd(x):
    return 2 * x, None


def _double_vjp(res, ybar):
    return (2 * ybar,)


def _double_jvp(res, xdot):
    return 2 * xdot


REVERSE_ONLY = Rule("reverse_only", _double_fwd, None, _double_vjp)
FORWARD_ONLY = Rule("forward_only", _double_fwd, _double_jvp, None)


def test_missing_jvp_rule_in_forward_mode() -> None:
    np.testing.assert_allclose(pb.grad(lambda x: np.sum(REVERSE_ONLY.bind(x)))(X), [2.0] * 3)
    with pytest.raises(MissingRuleError, match="reverse_only has no forward-mode"):
        pb.jvp(REVERSE_ONLY.bind, (X,), (X,))
    with pytest.raises(MissingRuleError, match="reverse_only has no forward-mode"):
        pb.jacfwd(REVERSE_ONLY.bind)(X)


def test_missing_vjp_rule_in_reverse_mode() -> None:
    np.testing.assert_allclose(pb.jvp(FORWARD_ONLY.bind, (X,), (X,))[1], 2 * X)
    np.testing.assert_allclose(pb.jacfwd(FORWARD_ONLY.bind)(X), 2 * np.eye(3))
    with pytest.raises(MissingRuleError, match="forward_only has no reverse-mode"):
        pb.grad(lambda x: np.sum(FORWARD_ONLY.bind(x)))(X)
