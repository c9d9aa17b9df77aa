"""Rules (stage ④) for numerical routines built from other rules: interp, convolve, correlate,
polyval and the poly* helpers (roots, polyfit, polydiv too), cross, vander, cov, corrcoef,
real_if_close. No new primitives: each is a composite of gathers, products, sums, solves and
eigenvalues, so both modes and every order follow."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..core import primal, register
from ..extend import as_array
from ..linalg.solve import solve_triangular


# ---- interp --------------------------------------------------------------------------------------
def _interp(
    x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None
) -> Any:
    """Piecewise-linear interpolation. With i the interval of x (from the plain values) and
    t = (x - xp_i) / (xp_{i+1} - xp_i): y = fp_i + t (fp_{i+1} - fp_i). Differentiable in x
    (slope of the interval; 0 outside [xp_0, xp_-1]), in fp, and in left/right; xp is treated
    through the same formula (it may be traced, except across knots). At a knot x = xp_i the
    interval to the right is used (the right derivative)."""
    if period is not None:
        raise TypeError("pullback's numpy.interp does not support period=; wrap x yourself")
    x, xp, fp = as_array(x), as_array(xp), as_array(fp)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ValueError("fp and xp are not of the same length.")
    n = xp.shape[0]
    if n == 0:
        raise ValueError("array of sample points is empty")
    dtype = np.result_type(primal(x), primal(xp), primal(fp), float)
    if fp.dtype.kind == "c":
        dtype = np.result_type(dtype, fp.dtype)
    xv, xpv = primal(x), primal(xp)
    if n == 1:
        y = np.broadcast_to(fp[0], np.shape(xv)).astype(dtype)
    else:
        i = np.clip(np.searchsorted(xpv, xv, side="right") - 1, 0, n - 2)
        x0, x1, f0, f1 = xp[i], xp[i + 1], fp[i], fp[i + 1]
        t = (x - x0) / (x1 - x0)
        y = (f0 + t * (f1 - f0)).astype(dtype)
        y = np.where(xv == xpv[-1], fp[-1].astype(dtype), y)  # the last knot exactly
    lo = fp[0] if left is None else as_array(left)
    hi = fp[-1] if right is None else as_array(right)
    y = np.where(xv < xpv[0], as_array(lo).astype(dtype), y)
    y = np.where(xv > xpv[-1], as_array(hi).astype(dtype), y)
    return y.astype(dtype) if y.dtype != dtype else y


register(np.interp, _interp)


# ---- convolve and correlate: a Toeplitz matrix gathered from v, times a --------------------------
def _convolve_full(a: Any, v: Any) -> Any:
    """y_k = sum_i a_i v_{k-i}, k = 0..na+nv-2: y = V a with V[k, i] = v[k - i] (0 off the band),
    V gathered from [v, 0] with static ids. Bilinear in (a, v).

    The product is a multiply and a row sum, not V @ a: OpenBLAS's small float32 matrix-vector
    kernel now and then leaves the floating-point "invalid" flag set on finite data (numpy#24067,
    OpenBLAS#1924), and NumPy then warns "invalid value encountered in matmul" in a user's
    np.convolve, which NumPy's own convolve never does."""
    na, nv = a.shape[0], v.shape[0]
    k = np.arange(na + nv - 1)[:, None]
    j = k - np.arange(na)[None, :]
    ids = np.where((j >= 0) & (j < nv), j, nv)
    dtype = np.result_type(primal(a), primal(v))
    padded = np.concatenate([v.astype(dtype), np.zeros(1, dtype)])
    return np.sum(padded[ids] * a.astype(dtype), axis=1)


def _convolve(a: Any, v: Any, mode: str = "full") -> Any:
    a, v = as_array(a), as_array(v)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError("object too deep for desired array")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError("a cannot be empty" if a.shape[0] == 0 else "v cannot be empty")
    if v.shape[0] > a.shape[0]:  # NumPy swaps so that a is the longer one
        a, v = v, a
    y = _convolve_full(a, v)
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        return y
    if mode == "same":
        start = (m - 1) // 2
        return y[start : start + n]
    if mode == "valid":
        return y[m - 1 : n]
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


def _correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """c_k = sum_n a_{n+k} conj(v_n) = convolve(a, conj(v)[::-1]) (NumPy's lag order)."""
    a, v = as_array(a), as_array(v)
    if v.dtype.kind == "c":
        v = np.conj(v)
    if v.ndim == 1 and a.ndim == 1 and v.shape[0] > a.shape[0]:
        # NumPy: correlate(a, v) = correlate(v, a)[::-1] conjugated when v is the longer one
        return _correlate_swapped(a, v, mode)
    return _convolve(a, np.flip(v), mode)


def _correlate_swapped(a: Any, vc: Any, mode: str) -> Any:
    return np.flip(_convolve(np.flip(a), vc, mode))


register(np.convolve, _convolve)
register(np.correlate, _correlate)


# ---- polynomials ---------------------------------------------------------------------------------
def _polyval(p: Any, x: Any) -> Any:
    """Horner: y = (((p_0 x + p_1) x + p_2) ...) + p_n; differentiable in p and x."""
    p, x = as_array(p), as_array(x)
    if p.ndim != 1:
        raise TypeError("pullback's numpy.polyval takes a 1-d coefficient array (no poly1d)")
    y = np.zeros_like(primal(x)) + np.zeros((), primal(p).dtype)
    for k in range(p.shape[0]):
        y = y * x + p[k]
    return y


def _poly_pad(a: Any, n: int) -> Any:
    a = as_array(a)
    a = np.reshape(a, -1) if a.ndim == 0 else a
    return np.concatenate([np.zeros(n - a.shape[0], a.dtype), a]) if a.shape[0] < n else a


def _polyadd(a1: Any, a2: Any) -> Any:
    n = max(np.size(primal(a1)), np.size(primal(a2)))
    return _poly_pad(a1, n) + _poly_pad(a2, n)


def _polysub(a1: Any, a2: Any) -> Any:
    n = max(np.size(primal(a1)), np.size(primal(a2)))
    return _poly_pad(a1, n) - _poly_pad(a2, n)


def _polymul(a1: Any, a2: Any) -> Any:
    return np.convolve(np.reshape(as_array(a1), -1), np.reshape(as_array(a2), -1))


def _polyder(p: Any, m: int = 1) -> Any:
    """p_k x^(n-k) -> (n-k) p_k x^(n-k-1), m times (linear in p)."""
    p = as_array(p)
    for _ in range(int(m)):
        p = p[:-1] * np.arange(p.shape[0] - 1, 0, -1)  # an int64 factor: promotes as in NumPy
    return p


def _polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """p_k x^(n-k) -> p_k x^(n-k+1) / (n-k+1), plus the constants k (linear in p and k)."""
    p = as_array(p)
    m = int(m)
    ks = np.zeros(m) if k is None else as_array(k)
    ks = np.broadcast_to(ks, (m,)) if np.ndim(primal(ks)) == 0 else ks
    for i in range(m):
        n = p.shape[0]
        p = np.concatenate([p / np.arange(n, 0, -1, dtype=float), np.reshape(ks[i], (1,))])
    return p


def _poly(seq_of_zeros: Any) -> Any:
    """Coefficients of prod_k (x - r_k): repeated convolution with [1, -r_k] (1-d roots; the
    characteristic polynomial of a matrix needs eigenvalues and is not supported here)."""
    r = as_array(seq_of_zeros)
    if r.ndim != 1:
        raise TypeError("pullback's numpy.poly supports a 1-d sequence of roots")
    dtype = np.result_type(primal(r), 1.0)  # float32 roots stay float32, as in NumPy
    a = np.ones(1, dtype)
    for k in range(r.shape[0]):
        a = np.convolve(a, np.stack([np.ones((), dtype), -r[k].astype(dtype)]))
    return a


def _roots(p: Any) -> Any:
    """The eigenvalues of the companion matrix of p (NumPy's construction): first row
    -p[1:] / p[0], ones on the subdiagonal; leading zeros stripped on the values. The eig rule
    differentiates them (distinct roots; a repeated root has no derivative). A trailing zero
    coefficient stays in the matrix, so its root at 0 keeps its derivative -dp[-1] / p[-2]; the
    roots are then put in NumPy's order (the other roots first, the zeros last)."""
    p = np.atleast_1d(as_array(p))
    if p.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    pp = primal(p)
    non_zero = np.nonzero(np.ravel(pp))[0]
    if len(non_zero) == 0:
        return np.array([])
    p = p[int(non_zero[0]) :]
    if p.dtype.kind not in "fc":
        p = p.astype(float)
    n = p.shape[0]
    if n == 1:
        return np.zeros(0, p.dtype)
    first = -p[1:] / p[0]
    a = np.concatenate([first[None, :], np.eye(n - 2, n - 1, dtype=first.dtype)], axis=0)
    r = np.linalg.eigvals(a)
    if int(non_zero[-1]) == len(pp) - 1:
        return r
    return r[_matching(primal(r), np.roots(pp))]


def _matching(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """The permutation that puts `got` (the same numbers to rounding) in the order of `want`."""
    free = list(range(len(got)))
    order = []
    for w in want:
        k = min(free, key=lambda i: abs(got[i] - w))
        free.remove(k)
        order.append(k)
    return np.array(order, dtype=np.intp)


def _polyfit(
    x: Any,
    y: Any,
    deg: int,
    rcond: Any = None,
    full: bool = False,
    w: Any = None,
    cov: Any = False,
) -> Any:
    """NumPy's least-squares fit, differentiable in x, y and w: c = lstsq(V / scale, rhs) / scale
    with V = vander(x, deg + 1) (rows weighted by w), through the vander and lstsq rules. With
    full=True the residuals and singular values are differentiable too; with cov, the covariance
    inv(V^T V) / (scale scale^T) * resids / (len(x) - order) is."""
    order = int(deg) + 1
    x, y = as_array(x) + 0.0, as_array(y) + 0.0
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if x.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if x.size == 0:
        raise TypeError("expected non-empty vector for x")
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x.shape[0] != y.shape[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = len(x) * np.finfo(x.dtype).eps
    lhs, rhs = np.vander(x, order), y
    if w is not None:
        w = as_array(w) + 0.0
        if w.ndim != 1:
            raise TypeError("expected a 1-d array for weights")
        if w.shape[0] != y.shape[0]:
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if rhs.ndim == 2 else w)
    scale = np.sqrt(np.sum(lhs * lhs, axis=0))  # column scaling improves the conditioning
    lhs = lhs / scale
    c0, _, rank, _ = np.linalg.lstsq(lhs, rhs, rcond)
    c = (c0.T / scale).T
    if rank != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning, stacklevel=2)
    if not full and not cov:
        return c
    resid = _residuals(lhs, rhs, c0, rank, order)
    if full:
        return c, resid, rank, np.linalg.svd(lhs, compute_uv=False), rcond
    vbase = np.linalg.inv(lhs.T @ lhs) / np.outer(scale, scale)
    if cov == "unscaled":
        fac: Any = 1
    else:
        if len(x) <= order:
            raise ValueError(
                "the number of data points must exceed order to scale the covariance matrix"
            )
        fac = resid / (len(x) - order)
    return (c, vbase * fac) if y.ndim == 1 else (c, vbase[:, :, None] * fac)


def _residuals(lhs: Any, rhs: Any, c: Any, rank: int, order: int) -> Any:
    """lstsq's residues, differentiable: sum of squared residuals per column when the fit has
    full rank and more points than coefficients, else empty (as NumPy returns them)."""
    if rank != order or lhs.shape[0] <= order:
        return np.zeros(0, primal(lhs).dtype)
    r = rhs - lhs @ c
    return np.atleast_1d(np.sum(r * r, axis=0))


def _polydiv(u: Any, v: Any) -> tuple[Any, Any]:
    """u = q v + r. The quotient solves the lower-triangular Toeplitz system T q = u[:m-n+1],
    T[i, j] = v[i - j] (the leading rows of the convolution q * v), through the triangular solve
    rule; then r = u - q * v, with its leading (near-)zeros stripped as NumPy strips them
    (decided on the values). Linear in u, rational in v (docs/derivations/polydiv.md)."""
    u = np.atleast_1d(as_array(u)) + 0.0
    v = np.atleast_1d(as_array(v)) + 0.0
    dtype = np.result_type(primal(u), primal(v))
    u, v = u.astype(dtype), v.astype(dtype)
    up, vp = primal(u), primal(v)
    if vp[0] == 0:
        raise ZeroDivisionError(
            "numpy.polydiv: the divisor's leading coefficient v[0] is zero (NumPy divides by it "
            "and returns inf/nan). Strip the leading zeros of v first, e.g. v = np.trim_zeros(v, "
            "'f')."
        )
    m, n = u.shape[0] - 1, v.shape[0] - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r_len = np.polydiv(up, vp)[1].shape[0]  # NumPy's stripping of the remainder's zeros
    if m < n:
        return np.zeros(1, dtype), u[u.shape[0] - r_len :]
    k = m - n + 1
    i = np.arange(k)
    j = i[:, None] - i[None, :]
    ids = np.where((j >= 0) & (j <= n), j, n + 1)
    t = np.concatenate([v, np.zeros(1, dtype)])[ids]
    q = solve_triangular(t, u[:k], lower=True, check_finite=False)  # T q = u[:k]
    r = u - np.convolve(q, v)
    return q, r[r.shape[0] - r_len :]


register(np.polyval, _polyval)
register(np.poly, _poly)
register(np.roots, _roots)
register(np.polyfit, _polyfit)
register(np.polydiv, _polydiv)
register(np.polyadd, _polyadd)
register(np.polysub, _polysub)
register(np.polymul, _polymul)
register(np.polyder, _polyder)
register(np.polyint, _polyint)


def _vander(x: Any, N: Any = None, increasing: bool = False) -> Any:
    """V[i, j] = x_i^(N-1-j) (or x_i^j increasing), as cumulative products of x."""
    x = as_array(x)
    n = x.shape[0] if N is None else int(N)
    if n == 0:
        return np.zeros((x.shape[0], 0), primal(x).dtype)
    cols = [np.ones_like(primal(x)) + np.zeros((), primal(x).dtype)]
    for _ in range(n - 1):
        cols.append(cols[-1] * x)
    v = np.stack(cols, axis=1)
    v = v.astype(np.promote_types(v.dtype, int))  # NumPy's dtype: float32 input gives float64
    return v if increasing else np.flip(v, axis=1)


register(np.vander, _vander)


# ---- cross product -------------------------------------------------------------------------------
def _cross(
    a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None
) -> Any:
    """a x b over 3-vectors (or 2-vectors: the z component), bilinear; the component axes are
    moved last, combined, and the result's axis put at axisc."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_array(a), as_array(b)
    a = np.moveaxis(a, normalize_axis_index(axisa, a.ndim), -1)
    b = np.moveaxis(b, normalize_axis_index(axisb, b.ndim), -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors "
            "instead. (deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
        return z
    a2 = a[..., 2] if a.shape[-1] == 3 else None
    b2 = b[..., 2] if b.shape[-1] == 3 else None
    if a2 is None:  # a = (a0, a1, 0)
        x, y = a1 * b2, -(a0 * b2)
    elif b2 is None:  # b = (b0, b1, 0)
        x, y = -(a2 * b1), a2 * b0
    else:
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    x, y, z = np.broadcast_arrays(x, y, z)
    c = np.stack([x, y, z], axis=-1)
    return np.moveaxis(c, -1, normalize_axis_index(axisc, c.ndim))


register(np.cross, _cross)


# ---- covariance and correlation ------------------------------------------------------------------
def _cov(
    m: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: Any = None,
    fweights: Any = None,
    aweights: Any = None,
    *,
    dtype: Any = None,
) -> Any:
    """C = X_c X_c^H / (N - ddof), X_c = X - mean over observations (no weights)."""
    if fweights is not None or aweights is not None:
        raise TypeError("pullback's numpy.cov does not support fweights/aweights")
    m = as_array(m)
    if m.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    x = np.atleast_2d(m)
    if not rowvar and x.shape[0] != 1:
        x = x.T
    if y is not None:
        yy = np.atleast_2d(as_array(y))
        if not rowvar and yy.shape[0] != 1:
            yy = yy.T
        x = np.concatenate([x, yy], axis=0)
    work = np.result_type(primal(x), np.float64) if dtype is None else np.dtype(dtype)
    x = x.astype(work) if x.dtype != work else x
    if ddof is None:
        ddof = 0 if bias else 1
    n = x.shape[1]
    xc = x - np.mean(x, axis=1, keepdims=True)
    xh = np.conj(xc.T) if xc.dtype.kind == "c" else xc.T
    c = (xc @ xh) / (n - ddof)
    return np.squeeze(c)


def _corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """R_ij = C_ij / sqrt(C_ii C_jj), clipped to [-1, 1] as NumPy does."""
    c = _cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return c / c
    d = np.diag(c)
    s = np.sqrt(d)
    r = c / s[:, None] / s[None, :]
    return np.clip(r, -1, 1)


register(np.cov, _cov)
register(np.corrcoef, _corrcoef)


def _real_if_close(a: Any, tol: float = 100) -> Any:
    """a.real when a is complex and every |imag| < tol (in machine epsilons when tol > 1),
    decided on the values; a unchanged otherwise. np.real carries the derivative."""
    a = as_array(a)
    if a.dtype.kind != "c":
        return a
    if tol > 1:
        tol = np.finfo(a.dtype).eps * tol
    if np.all(np.abs(np.imag(primal(a))) < tol):
        return np.real(a)
    return a


register(np.real_if_close, _real_if_close)
