"""Pytrees (stages ② and ⑥): flatten/unflatten, and every transform taking and returning nested
tuples, lists, dicts, dataclasses, namedtuples and None leaves in the caller's structure."""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_allclose

import pullback as pb
from pullback.core.pytree import flatten, tree_map, unflatten
from pullback.errors import CotangentError


@dataclasses.dataclass
class Layer:
    w: Any
    b: Any


class Pair(NamedTuple):
    first: Any
    second: Any


A = np.array([1.0, -2.0, 0.5])
B = np.array([[2.0, 0.0], [1.0, 3.0]])


# ---- flatten / unflatten -------------------------------------------------------------------------
def test_flatten_orders_leaves_depth_first_and_round_trips() -> None:
    tree = {"a": (1.0, [2.0, None, Pair(3.0, 4.0)]), "b": Layer(w=5.0, b={"c": 6.0})}
    leaves, treedef = flatten(tree)
    assert leaves == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert treedef.num_leaves == 6
    rebuilt = unflatten(treedef, leaves)
    assert rebuilt == tree
    assert type(rebuilt["a"][1][2]) is Pair and type(rebuilt["b"]) is Layer
    assert type(rebuilt["a"]) is tuple and type(rebuilt["a"][1]) is list


def test_unflatten_rejects_the_wrong_number_of_leaves() -> None:
    _, treedef = flatten((1.0, [2.0, 3.0]))
    with pytest.raises(ValueError, match="too few leaves"):
        unflatten(treedef, [1.0, 2.0])
    with pytest.raises(ValueError, match="too many leaves"):
        unflatten(treedef, [1.0, 2.0, 3.0, 4.0])


def test_tree_map_and_structure_mismatch() -> None:
    assert tree_map(lambda x, y: x + y, {"a": 1, "b": (2, 3)}, {"a": 10, "b": (20, 30)}) == {
        "a": 11,
        "b": (22, 33),
    }
    with pytest.raises(ValueError, match="tree structures differ"):
        tree_map(lambda x, y: x + y, (1, 2), [1, 2])
    with pytest.raises(ValueError, match=r"dict\('a': \*\) vs dict\('b': \*\)"):
        tree_map(lambda x, y: x + y, {"a": 1}, {"b": 1})


# ---- grad returns the argument's structure -------------------------------------------------------
def test_grad_of_tuples_and_lists() -> None:
    def f(p):
        (x, [y, z]) = p
        return np.sum(x * y) + np.sum(z**2)

    g = pb.grad(f)((A, [2 * A, B]))
    assert type(g) is tuple and type(g[1]) is list
    assert_allclose(g[0], 2 * A)
    assert_allclose(g[1][0], A)
    assert_allclose(g[1][1], 2 * B)


def test_grad_of_a_nested_dict_with_none_leaves() -> None:
    params = {"layer": {"w": B, "b": A[:2]}, "frozen": None, "scale": 3.0}

    def f(p):
        h = np.tanh(p["layer"]["w"] @ np.ones(2) + p["layer"]["b"])
        return p["scale"] * np.sum(h)

    g = pb.grad(f)(params)
    assert set(g) == {"layer", "frozen", "scale"} and g["frozen"] is None
    h = np.tanh(B @ np.ones(2) + A[:2])
    dh = 3.0 * (1 - h**2)
    assert_allclose(g["layer"]["b"], dh)
    assert_allclose(g["layer"]["w"], np.outer(dh, np.ones(2)))
    assert_allclose(g["scale"], np.sum(h))


def test_grad_of_a_dataclass_and_a_namedtuple() -> None:
    def f(layer, pair):
        return np.sum(layer.w * pair.first) + np.sum(layer.b * pair.second**2)

    layer, pair = Layer(w=A, b=2 * A), Pair(first=3 * A, second=A + 1)
    gl, gp = pb.grad(f, argnums=(0, 1))(layer, pair)
    assert type(gl) is Layer and type(gp) is Pair
    assert_allclose(gl.w, 3 * A)
    assert_allclose(gl.b, (A + 1) ** 2)
    assert_allclose(gp.first, A)
    assert_allclose(gp.second, 2 * (2 * A) * (A + 1))


def test_value_and_grad_keeps_a_pytree_argument_structure() -> None:
    value, g = pb.value_and_grad(lambda p: p["x"] ** 2 * p["y"])({"x": 3.0, "y": 2.0})
    assert_allclose(value, 18.0)
    assert_allclose(g["x"], 12.0)
    assert_allclose(g["y"], 9.0)


# ---- jvp, vjp and Jacobians with pytrees ---------------------------------------------------------
def test_jvp_with_pytree_primals_tangents_and_outputs() -> None:
    def f(p):
        return {"prod": p["a"] * p["b"], "both": (p["a"], None)}

    primals = ({"a": A, "b": 2 * A},)
    tangents = ({"a": np.ones(3), "b": np.array([0.0, 1.0, 0.0])},)
    y, ydot = pb.jvp(f, primals, tangents)
    assert y["both"][1] is None and ydot["both"][1] is None
    assert_allclose(y["prod"], 2 * A * A)
    assert_allclose(ydot["prod"], 2 * A + A * [0.0, 1.0, 0.0])
    assert_allclose(ydot["both"][0], np.ones(3))


def test_vjp_with_pytree_cotangents() -> None:
    def f(x, layer):
        return {"u": layer.w * x, "v": [np.sum(layer.b * x), None]}

    layer = Layer(w=2 * A, b=A + 1)
    y, back = pb.vjp(f, A, layer)
    assert_allclose(y["v"][0], np.sum((A + 1) * A))
    xbar, layer_bar = back({"u": np.ones(3), "v": [2.0, None]})
    assert type(layer_bar) is Layer
    assert_allclose(xbar, 2 * A + 2 * (A + 1))
    assert_allclose(layer_bar.w, A)
    assert_allclose(layer_bar.b, 2 * A)


def test_vjp_cotangent_structure_mismatch() -> None:
    _, back = pb.vjp(lambda x: {"u": x, "v": (x, x)}, A)
    with pytest.raises(CotangentError, match=r"structure .*'v': tuple\(\*\).*'v': tuple\(\*, \*\)"):
        back({"u": np.ones(3), "v": (np.ones(3),)})
    with pytest.raises(CotangentError, match="structure"):
        back([np.ones(3), np.ones(3), np.ones(3)])


def test_jvp_tangent_structure_mismatch() -> None:
    with pytest.raises(
        CotangentError, match=r"tangents have structure tuple\(\*\) .* tuple\(\*, \*\)"
    ):
        pb.jvp(lambda a, b: a * b, (A, A), (A,))
    with pytest.raises(CotangentError, match=r"dict\('b': \*\).*dict\('a': \*\)"):
        pb.jvp(lambda p: p["a"], ({"a": A},), ({"b": A},))
    with pytest.raises(CotangentError, match="tangents have structure"):
        pb.linearize(lambda a, b: a * b, A, A)[1](A)


def test_jacobian_of_pytree_input_and_output() -> None:
    def f(p):
        return {"s": np.sum(p["x"] ** 2), "v": p["x"] * p["y"]}

    p = {"x": A, "y": 3.0}
    for mode in ("fwd", "rev"):
        jac = pb.jacobian(f, mode=mode)(p)
        assert_allclose(jac["s"]["x"], 2 * A)
        assert_allclose(jac["s"]["y"], 0.0)
        assert_allclose(jac["v"]["x"], 3.0 * np.eye(3))
        assert_allclose(jac["v"]["y"], A)
        assert jac["v"]["y"].shape == (3,)


def test_hessian_of_a_tuple_argument() -> None:
    (hxx, hxy), (hyx, hyy) = pb.hessian(lambda p: np.sum(p[0] ** 2 * p[1]))((A, 2.0))
    assert_allclose(hxx, 4.0 * np.eye(3))
    assert_allclose(hxy, 2 * A)
    assert_allclose(hyx, 2 * A)
    assert_allclose(hyy, 0.0)
