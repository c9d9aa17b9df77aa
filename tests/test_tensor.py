"""The Tensor facade: the same numbers as the functional transforms on the whole OpInfo table
(reverse, forward, double backward), PyTorch's accumulation semantics, and its errors."""

from __future__ import annotations

import re
import runpy
import zlib
from pathlib import Path

import numpy as np
import pytest

import pullback as pb
from pullback.core.pytree import flatten
from pullback.errors import (
    BackwardError,
    CotangentError,
    InPlaceWriteError,
    InputDtypeError,
    NonScalarOutputError,
    TracedConversionError,
)
from pullback.testing.table import OPS

ROOT = Path(__file__).resolve().parents[1]


# ---- the OpInfo table: Tensor numbers == functional numbers ------------------------------------
def _case(op):
    """The op's last float64 sample, random output weights, and a scalar loss of the op."""
    rng = np.random.default_rng(zlib.crc32(op.name.encode()))
    args = op.sample_inputs(rng, _dtype(op))[-1]
    with np.errstate(all="ignore"):
        outs, _ = flatten(op.fn(*args))
    weights = [rng.standard_normal(np.shape(o)) for o in outs]
    nums = tuple(i for i, a in enumerate(args) if np.asarray(a).dtype.kind in "fc")

    def loss(*xs):
        total = 0.0
        for o, w in zip(flatten(op.fn(*xs))[0], weights, strict=True):
            if np.iscomplexobj(o):
                total = total + np.sum(np.real(o) * w) + np.sum(np.imag(o) * w)
            else:
                total = total + np.sum(o * w)
        return total

    return rng, args, nums, loss


def _dtype(op):
    """float64 where the entry runs it, else the entry's first dtype (complex-only entries)."""
    return np.float64 if np.float64 in op.dtypes else op.dtypes[0]


def _ops(mode):
    return [
        pytest.param(op, id=op.name)
        for op in OPS
        if mode in op.modes and mode not in op.skips and np.dtype(_dtype(op)).name not in op.skips
    ]


@pytest.mark.parametrize("op", _ops("rev"))
def test_backward_equals_grad_on_the_opinfo_table(op) -> None:
    _, args, nums, loss = _case(op)
    with np.errstate(all="ignore"):
        expected = pb.grad(loss, argnums=nums)(*args)
        tensors = [pb.Tensor(a, requires_grad=i in nums) for i, a in enumerate(args)]
        loss(*tensors).backward()
    for k, i in enumerate(nums):
        np.testing.assert_array_equal(tensors[i].grad, expected[k])


@pytest.mark.parametrize("op", _ops("fwd"))
def test_with_tangent_equals_jvp_on_the_opinfo_table(op) -> None:
    rng, args, nums, _ = _case(op)
    tangents = {
        i: rng.standard_normal(np.shape(args[i])).astype(np.result_type(args[i])) for i in nums
    }

    def of_diff(*xs):
        full = list(args)
        for i, x in zip(nums, xs, strict=True):
            full[i] = x
        return op.fn(*full)

    with np.errstate(all="ignore"):
        _, expected = pb.jvp(of_diff, [args[i] for i in nums], [tangents[i] for i in nums])
        duals = [
            pb.Tensor(a).with_tangent(tangents[i]) if i in nums else pb.Tensor(a)
            for i, a in enumerate(args)
        ]
        outs = op.fn(*duals)
    for out, want in zip(flatten(outs)[0], flatten(expected)[0], strict=True):
        got = np.zeros_like(want) if out.tangent is None else out.tangent.numpy()
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", [p for p in _ops("rev")[::3] if p.values[0].order >= 2])
def test_create_graph_equals_grad_of_grad_on_the_opinfo_table(op) -> None:
    rng, args, _, loss = _case(op)
    if np.asarray(args[0]).dtype.kind != "f":
        pytest.skip("the first argument is not a real float (a complex one has its own tests)")
    v = rng.standard_normal(np.shape(args[0]))

    def first(x):
        return loss(x, *args[1:])

    with np.errstate(all="ignore"):
        expected = pb.grad(lambda x: np.sum(pb.grad(first)(x) * v))(args[0])
        x = pb.Tensor(args[0], requires_grad=True)
        first(x).backward(create_graph=True)
        hv = np.sum(x.grad * v)
        x.zero_grad()
        if not hv.requires_grad:  # a linear op: the gradient does not depend on x
            np.testing.assert_array_equal(expected, np.zeros_like(expected))
            return
        hv.backward()
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-14)


# ---- PyTorch's semantics -------------------------------------------------------------------
def test_backward_accumulates_into_leaves_and_zero_grad_clears() -> None:
    x = pb.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = pb.Tensor([0.5, -1.0, 2.0], requires_grad=True)
    c = pb.Tensor([1.0, 1.0, 1.0])  # a constant
    loss = np.sum(np.sin(x) * w + c)
    assert loss.op == "sum" and loss.requires_grad and not c.requires_grad
    loss.backward()
    np.testing.assert_allclose(x.grad, np.cos([1.0, 2.0, 3.0]) * [0.5, -1.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(w.grad, np.sin([1.0, 2.0, 3.0]), rtol=1e-15)
    assert isinstance(x.grad, np.ndarray) and c.grad is None
    loss2 = np.sum(x * x)
    loss2.backward()  # accumulates
    np.testing.assert_allclose(x.grad, np.cos([1, 2, 3.0]) * [0.5, -1, 2] + [2, 4, 6], rtol=1e-15)
    x.zero_grad()
    assert x.grad is None
    np.sum(x * 3.0).backward()
    x.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(x.grad, np.zeros(3))


def test_backward_with_a_gradient_for_a_non_scalar_output() -> None:
    x = pb.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x @ x
    ybar = np.array([[1.0, 0.0], [2.0, -1.0]])
    y.backward(ybar)
    _, back = pb.vjp(lambda a: a @ a, x.numpy())
    np.testing.assert_array_equal(x.grad, back(ybar)[0])


def test_the_lecture_notes_example_in_both_modes() -> None:
    x1 = pb.Tensor(2.0, requires_grad=True)
    x2 = pb.Tensor(7.0, requires_grad=True)
    f = x1 * x2 + np.sin(x1)
    f.backward()
    assert x1.grad == pytest.approx(7.0 + np.cos(2.0), rel=1e-15) and x2.grad == 2.0
    d1 = pb.Tensor(2.0).with_tangent(1.0) * pb.Tensor(7.0) + np.sin(
        pb.Tensor(2.0).with_tangent(1.0)
    )
    assert d1.tangent.item() == pytest.approx(7.0 + np.cos(2.0), rel=1e-15)


def test_grad_is_differentiable_with_create_graph() -> None:
    x = pb.Tensor([0.3, -1.2], requires_grad=True)
    np.sum(x**3).backward(create_graph=True)
    g = x.grad
    assert isinstance(g, pb.Tensor) and g.requires_grad
    np.testing.assert_allclose(g.numpy(), 3 * np.array([0.3, -1.2]) ** 2, rtol=1e-15)
    x.zero_grad()
    np.sum(g).backward()
    np.testing.assert_allclose(x.grad, 6 * np.array([0.3, -1.2]), rtol=1e-15)


def test_forward_over_reverse_through_a_dual_leaf() -> None:
    x = pb.Tensor([0.5, 2.0], requires_grad=True)
    v = np.array([1.0, -1.0])
    y = np.sum(np.exp(x.with_tangent(v)) * 2.0)
    np.testing.assert_allclose(y.tangent.item(), np.sum(2 * np.exp([0.5, 2.0]) * v), rtol=1e-15)
    y.tangent.backward()  # the gradient of the directional derivative: H v
    np.testing.assert_allclose(x.grad, 2 * np.exp([0.5, 2.0]) * v, rtol=1e-15)


def test_no_grad_detach_requires_grad_and_numpy() -> None:
    x = pb.Tensor([1.0, 2.0], requires_grad=True)
    with pb.no_grad():
        y = x * 3.0
    assert not y.requires_grad and y.is_leaf
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.numpy())
    with pytest.raises(ValueError, match="read-only"):
        x.numpy()[0] = 5.0
    z = pb.Tensor([1.0, 2.0]).requires_grad_()
    np.sum(z * z).backward()
    np.testing.assert_array_equal(z.grad, [2.0, 4.0])
    z.requires_grad_(False)
    assert not z.requires_grad
    with pytest.raises(ValueError, match="leaf"):
        (x * 2.0).requires_grad_(False)
    assert np.asarray(y).tolist() == [3.0, 6.0] and float(np.sum(x)) == 3.0


def test_parameter_update_under_no_grad_and_data() -> None:
    w = pb.Tensor([1.0, 2.0], requires_grad=True)
    np.sum(w * w).backward()
    with pb.no_grad():
        w -= 0.25 * w.grad
    np.testing.assert_array_equal(w.numpy(), [0.5, 1.0])
    w.data -= 0.5 * w.data  # micrograd's style
    np.testing.assert_array_equal(w.numpy(), [0.25, 0.5])
    assert w.requires_grad and w.is_leaf


def test_pullback_grad_nested_inside_tensor_code() -> None:
    c = pb.Tensor([2.0, 3.0], requires_grad=True)
    gw = pb.grad(lambda w: np.sum(w * c * c))(np.array([1.0, -1.0]))  # = c**2, a Tensor
    assert isinstance(gw, pb.Tensor)
    np.testing.assert_array_equal(gw.numpy(), [4.0, 9.0])
    np.sum(gw).backward()
    np.testing.assert_array_equal(c.grad, [4.0, 6.0])
    x = pb.Tensor([1.0, 2.0], requires_grad=True)
    g = pb.grad(lambda z: np.sum(z**3))(x)  # differentiate a function of a Tensor
    np.sum(g).backward()
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])


def test_the_mlp_example_trains() -> None:
    module = runpy.run_path(str(ROOT / "examples" / "mlp_tensor.py"))
    losses = module["train"](steps=120)
    assert losses[-1] < 0.4 * losses[0]


def test_mlp_step_equals_the_functional_gradient() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((5, 2)), rng.standard_normal((5, 1))
    W1, W2 = rng.standard_normal((2, 4)), rng.standard_normal((4, 1))

    def loss(a, b):
        return np.mean((np.tanh(x @ a) @ b - y) ** 2)

    expected = pb.grad(loss, argnums=(0, 1))(W1, W2)
    t1, t2 = pb.Tensor(W1, requires_grad=True), pb.Tensor(W2, requires_grad=True)
    loss(t1, t2).backward()
    np.testing.assert_array_equal(t1.grad, expected[0])
    np.testing.assert_array_equal(t2.grad, expected[1])


# ---- errors --------------------------------------------------------------------------------
def test_backward_twice_through_freed_residuals() -> None:
    x = pb.Tensor([1.0, 2.0], requires_grad=True)
    loss = np.sum(np.sin(x))
    loss.backward()
    with pytest.raises(BackwardError, match="second time"):
        loss.backward()
    loss2 = np.sum(np.sin(x))
    x.zero_grad()
    loss2.backward(retain_graph=True)
    loss2.backward()
    np.testing.assert_allclose(x.grad, 2 * np.cos([1.0, 2.0]), rtol=1e-15)


def test_backward_of_a_non_scalar_needs_a_gradient() -> None:
    x = pb.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NonScalarOutputError, match="shape \\(2,\\)"):
        (x * 2.0).backward()
    with pytest.raises(CotangentError, match="shape"):
        (x * 2.0).backward(np.ones(3))
    with pytest.raises(BackwardError, match="does not require grad"):
        pb.Tensor(1.0).backward()


def test_in_place_changes_to_values_the_graph_needs() -> None:
    x = pb.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(InPlaceWriteError, match="leaf"):
        x += 1.0
    y = np.exp(x)
    with pb.no_grad():
        y += 1.0  # exp's backward needs y
    with pytest.raises(InPlaceWriteError, match="exp"):
        np.sum(y).backward()
    c = pb.Tensor([1.0, 2.0])
    z = np.sum(x * c)
    c *= 2.0  # the constant multiply's backward needs
    with pytest.raises(InPlaceWriteError, match="multiply"):
        z.backward()


def test_in_place_update_of_an_intermediate_is_recorded() -> None:
    x = pb.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y += 1.0  # recorded: y is rebound to y + 1
    np.sum(y * y).backward()
    np.testing.assert_array_equal(x.grad, 4 * (2 * np.array([1.0, 2.0]) + 1))


def test_mixing_with_transforms_is_explicit() -> None:
    with pytest.raises(TracedConversionError, match="Tensor"):
        pb.grad(lambda w: np.sum(pb.Tensor(w)))(np.ones(2))
    x = pb.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TracedConversionError, match="numpy"):
        np.asarray(x)
    with pytest.raises(InputDtypeError, match="floating"):
        pb.Tensor([1, 2], requires_grad=True)


# ---- the code blocks of docs/tensor.md run ---------------------------------------------------
def _doc_blocks() -> list[str]:
    text = (ROOT / "docs" / "tensor.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_tensor_docs_have_code_blocks() -> None:
    assert len(_doc_blocks()) >= 6


@pytest.mark.parametrize("code", _doc_blocks())
def test_tensor_doc_block_runs(code: str) -> None:
    namespace = {"__name__": "doc_block"}
    for block in _doc_blocks():  # later blocks use the names of earlier ones
        exec(compile(block, "<docs/tensor.md>", "exec"), namespace)
        if block == code:
            break


def test_same_gradients_as_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 1))
    W1, b1, W2 = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((4, 1))

    def loss(xp, W1, b1, W2):
        h = xp.tanh(x @ W1 + b1) if xp is torch else np.tanh(x @ W1 + b1)
        return ((h @ W2 - y) ** 2).mean() + (W1 * W1).sum() * 0.1

    ours = [pb.Tensor(a, requires_grad=True) for a in (W1, b1, W2)]
    loss(np, *ours).backward()
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (W1, b1, W2)]
    x, y = torch.tensor(x), torch.tensor(y)
    loss(torch, *theirs).backward()
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)
