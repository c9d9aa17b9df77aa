"""OpInfo entries for rules/numeric.py: interp, convolve, correlate, polyval and the poly*
helpers, vander, cross, cov, corrcoef."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..opinfo import NondiffInfo, OpInfo

XP = np.array([-1.0, -0.2, 0.5, 1.5])
FP = np.array([0.3, -1.0, 2.0, 1.0])


def _interp_x(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """x inside the intervals (0.3 clear of every knot) and outside [xp_0, xp_-1]."""
    x = np.array([-1.5, -0.7, -0.6, 0.1, 0.2, 1.0, 1.1, 2.0])
    return [(x.astype(dtype),), (x[1:7].reshape(2, 3).astype(dtype),), (np.array(0.2, dtype),)]


def _interp_all(x: Any, fp: Any) -> Any:
    return np.interp(x, XP, fp, left=fp[1] * 2.0, right=-fp[0])


def _interp_all_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    x = _interp_x(rng, dtype)[0][0]
    return [(x, rng.uniform(-2, 2, 4).astype(dtype))]


def _cross2(a: Any, b: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy's own deprecation of 2-vectors
        return np.cross(a, b)


VECTORS = (((3,), (3,)), ((4, 3), (3,)), ((2, 3), (2, 3)))


def _parts(z: Any) -> Any:
    """Real and imaginary parts side by side (a real output that sees both)."""
    return np.concatenate([np.real(z), 2.0 * np.imag(z)])


def _roots_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Distinct roots: three real ones, a complex pair with a real one, and a trailing zero."""
    real = np.poly([-1.5, 0.4, 1.2]) * 0.7
    pair = np.poly([0.5 + 1.0j, 0.5 - 1.0j, -1.0]).real
    return [(real.astype(dtype),), (pair.astype(dtype),), (np.append(pair, 0.0).astype(dtype),)]


def _polyfit_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    x = np.linspace(-1.0, 1.5, 7) + rng.uniform(-0.1, 0.1, 7)
    return [(x.astype(dtype), rng.standard_normal(7).astype(dtype))]


def _polyfit_w(x: Any, y: Any) -> Any:
    return np.polyfit(x, np.stack([y, y * y], axis=1), 2, w=1.0 + x * x)


def _polyfit_full(x: Any, y: Any) -> Any:
    c, resid, _, s, _ = np.polyfit(x, y, 2, full=True)
    return np.concatenate([c, resid, s])


def _polyfit_cov(x: Any, y: Any) -> Any:
    c, v = np.polyfit(x, y, 1, cov=True)
    return np.concatenate([c, np.ravel(v)])


def _polydiv(u: Any, v: Any) -> Any:
    q, r = np.polydiv(u, v)
    return np.concatenate([q, r])


OPS: list[OpInfo] = [
    OpInfo("interp", lambda x: np.interp(x, XP, FP), (np.interp,), samples=_interp_x),
    OpInfo("interp_fp_left_right", _interp_all, (np.interp,), samples=_interp_all_samples),
    OpInfo(
        "convolve", np.convolve, (np.convolve,), shapes=(((4,), (3,)), ((2,), (5,)), ((1,), (3,)))
    ),
    *(
        OpInfo(
            f"convolve_{mode}",
            lambda a, v, mode=mode: np.convolve(a, v, mode),
            (np.convolve,),
            shapes=(((5,), (3,)), ((4,), (2,)), ((2,), (4,))),
        )
        for mode in ("same", "valid")
    ),
    *(
        OpInfo(
            f"correlate_{mode}",
            lambda a, v, mode=mode: np.correlate(a, v, mode),
            (np.correlate,),
            shapes=(((5,), (3,)), ((4,), (2,)), ((2,), (4,))),
        )
        for mode in ("full", "same", "valid")
    ),
    OpInfo("polyval", np.polyval, (np.polyval,), shapes=(((3,), ()), ((4,), (2, 3)), ((1,), (3,)))),
    OpInfo("polyadd", np.polyadd, (np.polyadd,), shapes=(((3,), (2,)), ((1,), (4,)))),
    OpInfo("polysub", np.polysub, (np.polysub,), shapes=(((3,), (2,)), ((1,), (4,)))),
    OpInfo("polymul", np.polymul, (np.polymul,), shapes=(((3,), (2,)), ((1,), (4,)))),
    OpInfo("polyder", lambda p: np.polyder(p, 2), (np.polyder,), shapes=(((4,),), ((2,),))),
    OpInfo("polyint", lambda p, k: np.polyint(p, 2, k), (np.polyint,), shapes=(((3,), (2,)),)),
    OpInfo("poly", np.poly, (np.poly,), shapes=(((1,),), ((3,),))),
    OpInfo("roots", lambda p: _parts(np.roots(p)), (np.roots,), samples=_roots_samples),
    OpInfo("polyfit", lambda x, y: np.polyfit(x, y, 2), (np.polyfit,), samples=_polyfit_samples),
    OpInfo("polyfit_w_2d", _polyfit_w, (np.polyfit,), samples=_polyfit_samples),
    OpInfo("polyfit_full", _polyfit_full, (np.polyfit,), samples=_polyfit_samples),
    OpInfo("polyfit_cov", _polyfit_cov, (np.polyfit,), samples=_polyfit_samples),
    OpInfo(
        "polydiv",
        _polydiv,
        (np.polydiv,),
        shapes=(((2,), (4,)), ((4,), (1,)), ((3,), (3,)), ((5,), (3,))),
        domain=((-2.0, 2.0), (0.5, 2.0)),
        skips={
            "float32": "NumPy strips the remainder's leading entries below atol=1e-8, under "
            "float32 rounding, so its length changes within a finite-difference step"
        },
    ),
    OpInfo("real_if_close", lambda x: np.real_if_close(x + 0j), (np.real_if_close,)),
    OpInfo("real_if_close_real", np.real_if_close, (np.real_if_close,)),
    OpInfo(
        "real_if_close_complex",
        lambda x: _parts(np.ravel(np.real_if_close(x * (1.0 + 1.0j)))),
        (np.real_if_close,),
    ),
    OpInfo("vander", np.vander, (np.vander,), shapes=(((3,),),)),
    OpInfo(
        "vander_increasing",
        lambda x: np.vander(x, 4, increasing=True),
        (np.vander,),
        shapes=(((3,),),),
    ),
    OpInfo("cross", np.cross, (np.cross,), shapes=VECTORS),
    OpInfo(
        "cross_axes",
        lambda a, b: np.cross(a, b, axisa=0, axisb=-1, axisc=0),
        (np.cross,),
        shapes=(((3, 2), (2, 3)),),
    ),
    OpInfo(
        "cross_axis", lambda a, b: np.cross(a, b, axis=0), (np.cross,), shapes=(((3, 2), (3, 2)),)
    ),
    OpInfo("cross_2d", _cross2, (np.cross,), shapes=(((2,), (2,)), ((2,), (3,)), ((3, 3), (2,)))),
    OpInfo("cov", np.cov, (np.cov,), shapes=(((3, 4),), ((4,),))),
    OpInfo(
        "cov_options",
        lambda x, y: np.cov(x, y, rowvar=False, ddof=0),
        (np.cov,),
        shapes=(((4, 2), (4,)),),
    ),
    OpInfo("corrcoef", np.corrcoef, (np.corrcoef,), shapes=(((3, 4),),)),
    OpInfo("corrcoef_xy", np.corrcoef, (np.corrcoef,), shapes=(((4,), (4,)),)),
]

NONDIFF: list[NondiffInfo] = []
