"""The public transforms (stage ①): grad, value_and_grad, vjp, jvp, linearize, the Jacobians,
hessian, stop_gradient and checkpoint, each checked against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import pullback as pb
from pullback.core import batching

X3 = np.array([0.3, -1.2, 2.0])


# ---- grad and value_and_grad ---------------------------------------------------------------------
def test_grad_of_a_scalar_function() -> None:
    g = pb.grad(lambda x: np.sum(np.sin(x) * x))(X3)
    assert_allclose(g, np.cos(X3) * X3 + np.sin(X3), rtol=1e-14)
    assert type(g) is np.ndarray and g.shape == (3,)


def test_grad_argnums_int_picks_one_argument() -> None:
    f = lambda x, y: np.sum(x * x * y)
    assert_allclose(pb.grad(f, argnums=1)(X3, 2 * X3), X3 * X3)
    assert_allclose(pb.grad(f, argnums=-1)(X3, 2 * X3), X3 * X3)


def test_grad_argnums_tuple_returns_a_tuple() -> None:
    f = lambda x, y, z: np.sum(x * y) + np.sum(z**2)
    y = np.array([4.0, 5.0, 6.0])
    gx, gz = pb.grad(f, argnums=(0, 2))(X3, y, y)
    assert_allclose(gx, y)
    assert_allclose(gz, 2 * y)
    (only,) = pb.grad(f, argnums=(1,))(X3, y, y)
    assert_allclose(only, X3)


def test_grad_has_aux_returns_grad_and_aux() -> None:
    def f(x):
        y = x * x
        return np.sum(y), {"y": y, "tag": "sq"}

    g, aux = pb.grad(f, has_aux=True)(X3)
    assert_allclose(g, 2 * X3)
    assert_allclose(aux["y"], X3 * X3)
    assert type(aux["y"]) is np.ndarray  # the aux comes back as a plain array
    assert aux["tag"] == "sq"


def test_grad_passes_keyword_arguments_through() -> None:
    def f(x, *, scale, shift=0.0):
        return np.sum(scale * x**2 + shift)

    assert_allclose(pb.grad(f)(X3, scale=3.0), 6 * X3)
    assert_allclose(pb.grad(f)(X3, scale=-1.0, shift=5.0), -2 * X3)


def test_value_and_grad() -> None:
    value, g = pb.value_and_grad(lambda x: np.sum(x**3))(X3)
    assert_allclose(value, np.sum(X3**3))
    assert_allclose(g, 3 * X3**2)


def test_value_and_grad_has_aux_returns_value_aux_then_grad() -> None:
    (value, aux), g = pb.value_and_grad(lambda x: (np.sum(x**2), x[0] * 10), has_aux=True)(X3)
    assert_allclose(value, np.sum(X3**2))
    assert_allclose(aux, 3.0)
    assert_allclose(g, 2 * X3)


def test_grad_of_a_python_scalar() -> None:
    assert_allclose(pb.grad(lambda x: x**3)(2.0), 12.0)
    assert_allclose(pb.grad(np.sin)(0.5), np.cos(0.5))


def test_grad_of_a_constant_function_is_zero() -> None:
    assert_allclose(pb.grad(lambda x: 1.5)(X3), np.zeros(3))
    value, g = pb.value_and_grad(lambda x, y: np.sum(y), argnums=0)(X3, X3)
    assert_allclose(value, np.sum(X3))
    assert_allclose(g, np.zeros(3))


# ---- vjp -----------------------------------------------------------------------------------------
def test_vjp_returns_value_and_one_cotangent_per_primal() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([0.5, -1.0])
    y, back = pb.vjp(lambda a, b: np.sin(a) * b, a, b)
    assert_allclose(y, np.sin(a) * b)
    ybar = np.array([[1.0, -2.0], [0.5, 3.0]])
    cts = back(ybar)
    assert isinstance(cts, tuple) and len(cts) == 2
    abar, bbar = cts
    assert_allclose(abar, ybar * np.cos(a) * b)
    assert_allclose(bbar, np.sum(ybar * np.sin(a), axis=0))  # summed back to b's shape
    assert abar.shape == a.shape and bbar.shape == b.shape


def test_vjp_single_primal_still_returns_a_tuple() -> None:
    _, back = pb.vjp(lambda x: x * x, X3)
    cts = back(np.ones(3))
    assert isinstance(cts, tuple) and len(cts) == 1
    assert_allclose(cts[0], 2 * X3)


def test_vjp_pullback_is_reusable() -> None:
    calls = []

    def f(x):
        calls.append(1)
        return np.exp(x) * x

    _, back = pb.vjp(f, X3)
    first = back(np.array([1.0, 2.0, 3.0]))[0]
    second = back(np.array([1.0, 2.0, 3.0]))[0]
    other = back(np.array([0.0, 1.0, 0.0]))[0]
    expected = np.exp(X3) * (X3 + 1)
    assert_allclose(first, expected * [1.0, 2.0, 3.0])
    assert_allclose(second, first, rtol=0, atol=0)
    assert_allclose(other, expected * [0.0, 1.0, 0.0])
    assert len(calls) == 1  # the pullback never reruns f


def test_vjp_scalar_output_takes_a_python_float() -> None:
    _, back = pb.vjp(lambda x: np.sum(x * x), X3)
    assert_allclose(back(2.0)[0], 4 * X3)


def test_vjp_has_aux() -> None:
    y, back, aux = pb.vjp(lambda x: (x * 3, x * x), X3, has_aux=True)
    assert_allclose(y, 3 * X3)
    assert_allclose(aux, X3 * X3)
    assert_allclose(back(np.ones(3))[0], np.full(3, 3.0))


# ---- jvp and linearize ---------------------------------------------------------------------------
def test_jvp_tuples_of_primals_and_tangents() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    adot, bdot = np.array([0.5, 1.0]), np.array([2.0, 0.0])
    y, ydot = pb.jvp(lambda a, b: a * np.sin(b), (a, b), (adot, bdot))
    assert_allclose(y, a * np.sin(b))
    assert_allclose(ydot, adot * np.sin(b) + a * np.cos(b) * bdot)


def test_jvp_accepts_lists_and_python_floats() -> None:
    y, ydot = pb.jvp(lambda x: x**2, [3.0], [1.0])
    assert_allclose(y, 9.0)
    assert_allclose(ydot, 6.0)


def test_jvp_has_aux() -> None:
    y, ydot, aux = pb.jvp(lambda x: (np.exp(x), x + 1), (X3,), (np.ones(3),), has_aux=True)
    assert_allclose(y, np.exp(X3))
    assert_allclose(ydot, np.exp(X3))
    assert_allclose(aux, X3 + 1)
    assert type(aux) is np.ndarray


def test_jvp_of_an_output_that_does_not_depend_on_the_input_is_zero() -> None:
    _, ydot = pb.jvp(lambda x: (x * 2, np.ones(2)), (X3,), (np.ones(3),))
    assert_allclose(ydot[0], np.full(3, 2.0))
    assert_allclose(ydot[1], np.zeros(2))


def test_linearize_matches_jvp_and_does_not_rerun_the_function(rng) -> None:
    calls = []

    def f(x):
        calls.append(1)
        return np.tanh(x) * np.exp(x[::-1])

    x = rng.standard_normal(4)
    y, f_jvp = pb.linearize(f, x)
    assert len(calls) == 1
    assert_allclose(y, np.tanh(x) * np.exp(x[::-1]))
    tangents = [rng.standard_normal(4) for _ in range(3)]
    results = [f_jvp(t) for t in tangents]
    assert len(calls) == 1  # f_jvp replays the recorded graph
    for t, r in zip(tangents, results, strict=True):
        assert_allclose(r, pb.jvp(f, (x,), (t,))[1], rtol=1e-13)
    # linear in the tangent
    assert_allclose(f_jvp(2 * tangents[0] - tangents[1]), 2 * results[0] - results[1], rtol=1e-12)


def test_linearize_several_primals() -> None:
    y, f_jvp = pb.linearize(lambda a, b: a * b, X3, 2 * X3)
    assert_allclose(y, 2 * X3 * X3)
    assert_allclose(f_jvp(np.ones(3), np.zeros(3)), 2 * X3)
    assert_allclose(f_jvp(np.zeros(3), np.ones(3)), X3)


# ---- Jacobians -----------------------------------------------------------------------------------
M53 = np.array(
    [[1.0, -2.0, 0.5], [0.3, 0.0, 1.1], [-0.7, 0.4, 2.0], [1.5, 1.0, -1.0], [0.2, -0.3, 0.6]]
)


def f_3_to_5(x):
    return np.sin(M53 @ x)


def jac_3_to_5(x):
    return np.cos(M53 @ x)[:, None] * M53


def f_5_to_2(x):
    return np.stack([np.sum(x**2), np.sum(np.sin(x))])


def jac_5_to_2(x):
    return np.stack([2 * x, np.cos(x)])


def f_matrix(a):
    """(2, 3) -> (3, 2): out[i, j] = sin(a[j, i]) * a[j, (i + 1) % 3]."""
    return (np.sin(a) * a[:, [1, 2, 0]]).T


def jac_matrix(a):
    jac = np.zeros((3, 2, 2, 3))
    for i in range(3):
        for j in range(2):
            nxt = (i + 1) % 3
            jac[i, j, j, i] += np.cos(a[j, i]) * a[j, nxt]
            jac[i, j, j, nxt] += np.sin(a[j, i])
    return jac


@pytest.mark.parametrize(
    ("f", "jac", "shape"),
    [(f_3_to_5, jac_3_to_5, (3,)), (f_5_to_2, jac_5_to_2, (5,)), (f_matrix, jac_matrix, (2, 3))],
    ids=["R3->R5", "R5->R2", "matrix"],
)
def test_jacobians_agree_with_the_closed_form(f, jac, shape, rng) -> None:
    x = rng.standard_normal(shape)
    expected = jac(x)
    out_shape = np.shape(f(x))
    assert expected.shape == out_shape + shape
    results = {
        "jacfwd": pb.jacfwd(f)(x),
        "jacrev": pb.jacrev(f)(x),
        "auto": pb.jacobian(f)(x),
        "fwd": pb.jacobian(f, mode="fwd")(x),
        "rev": pb.jacobian(f, mode="rev")(x),
    }
    for name, j in results.items():
        assert j.shape == out_shape + shape, name
        assert_allclose(j, expected, rtol=1e-13, atol=1e-15, err_msg=name)


def _count_sweeps(monkeypatch) -> dict[str, int]:
    """Directions swept per mode (a batched sweep of B directions counts B)."""
    counts = {"forward": 0, "backward": 0}
    push, back = batching.push_forward, batching.backward

    def counting_push(nodes, seeds, outputs, batch):
        counts["forward"] += batch
        return push(nodes, seeds, outputs, batch)

    def counting_back(seeds, tape, batch):
        counts["backward"] += batch
        return back(seeds, tape, batch)

    monkeypatch.setattr(batching, "push_forward", counting_push)
    monkeypatch.setattr(batching, "backward", counting_back)
    return counts


def test_jacobian_auto_sweeps_forward_when_inputs_are_fewer(monkeypatch) -> None:
    counts = _count_sweeps(monkeypatch)
    pb.jacobian(f_3_to_5, mode="auto")(X3)
    assert counts == {"forward": 3, "backward": 0}  # one tangent per input element


def test_jacobian_auto_sweeps_backward_when_outputs_are_fewer(monkeypatch) -> None:
    counts = _count_sweeps(monkeypatch)
    pb.jacobian(f_5_to_2, mode="auto")(np.linspace(-1.0, 1.0, 5))
    assert counts == {"forward": 0, "backward": 2}  # one cotangent per output element


def test_jacobian_explicit_modes_sweep_as_asked(monkeypatch) -> None:
    counts = _count_sweeps(monkeypatch)
    pb.jacobian(f_3_to_5, mode="rev")(X3)
    assert counts == {"forward": 0, "backward": 5}
    pb.jacfwd(f_5_to_2)(np.linspace(-1.0, 1.0, 5))
    assert counts == {"forward": 5, "backward": 5}


def test_jacobian_argnums_tuple_and_several_outputs() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for mode in ("fwd", "rev"):
        (ja_prod, jb_prod), (ja_sum, jb_sum) = pb.jacobian(
            lambda a, b: (a * b, np.sum(a)), argnums=(0, 1), mode=mode
        )(a, b)
        assert_allclose(ja_prod, np.diag(b))
        assert_allclose(jb_prod, np.diag(a))
        assert_allclose(ja_sum, np.ones(2))
        assert_allclose(jb_sum, np.zeros(2))


def test_jacobian_has_aux() -> None:
    jac, aux = pb.jacrev(lambda x: (x**2, np.sum(x)), has_aux=True)(X3)
    assert_allclose(jac, np.diag(2 * X3))
    assert_allclose(aux, np.sum(X3))


def test_jacobian_rejects_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode must be 'fwd', 'rev' or 'auto'"):
        pb.jacobian(np.sin, mode="forward")(X3)


# ---- Hessians ------------------------------------------------------------------------------------
def cubic(x):
    return np.sum(x**3) / 3 + x[0] * x[1]


def cubic_hessian(x):
    h = np.diag(2 * x)
    h[0, 1] += 1.0
    h[1, 0] += 1.0
    return h


def test_hessian_of_a_known_function() -> None:
    x = np.array([1.0, -2.0, 0.5, 3.0])
    h = pb.hessian(cubic)(x)
    assert h.shape == (4, 4)
    assert_allclose(h, cubic_hessian(x), rtol=1e-14)


def test_hessian_of_a_matrix_argument() -> None:
    a = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])
    h = pb.hessian(lambda a: np.sum(np.sin(a)))(a)
    assert h.shape == (2, 3, 2, 3)
    assert_allclose(h.reshape(6, 6), np.diag(-np.sin(a).ravel()), atol=1e-15)


def test_hessian_argnums() -> None:
    h = pb.hessian(lambda s, x: s * np.sum(x**4), argnums=1)(2.0, X3)
    assert_allclose(h, np.diag(24 * X3**2))


# ---- stop_gradient -------------------------------------------------------------------------------
def test_stop_gradient_blocks_the_gradient_and_keeps_the_value() -> None:
    value, g = pb.value_and_grad(lambda x: np.sum(x * pb.stop_gradient(x)))(X3)
    assert_allclose(value, np.sum(X3 * X3))
    assert_allclose(g, X3)  # d/dx (x * c) with c = x held constant
    assert_allclose(pb.grad(lambda x: np.sum(pb.stop_gradient(x) ** 2))(X3), np.zeros(3))


def test_stop_gradient_in_forward_mode() -> None:
    y, ydot = pb.jvp(lambda x: x * pb.stop_gradient(np.exp(x)), (X3,), (np.ones(3),))
    assert_allclose(y, X3 * np.exp(X3))
    assert_allclose(ydot, np.exp(X3))


def test_stop_gradient_returns_plain_arrays_in_the_same_structure() -> None:
    seen = []

    def f(x):
        stopped = pb.stop_gradient({"a": x, "b": (x * 2, None)})
        seen.append(stopped)
        return np.sum(x)

    pb.grad(f)(X3)
    (stopped,) = seen
    assert type(stopped["a"]) is np.ndarray and type(stopped["b"][0]) is np.ndarray
    assert stopped["b"][1] is None
    assert_allclose(stopped["b"][0], 2 * X3)
    assert pb.stop_gradient(X3) is X3


# ---- checkpoint ----------------------------------------------------------------------------------
def _counted(calls):
    def body(x, y):
        calls.append(1)
        return np.sin(x) * np.cos(y) + x * y

    return body


def outer(body):
    def f(x):
        return np.sum(np.exp(body(x, x**2)))

    return f


def test_checkpoint_gives_the_same_derivatives_as_without(rng) -> None:
    x = rng.standard_normal(3)
    plain = outer(_counted([]))
    ckpt = outer(pb.checkpoint(_counted([])))
    assert_allclose(ckpt(x), plain(x), rtol=1e-15)
    assert_allclose(pb.grad(ckpt)(x), pb.grad(plain)(x), rtol=1e-13)
    t = rng.standard_normal(3)
    assert_allclose(pb.jvp(ckpt, (x,), (t,))[1], pb.jvp(plain, (x,), (t,))[1], rtol=1e-13)
    h = pb.hessian(plain)(x)
    assert_allclose(pb.hessian(ckpt)(x), h, rtol=1e-12)  # forward over reverse
    assert_allclose(pb.jacrev(pb.grad(ckpt))(x), h, rtol=1e-12)  # reverse over reverse
    assert_allclose(pb.jacfwd(pb.jacfwd(ckpt))(x), h, rtol=1e-12)  # forward over forward
    assert_allclose(
        pb.grad(pb.grad(lambda s: ckpt(s * x)))(0.7),
        pb.grad(pb.grad(lambda s: plain(s * x)))(0.7),
        rtol=1e-12,
    )


def test_checkpoint_reruns_the_function_in_the_backward_pass() -> None:
    calls: list[int] = []
    f = outer(pb.checkpoint(_counted(calls)))
    _, back = pb.vjp(f, X3)
    assert len(calls) == 1  # the forward pass
    g1 = back(1.0)[0]
    assert len(calls) == 2  # recomputed for the backward pass: no stored intermediates
    g2 = back(1.0)[0]
    assert len(calls) == 3
    assert_allclose(g1, g2, rtol=0, atol=0)
    calls.clear()
    pb.grad(f)(X3)
    assert len(calls) == 2


def test_checkpoint_without_tracing_is_a_plain_call() -> None:
    calls: list[int] = []
    body = pb.checkpoint(_counted(calls))
    assert_allclose(body(X3, X3), np.sin(X3) * np.cos(X3) + X3 * X3)
    assert len(calls) == 1


def test_checkpoint_of_pytree_arguments_and_outputs() -> None:
    @pb.checkpoint
    def block(params, x):
        return {"y": np.tanh(params["w"] * x), "z": (x * 2, None)}

    def f(w):
        out = block({"w": w, "note": None}, X3)
        return np.sum(out["y"]) + np.sum(out["z"][0])

    w = np.array([0.5, -1.0, 2.0])
    assert_allclose(pb.grad(f)(w), (1 - np.tanh(w * X3) ** 2) * X3, rtol=1e-13)
