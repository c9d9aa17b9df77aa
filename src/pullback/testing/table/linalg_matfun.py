"""OpInfo entries for linalg_matfun: matrix functions (pullback.linalg.matfun) and matrix equations
(pullback.linalg.equations). These are SciPy-only functions called as pullback.linalg.<name>, not
registered NumPy callables, so `covers` is empty; the parametrized rule test still checks each."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import linalg
from .. import generators as g
from ..opinfo import NondiffInfo, OpInfo


def _sym(m: Any) -> Any:
    return (m + m.conj().mT) / 2  # the Hermitian part


def _contraction(rng: np.random.Generator, n: int, dtype: Any) -> np.ndarray:
    """A matrix with spectral radius 0.6 (a stable discrete-time system)."""
    a = g.general(rng, n)
    return (0.6 * a / np.max(np.abs(np.linalg.eigvals(a)))).astype(dtype)


def _sylvester(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    # A and B Hurwitz: eigenvalues of A + eigenvalues of B stay <= -2, far from a singular operator
    return [
        (g.stable(rng, 3, dtype), g.stable(rng, 4, dtype), g.general(rng, 3, 4, dtype)),
        (g.stable(rng, 3, dtype), g.stable(rng, 3, dtype), g.general(rng, 3, 3, dtype)),
    ]


def _lyapunov(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [
        (g.stable(rng, 3, dtype), g.general(rng, 3, dtype=dtype)),
        (g.stable(rng, 4, dtype), g.spd(rng, 4, dtype)),
    ]


def _discrete_lyapunov(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [
        (_contraction(rng, 3, dtype), g.general(rng, 3, dtype=dtype)),
        (_contraction(rng, 4, dtype), g.spd(rng, 4, dtype)),
    ]


def _complex(samples: Any) -> Any:
    """The same samples plus an imaginary part (a complex operator with the same conditioning)."""

    def complex_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        return [
            tuple((x + 0.3j * rng.standard_normal(x.shape)).astype(dtype) for x in args)
            for args in samples(rng, np.float64)
        ]

    return complex_samples


def _riccati(discrete: bool) -> Any:
    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        out = []
        for n, m in ((3, 2), (4, 1)):
            a = (g.general(rng, n) / np.sqrt(n)).astype(dtype)  # maybe unstable; (A, B)
            b = g.general(rng, n, m, dtype=dtype)  # is controllable for a generic B
            out.append((a, b, g.spd(rng, n, dtype), g.spd(rng, m, dtype)))
        return out

    return samples


def _care(a: Any, b: Any, q: Any, r: Any) -> Any:
    return linalg.solve_continuous_are(a, b, _sym(q), _sym(r))  # SciPy wants symmetric Q, R


def _dare(a: Any, b: Any, q: Any, r: Any) -> Any:
    return linalg.solve_discrete_are(a, b, _sym(q), _sym(r))


def _expm(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [
        (g.general(rng, 3, dtype=dtype) / 2,),
        (g.general(rng, 3, dtype=dtype, batch=(2,)) / 2,),
    ]


def _expm_frechet(a: Any, e: Any) -> Any:
    return linalg.expm_frechet(a, e, compute_expm=False)


def _frechet_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [(g.general(rng, 3, dtype=dtype) / 2, g.general(rng, 3, dtype=dtype))]


def _positive_spectrum(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    # principal sqrt and log exist, are real and differentiable: no eigenvalue on (-inf, 0]
    return [(g.spd(rng, 3, dtype),), (g.well_conditioned(rng, 4, dtype),)]


_ENTRIES: list[tuple[str, Any, Any]] = [
    ("solve_sylvester", linalg.solve_sylvester, _sylvester),
    ("solve_continuous_lyapunov", linalg.solve_continuous_lyapunov, _lyapunov),
    ("solve_discrete_lyapunov", linalg.solve_discrete_lyapunov, _discrete_lyapunov),
    ("solve_continuous_are", _care, _riccati(False)),
    ("solve_discrete_are", _dare, _riccati(True)),
    ("expm", linalg.expm, _expm),
    ("expm_frechet", _expm_frechet, _frechet_samples),
    ("sqrtm", linalg.sqrtm, _positive_spectrum),
    ("logm", linalg.logm, _positive_spectrum),
]


# stacks of matrices (..., n, n), one broadcast against the other where SciPy allows it
def _batched_sylvester(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [(g.stable(rng, 3, dtype, (2,)), g.stable(rng, 2, dtype), g.general(rng, 3, 2, dtype))]


def _batched_lyapunov(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [(g.stable(rng, 3, dtype, (2,)), g.spd(rng, 3, dtype))]


def _batched_discrete_lyapunov(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    a = np.stack([_contraction(rng, 3, dtype) for _ in range(2)])
    return [(a, g.spd(rng, 3, dtype, (2,)))]


def _batched_riccati(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    # A with spectral radius 0.8: the closed loops stay well damped, so the finite differences of
    # the second derivatives stay accurate
    a = np.stack([_contraction(rng, 3, np.float64) for _ in range(2)]) * (0.8 / 0.6)
    b = g.general(rng, 3, 2, dtype=dtype)
    return [(a.astype(dtype), b, g.spd(rng, 3, dtype, (2,)), g.spd(rng, 2, dtype))]


def _batched_positive(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [(g.spd(rng, 3, dtype, (2,)),)]


_BATCHED: list[tuple[str, Any, Any]] = [
    ("solve_sylvester", linalg.solve_sylvester, _batched_sylvester),
    ("solve_continuous_lyapunov", linalg.solve_continuous_lyapunov, _batched_lyapunov),
    ("solve_discrete_lyapunov", linalg.solve_discrete_lyapunov, _batched_discrete_lyapunov),
    ("solve_continuous_are", _care, _batched_riccati),
    ("solve_discrete_are", _dare, _batched_riccati),
    ("sqrtm", linalg.sqrtm, _batched_positive),
    ("logm", linalg.logm, _batched_positive),
]

# float32 runs at the default float32 tolerances: the forward solves run in float64 (SciPy on the
# plain numbers, then cast), and every sample is well conditioned (generators.py). The complex
# entries add an imaginary part to the same samples (complex128 only).
OPS: list[OpInfo] = [
    *(OpInfo(f"linalg.{name}", fn, (), samples=samples) for name, fn, samples in _ENTRIES),
    *(
        OpInfo(
            f"linalg.{name}[complex]", fn, (), samples=_complex(samples), dtypes=(np.complex128,)
        )
        for name, fn, samples in _ENTRIES
    ),
    *(OpInfo(f"linalg.{name}[batched]", fn, (), samples=samples) for name, fn, samples in _BATCHED),
]
NONDIFF: list[NondiffInfo] = []
