"""OpInfo entries for rules/sorting.py: sort, partition, median, quantile, percentile (samples
with distinct entries, so that no finite-difference step changes the permutation)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opinfo import NondiffInfo, OpInfo


def _distinct(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Entries at least 0.2 apart, in random order."""
    shapes = [(3,), (4,), (2, 3), (4, 2, 3)]
    return [
        ((rng.permutation(int(np.prod(s))) * 0.2 - 1.5).reshape(s).astype(dtype),) for s in shapes
    ]


def _nd(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return _distinct(rng, dtype)[2:]


def _weighted(y: Any) -> Any:
    """A sort result weighted by position: a wrong permutation changes the gradient."""
    return y * np.arange(1.0, y.shape[-1] + 1.0)


OPS: list[OpInfo] = [
    OpInfo("sort", lambda x: _weighted(np.sort(x)), (np.sort,), samples=_distinct),
    OpInfo("sort_axis0", lambda x: np.sort(x, axis=0) * x, (np.sort,), samples=_nd),
    OpInfo("sort_none", lambda x: _weighted(np.sort(x, axis=None)), (np.sort,), samples=_distinct),
    OpInfo(
        "partition", lambda x: _weighted(np.partition(x, 1)), (np.partition,), samples=_distinct
    ),
    OpInfo(
        "partition_axis",
        lambda x: np.partition(x, (0, 1), axis=0) * x,
        (np.partition,),
        samples=_nd,
    ),
    OpInfo("median", np.median, (np.median,), samples=_distinct),
    OpInfo(
        "median_axis", lambda x: np.median(x, axis=-1, keepdims=True), (np.median,), samples=_nd
    ),
    OpInfo(
        "quantile",
        lambda x: np.quantile(x, [0.1, 0.5, 0.8], axis=0),
        (np.quantile,),
        samples=_distinct,
    ),
    OpInfo(
        "percentile", lambda x: np.percentile(x, 35.0, axis=(0, -1)), (np.percentile,), samples=_nd
    ),
]

_KEEP = np.array([[True, False, True], [True, True, True]])  # False: a NaN entry


def _with_nan(x: Any) -> Any:
    return np.where(_KEEP, x, np.nan)


OPS += [
    OpInfo(
        "nanmedian",
        lambda x: np.nanmedian(_with_nan(x), axis=-1),
        (np.nanmedian,),
        samples=lambda r, d: _distinct(r, d)[2:3],
    ),
    OpInfo(
        "nanquantile",
        lambda x: np.nanquantile(_with_nan(x), [0.3, 0.9], axis=0),
        (np.nanquantile,),
        samples=lambda r, d: _distinct(r, d)[2:3],
    ),
    OpInfo(
        "nanpercentile",
        lambda x: np.nanpercentile(_with_nan(x), 65.0),
        (np.nanpercentile,),
        samples=lambda r, d: _distinct(r, d)[2:3],
    ),
]


def _complex_distinct(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Complex entries whose real parts are 0.2 apart (no tie decided by the imaginary part)."""
    ctype = np.result_type(dtype, np.complex64)
    out = []
    for s in [(3,), (2, 3)]:
        re = rng.permutation(int(np.prod(s))) * 0.2 - 0.5
        out.append(((re + 1j * rng.uniform(-1, 1, re.shape)).reshape(s).astype(ctype),))
    return out


OPS += [
    OpInfo(
        "sort_complex",
        lambda x: _weighted(np.sort_complex(x)),
        (np.sort_complex,),
        samples=_distinct,
    ),
    OpInfo(
        "sort_complex_complex",
        lambda z: _weighted(np.sort_complex(z)),
        (np.sort_complex,),
        samples=_complex_distinct,
    ),
]

NONDIFF: list[NondiffInfo] = []
