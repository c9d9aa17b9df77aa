"""pullback.optimize (rules, stage ④): qp, min 1/2 x^T Q x + c^T x s.t. A x = b, G x <= h. An
interior-point method finds the active set on plain numbers; one factorization of the active KKT
matrix (Cholesky of Q and of the Schur complement when Q is positive definite, else LDL^T of the
whole matrix) serves the solution and every derivative (docs/derivations/qp.md)."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple, NoReturn

import numpy as np
import scipy.linalg
import scipy.optimize

from ..core import Rule, Traced
from ..core.traced import primal
from ..errors import (
    ConvergenceError,
    DegenerateActiveSetWarning,
    InfeasibleError,
    NonConvexError,
    SingularJacobianError,
    UnboundedError,
)

__all__ = ["QPSolution", "qp"]


class QPSolution(NamedTuple):
    """x: the minimizer; y: multipliers of A x = b; z: multipliers of G x <= h (z >= 0).

    Stationarity reads Q x + c + A^T y + G^T z = 0.
    """

    x: Any
    y: Any
    z: Any


_RCOND = 1e-8  # the Schur path needs Q and S this well conditioned (reciprocal, 1-norm estimate)
_REFINE = 1e-3  # below this reciprocal condition, each Schur solve takes one refinement step
_potrf, _potrs, _pocon, _trtrs, _lange = scipy.linalg.lapack.get_lapack_funcs(
    ("potrf", "potrs", "pocon", "trtrs", "lange"), dtype=np.float64
)
_sytrf, _sytrf_lwork, _sytrs = scipy.linalg.lapack.get_lapack_funcs(
    ("sytrf", "sytrf_lwork", "sytrs"), dtype=np.float64
)


# ---- factorizations of a KKT matrix ------------------------------------------------------------
class KKTFactor:
    """K = [[Q, A^T], [A, 0]] = P L D L^T P^T (Bunch-Kaufman, LAPACK sytrf), with its inertia.

    D is block diagonal with 1x1 and 2x2 blocks; each solve is one sytrs call. K is symmetric,
    so the same factorization solves the transposed systems of the backward pass. The general
    path: any symmetric K, and its inertia tells which error to raise when there is no unique
    minimizer.
    """

    def __init__(self, K: np.ndarray) -> None:
        K = np.asarray(K, dtype=np.float64)
        self.n = K.shape[0]
        # K is symmetric, so K.T is the same matrix in Fortran order (no transposing copy).
        lwork = int(_sytrf_lwork(self.n, lower=1)[0])  # blocked: much faster than the default
        self.ldu, self.ipiv, _ = _sytrf(K.T, lower=1, lwork=max(lwork, 1))  # info > 0: D singular
        self.eigs = _block_eigenvalues(self.ldu, self.ipiv)
        scale = _lange("M", K.T) if K.size else 1.0  # max |K_ij|
        self.tiny = 100 * max(self.n, 1) * np.finfo(float).eps * max(scale, 1e-300)

    def inertia(self) -> tuple[int, int, int]:
        """(# positive, # negative, # numerically zero) eigenvalues of K."""
        e = self.eigs
        zero = np.abs(e) <= self.tiny
        return int(np.sum((e > 0) & ~zero)), int(np.sum((e < 0) & ~zero)), int(np.sum(zero))

    def solve(self, r: np.ndarray) -> np.ndarray:
        if self.n == 0:
            return np.zeros(0)
        return _sytrs(self.ldu, self.ipiv, r, lower=1)[0]

    def solve_xy(self, r1: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) with K [x; y] = [r1; r2]."""
        z = self.solve(np.concatenate([r1, r2]))
        return z[: r1.shape[0]], z[r1.shape[0] :]


class SchurKKT:
    """K = [[Q_s, A^T], [A, 0]] by block elimination when Q_s is positive definite (the usual
    case):

    Q_s = L L^T (Cholesky),  W = L^-1 A^T,  S = A Q_s^-1 A^T = W^T W = R R^T (Cholesky), and
    K [x; y] = [r1; r2]  <=>  u = L^-1 r1,  S y = W^T u - r2,  x = L^-T (u - W y).

    An n^3/3 + n^2 p factorization instead of the (n+p)^3/3 of K itself, and each solve is two
    triangular solves with L, two products with W and a p x p solve. Q_s and S positive definite
    give K the inertia (n, p, 0) (Sylvester's law on the block LDL^T), so the problem has a
    unique minimizer. `SchurKKT.of` returns None when Q_s or S is not positive definite or is
    ill-conditioned (reciprocal condition estimate below _RCOND); then KKTFactor takes over.
    Block elimination is not backward stable when Q_s is ill-conditioned (its residual grows like
    cond(Q_s) eps, where LDL^T's does not), so below _REFINE each solve takes one step of
    iterative refinement with K, which restores a residual at rounding level (qp.md).
    """

    def __init__(
        self,
        Q: np.ndarray | None,
        A: np.ndarray,
        L: np.ndarray,
        W: np.ndarray,
        R: np.ndarray,
    ) -> None:
        self.Q, self.A, self.L, self.W, self.R = Q, A, L, W, R
        self.refine = Q is not None  # Q_s, kept only for the refinement step

    @classmethod
    def of(cls, Q: np.ndarray, A: np.ndarray) -> SchurKKT | None:
        """The factor of the KKT matrix of Q_s = (Q + Q^T)/2 and A, or None (see the class)."""
        n, p = Q.shape[0], A.shape[0]
        if n == 0 or p > n:
            return None
        A = np.asarray(A, dtype=np.float64)
        # Q_s in a buffer of our own, factored in place: Q_s is symmetric, so its transpose is
        # the same matrix in Fortran order. (One n x n array per call, not two: fewer fresh
        # pages for the allocator to fault in.)
        Qs = _sym(Q)
        qnorm = _lange("1", Qs.T)
        L, info = _potrf(Qs.T, lower=1, clean=0, overwrite_a=1)
        rcond = _pocon(L, qnorm, uplo="L")[0] if info == 0 else 0.0
        if not rcond > _RCOND:
            return None
        W, R = np.zeros((n, 0)), np.zeros((0, 0))
        if p:
            W = _trtrs(L, A.T, lower=1)[0]
            S = W.T @ W
            R, info = _potrf(S, lower=1, clean=0)
            rcond_s = _pocon(R, _lange("1", S), uplo="L")[0] if info == 0 else 0.0
            if not rcond_s > _RCOND:
                return None
            rcond = min(rcond, rcond_s)
        return cls(_sym(Q) if rcond < _REFINE else None, A, L, W, R)

    def _solve(self, r1: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = _trtrs(self.L, r1, lower=1)[0]
        y = np.zeros(0)
        if self.R.shape[0]:
            y = _potrs(self.R, self.W.T @ u - r2, lower=1)[0]
            u = u - self.W @ y
        return _trtrs(self.L, u, lower=1, trans=1)[0], y

    def solve_xy(self, r1: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) with K [x; y] = [r1; r2]."""
        x, y = self._solve(r1, r2)
        if self.Q is not None:  # one refinement step: K [dx; dy] = r - K [x; y]
            dx, dy = self._solve(r1 - self.Q @ x - self.A.T @ y, r2 - self.A @ x)
            x, y = x + dx, y + dy
        return x, y

    def solve(self, r: np.ndarray) -> np.ndarray:
        n = self.L.shape[0]
        return np.concatenate(self.solve_xy(r[:n], r[n:]))


Factor = KKTFactor | SchurKKT


def _sym(Q: np.ndarray) -> np.ndarray:
    """Q_s = (Q + Q^T)/2 in float64, a new array (exactly Q when Q is exactly symmetric)."""
    Qs = np.add(Q, Q.T, dtype=np.float64)
    Qs *= 0.5
    return Qs


def _block_eigenvalues(ldu: np.ndarray, ipiv: np.ndarray) -> np.ndarray:
    """Eigenvalues of D in sytrf's lower L D L^T: 1x1 blocks on the diagonal of ldu; a 2x2 block
    [[a, b], [b, c]] at k, k+1 where ipiv[k] = ipiv[k+1] < 0 (b = ldu[k+1, k]). Runs of
    negative ipiv entries pair up from their start."""
    diag = np.diagonal(ldu)
    neg = np.flatnonzero(ipiv < 0)
    if neg.size == 0:
        return diag.copy()
    brk = np.flatnonzero(np.r_[True, np.diff(neg) != 1])  # where each run of negatives starts
    offset = np.arange(neg.size) - np.repeat(brk, np.diff(np.r_[brk, neg.size]))
    starts = neg[offset % 2 == 0]
    in_block = np.zeros(diag.shape[0], bool)
    in_block[starts] = in_block[starts + 1] = True
    a, b, c = diag[starts], ldu[starts + 1, starts], diag[starts + 1]
    mid, rad = (a + c) / 2, np.hypot((a - c) / 2, b)
    return np.concatenate([diag[~in_block], mid + rad, mid - rad])


def _kkt(Qs: np.ndarray, A: np.ndarray) -> np.ndarray:
    n, p = Qs.shape[0], A.shape[0]
    K = np.zeros((n + p, n + p))
    K[:n, :n] = Qs
    K[n:, :n] = A
    K[:n, n:] = A.T
    return K


# ---- the equality-constrained QP primitive -----------------------------------------------------
def _make_eq_rule() -> Rule:
    """(x, y) solving [[Q_s, A^T], [A, 0]] [x; y] = [-c; b], Q_s = (Q + Q^T)/2   (qp.md)

    jvp: (xdot, ydot) = eq_qp(Q, Qdot_s x + cdot + Adot^T y, A, bdot - Adot x)
    vjp: (w_x, w_y) = eq_qp(Q, -xbar, A, ybar);  Qbar = -(w_x x^T + x w_x^T)/2,
         cbar = -w_x,  Abar = -(w_y x^T + y w_x^T),  bbar = w_y
    Both reuse the KKT factorization `kkt` of the plain numbers (a static parameter).
    """
    rule: Rule

    def fwd(Q: Any, c: Any, A: Any, b: Any, *, kkt: Factor) -> tuple[Any, Any]:
        if any(isinstance(v, Traced) for v in (Q, c, A, b)):  # lower levels apply the rule too
            x, y = rule.bind(Q, c, A, b, kkt=kkt)
        else:
            x, y = kkt.solve_xy(-c, b)
        return (x, y), (Q, A, x, y, kkt)

    def jvp_(res: Any, Qdot: Any, cdot: Any, Adot: Any, bdot: Any) -> tuple[Any, Any]:
        Q, A, x, y, kkt = res
        c1 = np.zeros(x.shape) if cdot is None else cdot
        b1 = np.zeros(y.shape) if bdot is None else bdot
        if Qdot is not None:
            c1 = c1 + (Qdot @ x + Qdot.T @ x) / 2
        if Adot is not None:
            c1 = c1 + Adot.T @ y
            b1 = b1 - Adot @ x
        return rule.bind(Q, c1, A, b1, kkt=kkt)

    def vjp_(res: Any, bars: tuple[Any, Any]) -> tuple[Any, Any, Any, Any]:
        Q, A, x, y, kkt = res
        xbar, ybar = bars
        xbar = np.zeros(x.shape) if xbar is None else xbar
        ybar = np.zeros(y.shape) if ybar is None else ybar
        wx, wy = rule.bind(Q, -xbar, A, ybar, kkt=kkt)  # K w = [xbar; ybar]
        M = np.outer(-0.5 * wx, x)
        Qbar = M + M.T  # -(w_x x^T + x w_x^T)/2, exactly symmetric
        Abar = np.outer(-wy, x) - np.outer(y, wx)
        return Qbar, -wx, Abar, wy

    rule = Rule("optimize.eq_qp", fwd, jvp_, vjp_, multiple_results=True)
    return rule


_eq_qp = _make_eq_rule()


# ---- inputs ---------------------------------------------------------------------------------
def _real(v: Any, name: str) -> Any:
    """v as a real floating-point array (integers and booleans are converted)."""
    if not isinstance(v, Traced):
        v = np.asarray(v)
        if v.dtype.kind in "biu":
            v = v.astype(float)
    if v.dtype.kind != "f":
        raise ValueError(f"qp: {name} must be real floating point, got dtype {v.dtype}.")
    return v


def _matrix(M: Any, name: str, shape: tuple[int | None, int]) -> Any:
    M = _real(M, name)
    rows, cols = shape
    if M.ndim != 2 or M.shape[1] != cols or (rows is not None and M.shape[0] != rows):
        want = f"({'m' if rows is None else rows}, {cols})"
        raise ValueError(f"qp: {name} has shape {M.shape}; expected {want}.")
    return M


def _vector(v: Any, name: str, size: int) -> Any:
    v = _real(v, name)
    if v.shape != (size,):
        raise ValueError(f"qp: {name} has shape {v.shape}; expected ({size},).")
    return v


def _pair(M: Any, v: Any, names: str, n: int) -> tuple[Any, Any]:
    if (M is None) != (v is None):
        raise ValueError(f"qp: pass both {names} or neither.")
    if M is None:
        return np.zeros((0, n)), np.zeros(0)
    M = _matrix(M, names[0], (None, n))
    return M, _vector(v, names[-1], M.shape[0])


# ---- the public function ------------------------------------------------------------------------
def qp(
    Q: Any,
    c: Any,
    A: Any = None,
    b: Any = None,
    G: Any = None,
    h: Any = None,
    *,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> QPSolution:
    """Solve min 1/2 x^T Q x + c^T x s.t. A x = b, G x <= h; differentiable w.r.t. every argument.

    Returns QPSolution(x, y, z): the minimizer and the multipliers of the equality and inequality
    constraints (Q x + c + A^T y + G^T z = 0, z >= 0). Only the symmetric part of Q enters the
    problem, so the gradient with respect to Q is symmetric. Without inequalities the KKT system
    is factorized once (Cholesky of Q and of A Q^-1 A^T when Q is positive definite, else LDL^T)
    and that factorization serves the solution, the JVP and the VJP;
    with inequalities an interior-point method (Mehrotra predictor-corrector, to `tol`) finds the
    active set and the derivative is that of the equality QP of the active constraints.
    Raises InfeasibleError, UnboundedError, NonConvexError, ConvergenceError (with `.residual`),
    SingularJacobianError (dependent active constraints); warns DegenerateActiveSetWarning for a
    weakly active constraint (docs/optimize.md).

    >>> import pullback as pb
    >>> Q, c = np.eye(2), np.array([-1.0, -1.0])
    >>> qp(Q, c, G=np.array([[1.0, 1.0]]), h=np.array([1.0])).x
    array([0.5, 0.5])
    >>> pb.grad(lambda h: qp(Q, c, G=np.array([[1.0, 1.0]]), h=h).x[0])(np.array([1.0]))
    array([0.5])
    """
    if np.ndim(Q) != 2 or np.shape(Q)[0] != np.shape(Q)[1]:
        raise ValueError(f"qp: Q has shape {np.shape(Q)}; expected a square (n, n) matrix.")
    n = np.shape(Q)[0]
    Q = _matrix(Q, "Q", (n, n))
    c = _vector(c, "c", n)
    A, b = _pair(A, b, "A, b", n)
    G, h = _pair(G, h, "G, h", n)
    Qp, cp, Ap, bp, Gp, hp = (primal(v) for v in (Q, c, A, b, G, h))
    m = G.shape[0]
    if m == 0:
        kkt = _factor_equality(Qp, cp, Ap, bp)
        x, y = _eq_qp.bind(Q, c, A, b, kkt=kkt)
        return QPSolution(x, y, np.zeros(0))
    Qs = _sym(Qp)
    _check_convex(Qs)
    ipm, res = _interior_point(Qs, cp, Ap, bp, Gp, hp, tol, maxiter)
    if ipm is None:
        _diagnose(Qs, cp, Ap, bp, Gp, hp, res, maxiter)
    _, _, zs, ss = ipm
    idx, kkt = _polish(Qs, cp, Ap, bp, Gp, hp, zs > ss)
    p = A.shape[0]
    A_act = np.concatenate([A, G[idx]]) if idx.size else A
    b_act = np.concatenate([b, h[idx]]) if idx.size else b
    x, y_act = _eq_qp.bind(Q, c, A_act, b_act, kkt=kkt)
    scatter = np.zeros((m, idx.size))
    scatter[idx, np.arange(idx.size)] = 1.0  # z = 0 off the active set
    z = scatter @ y_act[p:]
    return QPSolution(x, y_act[:p], z)


def _polish(
    Qs: np.ndarray,
    c: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    G: np.ndarray,
    h: np.ndarray,
    active: np.ndarray,
) -> tuple[np.ndarray, Factor]:
    """Solve the equality QP of the active set the interior-point method found, and certify it:
    inactive constraints hold and active multipliers are >= 0, so (x, y, z) satisfies the full
    KKT conditions to rounding. Weakly active constraints (z_i = 0 = slack_i) warn and are
    treated as inactive. Returns the active indices and the KKT factorization."""
    scale = 1.0 + max(np.max(np.abs(v), initial=0.0) for v in (Qs, c, A, b, G, h))
    weak_tol, ok_tol = 1e-7 * scale, 1e-8 * scale
    p = A.shape[0]
    weak = np.zeros(active.shape, bool)
    for _ in range(2):
        idx = np.flatnonzero(active)
        kkt = _factor_equality(Qs, c, np.concatenate([A, G[idx]]), np.concatenate([b, h[idx]]))
        x, y = kkt.solve_xy(-c, np.concatenate([b, h[idx]]))
        z = np.zeros(active.shape)
        z[idx] = y[p:]
        slack = h - G @ x
        weak_active = active & (z <= weak_tol)
        weak |= weak_active | (~active & (slack <= weak_tol))
        if not weak_active.any():
            break
        active = active & ~weak_active  # drop them: the inactive side's derivative
    if np.min(slack[~active], initial=0.0) < -ok_tol or np.min(z[active], initial=0.0) < -ok_tol:
        res = max(-np.min(slack[~active], initial=0.0), -np.min(z[active], initial=0.0))
        raise ConvergenceError(
            "qp: the interior-point method stopped before it identified the active set (the "
            f"polished solution violates a constraint or a multiplier sign by {res:.3e}). Lower "
            "tol or raise maxiter, or rescale the problem.",
            res,
        )
    if weak.any():
        warnings.warn(
            f"qp: inequality constraint(s) {np.flatnonzero(weak).tolist()} are weakly active "
            "(zero multiplier and zero slack): the solution is not differentiable there. The "
            "derivative returned treats them as inactive: it is the one-sided derivative for "
            "perturbations that keep them slack.",
            DegenerateActiveSetWarning,
            stacklevel=3,
        )
    return np.flatnonzero(active), kkt


def _factor_equality(Q: np.ndarray, c: np.ndarray, A: np.ndarray, b: np.ndarray) -> Factor:
    """The factorization of the KKT matrix of Q_s = (Q + Q^T)/2 and A: by block elimination
    when Q_s is positive definite and A has well-conditioned full row rank (SchurKKT), else
    LDL^T of K, whose inertia certifies a unique minimizer; wrong inertia or a singular K is
    diagnosed as a specific error."""
    schur = SchurKKT.of(Q, A)
    if schur is not None:
        return schur
    Qs = _sym(Q)
    n, p = Qs.shape[0], A.shape[0]
    K = _kkt(Qs, A)
    kkt = KKTFactor(K)
    pos, neg, zero = kkt.inertia()
    if zero == 0 and pos == n and neg == p:
        return kkt
    # Diagnose (rare path): infeasible constraints, dependent constraints, or no bounded minimum.
    if p:
        x_ls = np.linalg.lstsq(A, b, rcond=None)[0]
        gap = np.linalg.norm(A @ x_ls - b)
        if gap > 1e-8 * (1 + np.linalg.norm(b)):
            raise InfeasibleError(
                f"qp: the (active) equality constraints A x = b have no solution (least-squares "
                f"residual {gap:.3e}). Remove the inconsistent constraints."
            )
        rank = np.linalg.matrix_rank(A)
        if rank < p:
            raise SingularJacobianError(
                f"qp: the {p} equality (and active inequality) constraints have rank {rank}: "
                "their multipliers are not unique, so neither is their derivative. Remove the "
                "redundant constraints."
            )
    if neg > p or (zero and _descends(Qs, c, A)):
        raise UnboundedError(
            "qp: the objective is unbounded below on the feasible set (Q has negative or zero "
            "curvature along a feasible direction in which c^T x decreases). Add constraints or "
            "make Q positive definite on the null space of A."
        )
    raise SingularJacobianError(
        "qp: Q is singular on the null space of the constraints, so the minimizer is not unique "
        "(and has no derivative). Add a small multiple of the identity to Q, or constraints."
    )


def _descends(Qs: np.ndarray, c: np.ndarray, A: np.ndarray) -> bool:
    """Is there d with A d = 0, Q d = 0 and c^T d != 0 (a direction of unbounded descent)?"""
    N = scipy.linalg.null_space(np.concatenate([A, Qs])) if A.size else scipy.linalg.null_space(Qs)
    return bool(N.size and np.linalg.norm(N.T @ c) > 1e-8 * (1 + np.linalg.norm(c)))


def _check_convex(Qs: np.ndarray) -> None:
    """Q positive semidefinite, up to rounding: a Cholesky factorization of Q + 1e-10 |Q| I."""
    scale = max(1.0, float(np.max(np.abs(Qs), initial=0.0)))
    try:
        np.linalg.cholesky(Qs + 1e-10 * scale * np.eye(Qs.shape[0]))
    except np.linalg.LinAlgError:
        lowest = float(np.linalg.eigvalsh(Qs)[0])
        raise NonConvexError(
            f"qp: Q (its symmetric part) has eigenvalue {lowest:.3e} < 0; the inequality solver "
            "handles convex problems (Q positive semidefinite) only."
        ) from None


# ---- the interior-point method ------------------------------------------------------------------
@np.errstate(all="ignore")  # a diverging (infeasible) run returns None; qp diagnoses it
def _interior_point(
    Q: np.ndarray,
    c: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    G: np.ndarray,
    h: np.ndarray,
    tol: float,
    maxiter: int,
) -> tuple[Any, float]:
    """Mehrotra predictor-corrector on Q x + c + A^T y + G^T z = 0, A x = b, G x + s = h,
    s * z = 0, (s, z) >= 0; each Newton step eliminates (s, z) and solves the reduced KKT system
    [[Q + G^T W G, A^T], [A, 0]] with W = z / s (one LU per iteration, two solves).
    Returns ((x, y, z, s), residual), or (None, residual) when it does not converge."""
    n, p, m = Q.shape[0], A.shape[0], G.shape[0]
    scale = 1.0 + max(np.max(np.abs(a), initial=0.0) for a in (Q, c, A, b, G, h))
    x, y, z, s = np.zeros(n), np.zeros(p), np.ones(m), np.maximum(h, 1.0)
    res, best, best_res, stall = np.inf, None, np.inf, 0
    for _ in range(maxiter):
        r_d = Q @ x + c + A.T @ y + G.T @ z
        r_p = A @ x - b
        r_g = G @ x + s - h
        mu = s @ z / m
        res = max(np.linalg.norm(r_d), np.linalg.norm(r_p), np.linalg.norm(r_g), mu)
        if res <= tol * scale:
            return (x, y, z, s), res
        if res < best_res:
            best, best_res, stall = (x, y, z, s), res, 0
        else:  # near the solution W = z / s grows ill-conditioned; the polish takes over
            stall += 1
            if stall >= 3 and best_res <= ACCEPT * scale:
                return best, best_res
        big = max(np.max(np.abs(x), initial=0.0), np.max(np.abs(z), initial=0.0))
        if not np.isfinite(res) or big > 1e12 * scale:
            break
        w = z / s
        K = _kkt(Q + G.T @ (w[:, None] * G), A)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            lu = scipy.linalg.lu_factor(K, check_finite=False)

        state = (lu, G, r_d, r_p, r_g, s, z)
        dx, dy, dz, ds = _newton_step(state, s * z)  # predictor (affine scaling)
        a = _max_step(s, ds, z, dz)
        sigma = ((s + a * ds) @ (z + a * dz) / m / mu) ** 3
        dx, dy, dz, ds = _newton_step(state, s * z + ds * dz - sigma * mu)  # corrector
        a = min(1.0, 0.99 * _max_step(s, ds, z, dz, cap=np.inf))
        x, y, z, s = x + a * dx, y + a * dy, z + a * dz, s + a * ds
        if not np.all(np.isfinite(x)):
            break
    if best is not None and best_res <= ACCEPT * scale:
        return best, best_res
    return None, res


def _newton_step(state: tuple[Any, ...], r_sz: np.ndarray) -> tuple[np.ndarray, ...]:
    """One Newton direction with complementarity residual r_sz, (s, z) eliminated:
    (Q + G^T W G) dx + A^T dy = -r_d - G^T ((z r_g - r_sz) / s),  A dx = -r_p,
    ds = -r_g - G dx,  dz = (-r_sz - z ds) / s."""
    lu, G, r_d, r_p, r_g, s, z = state
    n = r_d.shape[0]
    rhs = np.concatenate([-r_d - G.T @ ((z * r_g - r_sz) / s), -r_p])
    d = scipy.linalg.lu_solve(lu, rhs, check_finite=False)
    dx, dy = d[:n], d[n:]
    ds = -r_g - G @ dx
    dz = (-r_sz - z * ds) / s
    return dx, dy, dz, ds


ACCEPT = 1e-6  # an iterate this close identifies the active set; _polish certifies it


def _max_step(
    s: np.ndarray, ds: np.ndarray, z: np.ndarray, dz: np.ndarray, cap: float = 1.0
) -> float:
    """The largest a <= cap with s + a ds >= 0 and z + a dz >= 0."""
    v = np.concatenate([s, z])
    dv = np.concatenate([ds, dz])
    neg = dv < 0
    return float(min(cap, np.min(-v[neg] / dv[neg], initial=np.inf)))


def _diagnose(
    Q: np.ndarray,
    c: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    G: np.ndarray,
    h: np.ndarray,
    res: float,
    maxiter: int,
) -> NoReturn:
    """After the interior-point method failed: infeasible, unbounded, or just not converged."""
    n = Q.shape[0]
    eq = {"A_eq": A, "b_eq": b} if A.shape[0] else {}
    feas = scipy.optimize.linprog(
        np.zeros(n), A_ub=G, b_ub=h, bounds=(None, None), method="highs", **eq
    )
    if feas.status == 2:
        raise InfeasibleError(
            "qp: no x satisfies A x = b and G x <= h (HiGHS proves the constraints infeasible). "
            "Relax or remove conflicting constraints."
        )
    ray = scipy.optimize.linprog(
        c,
        A_ub=G,
        b_ub=np.zeros(G.shape[0]),
        A_eq=np.concatenate([A, Q]),
        b_eq=np.zeros(A.shape[0] + n),
        bounds=(-1, 1),
        method="highs",
    )
    if ray.status == 0 and ray.fun < -1e-9 * (1 + np.linalg.norm(c)):
        raise UnboundedError(
            "qp: the objective is unbounded below: a direction d with A d = 0, G d <= 0, Q d = 0 "
            f"and c^T d = {ray.fun:.3e} < 0 stays feasible. Add constraints or curvature."
        )
    raise ConvergenceError(
        f"qp: the interior-point method did not converge in {maxiter} iterations (KKT residual "
        f"{res:.3e}). The problem may be badly scaled: rescale Q, c, A, b, G, h, or raise maxiter.",
        res,
    )
