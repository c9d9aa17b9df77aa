"""OpInfo entries for linalg_solve (pullback/linalg/solve.py): solve in every assume_a, the
triangular solve, inv, det, slogdet, the Cholesky and LU factorizations and their solves, pinv,
lstsq, matrix_power and the norms, on well-conditioned single and batched (4, 3, 3) samples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import pullback.linalg as pla

from .. import generators as gen
from ..opinfo import NondiffInfo, OpInfo

Samples = Callable[[np.random.Generator, Any], list[tuple[Any, ...]]]


def _rhs(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def _square_samples(make: Callable[..., np.ndarray], rhs: bool = True) -> Samples:
    """(A, b) pairs: b 1-D, b 2-D, batched A with batched b, batched A with 1-D b, 2-D A with
    batched b (broadcasting); or A alone (3x3 and a (4, 3, 3) batch) when rhs is False."""

    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        a, ab = make(rng, 3, dtype=dtype), make(rng, 3, dtype=dtype, batch=(4,))
        if not rhs:
            return [(a,), (ab,)]
        return [
            (a, _rhs(rng, (3,), dtype)),
            (a, _rhs(rng, (3, 2), dtype)),
            (ab, _rhs(rng, (4, 3, 2), dtype)),
            (ab, _rhs(rng, (3,), dtype)),
            (a, _rhs(rng, (4, 3, 2), dtype)),
        ]

    return samples


def _lower(rng: np.random.Generator, n: int, dtype: Any, batch: tuple[int, ...] = ()) -> Any:
    return gen.triangular(rng, n, lower=True, dtype=dtype, batch=batch)


def _upper(rng: np.random.Generator, n: int, dtype: Any, batch: tuple[int, ...] = ()) -> Any:
    return gen.triangular(rng, n, lower=False, dtype=dtype, batch=batch)


def _full_lower(rng: np.random.Generator, n: int, dtype: Any, batch: tuple[int, ...] = ()) -> Any:
    """A triangular matrix plus noise in the triangle the solve must ignore."""
    t = gen.triangular(rng, n, lower=True, dtype=np.float64, batch=batch)
    return (t + np.triu(rng.standard_normal(t.shape), 1)).astype(dtype)


def _rect(m: int, n: int) -> Samples:
    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        q1, q2 = gen.orthogonal(rng, m), gen.orthogonal(rng, n)
        s = np.linspace(1.0, 2.0, min(m, n))
        a = (q1[:, : len(s)] * s) @ q2[: len(s), :]  # singular values in [1, 2]
        ab = np.stack([a, a[::-1], -a, a[:, ::-1]])
        return [(a.astype(dtype),), (ab.astype(dtype),)]

    return samples


def _lstsq_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    ((a,), _) = _rect(4, 3)(rng, dtype)
    return [(a, _rhs(rng, (4,), dtype)), (a, _rhs(rng, (4, 2), dtype))]


def _away_from_kinks(shapes: tuple[tuple[int, ...], ...]) -> Samples:
    """Entries with |x| in [0.5, 2], random signs: no abs kink within a finite-difference step."""

    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        out = []
        for shape in shapes:
            x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
            out.append((x.astype(dtype),))
        return out

    return samples


def _sym(a: Any) -> Any:
    """The symmetric part: makes every direction of the test a symmetric one."""
    return (a + np.swapaxes(a, -1, -2)) / 2


def _solve_pos(a: Any, b: Any) -> Any:
    return pla.solve(_sym(a), b, assume_a="pos")


def _solve_sym(a: Any, b: Any) -> Any:
    return pla.solve(_sym(a), b, assume_a="symmetric", lower=True)


def _solve_transposed(a: Any, b: Any) -> Any:
    return pla.solve(a, b, transposed=True)


def _tri(lower: bool, trans: int | str, unit: bool = False) -> Callable[..., Any]:
    def fn(a: Any, b: Any) -> Any:
        return pla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)

    return fn


def _cho_solve(lower: bool) -> Callable[..., Any]:
    def fn(a: Any, b: Any) -> Any:
        return pla.cho_solve(pla.cho_factor(_sym(a), lower=lower), b)

    return fn


_FIXED = gen.spd(np.random.default_rng(7), 3)


def _cho_solve_b(b: Any) -> Any:
    """A plain factor (a constant), a traced right-hand side."""
    return pla.cho_solve(pla.cho_factor(_FIXED.astype(b.dtype)), b)


def _lu_solve_b(b: Any) -> Any:
    """A plain factor (a constant), a traced right-hand side, trans=2."""
    return pla.lu_solve(pla.lu_factor(_FIXED.astype(b.dtype)), b, trans=2)


def _lu_solve(trans: int) -> Callable[..., Any]:
    def fn(a: Any, b: Any) -> Any:
        return pla.lu_solve(pla.lu_factor(a), b, trans=trans)

    return fn


def _power(n: int) -> Callable[..., Any]:
    def fn(a: Any) -> Any:
        return np.linalg.matrix_power(a, n)

    return fn


def _norm(**kwargs: Any) -> Callable[..., Any]:
    def fn(x: Any) -> Any:
        return np.linalg.norm(x, **kwargs)

    return fn


def _cond(p: Any) -> Callable[..., Any]:
    def fn(x: Any) -> Any:
        return np.linalg.cond(x, p)

    return fn


def _separated_gaps(v: np.ndarray, gap: float) -> bool:
    v = np.sort(v, axis=-1)
    return bool(np.all(np.diff(v, axis=-1) > gap))


def _entries_and_sums_clear(m: np.ndarray) -> bool:
    """One matrix's entries away from 0 (the abs kink) and its abs column sums and abs row sums
    well apart (the max/min kinks of the 1- and inf-norms), all relative to M's own size."""
    mag = np.abs(m) / np.max(np.abs(m))
    if np.any(mag < 0.08):
        return False
    sums = (np.sum(np.abs(m), axis=0), np.sum(np.abs(m), axis=1))
    return all(_separated_gaps(t / np.max(t), 0.05) for t in sums)


def _spectrum_clear(a: np.ndarray) -> bool:
    """Singular values of A and of A^-1 well apart (the SVD's gaps; cond(A, 2) differentiates
    s_max and s_min); condition number below 6 (a finite difference of cond(A) is accurate)."""
    s = np.linalg.svd(a, compute_uv=False)
    return bool(s[0] / s[-1] < 6.0) and _separated_gaps(s, 0.2) and _separated_gaps(1 / s, 0.2)


def _clear_of_kinks(a: np.ndarray) -> bool:
    """A single matrix A clear of every kink of cond(A, p) for every p: its spectrum (above), and
    the entries and abs sums of A and of A^-1 (the norms of p = 1, -1, inf, -inf)."""
    inv = np.linalg.inv(a)
    return _spectrum_clear(a) and _entries_and_sums_clear(a) and _entries_and_sums_clear(inv)


# Singular values of the cond samples, one from each interval: gaps >= 0.5 between them and
# >= 0.22 between their reciprocals (the singular values of A^-1), condition number <= 3.8.
_COND_SINGULAR_VALUES = np.array([(0.9, 1.1), (1.6, 1.8), (3.0, 3.4)])


def _cond_matrix(rng: np.random.Generator) -> np.ndarray:
    """A 3x3 U diag(s) V^T: s from _COND_SINGULAR_VALUES (condition number and singular-value gaps
    by design), U and V orthogonal, redrawn until the entries and abs sums of A and A^-1 are clear
    (about 1 draw in 23 is)."""
    s = rng.uniform(_COND_SINGULAR_VALUES[:, 0], _COND_SINGULAR_VALUES[:, 1])
    for _ in range(1000):
        u, v = gen.orthogonal(rng, 3), gen.orthogonal(rng, 3)
        a = (u * s) @ v.T
        if _entries_and_sums_clear(a) and _entries_and_sums_clear((v / s) @ u.T):  # A^-1
            return a
    raise RuntimeError("no U, V in 1000 draws gave A and A^-1 clear entries and abs sums")


def _cond_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """A 3x3 matrix and a (2, 3, 3) batch, each matrix clear of every kink of every cond(A, p)."""
    out = []
    for batch in ((), (2,)):
        a = np.array([_cond_matrix(rng) for _ in range(int(np.prod(batch)))]).astype(dtype)
        for m in a.astype(np.float64):
            assert _clear_of_kinks(m), f"a cond sample near a kink:\n{m}"
        out.append((np.reshape(a, (*batch, 3, 3)),))
    return out


def _six(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """A well-conditioned 6x6 matrix (the tensor entries reshape it)."""
    return [(gen.well_conditioned(rng, 6, dtype=dtype),)]


def _six_rhs(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [(gen.well_conditioned(rng, 6, dtype=dtype), _rhs(rng, (2, 3), dtype))]


def _tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """a reshaped to (2, 3, 2, 3): x of shape (2, 3) with tensordot(a, x, 2) = b."""
    return np.linalg.tensorsolve(np.reshape(a, (2, 3, 2, 3)), b, axes=axes)


_WELL = _square_samples(gen.well_conditioned)
_WELL_A = _square_samples(gen.well_conditioned, rhs=False)
_SPD = _square_samples(gen.spd)
_SPD_A = _square_samples(gen.spd, rhs=False)
_VECTORS = _away_from_kinks(((5,), (2, 3), (4, 2, 3)))
_MATRICES = _away_from_kinks(((3, 3), (2, 4), (4, 2, 3)))
_NORM = (np.linalg.norm,)

OPS: list[OpInfo] = [
    OpInfo("linalg.solve", np.linalg.solve, (np.linalg.solve,), samples=_WELL),
    OpInfo("linalg.solve_scipy", pla.solve, (), samples=_WELL),
    OpInfo("linalg.solve_transposed", _solve_transposed, (), samples=_WELL),
    OpInfo("linalg.solve_pos", _solve_pos, (), samples=_SPD),
    OpInfo("linalg.solve_sym", _solve_sym, (), samples=_square_samples(gen.symmetric)),
    OpInfo("linalg.solve_triangular_lower", _tri(True, 0), (), samples=_square_samples(_lower)),
    OpInfo(
        "linalg.solve_triangular_upper_T", _tri(False, "T"), (), samples=_square_samples(_upper)
    ),
    OpInfo("linalg.solve_triangular_upper_C", _tri(False, 2), (), samples=_square_samples(_upper)),
    OpInfo(
        "linalg.solve_triangular_unit_ignores_other_triangle",
        _tri(True, 1, unit=True),
        (),
        samples=_square_samples(_full_lower),
    ),
    OpInfo("linalg.inv", np.linalg.inv, (np.linalg.inv,), samples=_WELL_A),
    OpInfo("linalg.det", np.linalg.det, (np.linalg.det,), samples=_WELL_A),
    OpInfo("linalg.det_scipy", pla.det, (), samples=_WELL_A),
    OpInfo(
        "linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], (np.linalg.slogdet,), samples=_WELL_A
    ),
    OpInfo(
        "linalg.cholesky_numpy",
        lambda a: np.linalg.cholesky(_sym(a)),
        (np.linalg.cholesky,),
        samples=_SPD_A,
    ),
    OpInfo(
        "linalg.cholesky_numpy_upper",
        lambda a: np.linalg.cholesky(_sym(a), upper=True),
        (np.linalg.cholesky,),
        samples=_SPD_A,
    ),
    OpInfo("linalg.cholesky_scipy_upper", lambda a: pla.cholesky(_sym(a)), (), samples=_SPD_A),
    OpInfo("linalg.cho_solve_upper", _cho_solve(False), (), samples=_SPD),
    OpInfo("linalg.cho_solve_lower", _cho_solve(True), (), samples=_SPD),
    OpInfo("linalg.cho_solve_plain_factor", _cho_solve_b, (), shapes=(((3,),), ((3, 2),))),
    OpInfo("linalg.lu_solve_plain_factor", _lu_solve_b, (), shapes=(((3,),), ((4, 3, 2),))),
    OpInfo("linalg.lu_factor", lambda a: pla.lu_factor(a)[0], (), samples=_WELL_A),
    OpInfo("linalg.lu_solve", _lu_solve(0), (), samples=_WELL),
    OpInfo("linalg.lu_solve_T", _lu_solve(1), (), samples=_WELL),
    OpInfo("linalg.lu_solve_C", _lu_solve(2), (), samples=_WELL),
    OpInfo("linalg.pinv_tall", np.linalg.pinv, (np.linalg.pinv,), samples=_rect(4, 3)),
    OpInfo("linalg.pinv_wide", pla.pinv, (), samples=_rect(2, 4)),
    OpInfo(
        "linalg.lstsq",
        lambda a, b: np.linalg.lstsq(a, b)[0],
        (np.linalg.lstsq,),
        samples=_lstsq_samples,
    ),
    OpInfo("linalg.lstsq_scipy", lambda a, b: pla.lstsq(a, b)[0], (), samples=_lstsq_samples),
    *(
        OpInfo(f"linalg.matrix_power_{n}", _power(n), (np.linalg.matrix_power,), samples=_SPD_A)
        for n in (0, 1, 2, 3, 5, -1, -2)
    ),
    OpInfo("linalg.norm", np.linalg.norm, _NORM, samples=_VECTORS),
    *(
        OpInfo(f"linalg.norm_vector_{o}", _norm(ord=o, axis=-1), _NORM, samples=_VECTORS)
        for o in (1, 2, 3, 0.5, np.inf, -np.inf)
    ),
    OpInfo("linalg.norm_keepdims", _norm(axis=0, keepdims=True), _NORM, samples=_VECTORS),
    *(
        OpInfo(f"linalg.norm_matrix_{o}", _norm(ord=o, axis=(-2, -1)), _NORM, samples=_MATRICES)
        for o in ("fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc")
    ),
    OpInfo(
        "linalg.norm_matrix_keepdims",
        _norm(ord=1, axis=(0, -1), keepdims=True),
        _NORM,
        samples=_MATRICES,
    ),
    OpInfo(
        "linalg.norm_scipy_2d", lambda x: pla.norm(x, "nuc", axis=(-2, -1)), (), samples=_MATRICES
    ),
    OpInfo(
        "linalg.matrix_norm", np.linalg.matrix_norm, (np.linalg.matrix_norm,), samples=_MATRICES
    ),
    OpInfo(
        "linalg.matrix_norm_2",
        lambda x: np.linalg.matrix_norm(x, ord=2, keepdims=True),
        (np.linalg.matrix_norm,),
        samples=_MATRICES,
    ),
    OpInfo("linalg.vector_norm", np.linalg.vector_norm, (np.linalg.vector_norm,), samples=_VECTORS),
    OpInfo(
        "linalg.vector_norm_axes",
        lambda x: np.linalg.vector_norm(x, axis=(0, -1), ord=3, keepdims=True),
        (np.linalg.vector_norm,),
        samples=_MATRICES,
    ),
    *(
        OpInfo(f"linalg.cond_{p}", _cond(p), (np.linalg.cond,), samples=_cond_samples)
        for p in (None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf)
    ),
    OpInfo("linalg.cond_rectangular", np.linalg.cond, (np.linalg.cond,), samples=_rect(4, 3)),
    OpInfo(
        "linalg.tensorinv",
        lambda a: np.linalg.tensorinv(np.reshape(a, (2, 3, 6))),
        (np.linalg.tensorinv,),
        samples=_six,
    ),
    OpInfo(
        "linalg.tensorinv_ind1",
        lambda a: np.linalg.tensorinv(np.reshape(a, (6, 3, 2)), ind=1),
        (np.linalg.tensorinv,),
        samples=_six,
    ),
    OpInfo("linalg.tensorsolve", _tensorsolve, (np.linalg.tensorsolve,), samples=_six_rhs),
    OpInfo(
        "linalg.tensorsolve_axes",
        lambda a, b: _tensorsolve(a, b, axes=(0,)),
        (np.linalg.tensorsolve,),
        samples=_six_rhs,
    ),
    # the array-API spellings: the shape and contraction rules on the last two axes
    OpInfo(
        "linalg.matrix_transpose",
        np.linalg.matrix_transpose,
        (np.linalg.matrix_transpose,),
        shapes=(((2, 3),), ((4, 2, 3),)),
    ),
    OpInfo(
        "linalg.diagonal",
        lambda x: np.linalg.diagonal(x, offset=1),
        (np.linalg.diagonal,),
        shapes=(((3, 3),), ((4, 2, 3),)),
    ),
    OpInfo(
        "linalg.trace",
        lambda x: np.linalg.trace(x, offset=-1),
        (np.linalg.trace,),
        shapes=(((3, 3),), ((4, 2, 3),)),
    ),
    OpInfo(
        "linalg.cross",
        np.linalg.cross,
        (np.linalg.cross,),
        shapes=(((3,), (3,)), ((4, 3), (3,)), ((2, 3), (2, 3))),
    ),
    OpInfo(
        "linalg.cross_axis",
        lambda a, b: np.linalg.cross(a, b, axis=0),
        (np.linalg.cross,),
        shapes=(((3, 2), (3, 2)),),
    ),
]
NONDIFF: list[NondiffInfo] = []
