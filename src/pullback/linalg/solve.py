"""pullback.linalg rules (stage ④): solve, inv, det, factorizations, lstsq, pinv, norm.

Each public function factorizes the plain numbers once and binds a primitive with the factor as
a static param; both modes, at every order, solve with that factor (docs/derivations/solve.md).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla

from ..core import Traced, register
from ..core.traced import primal
from ..errors import LinearAlgebraError, UndefinedDerivativeError
from ..extend import Rule, as_array

__all__ = [
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "inv",
    "lstsq",
    "lu_factor",
    "lu_solve",
    "matrix_power",
    "multi_dot",
    "norm",
    "pinv",
    "slogdet",
    "solve",
    "solve_triangular",
]

multi_dot = np.linalg.multi_dot  # its rule lives in rules/contractions.py

_ASSUME = {
    None: "gen", "gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym",
    "her": "her", "hermitian": "her", "pos": "pos", "positive definite": "pos",
    "lower triangular": "lower", "upper triangular": "upper",
}  # fmt: skip
_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}


# ---- small helpers (work on plain and traced arrays alike) -------------------------------------
def _traced(*xs: Any) -> bool:
    return any(isinstance(x, Traced) for x in xs)


def _is_complex(x: Any) -> bool:
    return np.dtype(x.dtype).kind == "c"


def _conj(x: Any) -> Any:
    return np.conjugate(x) if _is_complex(x) else x


def _mT(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


def _mH(x: Any) -> Any:
    return _conj(np.swapaxes(x, -1, -2))


def _op(m: Any, trans: int) -> Any:
    """op(M) for trans 0, 1, 2: M, M^T, M^H."""
    return m if trans == 0 else _mT(m) if trans == 1 else _mH(m)


def _float_dtype(*xs: Any) -> np.dtype:
    dt = np.result_type(*[primal(x).dtype for x in xs])
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _cast(x: Any, dtype: np.dtype) -> Any:
    return x if x.dtype == dtype else x.astype(dtype)


def _square(a: Any, name: str) -> int:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"{name}: expected a square matrix or a stack of them, shape (..., n, n); got an "
            f"array of shape {a.shape}."
        )
    return a.shape[-1]


def _check_finite(x: Any, check: bool, name: str) -> None:
    if check and not np.all(np.isfinite(primal(x))):
        raise ValueError(f"{name}: array must not contain infs or NaNs (pass check_finite=False).")


def _eye_like(a: Any) -> np.ndarray:
    return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)


def _project(m: Any, structure: str) -> Any:
    """The subspace a matrix argument lives on (self-adjoint: used on tangents and cotangents)."""
    if structure == "general":
        return m
    if structure == "symmetric":
        return (m + _mT(m)) / 2
    if structure == "hermitian":
        return (m + _mH(m)) / 2
    k = 1 if structure.startswith("unit") else 0
    return np.tril(m, -k) if structure.endswith("lower") else np.triu(m, k)


def _singular(name: str, where: str) -> LinearAlgebraError:
    return LinearAlgebraError(
        f"{name}: the matrix is singular ({where}), so the linear system has no unique solution "
        "and no derivative. Check the matrix (its rank, a zero row or column); for a "
        "least-squares or minimum-norm solution use pullback.linalg.lstsq or pinv."
    )


# ---- factorizations of plain numbers (static params of the primitives) -------------------------
@dataclass(frozen=True, eq=False)
class _LU:
    """P L U of the plain numbers (scipy.linalg.lu_factor, batched). A = P L U."""

    lu: np.ndarray
    piv: np.ndarray
    name: str
    structure: str = "general"

    @property
    def singular(self) -> bool:
        return bool(np.any(np.diagonal(self.lu, axis1=-2, axis2=-1) == 0))

    def check(self) -> None:
        if self.singular:
            d = np.diagonal(self.lu, axis1=-2, axis2=-1)
            i = int(np.argwhere(d == 0)[0][-1])
            raise _singular(self.name, f"the LU pivot U[{i},{i}] is exactly zero")

    def solve(self, b: np.ndarray, trans: int) -> np.ndarray:
        return sla.lu_solve((self.lu, self.piv), b, trans=trans, check_finite=False)

    def perm(self) -> np.ndarray:
        return _perm(self.piv)

    def det(self) -> np.ndarray:
        d = np.prod(np.diagonal(self.lu, axis1=-2, axis2=-1), axis=-1)
        return d * self.perm_sign()

    def perm_sign(self) -> np.ndarray:
        n = self.piv.shape[-1]
        return np.where(np.sum(self.piv != np.arange(n), axis=-1) % 2 == 1, -1.0, 1.0)


@dataclass(frozen=True, eq=False)
class _Cho:
    """The Cholesky factor of the plain numbers (scipy.linalg.cho_factor, batched)."""

    c: np.ndarray
    lower: bool
    name: str
    structure: str = "hermitian"

    def solve(self, b: np.ndarray, trans: int) -> np.ndarray:
        if trans == 1 and np.iscomplexobj(self.c):  # A^T = conj(A) for a Hermitian A
            return np.conj(sla.cho_solve((self.c, self.lower), np.conj(b), check_finite=False))
        return sla.cho_solve((self.c, self.lower), b, check_finite=False)


@dataclass(frozen=True, eq=False)
class _Tri:
    """A triangular matrix (the triangle of the plain numbers that is read)."""

    t: np.ndarray
    lower: bool
    unit: bool
    name: str

    @property
    def structure(self) -> str:
        return ("unit_" if self.unit else "") + ("lower" if self.lower else "upper")

    def solve(self, b: np.ndarray, trans: int) -> np.ndarray:
        try:
            return sla.solve_triangular(
                self.t, b, trans=trans, lower=self.lower, unit_diagonal=self.unit,
                check_finite=False,
            )  # fmt: skip
        except np.linalg.LinAlgError as e:
            raise _singular(self.name, f"a zero on the diagonal; SciPy: {e}") from None


def _perm(piv: np.ndarray) -> np.ndarray:
    """LAPACK's row interchanges -> perm with A[perm] = L U (batched over leading axes)."""
    n = piv.shape[-1]
    perm = np.broadcast_to(np.arange(n), piv.shape).copy()
    rows = np.indices(piv.shape[:-1])
    for i in range(n):
        j = piv[..., i]
        pi, pj = perm[..., i].copy(), perm[(*rows, j)].copy()
        perm[..., i] = pj
        perm[(*rows, j)] = pi
    return perm


def _lu_of(ap: np.ndarray, name: str, structure: str = "general") -> _LU:
    with warnings.catch_warnings():  # an exactly singular matrix: reported by _LU.check
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        lu, piv = sla.lu_factor(ap, check_finite=False)
    return _LU(lu, piv, name, structure)


def _cho_of(ap: np.ndarray, lower: bool, name: str) -> _Cho:
    try:
        c, _ = sla.cho_factor(ap, lower=lower, check_finite=False)
    except np.linalg.LinAlgError:
        raise _not_pd(name) from None
    return _Cho(c, lower, name)


def _not_pd(name: str) -> LinearAlgebraError:
    return LinearAlgebraError(
        f"{name}: the matrix is not positive definite, so it has no Cholesky factor. Check that "
        "it is symmetric (Hermitian) with positive eigenvalues, or use assume_a='sym' / 'gen'."
    )


# ---- the solve primitive: x = op(A)^-1 b with a factor of A's numbers -------------------------
def _solve_fwd(a: Any, b: Any, *, fac: Any, trans: int) -> tuple[Any, Any]:
    x = SOLVE.bind(a, b, fac=fac, trans=trans) if _traced(a, b) else fac.solve(b, trans)
    return x, (a, x, fac, trans, [])  # [] memoizes w for the second per-argument vjp


def _solve_jvp(res: Any, adot: Any, bdot: Any) -> Any:
    # xdot = op(A)^-1 (bdot - op(P(Adot)) x), P the structure projection   (derivations/solve.md)
    a, x, fac, trans, _ = res
    rhs = bdot
    if adot is not None:
        t = _op(_project(adot, fac.structure), trans) @ x
        rhs = -t if rhs is None else rhs - t
    return SOLVE.bind(a, rhs, fac=fac, trans=trans)


def _adjoint_solve(res: Any, xbar: Any) -> Any:
    """w = op(A)^-H xbar, with the same factor; solved once for both per-argument vjps (the
    sweep calls them one after the other with the same xbar object)."""
    a, x, fac, trans, memo = res
    if memo and memo[0] is xbar:
        w = memo[1]
        memo.clear()
        return w
    if trans == 1 and _is_complex(x):  # (A^T)^H = conj(A)
        w = _conj(SOLVE.bind(a, _conj(xbar), fac=fac, trans=0))
    else:
        w = SOLVE.bind(a, xbar, fac=fac, trans=2 if trans == 0 else 0)
    memo[:] = [xbar, w]
    return w


def _solve_vjp_a(res: Any, xbar: Any) -> Any:
    # Abar = P(op^*(-w x^H)), w = op(A)^-H xbar, P the structure projection (solve.md)
    _, x, fac, trans, _ = res
    w = -_adjoint_solve(res, xbar)
    g = w * _mH(x) if x.shape[-1] == 1 else w @ _mH(x)  # one column: an outer product
    return _project(_op(g, trans), fac.structure)


def _solve_vjp_b(res: Any, xbar: Any) -> Any:
    return _adjoint_solve(res, xbar)  # bbar = w = op(A)^-H xbar


SOLVE = Rule("linalg.solve", _solve_fwd, _solve_jvp, (_solve_vjp_a, _solve_vjp_b))


def _as_rhs(a: Any, b: Any, name: str) -> tuple[Any, Any, bool]:
    """b as (..., n, k) (a 1-D b is one column) and a, b broadcast to one batch shape."""
    n = a.shape[-1]
    vec = b.ndim == 1
    if vec:
        b = np.reshape(b, (n, 1)) if b.shape[0] == n else b
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(
            f"{name}: the right-hand side has shape {b.shape if not vec else (b.shape[0],)}, "
            f"but the matrix has {n} rows; b must have shape (n,) or (..., n, k)."
        )
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if a.shape[:-2] != batch:
        a = np.broadcast_to(a, (*batch, n, n))
    if b.shape[:-2] != batch:
        b = np.broadcast_to(b, (*batch, *b.shape[-2:]))
    return a, b, vec


def _prepare(a: Any, b: Any, name: str, check_finite: bool) -> tuple[Any, Any, bool]:
    a, b = as_array(a), as_array(b)
    dtype = _float_dtype(a, b)
    a, b = _cast(a, dtype), _cast(b, dtype)
    _square(a, name)
    _check_finite(a, check_finite, name)
    _check_finite(b, check_finite, name)
    return _as_rhs(a, b, name)


def _finish(x: Any, vec: bool) -> Any:
    return x[..., 0] if vec else x


def _completed(ap: np.ndarray, lower: bool, hermitian: bool) -> np.ndarray:
    """The symmetric (Hermitian) matrix that the given triangle of ap describes (SciPy reads it)."""
    t = np.tril(ap, -1) if lower else np.triu(ap, 1)
    t_ = np.swapaxes(t, -1, -2)
    d = np.diagonal(ap, axis1=-2, axis2=-1)
    d = d.real.astype(ap.dtype) if hermitian else d
    return t + (np.conj(t_) if hermitian else t_) + d[..., None] * np.eye(ap.shape[-1])


def solve(
    a: Any,
    b: Any,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: str | None = "gen",
    transposed: bool = False,
) -> Any:
    """scipy.linalg.solve, differentiable: x with A x = b (A^T x = b if transposed).

    assume_a: 'gen', 'sym', 'her', 'pos' (SciPy's long spellings too) or 'lower triangular' /
    'upper triangular'. 'sym'/'her'/'pos' read one triangle (`lower`), as SciPy does, and their
    derivative treats A as symmetric: Abar is symmetrized (docs/derivations/solve.md).
    Factorizes once (LU, or Cholesky for 'pos'); every derivative reuses the factor.
    """
    name = "pullback.linalg.solve"
    kind = _ASSUME.get(assume_a.lower() if isinstance(assume_a, str) else assume_a)
    if kind is None:
        raise ValueError(f"{name}: unknown assume_a={assume_a!r}; use one of {list(_ASSUME)}.")
    if kind in ("lower", "upper"):
        return solve_triangular(
            a, b, trans=1 if transposed else 0, lower=kind == "lower", check_finite=check_finite
        )
    a, b, vec = _prepare(a, b, name, check_finite)
    ap = primal(a)
    trans = 1 if transposed else 0
    if kind == "pos":
        fac: Any = _cho_of(ap, lower, name)
    elif kind == "gen":
        fac = _lu_of(ap, name)
    else:
        hermitian = kind == "her" and np.iscomplexobj(ap)
        structure = "hermitian" if hermitian else "symmetric"
        fac = _lu_of(_completed(ap, lower, hermitian), name, structure)
    if isinstance(fac, _LU):
        fac.check()
    return _finish(SOLVE.bind(a, b, fac=fac, trans=trans), vec)


def _np_solve(a: Any, b: Any) -> Any:
    return solve(a, b, check_finite=False)  # NumPy 2 and SciPy agree: a 1-D b is one vector


def solve_triangular(
    a: Any,
    b: Any,
    trans: int | str = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """scipy.linalg.solve_triangular, differentiable: x with op(T) x = b, T a's triangle.

    Only the triangle that is read (without the diagonal if unit_diagonal) gets a cotangent.
    """
    name = "pullback.linalg.solve_triangular"
    if trans not in _TRANS:
        raise ValueError(f"{name}: trans must be 0, 1, 2, 'N', 'T' or 'C'; got {trans!r}.")
    a, b, vec = _prepare(a, b, name, check_finite)
    fac = _Tri(primal(a), bool(lower), bool(unit_diagonal), name)
    return _finish(SOLVE.bind(a, b, fac=fac, trans=_TRANS[trans]), vec)


def _trisolve(t: Any, b: Any, lower: bool, unit: bool, trans: int, name: str) -> Any:
    return SOLVE.bind(t, b, fac=_Tri(primal(t), lower, unit, name), trans=trans)


# ---- inv: Y = A^-1 ----------------------------------------------------------------------------
def _inv_fwd(x: Any) -> tuple[Any, Any]:
    if _traced(x):
        y = INV.bind(x)
    else:
        try:
            y = np.linalg.inv(x)
        except np.linalg.LinAlgError:
            raise _singular("pullback.linalg.inv", "numpy.linalg.inv found a zero pivot") from None
    return y, (y,)


def _inv_jvp(res: Any, xdot: Any) -> Any:
    (y,) = res
    return -(y @ xdot @ y)  # Ydot = -Y Xdot Y   (docs/derivations/inv.md)


def _inv_vjp(res: Any, ybar: Any) -> tuple[Any]:
    (y,) = res
    yh = _mH(y)
    return (-(yh @ ybar @ yh),)  # Xbar = -Y^H Ybar Y^H   (docs/derivations/inv.md)


INV = Rule("linalg.inv", _inv_fwd, _inv_jvp, _inv_vjp)


def inv(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """scipy.linalg.inv, differentiable: Y = A^-1 (batched)."""
    a = as_array(a)
    a = _cast(a, _float_dtype(a))
    _square(a, "pullback.linalg.inv")
    _check_finite(a, check_finite, "pullback.linalg.inv")
    return INV.bind(a)


# ---- det and slogdet, from one LU ---------------------------------------------------------------
def _det_fwd(a: Any, *, fac: _LU) -> tuple[Any, Any]:
    y = DET.bind(a, fac=fac) if _traced(a) else fac.det().astype(a.dtype)
    return y, (a, y, fac)


def _det_jvp(res: Any, adot: Any) -> Any:
    a, y, fac = res  # d det = det tr(A^-1 Adot)   (docs/derivations/det.md)
    if fac.singular:  # d det = sum(cof(A) * Adot), the cofactor matrix from an SVD
        return np.sum(_singular_cofactor(a, adot, fac) * adot, axis=(-2, -1))
    return y * np.trace(SOLVE.bind(a, adot, fac=fac, trans=0), axis1=-2, axis2=-1)


def _det_vjp(res: Any, ybar: Any) -> tuple[Any]:
    a, y, fac = res  # Abar = ybar conj(det) A^-H   (docs/derivations/det.md)
    if fac.singular:  # Abar = ybar conj(cof(A)): det A^-H extended to singular A
        return (ybar[..., None, None] * _conj(_singular_cofactor(a, ybar, fac)),)
    a_inv_h = SOLVE.bind(a, _eye_like(a), fac=fac, trans=2)
    return ((ybar * _conj(y))[..., None, None] * a_inv_h,)


def _singular_cofactor(a: Any, direction: Any, fac: _LU) -> np.ndarray:
    """cof(A) = d det / dA (adj(A)^T) of plain numbers, for a stack holding a singular matrix.
    With A = U diag(s) V^H: adj(A) = det(U) det(V^H) V diag(prod_{j != i} s_j) U^H, which is
    det(A) A^-1 where A is invertible and its continuous extension where it is not (rank n-1:
    a rank-one matrix; rank <= n-2: zero). First order only: the cofactor of a singular matrix
    is not differentiated further (docs/derivations/det.md)."""
    if _traced(a, direction):
        raise UndefinedDerivativeError(
            f"{fac.name}: the second derivative of the determinant at an exactly singular matrix "
            "is not implemented (the first derivative, the cofactor matrix, is). Differentiate "
            "at a nearby invertible matrix, or use slogdet away from singular matrices."
        )
    u, sv, vh = np.linalg.svd(primal(a))
    n = sv.shape[-1]
    others = np.prod(np.where(np.eye(n, dtype=bool), 1.0, sv[..., None, :]), axis=-1)
    phase = np.linalg.det(u) * np.linalg.det(vh)
    adj = phase[..., None, None] * (_mH(vh) * others[..., None, :]) @ _mH(u)
    return _mT(adj).astype(np.result_type(primal(a), np.float64))


DET = Rule("linalg.det", _det_fwd, _det_jvp, _det_vjp)


def _logabsdet_fwd(a: Any, *, fac: _LU) -> tuple[Any, Any]:
    if _traced(a):
        y = LOGABSDET.bind(a, fac=fac)
    else:
        d = np.abs(np.diagonal(fac.lu, axis1=-2, axis2=-1))
        with np.errstate(divide="ignore"):  # a singular matrix: -inf, as numpy.linalg.slogdet
            y = np.sum(np.log(d), axis=-1)
    return y, (a, fac)


def _real(x: Any) -> Any:
    return np.real(x) if _is_complex(x) else x


def _logabsdet_jvp(res: Any, adot: Any) -> Any:
    a, fac = res  # d log|det A| = Re tr(A^-1 Adot)   (docs/derivations/det.md)
    fac.check()
    return _real(np.trace(SOLVE.bind(a, adot, fac=fac, trans=0), axis1=-2, axis2=-1))


def _logabsdet_vjp(res: Any, ybar: Any) -> tuple[Any]:
    a, fac = res  # Abar = ybar A^-H   (docs/derivations/det.md)
    fac.check()
    return (ybar[..., None, None] * SOLVE.bind(a, _eye_like(a), fac=fac, trans=2),)


LOGABSDET = Rule("linalg.slogdet", _logabsdet_fwd, _logabsdet_jvp, _logabsdet_vjp)
_SlogdetResult = type(np.linalg.slogdet(np.eye(1)))


def _lu_for(a: Any, name: str) -> tuple[Any, _LU]:
    a = as_array(a)
    a = _cast(a, _float_dtype(a))
    _square(a, name)
    return a, _lu_of(primal(a), name)


def det(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """scipy.linalg.det, differentiable (batched). At an exactly singular matrix the derivative is
    the cofactor matrix (from an SVD; first order only: a second derivative there raises
    UndefinedDerivativeError)."""
    _check_finite(a, check_finite, "pullback.linalg.det")
    a, fac = _lu_for(a, "pullback.linalg.det")
    return DET.bind(a, fac=fac)


def slogdet(a: Any) -> Any:
    """numpy.linalg.slogdet, differentiable in logabsdet: (sign, logabsdet). The sign is a plain
    array (piecewise constant for real matrices; its phase derivative is not carried)."""
    a, fac = _lu_for(a, "pullback.linalg.slogdet")
    d = np.diagonal(fac.lu, axis1=-2, axis2=-1)
    phase = d / np.where(d == 0, 1, np.abs(d))
    sign = np.prod(phase, axis=-1) * fac.perm_sign()
    sign = np.where(np.any(d == 0, axis=-1), 0, sign).astype(a.dtype)
    return _SlogdetResult(sign, LOGABSDET.bind(a, fac=fac))


# ---- cholesky: A = L L^H, derivative on the Hermitian subspace ---------------------------------
def _phi(x: Any) -> Any:
    """Lower triangle with the diagonal halved."""
    return np.tril(x) - 0.5 * (x * np.eye(x.shape[-1], dtype=x.dtype))


def _chol_fwd(a: Any) -> tuple[Any, Any]:
    if _traced(a):
        y = CHOLESKY.bind(a)
    else:
        try:
            y = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_pd("pullback.linalg.cholesky") from None
    return y, (y,)


def _chol_jvp(res: Any, adot: Any) -> Any:
    # Ldot = L Phi(L^-1 sym(Adot) L^-H)   (docs/derivations/cholesky.md)
    (lo,) = res
    name = "pullback.linalg.cholesky"
    m = _trisolve(lo, _project(adot, "hermitian"), True, False, 0, name)
    y = _mH(_trisolve(lo, _mH(m), True, False, 0, name))
    return lo @ _phi(y)


def _chol_vjp(res: Any, lbar: Any) -> tuple[Any]:
    # Abar = sym(L^-H Phi(L^H Lbar) L^-1)   (docs/derivations/cholesky.md)
    (lo,) = res
    name = "pullback.linalg.cholesky"
    p = _phi(_mH(lo) @ lbar)
    q = _trisolve(lo, p, True, False, 2, name)
    z = _mH(_trisolve(lo, _mH(q), True, False, 2, name))
    return (_project(z, "hermitian"),)


CHOLESKY = Rule("linalg.cholesky", _chol_fwd, _chol_jvp, _chol_vjp)


def _prep_square(a: Any, name: str, check_finite: bool = False) -> Any:
    a = as_array(a)
    a = _cast(a, _float_dtype(a))
    _square(a, name)
    _check_finite(a, check_finite, name)
    return a


def cholesky(
    a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> Any:
    """scipy.linalg.cholesky, differentiable: upper U with A = U^H U by default (SciPy), lower L
    with A = L L^H if lower. Reads one triangle; the cotangent is symmetrized (cholesky.md)."""
    a = _prep_square(a, "pullback.linalg.cholesky", check_finite)
    if lower:
        return CHOLESKY.bind(a)
    return _mH(CHOLESKY.bind(_mH(a)))  # reads the upper triangle, as SciPy does


def _np_cholesky(a: Any, /, *, upper: bool = False) -> Any:
    a = _prep_square(a, "numpy.linalg.cholesky")
    return _mH(CHOLESKY.bind(_mH(a))) if upper else CHOLESKY.bind(a)  # upper reads triu(a)


def cho_factor(
    a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Any, bool]:
    """scipy.linalg.cho_factor, differentiable: (c, lower). On traced input the unused triangle
    of c holds zeros (SciPy leaves arbitrary numbers there)."""
    if not _traced(a):
        a = _prep_square(a, "pullback.linalg.cho_factor", check_finite)
        return _cho_of(a, lower, "pullback.linalg.cho_factor").c, lower
    return cholesky(a, lower=lower, check_finite=check_finite), lower


def cho_solve(
    c_and_lower: tuple[Any, bool], b: Any, overwrite_b: bool = False, check_finite: bool = True
) -> Any:
    """scipy.linalg.cho_solve, differentiable in the factor and in b: x = A^-1 b, A = L L^H."""
    name = "pullback.linalg.cho_solve"
    c, lower = c_and_lower
    c, b, vec = _prepare(c, b, name, check_finite)
    if not _traced(c):
        fac = _Cho(primal(c), bool(lower), name)
        return _finish(SOLVE.bind(c, b, fac=fac, trans=0), vec)  # c: a constant here
    if lower:  # x = L^-H (L^-1 b)
        y = _trisolve(c, b, True, False, 0, name)
        return _finish(_trisolve(c, y, True, False, 2, name), vec)
    y = _trisolve(c, b, False, False, 2, name)  # x = U^-1 (U^-H b)
    return _finish(_trisolve(c, y, False, False, 0, name), vec)


# ---- lu_factor / lu_solve: A[perm] = L U, packed ------------------------------------------------
def _lu_fwd(a: Any, *, fac: _LU) -> tuple[Any, Any]:
    y = LU.bind(a, fac=fac) if _traced(a) else fac.lu.astype(a.dtype)
    return y, (y, fac)


def _rows(x: Any, perm: np.ndarray) -> Any:
    """x[..., perm, :] with one permutation per matrix of the batch."""
    idx = np.broadcast_to(perm[..., :, None], (*x.shape[:-1], 1))
    idx = np.broadcast_to(idx, x.shape)
    return np.take_along_axis(x, idx, axis=-2)


def _lu_jvp(res: Any, adot: Any) -> Any:
    # X = L^-1 P^T Adot U^-1;  dLU = L tril(X, -1) + triu(X) U   (docs/derivations/lu.md)
    lu, fac = res
    fac.check()
    n = lu.shape[-1]
    x1 = _trisolve(lu, _rows(adot, fac.perm()), True, True, 0, fac.name)
    x = _mH(_trisolve(lu, _mH(x1), False, False, 2, fac.name))
    lo = np.tril(lu, -1) + np.eye(n, dtype=lu.dtype)
    return lo @ np.tril(x, -1) + np.triu(x) @ np.triu(lu)


def _lu_vjp(res: Any, ybar: Any) -> tuple[Any]:
    # Xbar = tril(L^H Lbar, -1) + triu(Ubar U^H);  Abar = P L^-H Xbar U^-H   (lu.md)
    lu, fac = res
    fac.check()
    n = lu.shape[-1]
    lo = np.tril(lu, -1) + np.eye(n, dtype=lu.dtype)
    xbar = np.tril(_mH(lo) @ np.tril(ybar, -1), -1) + np.triu(np.triu(ybar) @ _mH(np.triu(lu)))
    q = _trisolve(lu, xbar, True, True, 2, fac.name)
    z = _mH(_trisolve(lu, _mH(q), False, False, 0, fac.name))
    return (_rows(z, np.argsort(fac.perm(), axis=-1)),)


LU = Rule("linalg.lu_factor", _lu_fwd, _lu_jvp, _lu_vjp)


def lu_factor(
    a: Any, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Any, np.ndarray]:
    """scipy.linalg.lu_factor, differentiable in the packed factor: (lu, piv), piv plain."""
    name = "pullback.linalg.lu_factor"
    a = _prep_square(a, name, check_finite)
    fac = _lu_of(primal(a), name)
    if not _traced(a):
        return fac.lu, fac.piv
    return LU.bind(a, fac=fac), fac.piv


def lu_solve(
    lu_and_piv: tuple[Any, Any],
    b: Any,
    trans: int = 0,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """scipy.linalg.lu_solve, differentiable in the packed factor and in b (trans 0, 1, 2)."""
    name = "pullback.linalg.lu_solve"
    lu, piv = lu_and_piv
    if trans not in _TRANS:
        raise ValueError(f"{name}: trans must be 0, 1, 2, 'N', 'T' or 'C'; got {trans!r}.")
    trans = _TRANS[trans]
    lu, b, vec = _prepare(lu, b, name, check_finite)
    piv = np.broadcast_to(np.asarray(primal(piv)), lu.shape[:-1])
    if not _traced(lu):
        fac = _LU(primal(lu), piv, name)
        fac.check()
        return _finish(SOLVE.bind(lu, b, fac=fac, trans=trans), vec)  # lu: a constant here
    perm = _perm(piv)
    if trans == 0:  # x = U^-1 L^-1 b[perm]
        y = _trisolve(lu, _rows(b, perm), True, True, 0, name)
        return _finish(_trisolve(lu, y, False, False, 0, name), vec)
    y = _trisolve(lu, b, False, False, trans, name)  # x[perm] = L^-T U^-T b (or ^-H)
    y = _trisolve(lu, y, True, True, trans, name)
    return _finish(_rows(y, np.argsort(perm, axis=-1)), vec)


# ---- pinv and lstsq ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Pinv:
    y: np.ndarray  # the plain pseudo-inverse
    full_rank: bool
    name: str

    def check(self) -> None:
        if not self.full_rank:
            raise LinearAlgebraError(
                f"{self.name}: the matrix is rank deficient; the pseudo-inverse is not "
                "differentiable where the rank can change. Regularize (e.g. add a small ridge "
                "term and use solve) or make the matrix full rank."
            )


def _pinv_of(ap: np.ndarray, rcond: Any, name: str, atol: float = 0.0) -> _Pinv:
    u, s, vh = np.linalg.svd(ap, full_matrices=False)
    cutoff = atol + np.asarray(rcond)[..., None] * np.max(s, axis=-1, keepdims=True)
    large = s > cutoff
    s_inv = np.where(large, 1 / np.where(large, s, 1), 0)
    y = _mH(vh) @ (s_inv[..., None] * _mH(u))
    return _Pinv(y.astype(ap.dtype), bool(np.all(large)), name)


def _pinv_fwd(a: Any, *, fac: _Pinv) -> tuple[Any, Any]:
    y = PINV.bind(a, fac=fac) if _traced(a) else fac.y
    return y, (a, y, fac)


def _pinv_jvp(res: Any, adot: Any) -> Any:
    # Ydot = -Y Adot Y + Y Y^H Adot^H (I - A Y) + (I - Y A) Adot^H Y^H Y   (pinv.md)
    a, y, fac = res
    fac.check()
    m, n = a.shape[-2:]
    yh, adh = _mH(y), _mH(adot)
    pm = np.eye(m, dtype=a.dtype) - a @ y
    pn = np.eye(n, dtype=a.dtype) - y @ a
    return -(y @ adot @ y) + (y @ yh) @ adh @ pm + pn @ adh @ (yh @ y)


def _pinv_vjp(res: Any, ybar: Any) -> tuple[Any]:
    # Abar = -Y^H Ybar Y^H + (I - A Y) Ybar^H Y Y^H + Y^H Y Ybar^H (I - Y A)   (pinv.md)
    a, y, fac = res
    fac.check()
    m, n = a.shape[-2:]
    yh, ybh = _mH(y), _mH(ybar)
    pm = np.eye(m, dtype=a.dtype) - a @ y
    pn = np.eye(n, dtype=a.dtype) - y @ a
    return (-(yh @ ybar @ yh) + pm @ ybh @ (y @ yh) + (yh @ y) @ ybh @ pn,)


PINV = Rule("linalg.pinv", _pinv_fwd, _pinv_jvp, _pinv_vjp)


def _pinv_bind(a: Any, rcond: Any, name: str, atol: float = 0.0) -> Any:
    a = as_array(a)
    a = _cast(a, _float_dtype(a))
    if a.ndim < 2:
        raise ValueError(f"{name}: expected a matrix of shape (..., m, n); got shape {a.shape}.")
    return PINV.bind(a, fac=_pinv_of(primal(a), rcond, name, atol))


def pinv(
    a: Any,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    return_rank: bool = False,
    check_finite: bool = True,
) -> Any:
    """scipy.linalg.pinv, differentiable where the rank is full (raises where it is not)."""
    name = "pullback.linalg.pinv"
    _check_finite(a, check_finite, name)
    a = as_array(a)
    m, n = a.shape[-2:]
    atol = 0.0 if atol is None else float(atol)  # SciPy: cutoff = atol + rtol * max(s)
    r = rtol if rtol is not None else 0.0 if atol > 0 else max(m, n) * np.finfo(_float_dtype(a)).eps
    y = _pinv_bind(a, r, name, atol)
    if not return_rank:
        return y
    s = np.linalg.svd(primal(a), compute_uv=False)
    return y, np.sum(s > atol + r * np.max(s, axis=-1, keepdims=True), axis=-1)


def _np_pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    if rcond is None:
        rcond = 1e-15 if rtol is None else rtol
    return _pinv_bind(a, rcond, "numpy.linalg.pinv")


def _lstsq(a: Any, b: Any, rcond: Any, name: str) -> tuple[Any, Any, Any, Any]:
    a, b = as_array(a), as_array(b)
    dtype = _float_dtype(a, b)
    a, b = _cast(a, dtype), _cast(b, dtype)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            f"{name}: expected a of shape (m, n) and b of shape (m,) or (m, k); got {a.shape} "
            f"and {b.shape}."
        )
    ap, bp = primal(a), primal(b)
    m, n = a.shape
    r = np.finfo(dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    x = _pinv_bind(a, r, name) @ b  # x = A^+ b, the minimum-norm least-squares solution
    s = np.linalg.svd(ap, compute_uv=False)
    rank = int(np.sum(s > r * np.max(s))) if s.size else 0
    if rank == n and m > n:
        resid = np.sum(np.abs(bp - ap @ primal(x)) ** 2, axis=0)
        resid = np.atleast_1d(resid).real
    else:
        resid = np.empty((0,), dtype=np.finfo(dtype).dtype)
    return x, resid, rank, s


def lstsq(
    a: Any,
    b: Any,
    cond: float | None = None,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    lapack_driver: str | None = None,
) -> tuple[Any, Any, Any, Any]:
    """scipy.linalg.lstsq: (x, residues, rank, s). Only x is differentiable (x = A^+ b; the
    derivative needs full rank)."""
    _check_finite(a, check_finite, "pullback.linalg.lstsq")
    x, resid, rank, s = _lstsq(a, b, cond, "pullback.linalg.lstsq")
    if np.ndim(b) == 1 and resid.size:  # SciPy: a scalar for a 1-D b
        resid = resid[0]
    return x, resid, rank, s


def _np_lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Any, Any, Any, Any]:
    return _lstsq(a, b, rcond, "numpy.linalg.lstsq")


# ---- matrix_power ------------------------------------------------------------------------------
def matrix_power(a: Any, n: int) -> Any:
    """numpy.linalg.matrix_power, differentiable: repeated squaring (inv first if n < 0)."""
    a = as_array(a)
    if int(n) != n:
        raise TypeError("pullback.linalg.matrix_power: the exponent must be an integer.")
    _square(a, "pullback.linalg.matrix_power")
    n = int(n)
    if n == 0:
        return a * 0 + np.eye(a.shape[-1], dtype=a.dtype)  # the identity; derivative zero
    if n < 0:
        a, n = inv(a, check_finite=False), -n
    result, power = None, a
    while n:  # d(A^n) follows from the product rule through each matmul (matrix_power.md)
        if n & 1:
            result = power if result is None else result @ power
        n >>= 1
        if n:
            power = power @ power
    return result


# ---- norm --------------------------------------------------------------------------------------
def _abs2(x: Any) -> Any:
    return np.abs(x) ** 2 if _is_complex(x) else x * x


def _safe_root(s: Any, p: float) -> Any:
    """s ** (1/p) with derivative 0 where s == 0 (the minimum-norm subgradient; norm.md)."""
    zero = primal(s) == 0
    one = np.ones((), dtype=s.dtype)
    root = np.sqrt(np.where(zero, one, s)) if p == 2 else np.where(zero, one, s) ** (1 / p)
    return np.where(zero, np.zeros((), dtype=s.dtype), root)


def _vector_norm(x: Any, ord: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    if ord is None or ord == 2:  # ||x||_2 = sqrt(sum |x|^2); gradient x / ||x||, 0 at 0
        return _safe_root(np.sum(_abs2(x), axis=axis, keepdims=keepdims), 2)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == np.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # a count of nonzeros: piecewise constant, returned as a plain array
        xp = primal(x)
        return np.sum(xp != 0, axis=axis, keepdims=keepdims).astype(np.abs(xp).dtype)
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    p = float(ord)
    return _safe_root(np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims), p)


def _singular_values(x: Any) -> Any:
    return np.linalg.svd(x, compute_uv=False)


def _matrix_norm(x: Any, ord: Any, axis: tuple[int, int], keepdims: bool) -> Any:
    r, c = (ax % x.ndim for ax in axis)
    if r == c:
        raise ValueError("Duplicate axes given.")
    if ord in (None, "fro", "f"):
        return _vector_norm(x, 2, (r, c), keepdims)
    y = np.moveaxis(x, (r, c), (-2, -1))
    if ord == 1 or ord == -1:
        col = np.sum(np.abs(y), axis=-2)  # ||A||_1 = max_j sum_i |a_ij|
        out = np.max(col, axis=-1) if ord == 1 else np.min(col, axis=-1)
    elif ord == np.inf or ord == -np.inf:
        row = np.sum(np.abs(y), axis=-1)  # ||A||_inf = max_i sum_j |a_ij|
        out = np.max(row, axis=-1) if ord == np.inf else np.min(row, axis=-1)
    elif ord in (2, -2, "nuc"):
        s = _singular_values(y)  # ||A||_2 = s_max, ||A||_-2 = s_min, ||A||_* = sum(s)
        out = np.sum(s, axis=-1) if ord == "nuc" else np.max(s, axis=-1) if ord == 2 else (
            np.min(s, axis=-1)
        )  # fmt: skip
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        out = np.expand_dims(out, tuple(sorted((r, c))))
    return out


def norm(
    a: Any,
    ord: Any = None,
    axis: Any = None,
    keepdims: bool = False,
    check_finite: bool = True,
) -> Any:
    """numpy.linalg.norm / scipy.linalg.norm, differentiable. Every norm has gradient 0 at 0
    (the minimum-norm subgradient); see docs/derivations/norm.md."""
    _check_finite(a, check_finite, "pullback.linalg.norm")
    x = as_array(a)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    if axis is None:
        if ord is None:
            y = _vector_norm(np.ravel(x), 2, (0,), False)
            return np.reshape(y, (1,) * x.ndim) if keepdims else y
        if x.ndim == 1:
            return _vector_norm(x, ord, (0,), keepdims)
        if x.ndim == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        raise ValueError("Improper number of dimensions to norm.")
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    if len(axes) == 1:
        return _vector_norm(x, ord, ((axes[0] % x.ndim),), keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _np_norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    return norm(x, ord, axis, keepdims, check_finite=False)


def _np_matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    return norm(x, ord, (-2, -1), keepdims, check_finite=False)


def _np_vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    x = as_array(x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
    axes = tuple(ax % max(x.ndim, 1) for ax in axes) if x.ndim else ()
    return _vector_norm(x, ord, axes, keepdims)


# ---- cond: ||A|| ||A^-1|| (docs/derivations/cond.md) -------------------------------------------
def cond(x: Any, p: Any = None) -> Any:
    """numpy.linalg.cond, differentiable, batched over leading axes.

    p = None, 2, -2: the ratio of extreme singular values, s_max / s_min (s_min / s_max for -2),
    from the SVD rule (any shape (..., m, n)); p = 'fro', 'nuc', 1, -1, inf, -inf:
    norm(A, p) * norm(inv(A), p) from the norm and inv rules (square matrices). A singular matrix
    (for p = None, 2, -2: s_min <= max(m, n) eps s_max, matrix_rank's criterion) has an infinite
    condition number and no derivative: it raises LinearAlgebraError
    (docs/derivations/cond.md).
    """
    name = "numpy.linalg.cond"
    x = as_array(x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    if x.ndim < 2:
        raise np.linalg.LinAlgError(
            f"{x.ndim}-dimensional array given. Array must be at least two-dimensional"
        )
    if x.shape[-1] == 0 or x.shape[-2] == 0:
        raise np.linalg.LinAlgError("cond is not defined on empty arrays")
    if p is None or (not isinstance(p, str) and p in (2, -2)):
        s = _singular_values(x)
        sp = primal(s)
        tol = max(x.shape[-2:]) * np.finfo(sp.dtype).eps * sp[..., :1]
        if np.any(sp[..., -1:] <= tol):  # numerically rank-deficient (matrix_rank's criterion)
            raise _singular(name, "a zero singular value: the condition number is infinite")
        s_max, s_min = s[..., 0], s[..., -1]
        return s_min / s_max if p == -2 else s_max / s_min  # kappa_2 = s_max / s_min
    if p not in ("fro", "nuc", 1, -1, np.inf, -np.inf):
        raise ValueError("Invalid norm order for matrices.")
    _square(x, name)
    y = inv(x, check_finite=False)
    # kappa_p = ||A||_p ||A^-1||_p: the product rule through the norm and inv rules
    return norm(x, p, (-2, -1), check_finite=False) * norm(y, p, (-2, -1), check_finite=False)


# ---- tensorinv and tensorsolve: inv and solve on a reshaped matrix ------------------------------
def tensorinv(a: Any, ind: int = 2) -> Any:
    """numpy.linalg.tensorinv, differentiable: inv of a reshaped to (prod(shape[:ind]), -1),
    reshaped to shape[ind:] + shape[:ind] (reshapes are linear, so the inv rule carries it)."""
    a = as_array(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    oldshape = a.shape
    invshape = oldshape[ind:] + oldshape[:ind]
    rows = int(np.prod(oldshape[ind:], dtype=np.int64))
    return np.reshape(_np_inv(np.reshape(a, (rows, -1))), invshape)


def tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """numpy.linalg.tensorsolve, differentiable: x with tensordot(a, x, x.ndim) = b, solved as
    solve(A, ravel(b)) with A = a (axes moved to the end) reshaped to a square matrix."""
    a, b = as_array(a), as_array(b)
    an = a.ndim
    if axes is not None:
        order = list(range(an))
        for k in axes:
            order.remove(k)
            order.insert(an, k)
        a = np.transpose(a, order)
    oldshape = a.shape[-(an - b.ndim) :]
    n = int(np.prod(oldshape, dtype=np.int64))
    if a.size != n * n:
        raise np.linalg.LinAlgError(
            "Input arrays must satisfy the requirement prod(a.shape[b.ndim:]) == "
            "prod(a.shape[:b.ndim])"
        )
    x = _np_solve(np.reshape(a, (n, n)), np.ravel(b))
    return np.reshape(x, oldshape)


# ---- the array-API spellings in numpy.linalg: the same rules on the last two axes ---------------
def _np_matrix_transpose(x: Any, /) -> Any:
    x = as_array(x)
    if x.ndim < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return np.swapaxes(x, -1, -2)


def _np_diagonal(x: Any, /, *, offset: int = 0) -> Any:
    return np.diagonal(as_array(x), offset, axis1=-2, axis2=-1)


def _np_trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    return np.trace(as_array(x), offset, axis1=-2, axis2=-1, dtype=dtype)


def _np_cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    x1, x2 = as_array(x1), as_array(x2)
    if x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError(
            "Both input arrays must be (arrays of) 3-dimensional vectors, "
            f"but they are {x1.shape[axis]} and {x2.shape[axis]} dimensional instead."
        )
    return np.cross(x1, x2, axis=axis)


# ---- the plain NumPy spellings dispatch to the same rules --------------------------------------
def _np_inv(a: Any) -> Any:
    return inv(a, check_finite=False)


def _np_det(a: Any) -> Any:
    return det(a, check_finite=False)


register(np.linalg.solve, _np_solve)
register(np.linalg.inv, _np_inv)
register(np.linalg.det, _np_det)
register(np.linalg.slogdet, slogdet)
register(np.linalg.cholesky, _np_cholesky)
register(np.linalg.lstsq, _np_lstsq)
register(np.linalg.pinv, _np_pinv)
register(np.linalg.matrix_power, matrix_power)
register(np.linalg.norm, _np_norm)
register(np.linalg.matrix_norm, _np_matrix_norm)
register(np.linalg.vector_norm, _np_vector_norm)
register(np.linalg.cond, cond)
register(np.linalg.tensorinv, tensorinv)
register(np.linalg.tensorsolve, tensorsolve)
register(np.linalg.matrix_transpose, _np_matrix_transpose)
register(np.linalg.diagonal, _np_diagonal)
register(np.linalg.trace, _np_trace)
register(np.linalg.cross, _np_cross)
