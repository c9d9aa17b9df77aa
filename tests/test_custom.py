"""custom_vjp / custom_jvp: the user's rules are really used, in both modes, nested, validated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import pullback as pb
from pullback.custom import custom_jvp, custom_vjp
from pullback.errors import InputDtypeError, MissingRuleError, RuleError
from pullback.testing import check_grads


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def fd(f, x, h=1e-6):
    """Central finite differences of a scalar function of one array, elementwise."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---- functions used across tests ----------------------------------------------------------
@custom_vjp
def sin_times(x, y):
    """sin(x) * y with a hand-written VJP (the JAX docstring example)."""
    return np.sin(x) * y


def sin_times_fwd(x, y):
    return sin_times(x, y), (np.cos(x), np.sin(x), y)


def sin_times_bwd(res, ybar):
    cos_x, sin_x, y = res
    return (cos_x * ybar * y, sin_x * ybar)


sin_times.defvjp(sin_times_fwd, sin_times_bwd)


@custom_vjp
def clip_gradient(x):
    return x


def clip_gradient_fwd(x):
    return x, None


def clip_gradient_bwd(res, ybar):
    return (np.clip(ybar, -1.0, 1.0),)


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)


@custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


@softplus.defjvp
def softplus_jvp(primals, tangents):
    (x,), (xdot,) = primals, tangents
    return softplus(x), xdot / (1 + np.exp(-x))


def naive_softplus(x):
    return np.log1p(np.exp(x))


# ---- custom_vjp ---------------------------------------------------------------------------
def test_custom_vjp_matches_closed_form():
    x, y = np.array([0.3, -1.2]), np.array([2.0, 0.5])
    gx, gy = pb.grad(lambda x, y: np.sum(sin_times(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y, rtol=1e-14)
    np.testing.assert_allclose(gy, np.sin(x), rtol=1e-14)
    np.testing.assert_allclose(gx, fd(lambda x: np.sum(np.sin(x) * y), x), rtol=1e-8)


def test_custom_vjp_rule_is_really_used():
    """The bwd clips the cotangent: d/dx sum(3 * x) reads 1, not 3, through clip_gradient."""
    x = np.array([1.0, -2.0, 0.5])
    g = pb.grad(lambda x: np.sum(3.0 * clip_gradient(x)))(x)
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0])
    g = pb.grad(lambda x: np.sum(0.25 * clip_gradient(x)))(x)  # inside the clip: unchanged
    np.testing.assert_array_equal(g, [0.25, 0.25, 0.25])
    np.testing.assert_array_equal(clip_gradient(x), x)


def test_custom_vjp_through_vjp_and_jacrev():
    x = np.array([0.1, 0.7])
    y = np.array([3.0, -1.0])
    out, back = pb.vjp(sin_times, x, y)
    np.testing.assert_allclose(out, y * np.sin(x))
    xbar, ybar = back(np.array([1.0, 2.0]))
    np.testing.assert_allclose(xbar, y * np.cos(x) * [1.0, 2.0], rtol=1e-14)
    np.testing.assert_allclose(ybar, np.sin(x) * [1.0, 2.0], rtol=1e-14)
    np.testing.assert_allclose(pb.jacrev(sin_times)(x, y), np.diag(y * np.cos(x)), atol=0)


def test_cotangent_must_have_the_argument_shape():
    """bwd is responsible for summing broadcast dimensions: (2,) for a scalar y is an error."""
    with pytest.raises(
        RuleError, match=r"cotangent for argument 1 of .* shape \(2,\) .* shape \(\)"
    ):
        pb.grad(lambda x: np.sum(sin_times(x, 3.0)))(np.array([0.1, 0.7]))


def test_custom_vjp_check_grads_reverse(rng):
    args = (rng.standard_normal(3), rng.standard_normal(3))
    rows = check_grads(sin_times, args, order=2, modes=("rev",), rng=rng)
    assert rows and all(r.ok for r in rows)


def test_untraced_call_runs_the_function_only():
    calls = []

    @custom_vjp
    def f(x):
        calls.append("fun")
        return 2.0 * x

    def f_fwd(x):
        calls.append("fwd")
        return 2.0 * x, None

    f.defvjp(f_fwd, lambda res, ybar: (2.0 * ybar,))
    assert f(np.array(3.0)) == 6.0
    assert calls == ["fun"]
    calls.clear()
    assert pb.grad(f)(3.0) == 2.0
    assert calls == ["fwd", "fun"]  # fun once: fwd's output is checked against it
    calls.clear()
    assert pb.grad(f)(4.0) == 2.0
    assert calls == ["fwd"]  # checked once per input signature


def test_wraps_keeps_name_and_doc():
    assert sin_times.__name__ == "sin_times"
    assert sin_times.__doc__.startswith("sin(x) * y")
    assert softplus.__name__ == "softplus"
    assert "sin_times" in repr(sin_times)


def test_none_cotangent_is_zero():
    @custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, x), lambda x, ybar: (None, x * ybar))
    gx, gy = pb.grad(f, argnums=(0, 1))(2.0, 5.0)
    assert (gx, gy) == (0.0, 2.0)


def test_cotangent_is_cast_to_the_argument_dtype():
    @custom_vjp
    def f(x):
        return x * x

    f.defvjp(lambda x: (x * x, x), lambda x, ybar: ((2.0 * ybar * x).astype(np.float64),))
    x = np.array([1.0, 2.0], dtype=np.float32)
    _, back = pb.vjp(f, x)
    (xbar,) = back(np.ones(2, np.float32))
    assert xbar.dtype == np.float32
    np.testing.assert_array_equal(xbar, [2.0, 4.0])


def test_multiple_outputs_and_unused_output():
    @custom_vjp
    def polar(r, t):
        return r * np.cos(t), r * np.sin(t)

    def polar_fwd(r, t):
        c, s = np.cos(t), np.sin(t)
        return (r * c, r * s), (r, c, s)

    def polar_bwd(res, ybar):
        r, c, s = res
        ubar, vbar = ybar
        return (c * ubar + s * vbar, r * (c * vbar - s * ubar))

    polar.defvjp(polar_fwd, polar_bwd)
    r, t = 2.0, 0.3
    g = pb.grad(lambda r, t: polar(r, t)[1], argnums=(0, 1))(r, t)  # cotangent of [0] is zero
    np.testing.assert_allclose(g, (np.sin(t), r * np.cos(t)), rtol=1e-14)
    jac = pb.jacrev(lambda r, t: np.stack(polar(r, t)), argnums=(0, 1))(r, t)
    np.testing.assert_allclose(jac[0], [np.cos(t), np.sin(t)], rtol=1e-14)
    np.testing.assert_allclose(jac[1], [-r * np.sin(t), r * np.cos(t)], rtol=1e-14)


# ---- pytrees and nondiff_argnums ----------------------------------------------------------
@dataclasses.dataclass
class Params:
    w: np.ndarray
    b: np.ndarray


def test_pytree_arguments_and_outputs(rng):
    @custom_vjp
    def affine(p, xs):
        return {"y": p.w * xs[0] + p.b, "z": np.sum(xs[1])}

    def affine_fwd(p, xs):
        return affine(p, xs), (p, xs)

    def affine_bwd(res, g):
        p, xs = res
        pbar = Params(w=g["y"] * xs[0], b=g["y"])
        return pbar, (g["y"] * p.w, g["z"] * np.ones(xs[1].shape))

    affine.defvjp(affine_fwd, affine_bwd)
    p = Params(rng.standard_normal(3), rng.standard_normal(3))
    xs = (rng.standard_normal(3), rng.standard_normal(2))

    def loss(p, xs):
        out = affine(p, xs)
        return np.sum(out["y"] ** 2) + 3.0 * out["z"]

    gp, gxs = pb.grad(loss, argnums=(0, 1))(p, xs)
    y = p.w * xs[0] + p.b
    np.testing.assert_allclose(gp.w, 2 * y * xs[0], rtol=1e-13)
    np.testing.assert_allclose(gp.b, 2 * y, rtol=1e-13)
    np.testing.assert_allclose(gxs[0], 2 * y * p.w, rtol=1e-13)
    np.testing.assert_allclose(gxs[1], [3.0, 3.0])
    check_grads(loss, (p, xs), order=1, modes=("rev",), rng=rng)


def test_nondiff_argnums_come_first_in_bwd():
    seen = []

    @custom_vjp
    def power(n, x, scale):
        return scale * x**n

    def power_fwd(n, x, scale):
        return power(n, x, scale), (x, scale)

    def power_bwd(n, scale_static, res, ybar):
        seen.append((n, scale_static))
        x, scale = res
        return (scale * n * x ** (n - 1) * ybar,)

    power = custom_vjp(power.fun, nondiff_argnums=(0, -1))
    power.defvjp(power_fwd, power_bwd)
    x = np.array([1.5, 2.0])
    g = pb.grad(lambda x: np.sum(power(3, x, 2.0)))(x)
    np.testing.assert_allclose(g, 2.0 * 3 * x**2, rtol=1e-14)
    assert seen == [(3, 2.0)]
    g = pb.grad(lambda x: np.sum(power(3, x=x, scale=2.0)))(x)  # keywords resolve to positions
    np.testing.assert_allclose(g, 2.0 * 3 * x**2, rtol=1e-14)


def test_nondiff_callable_argument(rng):
    @custom_vjp
    def apply(fn, x):
        return fn(x)

    def apply_fwd(fn, x):
        return fn(x), x

    def apply_bwd(fn, x, ybar):
        return (pb.grad(lambda x: np.sum(fn(x) * ybar))(x),)

    apply = custom_vjp(apply.fun, nondiff_argnums=(0,))
    apply.defvjp(apply_fwd, apply_bwd)
    x = rng.standard_normal(3)
    g = pb.grad(lambda x: np.sum(apply(np.tanh, x)))(x)
    np.testing.assert_allclose(g, 1 - np.tanh(x) ** 2, rtol=1e-14)


def test_integer_leaf_in_a_differentiable_argument_is_a_constant():
    @custom_vjp
    def shift(x, k):
        return x + k

    shift.defvjp(lambda x, k: (x + k, None), lambda res, ybar: (ybar, None))
    assert pb.grad(shift)(1.0, 3) == 1.0


# ---- second order and nesting ---------------------------------------------------------------
def test_grad_of_grad_differentiates_the_numpy_bwd():
    x, y = 0.7, 2.0
    d2 = pb.grad(pb.grad(sin_times))(x, y)
    np.testing.assert_allclose(d2, -np.sin(x) * y, rtol=1e-14)
    np.testing.assert_allclose(pb.hessian(sin_times)(np.array(x), y), -np.sin(x) * y)
    d2 = pb.grad(pb.grad(sin_times, argnums=1), argnums=0)(x, y)  # mixed partial
    np.testing.assert_allclose(d2, np.cos(x), rtol=1e-14)


def test_second_order_sees_the_custom_rule():
    """bwd multiplies by 10; the second derivative of x**3 through it reads 10 * 6x."""

    @custom_vjp
    def cube(x):
        return x**3

    cube.defvjp(lambda x: (x**3, x), lambda x, ybar: (10.0 * 3 * x**2 * ybar,))
    np.testing.assert_allclose(pb.grad(pb.grad(cube))(2.0), 10.0 * 6 * 2.0)


def test_custom_function_inside_other_transforms(rng):
    x = rng.standard_normal(3)

    def inner(x):
        return pb.grad(lambda z: np.sum(sin_times(z, x)))(x)  # cos(x) * x, closes over x

    g = pb.grad(lambda x: np.sum(inner(x)))(x)
    np.testing.assert_allclose(g, np.cos(x) - x * np.sin(x), rtol=1e-13)
    g = pb.grad(lambda x: np.sum(pb.checkpoint(lambda z: softplus(z) * z)(x)))(x)
    np.testing.assert_allclose(g, softplus(x) + x * sigmoid(x), rtol=1e-13)


def test_method_decorated():
    class Model:
        scale = 3.0

        @custom_vjp
        def __call__(self, x):
            return self.scale * x

    Model.__call__ = custom_vjp(Model.__call__.fun, nondiff_argnums=(0,))
    Model.__call__.defvjp(lambda m, x: (m.scale * x, None), lambda m, res, g: (m.scale * g,))
    m = Model()
    assert pb.grad(lambda x: m(x))(2.0) == 3.0


# ---- custom_jvp -----------------------------------------------------------------------------
def test_custom_jvp_forward_and_reverse_match_analytic(rng):
    x = rng.standard_normal(4)
    xdot = rng.standard_normal(4)
    y, ydot = pb.jvp(softplus, (x,), (xdot,))
    np.testing.assert_allclose(y, np.log1p(np.exp(x)), rtol=1e-15)
    np.testing.assert_allclose(ydot, sigmoid(x) * xdot, rtol=1e-14)
    g = pb.grad(lambda x: np.sum(softplus(x)))(x)  # the transposed JVP rule
    np.testing.assert_allclose(g, sigmoid(x), rtol=1e-14)
    np.testing.assert_allclose(g, fd(lambda x: np.sum(naive_softplus(x)), x), rtol=1e-8)
    np.testing.assert_allclose(pb.jacrev(softplus)(x), np.diag(sigmoid(x)), rtol=1e-14)
    np.testing.assert_allclose(pb.jacfwd(softplus)(x), np.diag(sigmoid(x)), rtol=1e-14)
    y, f_jvp = pb.linearize(softplus, x)
    np.testing.assert_allclose(f_jvp(xdot), sigmoid(x) * xdot, rtol=1e-14)


def test_custom_jvp_hessian_and_check_grads(rng):
    x = rng.standard_normal(3)
    h = pb.hessian(lambda x: np.sum(softplus(x)))(x)
    np.testing.assert_allclose(h, np.diag(sigmoid(x) * (1 - sigmoid(x))), atol=1e-15)
    np.testing.assert_allclose(pb.grad(pb.grad(softplus))(0.4), sigmoid(0.4) * sigmoid(-0.4))
    rows = check_grads(softplus, (x,), order=2, modes=("fwd", "rev"), rng=rng)
    assert all(r.ok for r in rows)


def test_forward_over_reverse_through_custom_jvp():
    x = np.array([-0.5, 1.5])
    _, d2 = pb.jvp(pb.grad(lambda x: np.sum(softplus(x))), (x,), (np.ones(2),))
    np.testing.assert_allclose(d2, sigmoid(x) * sigmoid(-x), rtol=1e-14)


def test_forward_over_reverse_through_custom_vjp_needs_a_jvp_rule():
    """As in JAX: bwd's outer derivative is fine, but fwd's f(x) is seen by the forward trace."""
    with pytest.raises(MissingRuleError, match="custom_vjp function sin_times"):
        pb.jvp(pb.grad(sin_times), (0.5, 2.0), (1.0, 0.0))


def test_custom_jvp_rule_is_really_used_in_reverse_mode():
    @custom_jvp
    def f(x):
        return np.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 5.0 * t[0]))  # deliberately not cos(x)
    assert pb.grad(f)(0.3) == 5.0
    assert pb.jvp(f, (0.3,), (1.0,))[1] == 5.0


def test_stable_softplus_stays_finite_at_1000():
    with np.errstate(over="ignore", invalid="ignore"):
        assert pb.grad(softplus)(1000.0) == 1.0
        assert pb.jvp(softplus, (1000.0,), (2.0,))[1] == 2.0
        assert np.isnan(pb.grad(naive_softplus)(1000.0))  # what the rule protects against


def test_custom_jvp_nondiff_and_pytree(rng):
    @custom_jvp
    def scaled_norm2(scale, xs):
        return scale * (np.sum(xs["a"] ** 2) + np.sum(xs["b"] ** 2))

    @scaled_norm2.defjvp
    def _(scale, primals, tangents):
        ((xs,), (xdots,)) = primals, tangents
        y = scaled_norm2(scale, xs)
        return y, 2 * scale * (np.sum(xs["a"] * xdots["a"]) + np.sum(xs["b"] * xdots["b"]))

    scaled_norm2 = custom_jvp(scaled_norm2.fun, nondiff_argnums=(0,))
    scaled_norm2.defjvp(_)
    xs = {"a": rng.standard_normal(2), "b": rng.standard_normal((2, 2))}
    g = pb.grad(lambda xs: scaled_norm2(1.5, xs))(xs)
    np.testing.assert_allclose(g["a"], 3.0 * xs["a"], rtol=1e-14)
    np.testing.assert_allclose(g["b"], 3.0 * xs["b"], rtol=1e-14)
    check_grads(lambda xs: scaled_norm2(1.5, xs), (xs,), order=2, rng=rng)


# ---- both rules on one function -------------------------------------------------------------
def test_both_rules_each_mode_uses_its_own():
    """A JVP rule scaled by 2 and a VJP rule scaled by 3 show which one each mode ran."""

    @custom_vjp
    def f(x):
        return np.sin(x)

    f.defvjp(lambda x: (np.sin(x), x), lambda x, ybar: (3.0 * np.cos(x) * ybar,))
    f.defjvp(lambda p, t: (f(p[0]), 2.0 * np.cos(p[0]) * t[0]))
    x = 0.4
    np.testing.assert_allclose(pb.jvp(f, (x,), (1.0,))[1], 2.0 * np.cos(x))
    np.testing.assert_allclose(pb.jacfwd(f)(np.array(x)), 2.0 * np.cos(x))
    np.testing.assert_allclose(pb.grad(f)(x), 3.0 * np.cos(x))

    @custom_jvp
    def g(x):
        return np.sin(x)

    g.defjvp(lambda p, t: (g(p[0]), 2.0 * np.cos(p[0]) * t[0]))
    g.defvjp(lambda x: (np.sin(x), x), lambda x, ybar: (3.0 * np.cos(x) * ybar,))
    np.testing.assert_allclose(pb.jvp(g, (x,), (1.0,))[1], 2.0 * np.cos(x))
    np.testing.assert_allclose(pb.grad(g)(x), 3.0 * np.cos(x))


# ---- missing rules --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "transform",
    [
        lambda f: pb.jvp(f, (0.5, 2.0), (1.0, 0.0)),
        lambda f: pb.jacfwd(f)(np.array(0.5), 2.0),
        lambda f: pb.linearize(f, 0.5, 2.0)[1](1.0, 0.0),
    ],
    ids=["jvp", "jacfwd", "linearize"],
)
def test_custom_vjp_without_jvp_rule_in_forward_mode(transform):
    with pytest.raises(MissingRuleError, match=r"custom_vjp function sin_times .*defjvp"):
        transform(sin_times)


def test_undecorated_use_and_rules_defined_late():
    def f(x):
        return x * x

    f = custom_vjp(f)
    assert f(3.0) == 9.0  # a plain call needs no rule
    with pytest.raises(
        MissingRuleError, match=r"custom_vjp function .*f was differentiated.*defvjp"
    ):
        pb.grad(f)(3.0)
    f.defvjp(lambda x: (x * x, x), lambda x, ybar: (2 * x * ybar,))
    assert pb.grad(f)(3.0) == 6.0

    g = custom_jvp(lambda x: x * x)
    with pytest.raises(MissingRuleError, match=r"custom_jvp function .*defjvp"):
        pb.jvp(g, (3.0,), (1.0,))


# ---- validation of what the rules return ----------------------------------------------------
def _with_bwd(bwd, fwd=None):
    @custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(fwd or (lambda x, y: (x * y, (x, y))), bwd)
    return f


NOT_TUPLE = r"<lambda> \(the bwd of custom_vjp function .*f\) must return a tuple with one"
BWD_CASES = {
    "not-a-tuple": (lambda res, g: res[1] * g, NOT_TUPLE + r".*\(2; None for a zero\)"),
    "wrong-length": (lambda res, g: (res[1] * g,), r"per differentiable .*returned 1 entries"),
    "wrong-shape": (
        lambda res, g: (np.ones(3), None),
        r"cotangent for argument 0 of .*f .* \(3,\) but must .* \(2,\)",
    ),
    "int-dtype": (lambda res, g: (np.ones(2, int), None), r"dtype int64; a cotangent of a float64"),
    "complex": (lambda res, g: (np.ones(2) * 1j, None), r"dtype complex128; .* real floating"),
    "structure": (lambda res, g: ((g, g), None), r"structure tuple\(\*, \*\) but must .* \*"),
    "str": (lambda res, g: ("zero", None), r"is a str, not an array"),
}


@pytest.mark.parametrize(("bwd", "message"), BWD_CASES.values(), ids=BWD_CASES.keys())
def test_bwd_result_is_validated(bwd, message):
    f = _with_bwd(bwd)
    with pytest.raises(RuleError, match=message):
        pb.grad(lambda x: np.sum(f(x, np.ones(2))))(np.array([1.0, 2.0]))


NOT_PAIR = r"<lambda> \(the fwd of custom_vjp function .*f\) must return a pair \(y, res\)"
FWD_CASES = {
    "not-a-pair": (lambda x, y: x * y, NOT_PAIR + r".*an array of shape \(2,\)"),
    "triple": (lambda x, y: (x * y, None, None), NOT_PAIR + r".*a tuple of length 3"),
    "wrong-shape": (
        lambda x, y: (np.sum(x * y), None),
        r"y of structure \* with \(shape, dtype\) \[\(\(\), float64\)\], "
        r"but .*f returns \* with \[\(\(2,\), float64\)\]",
    ),
    "wrong-structure": (lambda x, y: ((x * y,), None), r"returned y of structure tuple\(\*\)"),
}


@pytest.mark.parametrize(("fwd", "message"), FWD_CASES.values(), ids=FWD_CASES.keys())
def test_fwd_result_is_validated(fwd, message):
    f = _with_bwd(lambda res, g: (g, g), fwd)
    with pytest.raises(RuleError, match=message):
        pb.grad(lambda x: np.sum(f(x, np.ones(2))))(np.array([1.0, 2.0]))


JVP_CASES = {
    "not-a-pair": (
        lambda p, t: p[0] * t[0],
        r"<lambda> \(the jvp rule of custom_jvp function .*f\) must return a pair \(y, ydot\)",
    ),
    "ydot-shape": (
        lambda p, t: (p[0], np.ones(3)),
        r"leaf 0 of ydot from <lambda> .* \(3,\) .*\(2,\)",
    ),
    "ydot-structure": (lambda p, t: (p[0], (t[0],)), r"ydot .* structure tuple\(\*\) but must"),
    "y-shape": (lambda p, t: (np.sum(p[0]), t[0]), r"y of structure \* with .*\[\(\(\), float64"),
    "ydot-dtype": (lambda p, t: (p[0], np.ones(2, bool)), r"dtype bool; a tangent of a float64"),
}


@pytest.mark.parametrize(("rule", "message"), JVP_CASES.values(), ids=JVP_CASES.keys())
@pytest.mark.parametrize("mode", ["jvp", "grad"])
def test_jvp_rule_result_is_validated(rule, message, mode):
    @custom_jvp
    def f(x):
        return 1.0 * x

    f.defjvp(rule)
    x = np.array([1.0, 2.0])
    with pytest.raises(RuleError, match=message):
        if mode == "jvp":
            pb.jvp(f, (x,), (x,))
        else:
            pb.grad(lambda x: np.sum(f(x)))(x)


def test_non_array_leaf_of_a_differentiable_argument():
    @custom_vjp
    def f(x, name):
        return x

    f.defvjp(lambda x, name: (x, None), lambda res, g: (g, None))
    with pytest.raises(InputDtypeError, match=r"argument 1 of .*f is a str; .*nondiff_argnums"):
        pb.grad(f)(1.0, "label")


def test_non_array_leaf_inside_a_pytree_argument():
    @custom_jvp
    def f(p):
        return p["x"]

    f.defjvp(lambda p, t: (p[0]["x"], t[0]["x"]))
    with pytest.raises(InputDtypeError, match=r"leaf 1 of argument 0 of .*f is a object;"):
        pb.grad(lambda x: f({"x": x, "y": object()}))(1.0)


def test_traced_value_in_a_nondiff_argument():
    @custom_vjp
    def f(x, y):
        return x * y

    f = custom_vjp(f.fun, nondiff_argnums=(1,))
    f.defvjp(lambda x, y: (x * y, None), lambda y, res, g: (y * g,))
    with pytest.raises(
        RuleError, match=r"argument 1 of custom_vjp function .*f is in nondiff_argnums"
    ):
        pb.grad(f, argnums=(0, 1))(1.0, 2.0)
    assert pb.grad(f)(1.0, 2.0) == 2.0


def test_rule_closing_over_a_traced_value():
    def outer(x):
        @custom_vjp
        def f(z):
            return z * x

        f.defvjp(lambda z: (z * x, None), lambda res, g: (g,))
        return f(x)

    with pytest.raises(RuleError, match=r"closes over it"):
        pb.grad(outer)(2.0)


def test_nondiff_argnums_out_of_range():
    f = custom_vjp(lambda x: x, nondiff_argnums=(3,))
    f.defvjp(lambda x: (x, None), lambda res, g: (g,))
    with pytest.raises(ValueError, match=r"nondiff_argnums=\(3,\) but it was called with 1"):
        pb.grad(f)(1.0)
