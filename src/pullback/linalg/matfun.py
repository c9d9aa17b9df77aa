"""pullback.linalg rules (stage ④): expm, expm_frechet, sqrtm, logm. The Frechet derivative of a
primary matrix function f is the top-right block of f([[A, E], [0, A]]), so expm and logm
differentiate themselves to any order; sqrtm solves a Sylvester equation on the Schur form of X."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from ..core.traced import Traced, primal
from ..errors import MatrixEquationError
from ..extend import Rule, as_array, unbroadcast
from .batching import over_batch
from .equations import SYLVESTER, _h, _schur

__all__ = ["expm", "expm_frechet", "sqrtm", "logm"]


def _square(name: str, a: Any, batched: bool = False) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or (a.ndim != 2 and not batched):
        need = "a square matrix (or a stack of them)" if batched else "a square 2-D matrix"
        raise ValueError(f"{name}: a must be {need}, got shape {a.shape}")


def _float(x: np.ndarray) -> np.ndarray:
    return x.astype(np.result_type(x, np.float64), copy=False)


def _block(a: Any, e: Any) -> Any:
    """The block matrix [[A, E], [0, A]] (of stacks too)."""
    zero = np.zeros(a.shape, np.result_type(a.dtype, e.dtype))
    return np.concatenate(
        [np.concatenate([a, e], axis=-1), np.concatenate([zero, a], axis=-1)], axis=-2
    )


def _frechet(f: Any, a: Any, e: Any) -> Any:
    """L_f(A, E), the top-right block of f([[A, E], [0, A]]) (differentiable in A and E)."""
    n = a.shape[-1]
    return f(_block(a, e))[..., :n, n:]


def _primary_rule(name: str, fwd: Any, f: Any) -> Rule:
    """The rule of a primary matrix function f: Ydot = L_f(A, Adot), Abar = L_f(A^H, Ybar)."""

    def jvp(res: Any, adot: Any) -> Any:
        (a,) = res
        return _frechet(f, a, adot)

    def vjp(res: Any, ybar: Any) -> tuple[Any]:
        (a,) = res
        return (unbroadcast(_frechet(f, _h(a), ybar), a),)

    return Rule(name, fwd, jvp, vjp)


def _real_result(name: str, a: Any, y: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(y) and not np.iscomplexobj(a):
        if np.allclose(y.imag, 0, atol=1e3 * np.finfo(np.float64).eps * np.abs(y).max()):
            return y.real
        raise MatrixEquationError(
            f"{name}: this real matrix has no real {name[:-1]} (it has eigenvalues on the closed "
            "negative real axis), and a complex result from a real input cannot be "
            "differentiated as a real function. Pass a.astype(complex) for the complex one."
        )
    return y


# ---- expm ---------------------------------------------------------------------------------------
def _expm_fwd(a: Any) -> tuple[Any, Any]:
    y = EXPM.bind(a) if isinstance(a, Traced) else scipy.linalg.expm(a).astype(a.dtype)
    return y, (a,)


def expm(a: Any) -> Any:
    """The matrix exponential (scipy.linalg.expm's signature; stacks of matrices too),
    differentiable in both modes to any order through the block identity
    expm([[A, E], [0, A]]) = [[e^A, L(A, E)], [0, e^A]] (docs/derivations/expm.md).

    >>> float(expm(np.zeros((2, 2)))[0, 0])
    1.0
    """
    a = as_array(a)
    _square("expm", a, batched=True)
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(np.float64)
    return EXPM.bind(a)


# Ydot = L_exp(A, Adot), Abar = L_exp(A^H, Ybar)   (docs/derivations/expm.md)
EXPM = _primary_rule("expm", _expm_fwd, expm)


def expm_frechet(
    a: Any, e: Any, method: str | None = None, compute_expm: bool = True, check_finite: bool = True
) -> Any:
    """The Frechet derivative L(A, E) of expm at A in direction E, and expm(A) first when
    compute_expm (scipy.linalg.expm_frechet's signature and return order). Differentiable
    w.r.t. A and E; `method` and `check_finite` are accepted, the block method is always used.
    """
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(f"expm_frechet: unknown method {method!r}")
    a, e = as_array(a), as_array(e)
    _square("expm_frechet", a)
    if e.shape != a.shape:
        raise ValueError(f"expm_frechet: e must have a's shape {a.shape}, got {e.shape}")
    if check_finite and not (np.all(np.isfinite(primal(a))) and np.all(np.isfinite(primal(e)))):
        raise ValueError("expm_frechet: array must not contain infs or NaNs")
    if not np.issubdtype(np.result_type(a.dtype, e.dtype), np.inexact):
        a, e = a.astype(np.float64), e.astype(np.float64)
    n = a.shape[-1]
    y = expm(_block(a, e))
    return (y[:n, :n], y[:n, n:]) if compute_expm else y[:n, n:]


# ---- sqrtm: X X = A, so X Xdot + Xdot X = Adot on the Schur form of X --------------------------
def _sqrtm_fwd(a: Any, *, x: np.ndarray, schur: Any) -> tuple[Any, Any]:
    y = SQRTM.bind(a, x=x, schur=schur) if isinstance(a, Traced) else x.astype(a.dtype)
    return y, (a, y, schur)


def _sqrtm_jvp(res: Any, adot: Any) -> Any:
    _, x, schur = res  # X Xdot + Xdot X = Adot   (docs/derivations/sqrtm.md)
    return SYLVESTER.bind(x, x, adot, schur=(schur, schur), trans=False, name="sqrtm")


def _sqrtm_vjp(res: Any, ybar: Any) -> tuple[Any]:
    a, x, schur = res  # Abar = W with X^H W + W X^H = Ybar   (docs/derivations/sqrtm.md)
    w = SYLVESTER.bind(x, x, ybar, schur=(schur, schur), trans=True, name="sqrtm")
    return (unbroadcast(w, a),)


SQRTM = Rule("sqrtm", _sqrtm_fwd, _sqrtm_jvp, _sqrtm_vjp)


def sqrtm(a: Any) -> Any:
    """The principal matrix square root (scipy.linalg.sqrtm), differentiable in both modes to
    any order: Xdot solves X Xdot + Xdot X = Adot on one Schur form of X
    (docs/derivations/sqrtm.md).
    The derivative raises MatrixEquationError where it does not exist (A singular).

    >>> x = sqrtm(np.array([[4.0, 1.0], [0.0, 9.0]]))
    >>> bool(np.allclose(x @ x, [[4.0, 1.0], [0.0, 9.0]]))
    True
    """
    stacked = over_batch(sqrtm, a, name="sqrtm")
    if stacked is not None:  # (..., n, n): one square root per matrix, as SciPy
        return stacked
    a = as_array(a)
    _square("sqrtm", a)
    pa = _float(np.asarray(primal(a)))
    x = _real_result("sqrtm", pa, scipy.linalg.sqrtm(pa))
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(np.float64)
    return SQRTM.bind(a, x=x, schur=_schur(x))


# ---- logm: exp(X) = A, derivative by the block identity for log ---------------------------------
def _logm_fwd(a: Any) -> tuple[Any, Any]:
    if isinstance(a, Traced):
        y = LOGM.bind(a)
    else:
        pa = _float(a)
        y = _real_result("logm", pa, scipy.linalg.logm(pa)).astype(a.dtype)
    return y, (a,)


def logm(a: Any) -> Any:
    """The principal matrix logarithm (scipy.linalg.logm), differentiable in both modes to any
    order through logm([[A, E], [0, A]]) = [[log A, L(A, E)], [0, log A]]
    (docs/derivations/logm.md).

    >>> bool(np.allclose(logm(np.diag([1.0, np.e])), np.diag([0.0, 1.0])))
    True
    """
    stacked = over_batch(logm, a, name="logm")
    if stacked is not None:  # (..., n, n): one logarithm per matrix, as SciPy
        return stacked
    a = as_array(a)
    _square("logm", a)
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(np.float64)
    return LOGM.bind(a)


# Ydot = L_log(A, Adot), Abar = L_log(A^H, Ybar)   (docs/derivations/logm.md)
LOGM = _primary_rule("logm", _logm_fwd, logm)
