"""Batched Jacobian and Hessian sweeps (core/batching.py): on every OpInfo entry they equal the
per-direction sweeps entry by entry; W5/W6-style functions take the batched path; rules without a
batched form fall back, and the answer is still the same."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

import pullback as pb
from pullback.core import batching
from pullback.core.pytree import flatten
from pullback.custom import custom_vjp
from pullback.testing.table import OPS


# ---- every OpInfo entry: batched == one sweep per basis vector ----------------------------------
def _cases() -> list:
    cases = []
    for op in OPS:
        if np.float64 not in op.dtypes or "float64" in op.skips:
            continue
        rng = np.random.default_rng(zlib.crc32(f"{op.name}/float64".encode()))
        for k, args in enumerate(op.sample_inputs(rng, np.float64)):
            shapes = "x".join(str(np.shape(a)) for a in args)
            cases.append(pytest.param(op, args, id=f"{op.name}-{k}:{shapes}"))
    return cases


def _run(transform, fun, args):
    """(result, None) or (None, the exception's type): both sweeps must agree on failures too."""
    try:
        return transform(fun)(*args), None
    except Exception as e:  # compared by type below
        return None, type(e)


def _assert_same(batched, looped, what: str) -> None:
    (jb, eb), (jl, el) = batched, looped
    assert eb == el, f"{what}: batched raised {eb}, per-direction raised {el}"
    if el is not None:
        return
    lb, tb = flatten(jb)
    ll, tl = flatten(jl)
    assert tb == tl, what
    for b, loop in zip(lb, ll, strict=True):
        b, loop = np.asarray(b), np.asarray(loop)
        assert b.shape == loop.shape and b.dtype == loop.dtype, what
        scale = float(np.max(np.abs(loop[np.isfinite(loop)]), initial=1.0))
        assert_allclose(b, loop, rtol=1e-12, atol=1e-12 * scale, err_msg=what)


def _compare(transform, fun, args, what: str) -> None:
    batched = _run(transform, fun, args)
    with batching.per_direction():
        looped = _run(transform, fun, args)
    _assert_same(batched, looped, what)


def _differentiable(args) -> list[int]:
    return [i for i, a in enumerate(args) if np.asarray(a).dtype.kind in "fc" and np.size(a) <= 64]


def _real_sum(fun):
    def total(*args):
        leaves, _ = flatten(fun(*args))
        return sum(np.sum(y) for y in leaves)

    return total


@pytest.mark.parametrize(("op", "args"), _cases())
def test_batched_jacobians_equal_per_direction(op, args) -> None:
    modes = [m for m in op.modes if m not in op.skips]
    for i in _differentiable(args):
        if "fwd" in modes:
            _compare(lambda f, i=i: pb.jacfwd(f, argnums=i), op.fn, args, f"jacfwd arg {i}")
        if "rev" in modes:
            _compare(lambda f, i=i: pb.jacrev(f, argnums=i), op.fn, args, f"jacrev arg {i}")
    real = all(np.asarray(a).dtype.kind == "f" for a in args)
    out_real = all(np.asarray(y).dtype.kind == "f" for y in flatten(op.fn(*args))[0])
    if op.order >= 2 and set(modes) >= {"fwd", "rev"} and real and out_real:
        for i in _differentiable(args)[:1]:
            _compare(
                lambda f, i=i: pb.hessian(f, argnums=i), _real_sum(op.fn), args, f"hessian {i}"
            )


# ---- the benchmark workloads take the batched path ----------------------------------------------
RNG = np.random.default_rng(7)
M_WIDE = RNG.standard_normal((4, 30))
M_TALL = RNG.standard_normal((30, 4))
A = RNG.standard_normal((12, 8))


def _w6(x):
    return np.sum(np.log(1.0 + np.exp(A @ x))) + 0.5 * np.sum(x * x)


@pytest.mark.parametrize(
    ("transform", "fun", "x", "direction", "batch"),
    [
        (pb.jacobian, lambda x: np.tanh(M_WIDE @ x), RNG.standard_normal(30), "reverse", 4),
        (pb.jacobian, lambda x: np.tanh(M_TALL @ x), RNG.standard_normal(4), "forward", 4),
        (pb.jacrev, lambda x: np.tanh(M_TALL @ x), RNG.standard_normal(4), "reverse", 30),
        (pb.jacfwd, lambda x: np.tanh(M_WIDE @ x), RNG.standard_normal(30), "forward", 30),
        (pb.hessian, _w6, RNG.standard_normal(8), "forward", 8),
    ],
    ids=["W5-wide-auto", "W5-tall-auto", "W5-tall-rev", "W5-wide-fwd", "W6-hessian"],
)
def test_workloads_take_one_batched_sweep(transform, fun, x, direction, batch) -> None:
    with batching.sweep_log() as log:
        jac = transform(fun)(x)
    assert len(log) == 1
    (report,) = log
    assert report.direction == direction and report.batch == batch
    assert report.fallback == () and len(report.batched) >= 2
    with batching.per_direction(), batching.sweep_log() as none:
        loop = transform(fun)(x)
    assert none == []
    assert_allclose(jac, loop, rtol=1e-13, atol=1e-14)


def test_w6_hessian_matches_its_closed_form() -> None:
    x = np.linspace(-1.0, 1.0, 8)
    s = 1.0 / (1.0 + np.exp(-(A @ x)))
    expected = A.T @ ((s * (1.0 - s))[:, None] * A) + np.eye(8)  # A^T diag(s(1-s)) A + I
    with batching.sweep_log() as log:
        assert_allclose(pb.hessian(_w6)(x), expected, rtol=1e-12, atol=1e-14)
    assert log[0].fallback == ()


def test_hessian_records_the_gradient_ops_and_batches_all_of_them() -> None:
    with batching.sweep_log() as log:
        pb.hessian(_w6)(np.ones(8))
    names = log[0].batched
    # forward ops (matmul, exp, log's add) and reverse-pass ops (divide, reshape, a 2nd matmul)
    assert names.count("matmul") == 2 and "divide" in names and "reshape" in names


# ---- fallback: nodes without a batched rule are swept once per row ------------------------------
@custom_vjp
def _cube(x):
    return x**3


def _cube_fwd(x):
    return x**3, x


def _cube_bwd(x, ybar):
    return (3.0 * x * x * ybar,)


_cube.defvjp(_cube_fwd, _cube_bwd)


def test_custom_vjp_falls_back_per_row() -> None:
    x = np.array([0.5, -1.0, 2.0])
    f = lambda x: np.tanh(_cube(x) * 2.0)
    with batching.sweep_log() as log:
        jac = pb.jacrev(f)(x)
    (report,) = log
    assert len(report.fallback) == 1 and "tanh" in report.batched
    expected = np.diag((1 - np.tanh(2 * x**3) ** 2) * 6 * x * x)
    assert_allclose(jac, expected, rtol=1e-13, atol=1e-15)
    with pytest.raises(pb.MissingRuleError, match="forward-mode"):
        pb.jacfwd(f)(x)  # no JVP rule: the same error as the per-direction sweep raises


@pytest.mark.parametrize("transform", [pb.jacfwd, pb.jacrev])
def test_linalg_rule_falls_back_per_row(transform) -> None:
    x = np.array([[3.0, 0.5, 0.1], [0.2, 2.0, 0.3], [0.0, 0.4, 1.5]]).reshape(-1)
    f = lambda v: np.sin(np.linalg.inv(np.reshape(v, (3, 3))))
    with batching.sweep_log() as log:
        jac = transform(f)(x)
    fell = {name for report in log for name in report.fallback}
    assert fell and "reshape" in {n for report in log for n in report.batched}
    with batching.per_direction():
        loop = transform(f)(x)
    assert_allclose(jac, loop, rtol=1e-13, atol=1e-15)
    y = np.linalg.inv(np.reshape(x, (3, 3)))  # dY_ij / dX_kl = -Y_ik Y_lj
    expected = -np.einsum("ik,lj->ijkl", y, y).reshape(3, 3, 9) * np.cos(y)[..., None]
    assert_allclose(jac, expected, rtol=1e-12, atol=1e-14)


def test_getitem_with_separated_advanced_indices_falls_back() -> None:
    x = np.arange(24.0).reshape(2, 3, 4) / 10
    i = np.array([0, 1])
    f = lambda x: np.sin(x[i, :, i])  # NumPy puts the advanced axes first here
    for transform in (pb.jacfwd, pb.jacrev):
        with batching.sweep_log() as log:
            jac = transform(f)(x)
        assert "getitem" in log[0].fallback
        with batching.per_direction():
            assert_allclose(jac, transform(f)(x), rtol=1e-14)


# ---- chunks, pytrees, nesting -----------------------------------------------------------------
def test_chunks_bound_the_batch_and_agree(monkeypatch) -> None:
    # the first chunk from the input and output sizes (8): 40 // 8 = 5 directions; then from
    # the widest tangent met (A @ x, 12 per direction): 40 // 12 = 3
    monkeypatch.setattr(batching, "CHUNK_ELEMENTS", 40)
    x = np.linspace(-1.0, 1.0, 8)
    with batching.sweep_log() as log:
        h = pb.hessian(_w6)(x)
    assert [r.batch for r in log] == [5, 3]
    with batching.per_direction():
        assert_allclose(h, pb.hessian(_w6)(x), rtol=1e-13, atol=1e-14)


def test_several_inputs_and_outputs() -> None:
    def f(x, w):
        return {"a": np.tanh(w @ x), "b": (np.sum(x * x), x[1:] * w[0, :2])}

    x, w = np.array([0.3, -0.7, 1.1]), np.arange(6.0).reshape(2, 3) / 5
    for transform in (pb.jacfwd, pb.jacrev):
        jac = transform(f, argnums=(0, 1))(x, w)
        with batching.per_direction():
            loop = transform(f, argnums=(0, 1))(x, w)
        for got, want in zip(flatten(jac)[0], flatten(loop)[0], strict=True):
            assert got.shape == want.shape
            assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    assert jac["a"][1].shape == (2, 2, 3)


def test_nested_inside_grad_and_jacobians_of_jacobians() -> None:
    x = np.array([0.4, -0.3, 0.9])
    f = lambda x: np.sum(np.exp(np.outer(x, x) @ x))
    third = pb.grad(lambda x: np.sum(pb.hessian(f)(x) ** 2))
    jj = pb.jacfwd(pb.jacrev(lambda x: np.sin(x) * np.sum(x)))
    jvp_of_jac = lambda x: pb.jvp(pb.jacrev(f), (x,), (np.ones(3),))[1]  # under a ForwardTrace
    got = third(x), jj(x), jvp_of_jac(x)
    with batching.per_direction():
        want = third(x), jj(x), jvp_of_jac(x)
    for g, w in zip(got, want, strict=True):
        assert_allclose(g, w, rtol=1e-12)


def test_linearize_stays_one_direction_per_call() -> None:
    _, f_jvp = pb.linearize(lambda x: np.tanh(M_TALL @ x), np.ones(4))
    with batching.sweep_log() as log:
        f_jvp(np.ones(4))
    assert log == []
