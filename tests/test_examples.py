"""The examples in examples/ run and reach what their docstrings promise (the MLP and graph
examples are tested beside the Tensor and graph-view tests)."""

from __future__ import annotations

import itertools
import runpy
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> dict:
    return runpy.run_path(str(ROOT / "examples" / name))


def test_lqr_policy_gradient_converges_to_the_riccati_gain() -> None:
    ex = _load("lqr_policy_gradient.py")
    K0 = np.array([[1.0, 1.0, 2.0]])
    K, history = ex["design"](K0, steps=300)
    K_star = ex["riccati_gain"]()
    assert all(b <= a for a, b in itertools.pairwise(history))  # monotone descent
    np.testing.assert_allclose(K, K_star, atol=5e-3)
    assert history[-1] - ex["cost"](K_star) < 1e-6


def test_qp_layer_fits_the_target_allocation() -> None:
    ex = _load("qp_layer.py")
    mu, history = ex["fit"](steps=300)
    assert history[-1] < 1e-4 * history[0]
    np.testing.assert_allclose(ex["portfolio"](mu), ex["TARGET"], atol=2e-3)
