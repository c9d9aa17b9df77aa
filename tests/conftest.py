"""Shared fixtures: a seeded generator (no global RNG, DESIGN principle 9)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
