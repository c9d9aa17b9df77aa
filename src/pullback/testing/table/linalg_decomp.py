"""OpInfo entries for the decompositions (linalg/decomp.py): eigh, eigvalsh, svd, svdvals, qr,
eig, eigvals, in NumPy's and SciPy's spellings. Finite differences need losses that do not see
the arbitrary sign/phase or order LAPACK picks: eigenvectors enter as V * V (or |V|^2), singular
vectors as U * U, Vh * Vh and U diag(s) Vh, QR as Q * Q, R * R and Q R, eig's eigenvalues sorted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...linalg import decomp
from .. import generators as gen
from ..opinfo import NondiffInfo, OpInfo

Sampler = Callable[[np.random.Generator, Any], list[tuple[Any, ...]]]


def _matrices(make: Callable[..., np.ndarray], shapes: tuple[tuple[int, ...], ...]) -> Sampler:
    """Samples make(rng, n, dtype=..., batch=...) for each shape (*batch, n, n)."""

    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        return [(make(rng, s[-1], dtype=dtype, batch=s[:-2]),) for s in shapes]

    return samples


def _separated(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """U diag(s) V^T of the given shape with singular values 1, 2, ..., k (k = min(m, n)) and
    random orthogonal U, V: gaps of 1, condition number k."""
    *batch, m, n = shape
    k = min(m, n)
    u = gen.orthogonal(rng, m, batch=tuple(batch))[..., :k]
    v = gen.orthogonal(rng, n, batch=tuple(batch))[..., :k]
    s = rng.permutation(np.arange(1.0, k + 1))
    return ((u * s) @ np.swapaxes(v, -1, -2)).astype(dtype)


def _general(shapes: tuple[tuple[int, ...], ...]) -> Sampler:
    """Matrices of each shape with well-separated singular values (full rank)."""

    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        return [(_separated(rng, s, dtype),) for s in shapes]

    return samples


def _with_rotation(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """distinct_eigenvalues matrices (real spectrum) and a rotation-like one (a complex pair)."""
    rotation = np.array([[0.0, -2.0, 0.3], [1.5, 0.1, 0.2], [0.1, 0.4, 1.0]], dtype=dtype)
    return [*_matrices(gen.distinct_eigenvalues, SQUARE)(rng, dtype), (rotation,)]


def _unitary(rng: np.random.Generator, n: int, batch: tuple[int, ...]) -> np.ndarray:
    z = rng.standard_normal((*batch, n, n)) + 1j * rng.standard_normal((*batch, n, n))
    return np.linalg.qr(z)[0]


def _complex(shapes: tuple[tuple[int, ...], ...], kind: str) -> Sampler:
    """Complex matrices (complex128 in the float64 run, complex64 in the float32 run) with the
    gaps of the real samples: kind "svd": U diag(1..k) V^H with unitary U, V; "hermitian":
    U diag(1..n) U^H; "eig": W diag(1..n) W^-1 with W = 2 I + G / sqrt(n), G complex normal."""

    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        out = []
        for shape in shapes:
            *batch, m, n = shape
            k = min(m, n)
            lam = rng.permutation(np.arange(1.0, k + 1))
            if kind == "svd":
                u = _unitary(rng, m, tuple(batch))[..., :k]
                v = _unitary(rng, n, tuple(batch))[..., :k]
                z = (u * lam) @ np.conj(np.swapaxes(v, -1, -2))
            elif kind == "hermitian":
                u = _unitary(rng, n, tuple(batch))
                z = (u * lam) @ np.conj(np.swapaxes(u, -1, -2))
            else:
                g = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
                w = 2 * np.eye(n) + g / np.sqrt(2 * n)
                z = (w * lam) @ np.linalg.inv(w)
            out.append((z.astype(np.result_type(dtype, np.complex64)),))
        return out

    return samples


SQUARE = ((3, 3), (4, 4), (2, 3, 3))
RECTANGULAR = ((4, 3), (3, 4), (3, 3), (2, 3, 3), (2, 4, 3))


def _eigh(a: Any) -> Any:
    w, v = np.linalg.eigh(a)
    return w, _moduli(v)


def _eigh_upper(a: Any) -> Any:
    w, v = np.linalg.eigh(a, UPLO="U")
    return w, v * v


def _scipy_eigh(a: Any) -> Any:
    w, v = decomp.eigh(a, lower=False)
    return w, v * v, decomp.eigvalsh(a)


def _svd(a: Any) -> Any:
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return _moduli(u), s, _moduli(vh), (u * np.expand_dims(s, -2)) @ vh


def _svd_square_full(a: Any) -> Any:
    u, s, vh = np.linalg.svd(a)  # full_matrices=True is well defined for a square matrix
    return u * u, s, vh * vh


def _scipy_svd(a: Any) -> Any:
    u, s, vh = decomp.svd(a, full_matrices=False)
    return u * u, s, vh * vh, decomp.svdvals(a), decomp.svd(a, compute_uv=False)


def _qr(a: Any) -> Any:
    q, r = np.linalg.qr(a)
    return _moduli(q), _moduli(r), q @ r


def _qr_r(a: Any) -> Any:
    return np.linalg.qr(a, mode="r") ** 2


def _qr_complete(a: Any) -> Any:
    q, r = np.linalg.qr(a, mode="complete")
    return q * q, r * r


def _scipy_qr(a: Any) -> Any:
    q, r = decomp.qr(a, mode="economic")
    (r2,) = decomp.qr(a, mode="r")
    return q * q, r * r, r2 * r2


def _moduli(v: Any) -> Any:
    return np.real(v * np.conj(v)) if np.iscomplexobj(v) else v * v


def _eig(a: Any) -> Any:
    # sum_i w_i |v_i|^2 |v_i|^2^T and the sorted eigenvalues: blind to LAPACK's order and phase
    w, v = np.linalg.eig(a)
    vv = _moduli(v)
    return np.sort(w, axis=-1), (vv * np.expand_dims(w, -2)) @ np.swapaxes(vv, -1, -2)


def _eigvals(a: Any) -> Any:
    return np.sort(np.linalg.eigvals(a), axis=-1)


def _scipy_eig(a: Any) -> Any:
    w, v = decomp.eig(a)
    vv = _moduli(v)
    return np.sort(decomp.eigvals(a), axis=-1), (vv * np.expand_dims(w, -2)) @ np.swapaxes(
        vv, -1, -2
    )


# Every entry runs in float64 and float32 at check_grads' default tolerances: the samples keep
# eigenvalue and singular-value gaps >= 1 and well-conditioned factors, so float32's finite
# differences (steps of 1e-2) stay accurate to its rtol of 2e-3 even at order 2.

OPS: list[OpInfo] = [
    OpInfo("eigh", _eigh, (np.linalg.eigh,), samples=_matrices(gen.symmetric, SQUARE)),
    OpInfo("eigh_upper", _eigh_upper, (np.linalg.eigh,), samples=_matrices(gen.symmetric, SQUARE)),
    OpInfo(
        "eigvalsh",
        np.linalg.eigvalsh,
        (np.linalg.eigvalsh,),
        samples=_matrices(gen.symmetric, SQUARE),
    ),
    OpInfo("scipy_eigh", _scipy_eigh, (), samples=_matrices(gen.symmetric, SQUARE[:1])),
    OpInfo("svd", _svd, (np.linalg.svd,), samples=_general(RECTANGULAR)),
    OpInfo("svd_square_full", _svd_square_full, (np.linalg.svd,), samples=_general(SQUARE)),
    OpInfo("svdvals", np.linalg.svdvals, (np.linalg.svdvals,), samples=_general(RECTANGULAR)),
    OpInfo("scipy_svd", _scipy_svd, (), samples=_general(((4, 3), (3, 4)))),
    OpInfo(
        "qr",
        _qr,
        (np.linalg.qr,),
        samples=_matrices(gen.well_conditioned, SQUARE[:1]),
    ),
    OpInfo("qr_rectangular", _qr, (np.linalg.qr,), samples=_general(RECTANGULAR)),
    OpInfo("qr_r", _qr_r, (np.linalg.qr,), samples=_general(RECTANGULAR)),
    OpInfo("qr_complete", _qr_complete, (np.linalg.qr,), samples=_general(((3, 3), (3, 4)))),
    OpInfo("scipy_qr", _scipy_qr, (), samples=_general(((4, 3), (3, 4)))),
    OpInfo("eig", _eig, (np.linalg.eig,), samples=_with_rotation),
    OpInfo("eigvals", _eigvals, (np.linalg.eigvals,), samples=_with_rotation),
    OpInfo("scipy_eig", _scipy_eig, (), samples=_with_rotation),
    # complex input: phase-blind losses, as LAPACK fixes the phases by discrete choices (signs of
    # Householder pivots, the largest entry) that float32's FD steps can cross; the raw vectors
    # are checked in float64 by tests/linalg/test_linalg_decomp.py
    OpInfo("eigh_complex", _eigh, (np.linalg.eigh,), samples=_complex(SQUARE, "hermitian")),
    OpInfo("svd_complex", _svd, (np.linalg.svd,), samples=_complex(RECTANGULAR, "svd")),
    OpInfo("qr_complex", _qr, (np.linalg.qr,), samples=_complex(RECTANGULAR, "svd")),
    OpInfo("eig_complex", _eig, (np.linalg.eig,), samples=_complex(SQUARE, "eig")),
]
NONDIFF: list[NondiffInfo] = []
