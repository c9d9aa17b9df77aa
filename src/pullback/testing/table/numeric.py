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
