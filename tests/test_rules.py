"""The one parametrized rule test: every OpInfo entry, every dtype, every sample, both modes,
to the entry's order; and the completeness test over the dispatch registry."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import pullback as pb
from pullback.core import REGISTRY, Traced
from pullback.core.pytree import flatten
from pullback.testing import check_grads
from pullback.testing.table import NONDIFF, OPS


def _cases() -> list:
    cases = []
    for op in OPS:
        for dtype in op.dtypes:
            if np.dtype(dtype).name in op.skips:
                continue
            rng = np.random.default_rng(zlib.crc32(f"{op.name}/{np.dtype(dtype).name}".encode()))
            for k, args in enumerate(op.sample_inputs(rng, dtype)):
                shapes = "x".join(str(np.shape(a)) for a in args)
                cases.append(
                    pytest.param(op, args, id=f"{op.name}-{np.dtype(dtype).name}-{k}:{shapes}")
                )
    return cases


@pytest.mark.parametrize(("op", "args"), _cases())
def test_rule(op, args) -> None:
    rng = np.random.default_rng(zlib.crc32(op.name.encode()))
    modes = tuple(m for m in op.modes if m not in op.skips)
    check_grads(op.fn, args, order=op.order, modes=modes, rng=rng, rtol=op.rtol, atol=op.atol)


@pytest.mark.parametrize("info", NONDIFF, ids=[i.name for i in NONDIFF])
def test_nondifferentiable_returns_plain_arrays(info) -> None:
    x = np.random.default_rng(1).uniform(-2, 2, (2, 3))
    seen = []

    def f(x):
        seen.append(info.fn(x))
        return x * 1.0

    pb.jvp(f, (x,), (x,))
    pb.vjp(f, x)
    expected = info.fn(x)
    for got in seen:
        leaves, _ = flatten(got)
        assert not any(isinstance(leaf, Traced) for leaf in leaves)
        for a, b in zip(leaves, flatten(expected)[0], strict=True):
            np.testing.assert_array_equal(a, b)


def test_every_registered_callable_is_in_the_table() -> None:
    covered = {key for op in OPS for key in op.covers} | {k for i in NONDIFF for k in i.covers}
    missing = [key for key in REGISTRY if key not in covered]
    assert not missing, f"registered but not in the OpInfo table: {missing}"
