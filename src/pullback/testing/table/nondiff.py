"""NondiffInfo entries for the sorting, searching, counting, set and index-helper functions that
rules/nondiff.py registers as non-differentiable (plain results, zero gradient by definition)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opinfo import NondiffInfo, OpInfo


def _tuple(result: Any) -> tuple[Any, ...]:
    return tuple(result)


OPS: list[OpInfo] = []

NONDIFF: list[NondiffInfo] = [
    NondiffInfo("argpartition", lambda x: np.argpartition(x, 1), (np.argpartition,)),
    NondiffInfo("lexsort", lambda x: np.lexsort(x), (np.lexsort,)),
    NondiffInfo("nanargmax", lambda x: np.nanargmax(x, axis=0), (np.nanargmax,)),
    NondiffInfo("nanargmin", np.nanargmin, (np.nanargmin,)),
    NondiffInfo("unique", lambda x: np.unique(x, return_counts=True), (np.unique,)),
    NondiffInfo("unique_all", lambda x: _tuple(np.unique_all(x)), (np.unique_all,)),
    NondiffInfo("unique_counts", lambda x: _tuple(np.unique_counts(x)), (np.unique_counts,)),
    NondiffInfo("unique_inverse", lambda x: _tuple(np.unique_inverse(x)), (np.unique_inverse,)),
    NondiffInfo("unique_values", lambda x: np.unique_values(x), (np.unique_values,)),
    NondiffInfo("isin", lambda x: np.isin(x, [0.0, 1.0]), (np.isin,)),
    NondiffInfo("intersect1d", lambda x: np.intersect1d(x, [0.0, 1.0]), (np.intersect1d,)),
    NondiffInfo("union1d", lambda x: np.union1d(x, [0.5]), (np.union1d,)),
    NondiffInfo("setdiff1d", lambda x: np.setdiff1d(x, [0.0]), (np.setdiff1d,)),
    NondiffInfo("setxor1d", lambda x: np.setxor1d(x, [0.0, 5.0]), (np.setxor1d,)),
    NondiffInfo("histogram", lambda x: np.histogram(x, bins=4), (np.histogram,)),
    NondiffInfo("histogram2d", lambda x: np.histogram2d(x[0], x[1], bins=2), (np.histogram2d,)),
    NondiffInfo("histogramdd", lambda x: np.histogramdd(x.T, bins=2), (np.histogramdd,)),
    NondiffInfo(
        "histogram_bin_edges", lambda x: np.histogram_bin_edges(x, 3), (np.histogram_bin_edges,)
    ),
    NondiffInfo("bincount", lambda x: np.bincount(np.ravel(x > 0).astype(int)), (np.bincount,)),
    NondiffInfo("digitize", lambda x: np.digitize(x, [-1.0, 0.0, 1.0]), (np.digitize,)),
    NondiffInfo("tril_indices_from", np.tril_indices_from, (np.tril_indices_from,)),
    NondiffInfo("triu_indices_from", lambda x: np.triu_indices_from(x, 1), (np.triu_indices_from,)),
    NondiffInfo(
        "diag_indices_from", lambda x: np.diag_indices_from(x[:, :2]), (np.diag_indices_from,)
    ),
    NondiffInfo(
        "ravel_multi_index",
        lambda x: np.ravel_multi_index((x > 0).astype(int), (2, 2)),
        (np.ravel_multi_index,),
    ),
    NondiffInfo(
        "unravel_index",
        lambda x: np.unravel_index((x > 0).astype(int), (2, 3)),
        (np.unravel_index,),
    ),
    NondiffInfo("shares_memory", lambda x: np.shares_memory(x, x), (np.shares_memory,)),
    NondiffInfo("may_share_memory", lambda x: np.may_share_memory(x, x), (np.may_share_memory,)),
    NondiffInfo("min_scalar_type", np.min_scalar_type, (np.min_scalar_type,)),
    NondiffInfo("can_cast", lambda x: np.can_cast(x.dtype, np.float32), (np.can_cast,)),
]


_DATES = np.array(["2024-01-01", "2024-03-01"], dtype="datetime64[D]")


def _day_offset(x: Any) -> Any:
    return (np.round(x) > 0).astype(int)


NONDIFF += [
    NondiffInfo("ix_", lambda x: np.ix_(x[0] > 0, x[1] > 0), (np.ix_,)),
    NondiffInfo("packbits", lambda x: np.packbits(x > 0), (np.packbits,)),
    NondiffInfo("unpackbits", lambda x: np.unpackbits(np.packbits(x > 0)), (np.unpackbits,)),
    NondiffInfo("isnat", lambda x: np.isnat(_DATES + _day_offset(x[0, :2])), (np.isnat,)),
    NondiffInfo(
        "busday_count",
        lambda x: np.busday_count(_DATES[0], _DATES[1]) + 0 * x.size,
        (np.busday_count,),
    ),
    NondiffInfo(
        "busday_offset",
        lambda x: np.busday_offset(_DATES, _day_offset(x[0, :2]), roll="forward"),
        (np.busday_offset,),
    ),
    NondiffInfo("is_busday", lambda x: np.is_busday(_DATES), (np.is_busday,)),
    NondiffInfo(
        "datetime_as_string", lambda x: np.datetime_as_string(_DATES), (np.datetime_as_string,)
    ),
    NondiffInfo("array2string", lambda x: np.array2string(x, precision=3), (np.array2string,)),
    NondiffInfo("array_repr", np.array_repr, (np.array_repr,)),
    NondiffInfo("array_str", np.array_str, (np.array_str,)),
    NondiffInfo("einsum_path", lambda x: np.einsum_path("ij,kj->ik", x, x)[0], (np.einsum_path,)),
    NondiffInfo("common_type", lambda x: np.common_type(x).__name__, (np.common_type,)),
    NondiffInfo("linalg.matrix_rank", np.linalg.matrix_rank, (np.linalg.matrix_rank,)),
]
