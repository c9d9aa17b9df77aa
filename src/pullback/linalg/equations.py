"""pullback.linalg rules (stage ④): the Sylvester, Lyapunov and Riccati matrix equations. Each
Schur form is computed once from the plain numbers and passed as a static param; every derivative
is another equation of the same operator, solved with that Schur form by the same primitive."""

from __future__ import annotations

import weakref
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg

from ..core.traced import Traced, primal
from ..errors import MatrixEquationError, UnsupportedArgumentError
from ..extend import Rule, as_array, unbroadcast
from .batching import over_batch

__all__ = [
    "solve_sylvester",
    "solve_continuous_lyapunov",
    "solve_discrete_lyapunov",
    "solve_continuous_are",
    "solve_discrete_are",
]


# ---- helpers ------------------------------------------------------------------------------------
def _h(x: Any) -> Any:
    """The conjugate transpose x^H (x.T for real x; x may be traced)."""
    return x.conj().mT if np.iscomplexobj(x) else x.mT


def _like(x: Any) -> np.ndarray:
    """A zero-memory stand-in with x's shape and dtype (what a cotangent must be cast to)."""
    return np.broadcast_to(np.zeros((), x.dtype), x.shape)


def _sum(*terms: Any) -> Any:
    """The sum of the terms that are not None (None when all are)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out


def _traced(*xs: Any) -> bool:
    return any(isinstance(x, Traced) for x in xs)


def _out_dtype(*xs: Any) -> np.dtype:
    return np.result_type(*(x.dtype for x in xs), np.float32)


def _cast(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if not np.iscomplexobj(np.empty(0, dtype)) and np.iscomplexobj(x):
        x = x.real
    return x.astype(dtype, copy=False)


def _square(name: str, arg: str, x: Any) -> int:
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"{name}: {arg} must be a square 2-D matrix, got shape {x.shape}")
    return x.shape[0]


def _shape(name: str, arg: str, x: Any, shape: tuple[int, int]) -> None:
    if x.shape != shape:
        raise ValueError(f"{name}: {arg} must have shape {shape}, got {x.shape}")


# ---- Schur forms and their spectra -------------------------------------------------------------
class _Spectrum:
    """The eigenvalues of one Schur form t (shared by the form and its adjoint), and the equations
    on it already found to have a unique solution. The forward solve, its JVP and VJP solves and
    every higher-order solve reuse the same forms (an adjoint's eigenvalues are conjugates: the
    same gaps), so that check (up to an n x n array of eigenvalue sums) runs once, at the first
    solve, and a pair that passed is remembered here. A failure is not remembered."""

    __slots__ = ("_t", "_lam", "_separated", "stein_checked", "__weakref__")

    def __init__(self, t: np.ndarray) -> None:
        self._t = t
        self._lam: np.ndarray | None = None
        self._separated: list[tuple[weakref.ref[_Spectrum], bool]] = []
        self.stein_checked = False  # no lambda_i conj(lambda_j) = 1 (the discrete Lyapunov gap)

    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of t read off the (quasi-)triangular t in O(n), on first use."""
        if self._lam is None:
            self._lam = _triangular_eigenvalues(self._t)
        return self._lam

    def separated(self, other: _Spectrum, conj: bool) -> bool:
        """Whether lambda_i + mu_j (mu of other, conjugated when conj) was checked nonzero."""
        return any(ref() is other and c == conj for ref, c in self._separated)

    def mark_separated(self, other: _Spectrum, conj: bool) -> None:
        self._separated.append((weakref.ref(other), conj))  # weak: a form may pair with itself


class Schur(NamedTuple):
    """The matrix u op(t) u^H, op(t) = t^H when adjoint: a static param of SYLVESTER and STEIN."""

    t: np.ndarray
    u: np.ndarray
    adjoint: bool
    spectrum: _Spectrum  # of t, shared with the adjoint record


def _schur(x: np.ndarray, complex_form: bool = False) -> Schur:
    """The Schur form of the plain matrix x: real (quasi-triangular) for real x unless asked."""
    x = np.asarray(x)
    real = not np.iscomplexobj(x) and not complex_form
    x = x.astype(np.float64 if real else np.complex128)  # a copy of our own: schur may overwrite
    t, u = scipy.linalg.schur(x, output="real" if real else "complex", overwrite_a=True)
    return Schur(t, u, False, _Spectrum(t))


def _adjoint(s: Schur) -> Schur:
    return s._replace(adjoint=not s.adjoint)


def _triangular_eigenvalues(t: np.ndarray) -> np.ndarray:
    """Eigenvalues of the (quasi-)triangular t: its diagonal and its 2x2 blocks."""
    lam = np.diagonal(t).astype(np.complex128)
    sub = np.diagonal(t, -1) if t.shape[0] > 1 else np.zeros(0)
    i = np.flatnonzero(sub != 0)  # each starts a 2x2 block [[a, b], [c, d]] of a real Schur form
    a, b, c, d = t[i, i], t[i, i + 1], t[i + 1, i], t[i + 1, i + 1]
    root = np.sqrt((((a - d) / 2) ** 2 + b * c).astype(np.complex128))
    lam[i], lam[i + 1] = (a + d) / 2 + root, (a + d) / 2 - root
    return lam


def _eigenvalues(s: Schur) -> np.ndarray:
    """Eigenvalues of u op(t) u^H (computed once per Schur form)."""
    lam = s.spectrum.eigenvalues()
    return np.conj(lam) if s.adjoint else lam


def _rounding(scale: float) -> float:
    """The level at which an eigenvalue gap is rounding, for spectra of modulus about scale."""
    return 1e3 * np.finfo(np.float64).eps * max(scale, 1e-300)


def _sums_separated(lam: np.ndarray, mu: np.ndarray) -> bool:
    """Whether every |lambda_i + mu_j| is above rounding. O(n) when the real (or imaginary) parts
    of all the sums have one sign, away from 0, as for a stable Lyapunov equation, since
    |z| >= |Re z|, |Im z|; otherwise from the n x n array of sums."""
    if not (lam.size and mu.size):
        return True
    tol = _rounding(np.max(np.abs(lam)) + np.max(np.abs(mu)))
    for part in (np.real, np.imag):
        lo, hi = np.min(part(lam)) + np.min(part(mu)), np.max(part(lam)) + np.max(part(mu))
        if lo > tol or hi < -tol:
            return True
    return bool(np.min(np.abs(lam[:, None] + mu[None, :])) > tol)


def _products_separated(lam: np.ndarray) -> bool:
    """Whether every |1 - lambda_i conj(lambda_j)| is above rounding. O(n) when every |lambda| is
    below 1 (a stable A), or every one above, since |1 - z| >= |1 - |z||; otherwise n x n."""
    if not lam.size:
        return True
    r = np.abs(lam)
    tol = _rounding(1.0 + np.max(r) ** 2)
    if 1.0 - np.max(r) ** 2 > tol or np.min(r) ** 2 - 1.0 > tol:
        return True
    return bool(np.min(np.abs(1.0 - lam[:, None] * np.conj(lam)[None, :])) > tol)


def _check_sylvester(sa: Schur, sb: Schur, name: str) -> None:
    """Raise unless op(A) X + X op(B) = Q has a unique solution (no lambda_i + mu_j = 0), once
    per pair of spectra: |lambda_i + mu_j| depends only on whether exactly one is an adjoint."""
    conj = sa.adjoint != sb.adjoint
    if sa.spectrum.separated(sb.spectrum, conj):
        return
    mu = sb.spectrum.eigenvalues()
    if not _sums_separated(sa.spectrum.eigenvalues(), np.conj(mu) if conj else mu):
        raise MatrixEquationError(
            f"{name}: the equation has no unique solution: an eigenvalue of its first matrix is "
            "(numerically) minus an eigenvalue of its second (for a Lyapunov equation A X + X A^H "
            "= Q: two eigenvalues of A with lambda_i + conj(lambda_j) = 0, e.g. one on the "
            "imaginary axis). Shift or perturb the matrices so that the spectra are separated."
        )
    sa.spectrum.mark_separated(sb.spectrum, conj)


def _check_stein(s: Schur, name: str) -> None:
    """Raise unless M X M^H - X + Q = 0 has a unique solution (no lambda_i conj(lambda_j) = 1),
    once per spectrum: conjugating every eigenvalue (the adjoint) keeps the moduli."""
    if s.spectrum.stein_checked:
        return
    if not _products_separated(s.spectrum.eigenvalues()):
        raise MatrixEquationError(
            f"{name}: the equation A X A^H - X + Q = 0 has no unique solution: A has eigenvalues "
            "with lambda_i * conj(lambda_j) = 1 (e.g. one on the unit circle). Scale or perturb A."
        )
    s.spectrum.stein_checked = True


# ---- Sylvester: A X + X B = Q by Bartels-Stewart (LAPACK trsyl) on Schur forms -------------------
def _bartels_stewart(q: np.ndarray, sa: Schur, sb: Schur, name: str) -> np.ndarray:
    """Solve u_a op(t_a) u_a^H X + X u_b op(t_b) u_b^H = q: F = u_a^H q u_b, then trsyl."""
    (ta, ua, fa, _), (tb, ub, fb, _) = sa, sb
    complex_schur = np.iscomplexobj(ta)
    if np.iscomplexobj(tb) != complex_schur:  # pragma: no cover - ztrsyl needs triangular forms
        raise AssertionError("_bartels_stewart: a real and a complex Schur form")
    if np.iscomplexobj(q) and not complex_schur:  # a real operator: solve both parts
        return _bartels_stewart(q.real, sa, sb, name) + 1j * _bartels_stewart(q.imag, sa, sb, name)
    _check_sylvester(sa, sb, name)
    dtype = np.complex128 if complex_schur else np.float64
    trsyl = scipy.linalg.get_lapack_funcs("trsyl", (ta, tb))
    op = "C" if complex_schur else "T"
    f = _h(ua) @ q.astype(dtype, copy=False) @ ub
    y, s, info = trsyl(ta, tb, f, trana=op if fa else "N", tranb=op if fb else "N")
    if info < 0:  # pragma: no cover - an internal error (bad argument to LAPACK)
        raise AssertionError(f"trsyl: illegal value in argument {-info}")
    if s != 1.0:  # trsyl scaled the solution down to avoid overflow
        y *= 1.0 / s
    x = ua @ y @ _h(ub)
    if info == 1 or not np.all(np.isfinite(x)):
        raise MatrixEquationError(
            f"{name}: the equation is (numerically) singular: its two matrices have close "
            "opposite eigenvalues, so the solution is not unique. Separate their spectra."
        )
    return x


def _sylvester_fwd(
    a: Any, b: Any, q: Any, *, schur: tuple[Schur, Schur], trans: bool, name: str
) -> tuple[Any, Any]:
    if _traced(a, b, q):  # values of an outer transform: stay differentiable one level down
        x = SYLVESTER.bind(a, b, q, schur=schur, trans=trans, name=name)
    else:
        sa, sb = (_adjoint(s) for s in schur) if trans else schur
        x = _cast(_bartels_stewart(q, sa, sb, name), _out_dtype(a, b, q))
    return x, (a, b, x, _like(q), schur, trans, name)


def _sylvester_jvp(res: Any, adot: Any, bdot: Any, qdot: Any) -> Any:
    # trans=False: A Xdot + Xdot B = Qdot - Adot X - X Bdot   (docs/derivations/sylvester.md)
    # trans=True:  A^H Xdot + Xdot B^H = Qdot - Adot^H X - X Bdot^H
    a, b, x, _q, schur, trans, name = res
    rhs = _sum(
        qdot,
        None if adot is None else -((_h(adot) if trans else adot) @ x),
        None if bdot is None else -(x @ (_h(bdot) if trans else bdot)),
    )
    return SYLVESTER.bind(a, b, rhs, schur=schur, trans=trans, name=name)


def _sylvester_vjp(res: Any, xbar: Any) -> tuple[Any, Any, Any]:
    # W solves the adjoint equation A^H W + W B^H = Xbar; Qbar = W, Abar = -W X^H, Bbar = -X^H W
    # (trans=True: A W + W B = Xbar; Abar = -X W^H, Bbar = -W^H X)   (docs/derivations/sylvester.md)
    a, b, x, q, schur, trans, name = res
    w = SYLVESTER.bind(a, b, xbar, schur=schur, trans=not trans, name=name)
    if trans:
        abar, bbar = -(x @ _h(w)), -(_h(w) @ x)
    else:
        abar, bbar = -(w @ _h(x)), -(_h(x) @ w)
    return unbroadcast(abar, a), unbroadcast(bbar, b), unbroadcast(w, q)


# The primitive: solve A X + X B = Q (trans: A^H X + X B^H = Q) with the static Schur forms of A, B.
SYLVESTER = Rule("solve_sylvester", _sylvester_fwd, _sylvester_jvp, _sylvester_vjp)


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """Solve A X + X B = Q (SciPy's signature), differentiable w.r.t. A, B and Q in both modes.

    The Schur forms of A and B are computed once; every derivative of every order reuses them.
    Raises MatrixEquationError when A and -B share an eigenvalue (no unique solution).

    >>> a, b = np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([[1.0]])
    >>> x = solve_sylvester(a, b, np.array([[1.0], [2.0]]))
    >>> bool(np.allclose(a @ x + x @ b, [[1.0], [2.0]]))
    True
    """
    stacked = over_batch(solve_sylvester, a, b, q, name="solve_sylvester")
    if stacked is not None:  # (..., m, m), (..., n, n), (..., m, n): one equation per matrix
        return stacked
    a, b, q = as_array(a), as_array(b), as_array(q)
    m = _square("solve_sylvester", "a", a)
    n = _square("solve_sylvester", "b", b)
    _shape("solve_sylvester", "q", q, (m, n))
    # One complex matrix makes both forms complex: trsyl takes two forms of one kind, and a real
    # quasi-triangular form cast to complex is not triangular (its 2x2 blocks would be misread).
    pa, pb = primal(a), primal(b)
    complex_form = np.iscomplexobj(pa) or np.iscomplexobj(pb)
    schur = (_schur(pa, complex_form), _schur(pb, complex_form))
    return SYLVESTER.bind(a, b, q, schur=schur, trans=False, name="solve_sylvester")


def solve_continuous_lyapunov(a: Any, q: Any) -> Any:
    """Solve A X + X A^H = Q (SciPy's signature and sign), differentiable w.r.t. A and Q.

    One Schur form of A serves the solve and every derivative: the JVP solves
    A Xdot + Xdot A^H = Qdot - Adot X - X Adot^H, the VJP the adjoint A^H W + W A = Xbar, giving
    Qbar = W and Abar = -(W X^H + W^H X) (docs/derivations/lyapunov.md). Q may be non-symmetric.
    Raises MatrixEquationError when lambda_i + conj(lambda_j) = 0 for eigenvalues of A.

    >>> a = np.array([[-1.0, 2.0], [0.0, -3.0]])
    >>> x = solve_continuous_lyapunov(a, -np.eye(2))
    >>> bool(np.allclose(a @ x + x @ a.T, -np.eye(2)))
    True
    """
    stacked = over_batch(solve_continuous_lyapunov, a, q, name="solve_continuous_lyapunov")
    if stacked is not None:
        return stacked
    a, q = as_array(a), as_array(q)
    n = _square("solve_continuous_lyapunov", "a", a)
    _shape("solve_continuous_lyapunov", "q", q, (n, n))
    s = _schur(primal(a))
    return SYLVESTER.bind(
        a, _h(a), q, schur=(s, _adjoint(s)), trans=False, name="solve_continuous_lyapunov"
    )


# ---- discrete Lyapunov (Stein): A X A^H - X + Q = 0 on a complex Schur form ---------------------
def _stein(q: np.ndarray, s: Schur, name: str) -> np.ndarray:
    """Solve M X M^H - X + q = 0 with M = u op(t) u^H, t complex upper triangular, column by
    column: with Y = u^H X u and F = u^H q u, (conj(t_jj) t - I) y_j = -f_j - t sum_{l>j} ...
    (or, for op(t) = t^H, (t_jj t^H - I) y_j = -f_j - t^H sum_{l<j} y_l t_lj)."""
    t, u, adjoint, _ = s
    _check_stein(s, name)
    n = t.shape[0]
    f = _h(u) @ q.astype(np.complex128) @ u
    y = np.zeros((n, n), np.complex128)
    eye = np.eye(n)
    if not adjoint:  # t Y t^H - Y = -F, last column first
        for j in range(n - 1, -1, -1):
            rhs = -f[:, j] - t @ (y[:, j + 1 :] @ np.conj(t[j, j + 1 :]))
            y[:, j] = scipy.linalg.solve_triangular(np.conj(t[j, j]) * t - eye, rhs)
    else:  # t^H Y t - Y = -F, first column first
        th = _h(t)
        for j in range(n):
            rhs = -f[:, j] - th @ (y[:, :j] @ t[:j, j])
            y[:, j] = scipy.linalg.solve_triangular(t[j, j] * th - eye, rhs, lower=True)
    x = u @ y @ _h(u)
    if not np.all(np.isfinite(x)):
        raise MatrixEquationError(
            f"{name}: the solution is not finite (A is too close to an "
            "operator with lambda_i * conj(lambda_j) = 1)."
        )
    return x


def _stein_fwd(a: Any, q: Any, *, schur: Schur, trans: bool, name: str) -> tuple[Any, Any]:
    if _traced(a, q):
        x = STEIN.bind(a, q, schur=schur, trans=trans, name=name)
    else:
        x = _cast(_stein(q, _adjoint(schur) if trans else schur, name), _out_dtype(a, q))
    return x, (a, x, _like(q), schur, trans, name)


def _stein_jvp(res: Any, adot: Any, qdot: Any) -> Any:
    # A Xdot A^H - Xdot + (Qdot + Adot X A^H + A X Adot^H) = 0
    # trans: A^H Xdot A - Xdot + (Qdot + Adot^H X A + A^H X Adot) = 0
    # (docs/derivations/discrete_lyapunov.md)
    a, x, _q, schur, trans, name = res
    if adot is None:
        term = None
    elif trans:
        term = _h(adot) @ x @ a + _h(a) @ x @ adot
    else:
        term = adot @ x @ _h(a) + a @ x @ _h(adot)
    rhs = _sum(qdot, term)
    return STEIN.bind(a, rhs, schur=schur, trans=trans, name=name)


def _stein_vjp(res: Any, xbar: Any) -> tuple[Any, Any]:
    # W solves the adjoint A^H W A - W + Xbar = 0; Qbar = W, Abar = W A X^H + W^H A X
    # (trans: A W A^H - W + Xbar = 0; Abar = X A W^H + X^H A W)
    # (docs/derivations/discrete_lyapunov.md)
    a, x, q, schur, trans, name = res
    w = STEIN.bind(a, xbar, schur=schur, trans=not trans, name=name)
    if trans:
        abar = x @ a @ _h(w) + _h(x) @ a @ w
    else:
        abar = w @ a @ _h(x) + _h(w) @ a @ x
    return unbroadcast(abar, a), unbroadcast(w, q)


# The primitive: solve A X A^H - X + Q = 0 (trans: A^H X A - X + Q = 0), complex Schur of A static.
STEIN = Rule("solve_discrete_lyapunov", _stein_fwd, _stein_jvp, _stein_vjp)


def solve_discrete_lyapunov(a: Any, q: Any, method: str | None = None) -> Any:
    """Solve A X A^H - X + Q = 0 (SciPy's signature), differentiable w.r.t. A and Q.

    `method` is accepted for SciPy compatibility ('direct', 'bilinear' or None); pullback always
    solves on one complex Schur form of A (O(n^3)), reused by every derivative. Raises
    MatrixEquationError when lambda_i * conj(lambda_j) = 1 for eigenvalues of A.

    >>> a = np.array([[0.5, 0.2], [0.0, -0.3]])
    >>> x = solve_discrete_lyapunov(a, np.eye(2))
    >>> bool(np.allclose(a @ x @ a.T - x + np.eye(2), 0))
    True
    """
    if method not in (None, "direct", "bilinear"):
        raise ValueError(f"solve_discrete_lyapunov: unknown method {method!r}")
    stacked = over_batch(
        lambda a, q: solve_discrete_lyapunov(a, q, method), a, q, name="solve_discrete_lyapunov"
    )
    if stacked is not None:
        return stacked
    a, q = as_array(a), as_array(q)
    n = _square("solve_discrete_lyapunov", "a", a)
    _shape("solve_discrete_lyapunov", "q", q, (n, n))
    s = _schur(primal(a), complex_form=True)
    return STEIN.bind(a, q, schur=s, trans=False, name="solve_discrete_lyapunov")


# ---- a solve with a static LU factorization (R^-1 B^H inside the Riccati derivatives) -----------
def _lu_fwd(r: Any, m: Any, *, lu: Any, trans: bool, name: str) -> tuple[Any, Any]:
    if _traced(r, m):
        y = LU_SOLVE.bind(r, m, lu=lu, trans=trans, name=name)
    else:
        y = _cast(scipy.linalg.lu_solve(lu, m, trans=2 if trans else 0), _out_dtype(r, m))
    return y, (r, y, _like(m), lu, trans, name)


def _lu_jvp(res: Any, rdot: Any, mdot: Any) -> Any:
    # Y = op(R)^-1 M:  Ydot = op(R)^-1 (Mdot - op(Rdot) Y),  op = ^H when trans
    r, y, _m, lu, trans, name = res
    rhs = _sum(mdot, None if rdot is None else -((_h(rdot) if trans else rdot) @ y))
    return LU_SOLVE.bind(r, rhs, lu=lu, trans=trans, name=name)


def _lu_vjp(res: Any, ybar: Any) -> tuple[Any, Any]:
    # Mbar = op(R)^-H Ybar;  Rbar = -Mbar Y^H  (trans: Rbar = -Y Mbar^H)
    r, y, m, lu, trans, name = res
    mbar = LU_SOLVE.bind(r, ybar, lu=lu, trans=not trans, name=name)
    rbar = -(y @ _h(mbar)) if trans else -(mbar @ _h(y))
    return unbroadcast(rbar, r), unbroadcast(mbar, m)


LU_SOLVE = Rule("lu_solve", _lu_fwd, _lu_jvp, _lu_vjp)


def _lu_factor(name: str, arg: str, m: np.ndarray) -> Any:
    if np.linalg.cond(m) > 1 / np.finfo(np.float64).eps:
        raise MatrixEquationError(
            f"{name}: {arg} is singular; the Riccati equation needs it "
            "invertible (R positive definite for a control problem)."
        )
    return scipy.linalg.lu_factor(m)


# ---- continuous Riccati: A^H X + X A - X B R^-1 B^H X + Q = 0 ------------------------------------
def _care_closed_loop(a: Any, b: Any, r: Any, x: Any, lu: Any, name: str) -> tuple[Any, Any, Any]:
    """S = R^-1 B^H, P = B R^-1 and the closed loop Ac = A - B R^-1 B^H X (differentiable)."""
    s = LU_SOLVE.bind(r, _h(b), lu=lu, trans=False, name=name)
    p = _h(LU_SOLVE.bind(r, _h(b), lu=lu, trans=True, name=name))
    return s, p, a - b @ (s @ x)


def _care_fwd(a: Any, b: Any, q: Any, r: Any, **params: Any) -> tuple[Any, Any]:
    if _traced(a, b, q, r):
        x = CARE.bind(a, b, q, r, **params)
    else:
        x = _cast(params["x"], _out_dtype(a, b, q, r))
    return x, (a, b, r, x, _like(q), params)


def _care_jvp(res: Any, adot: Any, bdot: Any, qdot: Any, rdot: Any) -> Any:
    # Ac^H Xdot + Xdot Ac = -C,  C = Qdot + Adot^H X + X Adot - X Gdot X,
    # Gdot = Bdot S + P Bdot^H - P Rdot S,  S = R^-1 B^H, P = B R^-1   (docs/derivations/riccati.md)
    a, b, r, x, _q, params = res
    name, sc = params["name"], params["schur"]
    s, p, ac = _care_closed_loop(a, b, r, x, params["lu"], name)
    gdot = _sum(
        None if bdot is None else bdot @ s + p @ _h(bdot),
        None if rdot is None else -(p @ rdot @ s),
    )
    c = _sum(
        qdot,
        None if adot is None else _h(adot) @ x + x @ adot,
        None if gdot is None else -(x @ gdot @ x),
    )
    return SYLVESTER.bind(_h(ac), ac, -c, schur=(_adjoint(sc), sc), trans=False, name=name)


def _care_vjp(res: Any, xbar: Any) -> tuple[Any, Any, Any, Any]:
    # W: Ac W + W Ac^H = Xbar, Cbar = -W;  Qbar = Cbar,  Abar = X Cbar^H + X^H Cbar,
    # Gbar = -X^H Cbar X^H,  Bbar = Gbar S^H + Gbar^H P,  Rbar = -P^H Gbar S^H   (riccati.md)
    a, b, r, x, q, params = res
    name, sc = params["name"], params["schur"]
    s, p, ac = _care_closed_loop(a, b, r, x, params["lu"], name)
    cbar = -SYLVESTER.bind(_h(ac), ac, xbar, schur=(_adjoint(sc), sc), trans=True, name=name)
    abar = x @ _h(cbar) + _h(x) @ cbar
    gbar = -(_h(x) @ cbar @ _h(x))
    bbar = gbar @ _h(s) + _h(gbar) @ p
    rbar = -(_h(p) @ gbar @ _h(s))
    return unbroadcast(abar, a), unbroadcast(bbar, b), unbroadcast(cbar, q), unbroadcast(rbar, r)


CARE = Rule("solve_continuous_are", _care_fwd, _care_jvp, _care_vjp)


def _riccati_args(name: str, a: Any, b: Any, q: Any, r: Any, e: Any, s: Any) -> tuple[Any, ...]:
    for arg, value in (("e", e), ("s", s)):
        if value is not None:
            raise UnsupportedArgumentError(
                f"{name}: the argument {arg}= (the generalized Riccati equation) is not supported "
                f"by pullback yet. Call it with {arg}=None, or, for e, solve with inv(e) @ a and "
                "inv(e) @ b."
            )
    a, b, q, r = (as_array(v) for v in (a, b, q, r))
    n = _square(name, "a", a)
    if b.ndim != 2 or b.shape[0] != n:
        raise ValueError(f"{name}: b must be a 2-D matrix with {n} rows, got shape {b.shape}")
    _shape(name, "q", q, (n, n))
    _shape(name, "r", r, (b.shape[1], b.shape[1]))
    return a, b, q, r


def _plain(*xs: Any) -> list[np.ndarray]:
    return [np.asarray(primal(x)).astype(np.result_type(primal(x), np.float64)) for x in xs]


def _no_solution(name: str, why: str) -> MatrixEquationError:
    return MatrixEquationError(
        f"{name}: the Riccati equation has no stabilizing solution ({why}). Check that (A, B) is "
        "stabilizable, that (Q, A) has no unobservable mode on the stability boundary, and that "
        "R is positive definite."
    )


def solve_continuous_are(
    a: Any, b: Any, q: Any, r: Any, e: Any = None, s: Any = None, balanced: bool = True
) -> Any:
    """Solve A^H X + X A - X B R^-1 B^H X + Q = 0 for the stabilizing X (SciPy's signature),
    differentiable w.r.t. A, B, Q and R in both modes, to any order.

    The solution comes from scipy.linalg.solve_continuous_are; its derivatives solve Lyapunov
    equations in the closed loop Ac = A - B R^-1 B^H X, on one Schur form of Ac computed here.
    Q and R must be symmetric (SciPy checks); e and s are not supported (UnsupportedArgumentError).

    >>> x = solve_continuous_are(np.array([[1.0]]), np.array([[1.0]]), np.eye(1), np.eye(1))
    >>> round(float(x[0, 0]), 6)  # 2x - x^2 + 1 = 0
    2.414214
    """
    name = "solve_continuous_are"
    _riccati_args(name, np.eye(1), np.eye(1), np.eye(1), np.eye(1), e, s)  # e, s unsupported
    stacked = over_batch(
        lambda a, b, q, r: solve_continuous_are(a, b, q, r, balanced=balanced),
        a,
        b,
        q,
        r,
        name=name,
    )
    if stacked is not None:
        return stacked
    a, b, q, r = _riccati_args(name, a, b, q, r, e, s)
    pa, pb, pq, pr = _plain(a, b, q, r)
    lu = _lu_factor(name, "r", pr)
    try:
        x = scipy.linalg.solve_continuous_are(pa, pb, pq, pr, balanced=balanced)
    except np.linalg.LinAlgError as err:
        raise _no_solution(name, str(err)) from err
    ac = pa - pb @ scipy.linalg.lu_solve(lu, _h(pb) @ x)
    sc = _schur(ac)
    if not np.all(np.isfinite(x)) or np.max(_eigenvalues(sc).real) >= 0:
        raise _no_solution(name, "the closed loop A - B R^-1 B^H X is not stable")
    return CARE.bind(a, b, q, r, x=x, schur=sc, lu=lu, name=name)


# ---- discrete Riccati: A^H X A - X - A^H X B (R + B^H X B)^-1 B^H X A + Q = 0 -------------------
def _dare_closed_loop(a: Any, b: Any, r: Any, x: Any, lu: Any, name: str) -> tuple[Any, Any]:
    """K = (R + B^H X B)^-1 B^H X A and the closed loop Ac = A - B K (differentiable)."""
    bhx = _h(b) @ x
    k = LU_SOLVE.bind(r + bhx @ b, bhx @ a, lu=lu, trans=False, name=name)
    return k, a - b @ k


def _dare_fwd(a: Any, b: Any, q: Any, r: Any, **params: Any) -> tuple[Any, Any]:
    if _traced(a, b, q, r):
        x = DARE.bind(a, b, q, r, **params)
    else:
        x = _cast(params["x"], _out_dtype(a, b, q, r))
    return x, (a, b, r, x, _like(q), params)


def _dare_jvp(res: Any, adot: Any, bdot: Any, qdot: Any, rdot: Any) -> Any:
    # Ac^H Xdot Ac - Xdot + C = 0,  C = Qdot + K^H Rdot K + E^H X Ac + Ac^H X E,
    # E = Adot - Bdot K  (K held at its optimum: an envelope argument)
    # (docs/derivations/riccati.md)
    a, b, r, x, _q, params = res
    name, sc = params["name"], params["schur"]
    k, ac = _dare_closed_loop(a, b, r, x, params["lu"], name)
    e = _sum(adot, None if bdot is None else -(bdot @ k))
    c = _sum(
        qdot,
        None if rdot is None else _h(k) @ rdot @ k,
        None if e is None else _h(e) @ x @ ac + _h(ac) @ x @ e,
    )
    return STEIN.bind(_h(ac), c, schur=_adjoint(sc), trans=False, name=name)


def _dare_vjp(res: Any, xbar: Any) -> tuple[Any, Any, Any, Any]:
    # Z: Ac Z Ac^H - Z + Xbar = 0;  Qbar = Z,  Rbar = K Z K^H,  Ebar = X Ac Z^H + X^H Ac Z,
    # Abar = Ebar,  Bbar = -Ebar K^H   (docs/derivations/riccati.md)
    a, b, r, x, q, params = res
    name, sc = params["name"], params["schur"]
    k, ac = _dare_closed_loop(a, b, r, x, params["lu"], name)
    z = STEIN.bind(_h(ac), xbar, schur=_adjoint(sc), trans=True, name=name)
    ebar = x @ ac @ _h(z) + _h(x) @ ac @ z
    rbar = k @ z @ _h(k)
    bbar = -(ebar @ _h(k))
    return unbroadcast(ebar, a), unbroadcast(bbar, b), unbroadcast(z, q), unbroadcast(rbar, r)


DARE = Rule("solve_discrete_are", _dare_fwd, _dare_jvp, _dare_vjp)


def solve_discrete_are(
    a: Any, b: Any, q: Any, r: Any, e: Any = None, s: Any = None, balanced: bool = True
) -> Any:
    """Solve A^H X A - X - A^H X B (R + B^H X B)^-1 B^H X A + Q = 0 for the stabilizing X
    (SciPy's signature), differentiable w.r.t. A, B, Q and R in both modes, to any order.

    The solution comes from scipy.linalg.solve_discrete_are; its derivatives solve discrete
    Lyapunov equations in the closed loop Ac = A - B K, on one Schur form of Ac computed here.
    Q and R must be symmetric (SciPy checks); e and s are not supported (UnsupportedArgumentError).

    >>> x = solve_discrete_are(np.array([[1.0]]), np.array([[1.0]]), np.eye(1), np.eye(1))
    >>> round(float(x[0, 0]), 6)  # x^2 - x - 1 = 0
    1.618034
    """
    name = "solve_discrete_are"
    _riccati_args(name, np.eye(1), np.eye(1), np.eye(1), np.eye(1), e, s)  # e, s unsupported
    stacked = over_batch(
        lambda a, b, q, r: solve_discrete_are(a, b, q, r, balanced=balanced), a, b, q, r, name=name
    )
    if stacked is not None:
        return stacked
    a, b, q, r = _riccati_args(name, a, b, q, r, e, s)
    pa, pb, pq, pr = _plain(a, b, q, r)
    try:
        x = scipy.linalg.solve_discrete_are(pa, pb, pq, pr, balanced=balanced)
    except np.linalg.LinAlgError as err:
        raise _no_solution(name, str(err)) from err
    lu = _lu_factor(name, "r + b^H x b", pr + _h(pb) @ x @ pb)
    ac = pa - pb @ scipy.linalg.lu_solve(lu, _h(pb) @ x @ pa)
    sc = _schur(ac, complex_form=True)
    if not np.all(np.isfinite(x)) or np.max(np.abs(_eigenvalues(sc))) >= 1:
        raise _no_solution(name, "the closed loop A - B K is not stable")
    return DARE.bind(a, b, q, r, x=x, schur=sc, lu=lu, name=name)
