"""The per-op fast paths of reverse mode (Rule.bind1/bind2, cotangents held on the nodes, the
tape walked backwards): they behave exactly like the general path, a sweep that raises leaves no
state behind, and nodes no cotangent reaches cost no vjp call."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
from pullback.core import Rule
from pullback.core.dispatch import RULES
from pullback.core.reverse import ReverseTrace, backward
from pullback.core.trace import new_trace


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
