"""The per-op fast paths of reverse mode (Rule.bind1/bind2, cotangents held on the nodes, the
tape walked backwards): they behave exactly like the general path, a sweep that raises leaves no
state behind, and nodes no cotangent reaches cost no vjp call."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pullback as pb
from pullback.core import Rule
from pullback.core.dispatch import RULES
from pullback.core.reverse import ReverseTrace, backward
from pullback.core.trace import new_trace
from pullback.errors import LeakedTracerError, UnsupportedFunctionError


def test_a_failed_sweep_leaves_no_cotangent_behind() -> None:
    calls = []

    def vjp(res, ybar):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return 2 * ybar

    double = Rule("double", lambda x: (2 * x, None), None, (vjp,))
    x0 = np.arange(3.0)
    with new_trace(ReverseTrace) as trace:
        x = trace.leaf(x0)
        u = np.sin(x)
        out = double.bind(u) * u
        seeds = [(out.node, np.ones(3))]
        with pytest.raises(RuntimeError, match="boom"):
            backward(seeds, trace.tape, retain=True)
        assert all(n.ybar is None for n in (out.node, u.node, x.node))
        g = backward(seeds, trace.tape, retain=True)[x.node]
    np.testing.assert_allclose(g, 4 * np.sin(x0) * np.cos(x0))  # d/dx 2 sin(x)^2


def test_operators_and_ufuncs_take_the_rule_fast_path() -> None:
    assert np.multiply in RULES and np.sin in RULES and np.add in RULES
    assert np.power not in RULES  # a custom handler (x ** 2 -> square) keeps its own path
    f = lambda x: np.sum(np.sin(x) * 0.5 + 2.0 * x - x**2)
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(pb.grad(f)(x), 0.5 * np.cos(x) + 2.0 - 2 * x)
    # nested: the inner level's operators see the outer level's values as constants
    h = pb.grad(lambda y: pb.grad(lambda z: np.sum(y * z * z))(y)[0])(np.array([1.5, 2.0]))
    np.testing.assert_allclose(h, [4 * 1.5, 0.0])


def test_the_sweep_passes_over_nodes_no_cotangent_reaches() -> None:
    calls = []

    def vjp(res, ybar):
        calls.append(1)
        return 3 * ybar

    triple = Rule("triple", lambda x: (3 * x, None), None, (vjp,))
    x0 = np.array([0.5, 1.0])
    with new_trace(ReverseTrace) as trace:
        x = trace.leaf(x0)
        dead = triple.bind(np.sin(x))  # recorded on the tape, but the output does not use it
        out = np.cos(x) * 2.0
        late = triple.bind(out)  # recorded after the output: not its ancestor either
        g = backward([(out.node, np.ones(2))], trace.tape)[x.node]
    assert dead.node in trace.tape and late.node in trace.tape
    assert calls == []
    np.testing.assert_allclose(g, -2.0 * np.sin(x0))


def test_a_leaked_traced_value_does_not_keep_the_tape() -> None:
    import gc
    import weakref

    leaked, side_values = [], []

    def f(x):
        y = np.sin(x)
        side = np.exp(y)  # a dead branch: on the tape, its residuals hold side's value
        side_values.append(weakref.ref(side.value))
        leaked.append(y * 2.0)  # leaks out of the transform, keeping its trace alive
        return np.sum(y * y)

    pb.grad(f)(np.ones(3))
    assert leaked[0]._trace.tape == []  # the recording took the tape and dropped it
    gc.collect()
    assert side_values[0]() is None


@pytest.mark.parametrize(
    ("call", "name", "keywords"),
    [
        (lambda x: np.add(x, x, dtype=np.float32), "numpy.add", "['dtype']"),
        (lambda x: np.multiply(x, 2.0, casting="unsafe"), "numpy.multiply", "['casting']"),
        (lambda x: np.sin(x, where=x > 0), "numpy.sin", "['where']"),
        (lambda x: np.divide(x, 3.0, dtype=np.float64), "numpy.divide", "['dtype']"),
        (lambda x: np.power(x, 3, dtype=np.float64), "numpy.power", "['dtype']"),
        (lambda x: np.exp(x, out=np.empty(3), order="C"), "numpy.exp", "['order']"),
    ],
)
def test_ufunc_keywords_a_rule_does_not_take_are_named(call, name, keywords) -> None:
    # the elementwise fwds take positional arrays only (dispatch.POSITIONAL): the keywords are
    # refused before fwd, with the function's name, in both modes
    for transform in (pb.grad, lambda f: lambda x: pb.jvp(f, (x,), (x,))):
        with pytest.raises(UnsupportedFunctionError, match=rf"{name}.*\n.*{re.escape(keywords)}"):
            transform(lambda x: np.sum(call(x)))(np.ones(3))


def test_ufunc_methods_keep_their_keywords() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(
        pb.grad(lambda x: np.sum(np.add.reduce(x, axis=0) ** 2))(x), 2 * x.sum(0) * np.ones_like(x)
    )


@pytest.mark.parametrize(
    "use",
    [lambda t: t * 2.0, lambda t: 2.0 * t, lambda t: t + t, lambda t: np.sin(t), lambda t: -t],
    ids=["operator", "reflected", "both", "ufunc", "negative"],
)
def test_the_fast_paths_refuse_a_leaked_value(use) -> None:
    leaked = []
    pb.grad(lambda x: leaked.append(x) or np.sum(x))(np.ones(2))
    with pytest.raises(LeakedTracerError):
        use(leaked[0])


def test_mixed_levels_go_to_the_higher_trace_from_either_side() -> None:
    # x (level 1) op y (level 2) and y op x: the inner gradient treats x as a constant
    def inner(x, y):
        return np.sum(x * y + y * x - x / y + np.sin(x) * y)

    x0, y0 = np.array([0.7, -1.1]), np.array([1.3, 2.0])
    g = pb.grad(lambda x: np.sum(pb.grad(inner, argnums=1)(x, y0)))(x0)
    # d/dy inner = 2x + x / y^2 + sin(x); its sum's gradient in x: 2 + 1 / y^2 + cos(x)
    np.testing.assert_allclose(g, 2 + 1 / y0**2 + np.cos(x0))


def test_reachable_lists_parents_before_children() -> None:
    from pullback.core.reverse import reachable

    with new_trace(ReverseTrace) as trace:
        x = trace.leaf(np.arange(3.0))
        b = np.cos(x)  # created before a, used after it
        a = np.sin(x)
        out = a * b + np.exp(a)
    order = reachable([out.node])
    position = {node: k for k, node in enumerate(order)}
    assert len(order) == len(position) == 6  # x, cos, sin, multiply, exp, add: each once
    for node in order:
        assert all(position[p] < position[node] for p in node.parents if p is not None)


@pytest.mark.parametrize(
    "use",
    [np.tanh, np.exp, np.sqrt, lambda a: a + 1.0, lambda a: 2.0 - a, lambda a: a + a[::-1]],
    ids=["tanh", "exp", "sqrt", "add", "subtract", "add-both"],
)
def test_residuals_keep_only_what_the_derivative_reads(use) -> None:
    # tanh, exp, sqrt keep their output, not their input; add and subtract of large arrays keep
    # the operands' shape and dtype: an intermediate (a matmul's output in h @ W + b) is freed
    # when the user's code drops it, not at the end of the backward sweep
    import gc
    import weakref

    x0 = np.linspace(0.1, 1.0, 5000)
    with new_trace(ReverseTrace) as trace:
        x = trace.leaf(x0)
        a = x * 2.0
        alive = weakref.ref(a.value)
        out = np.sum(use(a) * x)
        del a
        gc.collect()
        assert alive() is None
        g = backward([(out.node, np.float64(1.0))], trace.tape)[x.node]
    np.testing.assert_allclose(g, pb.grad(lambda x: np.sum(use(x * 2.0) * x))(x0), rtol=1e-12)


def _shared(W):
    a = np.sin(W) * W
    b = a * a + W
    d = np.tanh(b) @ W
    s = np.sin(W)
    r = W * 3.0
    t = W + s  # W's last use: add hands one cotangent array to W and to s. r's contribution to W
    # comes next, while s still waits for that array: adding into it would change s's cotangent
    return d + t * r, a


def test_cotangents_of_a_much_used_array_are_summed_in_place(monkeypatch) -> None:
    from pullback.core import reverse

    def f(W):
        y, a = _shared(W)
        return np.sum(y * a)

    monkeypatch.setattr(reverse, "IN_PLACE_MIN", 16)  # small arrays, so forward mode can check
    W = np.random.default_rng(1).standard_normal((6, 6))
    adds = []

    class CountingNumPy:  # reverse.np with np.add(..., out=) counted
        ndarray = np.ndarray

        @staticmethod
        def add(a, b, out=None):
            adds.append(out is not None)
            return np.add(a, b, out=out)

    monkeypatch.setattr(reverse, "np", CountingNumPy)
    g = pb.grad(f)(W)
    assert sum(adds) >= 3  # W has eight uses: every contribution after the second went in place
    np.testing.assert_allclose(g, pb.jacfwd(f)(W), rtol=1e-12)  # forward mode adds no cotangents
    monkeypatch.setattr(reverse, "IN_PLACE_MIN", 10**12)  # always a new array
    np.testing.assert_array_equal(g, pb.grad(f)(W))  # the same additions, the same bits
    # the batched sweep (a Jacobian: one cotangent per output row) sums the same way
    jac = lambda W: pb.jacrev(lambda W: np.sum(_shared(W)[0], axis=1))(W)
    j_new = jac(W)
    monkeypatch.setattr(reverse, "IN_PLACE_MIN", 16)
    np.testing.assert_array_equal(jac(W), j_new)
    np.testing.assert_allclose(j_new, pb.jacfwd(lambda W: np.sum(_shared(W)[0], axis=1))(W))


def test_results_are_writable_and_share_no_memory() -> None:
    # add hands one cotangent array to both arguments and sum's is a read-only broadcast view:
    # what the caller gets are separate writable arrays, so g *= 0.5 on one leaves the others
    x, y = np.ones(3), np.full(3, 2.0)
    gx, gy = pb.grad(lambda x, y: np.sum((x + y) ** 2), argnums=(0, 1))(x, y)
    gx *= 0.5
    np.testing.assert_array_equal(gy, 2 * (x + y))
    grads = pb.grad(lambda p: np.sum(p["a"] + p["b"]))({"a": x, "b": np.ones((2, 3))})
    for g in grads.values():
        assert g.flags.writeable
    assert not np.shares_memory(grads["a"], grads["b"])
    _, back = pb.vjp(lambda x, y: x - y, x, y)
    bx, by = back(np.ones(3))
    assert bx.flags.writeable and not np.shares_memory(bx, by)

    def pair(x):
        y = x * 2.0
        return y, y + 0.0  # add's jvp passes y's tangent on as it is

    _, (t1, t2) = pb.jvp(pair, (x,), (np.ones(3),))
    assert not np.shares_memory(t1, t2)
    _, f_jvp = pb.linearize(pair, x)
    t1, t2 = f_jvp(np.ones(3))
    assert not np.shares_memory(t1, t2)
