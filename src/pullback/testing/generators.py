"""Structured input generators for rule tests (consumers of the rules: the OpInfo table and
check_grads). Every generator takes a seeded `np.random.Generator`, a size `n`, a dtype and an
optional batch shape, and returns a matrix (or stack of matrices) with the named property and a
modest condition number, so finite differences and float32 stay meaningful.

>>> rng = np.random.default_rng(0)
>>> A = spd(rng, 3)
>>> bool(np.all(np.linalg.eigvalsh(A) > 0))
True
>>> bool(np.all(np.linalg.eigvals(stable(rng, 4)).real < 0))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "distinct_eigenvalues",
    "general",
    "orthogonal",
    "spd",
    "stable",
    "symmetric",
    "triangular",
    "well_conditioned",
]


def _shape(n: int, batch: tuple[int, ...], m: int | None = None) -> tuple[int, ...]:
    return (*batch, n, n if m is None else m)


def general(
    rng: np.random.Generator,
    n: int,
    m: int | None = None,
    dtype: Any = np.float64,
    batch: tuple[int, ...] = (),
) -> np.ndarray:
    """Standard normal entries, shape (*batch, n, m) (m defaults to n)."""
    return rng.standard_normal(_shape(n, batch, m)).astype(dtype)


def well_conditioned(
    rng: np.random.Generator, n: int, dtype: Any = np.float64, batch: tuple[int, ...] = ()
) -> np.ndarray:
    """A square matrix I * 2 + G / sqrt(n) with G normal: eigenvalues near 2, condition ~ 3-10."""
    g = rng.standard_normal(_shape(n, batch)) / np.sqrt(n)
    return (2.0 * np.eye(n) + g).astype(dtype)


def orthogonal(
    rng: np.random.Generator, n: int, dtype: Any = np.float64, batch: tuple[int, ...] = ()
) -> np.ndarray:
    """A random orthogonal matrix (Q of a QR of a normal matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal(_shape(n, batch)))
    q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    return q.astype(dtype)


def symmetric(
    rng: np.random.Generator, n: int, dtype: Any = np.float64, batch: tuple[int, ...] = ()
) -> np.ndarray:
    """A symmetric matrix with well-separated eigenvalues 1, 2, ..., n times random signs."""
    q = orthogonal(rng, n, np.float64, batch)
    lam = np.arange(1.0, n + 1) * rng.choice([-1.0, 1.0], size=(*batch, n))
    return ((q * lam[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


def spd(
    rng: np.random.Generator, n: int, dtype: Any = np.float64, batch: tuple[int, ...] = ()
) -> np.ndarray:
    """A symmetric positive definite matrix with eigenvalues spread over [1, 1 + n]."""
    q = orthogonal(rng, n, np.float64, batch)
    lam = 1.0 + np.sort(rng.uniform(0, n, size=(*batch, n)), axis=-1)
    return ((q * lam[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


def distinct_eigenvalues(
    rng: np.random.Generator, n: int, dtype: Any = np.float64, batch: tuple[int, ...] = ()
) -> np.ndarray:
    """A non-symmetric V diag(1..n) V^-1 with V well conditioned: real, distinct eigenvalues."""
    v = well_conditioned(rng, n, np.float64, batch)
    lam = np.arange(1.0, n + 1)
    return ((v * lam) @ np.linalg.inv(v)).astype(dtype)


def stable(
    rng: np.random.Generator, n: int, dtype: Any = np.float64, batch: tuple[int, ...] = ()
) -> np.ndarray:
    """A Hurwitz-stable matrix (every eigenvalue has real part <= -1): G/sqrt(n) - shift I."""
    g = rng.standard_normal(_shape(n, batch)) / np.sqrt(n)
    shift = np.max(np.linalg.eigvals(g).real, axis=-1) + 1.0
    return (g - np.asarray(shift)[..., None, None] * np.eye(n)).astype(dtype)


def triangular(
    rng: np.random.Generator,
    n: int,
    lower: bool = True,
    dtype: Any = np.float64,
    batch: tuple[int, ...] = (),
) -> np.ndarray:
    """A well-conditioned triangular matrix (diagonal in [1, 2] with random signs)."""
    g = rng.standard_normal(_shape(n, batch)) / np.sqrt(n)
    d = rng.uniform(1.0, 2.0, size=(*batch, n)) * rng.choice([-1.0, 1.0], size=(*batch, n))
    t = np.tril(g, -1) if lower else np.triu(g, 1)
    return (t + d[..., None] * np.eye(n)).astype(dtype)
