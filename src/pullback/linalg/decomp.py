"""pullback.linalg rules (stage ④): eigh, eigvalsh, eig, eigvals, svd, svdvals, qr (and np.linalg's
spellings). Each decomposition runs once on the plain numbers; its outputs are the residuals, and
every JVP/VJP is NumPy code on them (every order). Derivations: docs/derivations/{eigh,svd,qr,eig}
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.linalg

from ..core.traced import Traced, primal
from ..errors import (
    DecompositionError,
    DegenerateEigenvalueWarning,
    UndefinedDerivativeError,
    UnsupportedFunctionError,
)
from ..extend import Rule, as_array, register

__all__ = ["eig", "eigh", "eigvals", "eigvalsh", "qr", "svd", "svdvals"]

_EighResult = type(np.linalg.eigh(np.eye(1)))
_EigResult = type(np.linalg.eig(np.eye(1)))
_SVDResult = type(np.linalg.svd(np.eye(1)))
_QRResult = type(np.linalg.qr(np.eye(1)))

# Two eigenvalues (singular values) count as equal when |l_i - l_j| <= GAP * eps * max|l|.
GAP = 100.0


# ---- shared helpers (all traced-safe: they call only registered NumPy functions) ----------------
def _mT(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


def _mH(x: Any) -> Any:
    return np.conj(_mT(x)) if np.iscomplexobj(x) else _mT(x)


def _add(a: Any, b: Any) -> Any:
    """a + b where None stands for zero."""
    return b if a is None else (a if b is None else a + b)


def _diag(x: Any) -> Any:
    return np.diagonal(x, axis1=-2, axis2=-1)


def _embed(d: Any) -> Any:
    """diag(d) as a (..., n, n) matrix."""
    return np.expand_dims(d, -1) * np.eye(d.shape[-1], dtype=d.dtype)


def _traced(*xs: Any) -> bool:
    return any(isinstance(x, Traced) for x in xs)


def _eps(dtype: Any) -> float:
    return float(np.finfo(dtype).eps)


def _coincide(x: np.ndarray, sign: float) -> np.ndarray:
    """Plain mask[..., i, j]: x_j + sign * x_i is zero up to GAP * eps * max|x| (the diagonal too
    where that holds there)."""
    d = x[..., None, :] + sign * x[..., :, None]
    scale = np.max(np.abs(x), axis=-1, initial=0.0)[..., None, None]
    return np.abs(d) <= GAP * _eps(x.dtype) * np.maximum(scale, np.finfo(x.dtype).tiny)


def _inv_gap(x: Any, mask: np.ndarray, sign: float) -> Any:
    """F[..., i, j] = 1 / (x_j + sign * x_i), and 0 where mask holds (coinciding values)."""
    d = np.expand_dims(x, -2) + sign * np.expand_dims(x, -1)
    one = np.ones((), d.dtype)
    return np.where(mask, np.zeros((), d.dtype), one / np.where(mask, one, d))


def _check_input(name: str, x: np.ndarray, square: bool = True) -> None:
    if x.ndim < 2:
        raise DecompositionError(
            f"{name}: {x.ndim}-dimensional array given; it needs a matrix or a stack of matrices "
            "(..., m, n)."
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise DecompositionError(
            f"{name}: the last two dimensions must be square, got shape {x.shape}."
        )
    if not np.all(np.isfinite(x)):
        raise DecompositionError(
            f"{name}: the input contains NaN or Inf, so the decomposition (and its derivative) "
            "is undefined. Check the computation that produced the matrix."
        )


def _lapack(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as e:
        raise DecompositionError(
            f"{name}: LAPACK failed ({e}). The matrix is too ill-conditioned for this "
            "decomposition; rescale it or check its entries."
        ) from e


def _unphase(x: np.ndarray) -> np.ndarray:
    """Unit factors c with x * c real where x has an imaginary part (1 elsewhere): they move a
    LAPACK whose phase convention differs to the one the rules assume (no-op with NumPy's)."""
    if not np.iscomplexobj(x) or not np.any(np.imag(x)):
        return np.ones(x.shape, x.dtype)
    r = np.abs(x)
    return np.where(np.imag(x) != 0, np.conj(x) / np.where(r > 0, r, 1.0), 1.0)


def _warn(name: str, what: str) -> None:
    warnings.warn(
        f"{name}: {what} The gradient returned is finite but is the one for the basis LAPACK "
        f"chose, not a derivative (docs/derivations/{name}.md, repeated values). Separate the "
        "repeated values, or make the loss depend on them through basis-independent quantities "
        "(functions of the values alone, projectors onto whole eigenspaces).",
        DegenerateEigenvalueWarning,
        stacklevel=4,
    )


def _large(x: Any, scale: float) -> np.ndarray:
    """Plain mask: |x| above sqrt(eps) * scale (roundoff in a cotangent of that size is less)."""
    x = np.asarray(primal(x))
    return np.abs(x) > np.sqrt(_eps(x.real.dtype)) * max(scale, np.finfo(x.real.dtype).tiny)


def _scale(*xs: Any) -> float:
    return max(
        (float(np.max(np.abs(primal(x)), initial=0.0)) for x in xs if x is not None), default=0
    )


def _check_degenerate(
    name: str,
    what: tuple[str, str],
    pairs: np.ndarray,
    vbar: Any,
    skew: Any,
    sym: Any,
    scale: float,
) -> None:
    """Warn when a cotangent meets a repeated value (`pairs[..., i, j]`: value i equals j) in a
    way the masked rule cannot differentiate. vbar: the values' cotangent; skew, sym: the
    antisymmetric and symmetric parts of V^T Vbar (None when the vectors are unused), whose
    entries have magnitude up to `scale`."""
    if not pairs.any():
        return
    value, vectors = what
    if vbar is not None:
        vb = np.asarray(primal(vbar))
        if np.any(_large(vb[..., None, :] - vb[..., :, None], _scale(vb))[pairs]):
            _warn(name, f"the loss weighs two equal {value}s differently (not differentiable).")
        used = _large(vb, _scale(vb))
        used = used[..., None, :] | used[..., :, None]
        if sym is not None and np.any((_large(sym, scale) & used)[pairs]):
            _warn(
                name,
                f"the loss combines a repeated {value} with its {vectors}s (as V diag(w) V^T "
                "does); its derivative there needs a divided difference the rule cannot see.",
            )
    if skew is not None and np.any(_large(skew, scale)[pairs]):
        _warn(name, f"the loss depends on the {vectors} basis of a repeated {value}.")


# ---- eigh: symmetric / Hermitian eigendecomposition (docs/derivations/eigh.md) -------------------
def _eigh_fwd(s: Any, *, w: np.ndarray, v: np.ndarray, row: int) -> tuple[Any, Any]:
    if isinstance(s, Traced):  # a lower trace level: the same precomputed numbers, traced there
        w_t, v_t = EIGH.bind(s, w=w, v=v, row=row)
    else:
        w_t, v_t = w, v
    off = _coincide(w, -1.0)  # pairs of equal eigenvalues (and the diagonal)
    return (w_t, v_t), (w_t, v_t, off, row)


def _eigh_jvp(res: Any, sdot: Any) -> Any:
    # P = V^H Sdot V, wdot = diag(P), Vdot = V (F o P) (+ V diag(i theta) for complex V, with
    # theta_i = -Im(Vdot_ri) / V_ri keeping LAPACK's real row r)     (docs/derivations/eigh.md)
    w, v, off, row = res
    if sdot is None:
        return None
    p = _mH(v) @ sdot @ v
    g = v @ (_inv_gap(w, off, -1.0) * p)  # F_ij = 1/(w_j - w_i), 0 where w_i = w_j
    if not np.iscomplexobj(v):
        return _diag(p), g
    theta = -np.imag(g[..., row, :]) / np.real(v[..., row, :])
    return np.real(_diag(p)), g + v * np.expand_dims(1j * theta, -2)


def _eigh_vjp(res: Any, ybar: Any) -> tuple[Any]:
    # Sbar = V (diag(wbar) + F o (M - M^H) / 2) V^H, M = V^H (Vbar + X), X zero but for row r:
    # X_ri = -i Im(v_i^H vbar_i) / V_ri (complex V only)             (docs/derivations/eigh.md)
    w, v, off, row = res
    wbar, vbar = ybar
    mid = None if wbar is None else _embed(wbar)
    m = skew = None
    if vbar is not None:
        if np.iscomplexobj(v):
            e = np.sum(np.conj(v) * vbar, axis=-2)
            x = np.expand_dims(-1j * np.imag(e) / np.real(v[..., row, :]), -2)
            in_row = np.arange(v.shape[-2])[:, None] == row
            vbar = vbar + np.where(in_row, x, np.zeros((), v.dtype))
        m = _mH(v) @ vbar
        skew = m - _mH(m)
    pairs = off & ~np.eye(off.shape[-1], dtype=bool)
    if pairs.any():
        sym = None if m is None else m + _mH(m)
        _check_degenerate("eigh", ("eigenvalue", "eigenvector"), pairs, wbar, skew, sym, _scale(m))
    if skew is not None:
        mid = _add(mid, _inv_gap(w, off, -1.0) * skew * 0.5)
    return (v @ mid @ _mH(v),)


EIGH = Rule("eigh", _eigh_fwd, _eigh_jvp, _eigh_vjp, multiple_results=True)


def _hermitian_from(a: Any, lower: bool) -> Any:
    """The matrix LAPACK reads: one strict triangle of a, mirrored (conjugated), and the real
    part of the diagonal: S = L + L^H + diag(Re a_ii) with L = tril(a, -1) (triu for upper)."""
    t = np.tril(a, -1) if lower else np.triu(a, 1)
    d = _diag(a)
    return t + _mH(t) + _embed(np.real(d) if np.iscomplexobj(d) else d)


def _eigh_traced(name: str, a: Any, lower: bool) -> tuple[Any, Any]:
    plain = np.asarray(primal(a))
    _check_input(name, plain)
    w, v = _lapack(name, np.linalg.eigh, plain, UPLO="L" if lower else "U")
    row = 0 if lower else plain.shape[-1] - 1
    v = v * _unphase(v[..., row, :])[..., None, :]
    # LAPACK's phase: row 0 (lower) or row n - 1 (upper) of V is real
    return EIGH.bind(_hermitian_from(a, lower), w=w, v=v, row=row)


def eigh(
    a: Any,
    b: Any = None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,
    check_finite: bool = True,
    subset_by_index: Any = None,
    subset_by_value: Any = None,
    driver: str | None = None,
) -> Any:
    """scipy.linalg.eigh, differentiable: eigenvalues w (ascending) and eigenvectors V of a real
    symmetric or complex Hermitian matrix, A V = V diag(w); batched over leading axes.

    Only the `lower` (or upper) triangle of `a` is read, as LAPACK does, so the gradient with
    respect to `a` lives on that triangle (off-diagonal entries count twice). Complex V follows
    LAPACK's phase (row 0 of V real; row n - 1 for the upper triangle). Repeated
    eigenvalues: finite derivatives; a DegenerateEigenvalueWarning when the cotangent depends
    on the basis chosen inside their eigenspace. Not supported on traced input: `b`, subsets.

    >>> import pullback as pb
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> g = pb.grad(lambda a: np.sum(eigh(a, eigvals_only=True) ** 2))(A)  # sum(w^2) = |A|_F^2
    >>> np.allclose(g, [[4.0, 0.0], [4.0, 6.0]])  # 2A on the lower triangle, off-diagonals twice
    True
    """
    if not _traced(a, b):
        return scipy.linalg.eigh(
            a,
            b,
            lower=lower,
            eigvals_only=eigvals_only,
            overwrite_a=overwrite_a,
            overwrite_b=overwrite_b,
            type=type,
            check_finite=check_finite,
            subset_by_index=subset_by_index,
            subset_by_value=subset_by_value,
            driver=driver,
        )
    _refuse_eigh_options(eigh, b, subset_by_index, subset_by_value)
    w, v = _eigh_traced("pullback.linalg.eigh", as_array(a), lower)
    return w if eigvals_only else (w, v)


def _refuse_eigh_options(fn: Any, b: Any, by_index: Any, by_value: Any) -> None:
    if b is not None or by_index is not None or by_value is not None:
        raise UnsupportedFunctionError(
            fn,
            "argument 'a'",
            "The generalized problem (b) and eigenvalue subsets are not supported on traced "
            "input; call it with a only and select eigenvalues by indexing the result.",
        )


def eigvalsh(a: Any, b: Any = None, *, lower: bool = True, **kwargs: Any) -> Any:
    """scipy.linalg.eigvalsh, differentiable: the eigenvalues of a real symmetric or complex
    Hermitian matrix (the same keywords as scipy.linalg.eigvalsh)."""
    if not _traced(a, b):
        return scipy.linalg.eigvalsh(a, b, lower=lower, **kwargs)
    by_index, by_value = kwargs.get("subset_by_index"), kwargs.get("subset_by_value")
    _refuse_eigh_options(eigvalsh, b, by_index, by_value)
    return _eigh_traced("pullback.linalg.eigvalsh", as_array(a), lower)[0]


def _np_eigh(a: Any, UPLO: str = "L") -> Any:
    w, v = _eigh_traced("numpy.linalg.eigh", as_array(a), _uplo(UPLO))
    return _EighResult(w, v)


def _np_eigvalsh(a: Any, UPLO: str = "L") -> Any:
    return _eigh_traced("numpy.linalg.eigvalsh", as_array(a), _uplo(UPLO))[0]


def _uplo(uplo: str) -> bool:
    if uplo not in ("L", "U", "l", "u"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return uplo.upper() == "L"


register(np.linalg.eigh, _np_eigh)
register(np.linalg.eigvalsh, _np_eigvalsh)


# ---- svd (docs/derivations/svd.md) -------------------------------------------------------------
def _svd_fwd(a: Any, *, u: np.ndarray, s: np.ndarray, vh: np.ndarray) -> tuple[Any, Any]:
    if isinstance(a, Traced):
        u_t, s_t, vh_t = SVD.bind(a, u=u, s=s, vh=vh)
    else:
        u_t, s_t, vh_t = u, s, vh
    eye = np.eye(s.shape[-1], dtype=bool)
    minus = _coincide(s, -1.0)  # s_i = s_j (repeated singular values, and the diagonal)
    plus = _coincide(s, 1.0) | eye  # s_i + s_j = 0 (two zero singular values); diagonal unused
    zero = np.abs(s) <= GAP * _eps(s.dtype) * np.max(s, axis=-1, initial=0.0)[..., None]
    m, n = a.shape[-2:]
    return (u_t, s_t, vh_t), (u_t, s_t, vh_t, minus, plus, zero, m, n)


def _safe_inv(s: Any, zero: np.ndarray) -> Any:
    one = np.ones((), s.dtype)
    return np.where(zero, np.zeros((), s.dtype), one / np.where(zero, one, s))


def _svd_jvp(res: Any, adot: Any) -> Any:
    # P = U^H Adot V, sdot = Re diag(P), and with F-_ij = 1/(s_j - s_i), F+_ij = 1/(s_j + s_i):
    # Udot = U (F- o (P + P^H) + F+ o (P - P^H)) / 2 + (I - U U^H) Adot V S^-1 (+ U diag(i a))
    # Vdot = V (F- o (P + P^H) - F+ o (P - P^H)) / 2 + (I - V V^H) Adot^H U S^-1 (+ V diag(i b))
    # complex only: a - b = Im diag(P) / s, and row 0 of V (of U if m < n) stays real
    # (docs/derivations/svd.md)
    u, s, vh, minus, plus, zero, m, n = res
    if adot is None:
        return None
    v = _mH(vh)
    adv = adot @ v
    p = _mH(u) @ adv
    sym = _inv_gap(s, minus, -1.0) * (p + _mH(p)) * 0.5
    skew = _inv_gap(s, plus, 1.0) * (p - _mH(p)) * 0.5
    udot = u @ (sym + skew)
    vdot = v @ (sym - skew)
    inv_s = _safe_inv(s, zero)
    if m > n:
        udot = udot + (adv - u @ p) * np.expand_dims(inv_s, -2)
    if n > m:
        vdot = vdot + (_mH(adot) @ u - v @ _mH(p)) * np.expand_dims(inv_s, -2)
    if not np.iscomplexobj(p):
        return udot, _diag(p), _mH(vdot)
    gap = np.imag(_diag(p)) * inv_s  # a - b
    if m >= n:
        b = -np.imag(vdot[..., 0, :]) / np.real(v[..., 0, :])
        a = b + gap
    else:
        a = -np.imag(udot[..., 0, :]) / np.real(u[..., 0, :])
        b = a - gap
    udot = udot + u * np.expand_dims(1j * a, -2)
    vdot = vdot + v * np.expand_dims(1j * b, -2)
    return udot, np.real(_diag(p)), _mH(vdot)


def _svd_vjp(res: Any, ybar: Any) -> tuple[Any]:
    # Abar = U (diag(sbar) + F- o (X + Y) / 2 + F+ o (X - Y) / 2 + i diag(g)) V^H
    #        + (I - U U^H) Ubar S^-1 V^H + U S^-1 Vbar^H (I - V V^H),
    # X = C - C^H, C = U^H Ubar; Y = D - D^H, D = V^H Vbar; for complex U, V: g = Im C_ii / s_i
    # (m >= n; -Im D_ii / s_i if m < n), and Vbar (Ubar if m < n) gains row 0:
    # -i (Im C_ii + Im D_ii) / V_0i                                   (docs/derivations/svd.md)
    u, s, vh, minus, plus, zero, m, n = res
    ubar, sbar, vhbar = ybar
    v = _mH(vh)
    vbar = None if vhbar is None else _mH(vhbar)
    c = None if ubar is None else _mH(u) @ ubar
    d = None if vbar is None else _mH(v) @ vbar
    inv_s = _safe_inv(s, zero)
    mid = None if sbar is None else _embed(sbar)
    if np.iscomplexobj(u) and (c is not None or d is not None):
        im_c = 0.0 if c is None else np.imag(_diag(c))
        im_d = 0.0 if d is None else np.imag(_diag(d))
        side, row = (v, vbar) if m >= n else (u, ubar)
        z = -1j * (im_c + im_d) / np.real(side[..., 0, :])
        in_row = np.arange(side.shape[-2])[:, None] == 0
        row = _add(row, np.where(in_row, np.expand_dims(z, -2), np.zeros((), side.dtype)))
        if m >= n:
            vbar, d = row, _mH(v) @ row
            g = im_c * inv_s
        else:
            ubar, c = row, _mH(u) @ row
            g = -im_d * inv_s
        mid = _add(mid, _embed(1j * g))
    u_out = ubar - u @ c if c is not None and m > n else None  # (I - U U^H) Ubar
    v_out = vbar - v @ d if d is not None and n > m else None  # (I - V V^H) Vbar
    _svd_check(res, sbar, c, d, u_out, v_out)
    if c is not None or d is not None:
        x = None if c is None else c - _mH(c)
        y = None if d is None else d - _mH(d)
        xy_sum, xy_dif = _add(x, y), _add(x, None if y is None else -y)
        term = _inv_gap(s, minus, -1.0) * xy_sum * 0.5 + _inv_gap(s, plus, 1.0) * xy_dif * 0.5
        mid = _add(mid, term)
    abar = None if mid is None else u @ mid @ vh
    inv_s = np.expand_dims(inv_s, -2)
    if u_out is not None:
        abar = _add(abar, (u_out * inv_s) @ vh)
    if v_out is not None:
        abar = _add(abar, u @ _mH(v_out * inv_s))
    return (abar,)


def _svd_check(res: Any, sbar: Any, c: Any, d: Any, u_out: Any, v_out: Any) -> None:
    """The DegenerateEigenvalueWarning cases of svd (docs/derivations/svd.md), on plain values."""
    _, s, _, minus, plus, zero, _, _ = res
    k = s.shape[-1]
    scale = _scale(c, d)
    if zero.any():
        if sbar is not None and np.any(_large(sbar, _scale(sbar))[zero]):
            _warn("svd", "the loss depends on a zero singular value (not differentiable there).")
        for r, side in ((u_out, "left"), (v_out, "right")):
            if r is not None and np.any(_large(r, _scale(r, scale)) & zero[..., None, :]):
                _warn("svd", f"the loss depends on a {side} singular vector of a zero value.")
    cc = None if c is None else np.asarray(primal(c))
    dd = None if d is None else np.asarray(primal(d))
    skew = _add(None if cc is None else cc - _mH(cc), None if dd is None else dd - _mH(dd))
    sym = _add(None if cc is None else cc + _mH(cc), None if dd is None else dd + _mH(dd))
    both_zero = plus & ~np.eye(k, dtype=bool)
    if both_zero.any() and skew is not None:
        dif = _add(None if cc is None else cc - _mH(cc), None if dd is None else _mH(dd) - dd)
        if np.any(_large(dif, scale)[both_zero]):
            _warn("svd", "the loss depends on the singular vector basis of a zero value.")
    pairs = minus & ~np.eye(k, dtype=bool)
    if pairs.any():
        what = ("singular value", "singular vector")
        _check_degenerate("svd", what, pairs, sbar, skew, sym, scale)


SVD = Rule("svd", _svd_fwd, _svd_jvp, _svd_vjp, multiple_results=True)


def _svd_traced(name: str, a: Any, full_matrices: bool, compute_uv: bool) -> Any:
    plain = np.asarray(primal(a))
    _check_input(name, plain, square=False)
    m, n = plain.shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise UndefinedDerivativeError(
            f"{name}: with full_matrices=True on a {m}x{n} (non-square) matrix, the extra "
            f"{max(m, n) - min(m, n)} singular vectors are an arbitrary basis of a null space, so "
            "they have no derivative. Pass full_matrices=False (the reduced SVD reconstructs the "
            "same matrix), or compute_uv=False for the singular values alone."
        )
    u, s, vh = _lapack(name, np.linalg.svd, plain, full_matrices=False)
    c = _unphase(np.conj(vh[..., :, 0]) if m >= n else u[..., 0, :])
    u, vh = u * c[..., None, :], vh * np.conj(c)[..., :, None]
    return SVD.bind(a, u=u, s=s, vh=vh)


def svd(
    a: Any,
    full_matrices: bool = True,
    compute_uv: bool = True,
    overwrite_a: bool = False,
    check_finite: bool = True,
    lapack_driver: str = "gesdd",
) -> Any:
    """scipy.linalg.svd, differentiable: A = U diag(s) Vh, real or complex, tall, wide or square,
    batched over leading axes. Complex vectors follow LAPACK's phase (row 0 of V real; of U when
    m < n). On traced non-square input, full_matrices=True with
    compute_uv=True raises UndefinedDerivativeError (the extra vectors are arbitrary): pass
    full_matrices=False. Repeated or zero singular values: finite derivatives; a
    DegenerateEigenvalueWarning when the cotangent depends on the basis chosen for them."""
    if not _traced(a):
        return scipy.linalg.svd(
            a,
            full_matrices=full_matrices,
            compute_uv=compute_uv,
            overwrite_a=overwrite_a,
            check_finite=check_finite,
            lapack_driver=lapack_driver,
        )
    u, s, vh = _svd_traced("pullback.linalg.svd", a, full_matrices, compute_uv)
    return (u, s, vh) if compute_uv else s


def svdvals(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """scipy.linalg.svdvals, differentiable: the singular values (descending)."""
    if not _traced(a):
        return scipy.linalg.svdvals(a, overwrite_a=overwrite_a, check_finite=check_finite)
    return _svd_traced("pullback.linalg.svdvals", a, False, False)[1]


def _np_svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    a = as_array(a)
    if hermitian:
        raise UnsupportedFunctionError(
            np.linalg.svd,
            f"argument 0 (shape {a.shape}, dtype {a.dtype})",
            "hermitian=True is not supported on traced input; call it with hermitian=False "
            "(the same numbers), or use np.linalg.eigh for a symmetric matrix.",
        )
    u, s, vh = _svd_traced("numpy.linalg.svd", a, full_matrices, compute_uv)
    return _SVDResult(u, s, vh) if compute_uv else s


def _np_svdvals(x: Any, /) -> Any:
    return _svd_traced("numpy.linalg.svdvals", as_array(x), False, False)[1]


register(np.linalg.svd, _np_svd)
if hasattr(np.linalg, "svdvals"):  # NumPy >= 2.0
    register(np.linalg.svdvals, _np_svdvals)


# ---- linear solve (private; QR's and eig's derivatives apply R^-1 and V^-1) -------------------
def _solve_fwd(t: Any, b: Any, *, kind: str) -> tuple[Any, Any]:
    if _traced(t, b):
        x = SOLVE.bind(t, b, kind=kind)
    elif kind == "general":
        x = _lapack("eig", np.linalg.solve, t, b)  # V^-1: singular for a defective matrix
    else:
        x = scipy.linalg.solve_triangular(t, b, lower=kind == "lower", check_finite=False)
    return x, (t, x, kind)


def _structured(x: Any, kind: str) -> Any:
    """The part of x that a solve with this kind of matrix reads (its triangle)."""
    return np.tril(x) if kind == "lower" else (np.triu(x) if kind == "upper" else x)


def _solve_jvp(res: Any, tdot: Any, bdot: Any) -> Any:
    t, x, kind = res  # Xdot = T^-1 (Bdot - Tdot X), Tdot restricted to T's structure
    rhs = bdot
    if tdot is not None:
        tx = _structured(tdot, kind) @ x
        rhs = -tx if bdot is None else bdot - tx
    return SOLVE.bind(t, rhs, kind=kind)


_ADJOINT_KIND = {"general": "general", "lower": "upper", "upper": "lower"}


def _solve_vjp(res: Any, xbar: Any) -> tuple[Any, Any]:
    t, x, kind = res  # Bbar = T^-H Xbar, Tbar = -structured(Bbar X^H)
    bbar = SOLVE.bind(_mH(t), xbar, kind=_ADJOINT_KIND[kind])
    return -_structured(bbar @ _mH(x), kind), bbar


SOLVE = Rule("solve", _solve_fwd, _solve_jvp, _solve_vjp)


def _right_divide_upper(b: Any, r: Any) -> Any:
    """B R^-1 for upper-triangular R, as (R^-T B^T)^T (plain transposes, also for complex R)."""
    return _mT(SOLVE.bind(_mT(r), _mT(b), kind="lower"))


# ---- qr (docs/derivations/qr.md) -----------------------------------------------------------------
def _qr_fwd(a: Any, *, q: np.ndarray, r: np.ndarray) -> tuple[Any, Any]:
    if isinstance(a, Traced):
        q_t, r_t = QR.bind(a, q=q, r=r)
    else:
        q_t, r_t = q, r
    return (q_t, r_t), (q_t, r_t)


def _copyltu(m: Any) -> Any:
    """The Hermitian matrix with m's strict lower triangle and real diagonal:
    tril(M, -1) + tril(M, -1)^H + diag(Re M_ii) (tril(M) + tril(M, -1)^T for real M)."""
    low = np.tril(m, -1)
    d = _diag(m)
    return low + _mH(low) + _embed(np.real(d) if np.iscomplexobj(d) else d)


def _qr_jvp(res: Any, adot: Any) -> Any:
    # B = Adot R^-1, C = Q^H B, K = triu(C, 1) + tril(C, -1)^H + diag(Re C_ii) (real diag(R)):
    # Rdot = K R,  Qdot = B - Q K                                         (docs/derivations/qr.md)
    q, r = res
    if adot is None:
        return None
    b = _right_divide_upper(adot, r)
    c = _mH(q) @ b
    d = _diag(c)
    k = np.triu(c, 1) + _mH(np.tril(c, -1)) + _embed(np.real(d) if np.iscomplexobj(d) else d)
    return b - q @ k, k @ r


def _qr_vjp(res: Any, ybar: Any) -> tuple[Any]:
    # M = R triu(Rbar)^H - Qbar^H Q;  Abar = (Qbar + Q copyltu(M)) R^-H   (docs/derivations/qr.md)
    q, r = res
    qbar, rbar = ybar
    m = None if rbar is None else r @ _mH(np.triu(rbar))
    if qbar is not None:
        m = _add(m, -(_mH(qbar) @ q))
    b = _add(q @ _copyltu(m), qbar)
    return (_mH(SOLVE.bind(r, _mH(b), kind="upper")),)  # B R^-H = (R^-1 B^H)^H


QR = Rule("qr", _qr_fwd, _qr_jvp, _qr_vjp, multiple_results=True)


def _qr_traced(name: str, a: Any, complete: bool) -> tuple[Any, Any]:
    """Reduced QR of a traced matrix; a wide A = [X | Y] is X = Q R_X, R = [R_X | Q^H Y]."""
    plain = np.asarray(primal(a))
    _check_input(name, plain, square=False)
    m, n = plain.shape[-2:]
    if complete and m > n:
        raise UndefinedDerivativeError(
            f"{name}: the complete QR of a {m}x{n} (tall) matrix has {m - n} extra columns of Q "
            "that are an arbitrary basis of the orthogonal complement, so they have no "
            "derivative. Use the reduced QR (np.linalg.qr mode='reduced', or "
            "pullback.linalg.qr mode='economic')."
        )
    if m >= n:
        q, r = _lapack(name, np.linalg.qr, plain)
        _check_full_rank(name, r)
        return QR.bind(a, q=q, r=r)
    x, y = a[..., :, :m], a[..., :, m:]
    q, r = _lapack(name, np.linalg.qr, plain[..., :, :m])
    _check_full_rank(name, r)
    q_t, rx = QR.bind(x, q=q, r=r)
    return q_t, np.concatenate([rx, _mH(q_t) @ y], axis=-1)


def _check_full_rank(name: str, r: np.ndarray) -> None:
    d = np.abs(_diag(r))
    if np.any(d <= GAP * _eps(r.dtype) * np.max(d, axis=-1, initial=0.0)[..., None]):
        raise DecompositionError(
            f"{name}: the matrix (its leading min(m, n) columns) is rank-deficient, so Q is not "
            "unique and QR has no derivative there. Use svd for rank-deficient matrices."
        )


def qr(
    a: Any,
    overwrite_a: bool = False,
    lwork: int | None = None,
    mode: str = "full",
    pivoting: bool = False,
    check_finite: bool = True,
) -> Any:
    """scipy.linalg.qr, differentiable: A = Q R (real diag(R), as LAPACK) for a real or complex
    matrix of full column rank (its leading min(m, n) columns for a wide one). Modes 'full'
    (Q square; on traced input only for m <= n, where it equals 'economic'), 'economic' and 'r';
    not 'raw' or pivoting."""
    if not _traced(a):
        return scipy.linalg.qr(
            a,
            overwrite_a=overwrite_a,
            lwork=lwork,
            mode=mode,
            pivoting=pivoting,
            check_finite=check_finite,
        )
    a = as_array(a)
    if mode not in ("full", "economic", "r") or pivoting:
        raise UnsupportedFunctionError(
            qr,
            f"argument 'a' (shape {a.shape}, dtype {a.dtype})",
            "Only modes 'full', 'economic' and 'r' without pivoting are supported on traced input.",
        )
    q, r = _qr_traced("pullback.linalg.qr", a, mode == "full")
    if mode != "r":
        return q, r
    m, n = a.shape[-2:]
    if m > n:  # SciPy's mode='r' returns the (m, n) R of the full QR: zero rows below
        r = np.concatenate([r, np.zeros((*r.shape[:-2], m - n, n), r.dtype)], axis=-2)
    return (r,)


def _np_qr(a: Any, mode: str = "reduced") -> Any:
    a = as_array(a)
    if mode not in ("reduced", "complete", "r"):
        raise UnsupportedFunctionError(
            np.linalg.qr,
            f"argument 0 (shape {a.shape}, dtype {a.dtype})",
            f"mode={mode!r} is not supported on traced input; use 'reduced', 'complete' or 'r'.",
        )
    q, r = _qr_traced("numpy.linalg.qr", a, mode == "complete")
    return r if mode == "r" else _QRResult(q, r)


register(np.linalg.qr, _np_qr)


# ---- eig: general eigendecomposition (docs/derivations/eig.md) -----------------------------------
def _eig_fwd(a: Any, *, w: np.ndarray, v: np.ndarray) -> tuple[Any, Any]:
    if isinstance(a, Traced):
        w_t, v_t = EIG.bind(a, w=w, v=v)
    else:
        w_t, v_t = w, v
    off = _coincide_complex(w)
    # LAPACK's phase: column i has unit norm and its largest entry, row k_i, real
    k = np.argmax(np.abs(v), axis=-2)
    return (w_t, v_t), (w_t, v_t, off, k, np.iscomplexobj(a))


def _coincide_complex(w: np.ndarray) -> np.ndarray:
    d = np.abs(w[..., None, :] - w[..., :, None])
    scale = np.max(np.abs(w), axis=-1, initial=0.0)[..., None, None]
    return d <= GAP * _eps(w.real.dtype) * np.maximum(scale, np.finfo(w.real.dtype).tiny)


def _largest_entry(v: Any, k: np.ndarray) -> Any:
    """v[..., k_i, i] for each column i (real-valued by LAPACK's phase convention)."""
    return np.take_along_axis(v, np.expand_dims(k, -2), axis=-2)[..., 0, :]


def _eig_jvp(res: Any, adot: Any) -> Any:
    # P = V^-1 Adot V, wdot = diag(P), G = V (F o P) with F_ij = 1/(w_j - w_i);
    # Vdot = G + V diag(c): Re c_i = -Re(v_i^H g_i) keeps |v_i| = 1, and for complex V
    # Im c_i = -Im(G_ki) / v_ki keeps the largest entry v_ki real (LAPACK's phase)
    # (docs/derivations/eig.md)
    w, v, off, k, _ = res
    if adot is None:
        return None
    p = SOLVE.bind(v, adot @ v, kind="general")
    g = v @ (_inv_gap(w, off, -1.0) * p)
    if np.iscomplexobj(v):
        c = -np.real(np.sum(np.conj(v) * g, axis=-2)) - 1j * (
            np.imag(_largest_entry(g, k)) / np.real(_largest_entry(v, k))
        )
    else:
        c = -np.sum(v * g, axis=-2)
    return _diag(p), g + v * np.expand_dims(c, -2)


def _eig_vjp(res: Any, ybar: Any) -> tuple[Any]:
    # Abar = V^-H (diag(wbar) + conj(F) o (V^H Gbar)) V^H, Gbar = Vbar - V diag(Re e) + X,
    # e = diag(V^H Vbar), X_{k_i i} = -i Im(e_i) / v_{k_i i}; real part for a real A
    # (docs/derivations/eig.md)
    w, v, off, k, complex_a = res
    wbar, vbar = ybar
    mid = None if wbar is None else _embed(wbar)
    pairs = off & ~np.eye(off.shape[-1], dtype=bool)
    vg = None
    if vbar is not None:
        e = np.sum(_conj(v) * vbar, axis=-2)
        if np.iscomplexobj(v):
            gbar = vbar - v * np.expand_dims(np.real(e), -2)
            onehot = np.arange(v.shape[-2])[:, None] == np.expand_dims(k, -2)
            x = -1j * np.imag(e) / np.real(_largest_entry(v, k))
            gbar = gbar + np.where(onehot, np.expand_dims(x, -2), np.zeros((), v.dtype))
        else:
            gbar = vbar - v * np.expand_dims(e, -2)
        vg = _mH(v) @ gbar
        mid = _add(mid, _conj(_inv_gap(w, off, -1.0)) * vg)
    if pairs.any():  # no sym part: a general V has no symmetric structure to test
        _check_degenerate("eig", ("eigenvalue", "eigenvector"), pairs, wbar, vg, None, _scale(vbar))
    vh = _mH(v)
    abar = SOLVE.bind(vh, mid @ vh, kind="general")
    return (abar if complex_a or not np.iscomplexobj(abar) else np.real(abar),)


def _conj(x: Any) -> Any:
    return np.conj(x) if np.iscomplexobj(x) else x


EIG = Rule("eig", _eig_fwd, _eig_jvp, _eig_vjp, multiple_results=True)


def _to_complex_fwd(x: Any, *, dtype: Any) -> tuple[Any, Any]:
    y = TO_COMPLEX.bind(x, dtype=dtype) if isinstance(x, Traced) else x.astype(dtype)
    return y, dtype


def _to_complex_jvp(dtype: Any, xdot: Any) -> Any:
    return TO_COMPLEX.bind(xdot, dtype=dtype)  # ydot = xdot + 0i


def _to_complex_vjp(dtype: Any, ybar: Any) -> tuple[Any]:
    return (np.real(ybar),)  # xbar = Re(ybar): a real input's cotangent is the real part


TO_COMPLEX = Rule("to_complex", _to_complex_fwd, _to_complex_jvp, _to_complex_vjp)


def _eig_traced(name: str, a: Any) -> tuple[Any, Any]:
    a = as_array(a)
    plain = np.asarray(primal(a))
    _check_input(name, plain)
    w, v = _lapack(name, np.linalg.eig, plain)
    v = v * _unphase(_largest_entry(v, np.argmax(np.abs(v), axis=-2)))[..., None, :]
    return EIG.bind(a, w=w, v=v)


def eig(
    a: Any,
    b: Any = None,
    left: bool = False,
    right: bool = True,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    homogeneous_eigvals: bool = False,
) -> Any:
    """scipy.linalg.eig, differentiable: eigenvalues w (complex) and right eigenvectors V
    (A V = V diag(w), unit columns whose largest entry is real, as LAPACK returns them) of a
    square matrix with distinct eigenvalues. Not supported on traced input: b, left, homogeneous
    eigenvalues. A real input's cotangent is the real part of the adjoint."""
    if not _traced(a, b):
        return scipy.linalg.eig(
            a,
            b,
            left=left,
            right=right,
            overwrite_a=overwrite_a,
            overwrite_b=overwrite_b,
            check_finite=check_finite,
            homogeneous_eigvals=homogeneous_eigvals,
        )
    if b is not None or left or homogeneous_eigvals:
        raise UnsupportedFunctionError(
            eig,
            "argument 'a'",
            "b (the generalized problem), left=True and homogeneous_eigvals=True are not "
            "supported on traced input.",
        )
    w, v = _eig_traced("pullback.linalg.eig", a)
    return (_complex_w(w), v) if right else _complex_w(w)


def _complex_w(w: Any) -> Any:
    """SciPy returns complex eigenvalues even when all are real (NumPy returns them real)."""
    if np.iscomplexobj(w):
        return w
    return TO_COMPLEX.bind(w, dtype=np.result_type(w.dtype, np.complex64))


def eigvals(
    a: Any,
    b: Any = None,
    overwrite_a: bool = False,
    check_finite: bool = True,
    homogeneous_eigvals: bool = False,
) -> Any:
    """scipy.linalg.eigvals, differentiable: the (complex) eigenvalues of a square matrix."""
    if not _traced(a, b):
        return scipy.linalg.eigvals(
            a,
            b,
            overwrite_a=overwrite_a,
            check_finite=check_finite,
            homogeneous_eigvals=homogeneous_eigvals,
        )
    if b is not None or homogeneous_eigvals:
        raise UnsupportedFunctionError(
            eigvals,
            "argument 'a'",
            "b (the generalized problem) and homogeneous_eigvals=True are not supported on "
            "traced input.",
        )
    return _complex_w(_eig_traced("pullback.linalg.eigvals", a)[0])


def _np_eig(a: Any) -> Any:
    return _EigResult(*_eig_traced("numpy.linalg.eig", a))


def _np_eigvals(a: Any) -> Any:
    return _eig_traced("numpy.linalg.eigvals", a)[0]


register(np.linalg.eig, _np_eig)
register(np.linalg.eigvals, _np_eigvals)
