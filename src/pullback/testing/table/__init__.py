"""The one OpInfo table: the concatenation of each rule family's entries."""

from __future__ import annotations

from ..opinfo import NondiffInfo, OpInfo
from . import (
    assembly,
    complex_numbers,
    contractions,
    elementwise,
    fft,
    indexing,
    linalg_decomp,
    linalg_matfun,
    linalg_solve,
    nondiff,
    numeric,
    reductions,
    shape,
    sorting,
    special,
)

OPS: list[OpInfo] = [
    *elementwise.OPS,
    *reductions.OPS,
    *shape.OPS,
    *indexing.OPS,
    *assembly.OPS,
    *sorting.OPS,
    *numeric.OPS,
    *nondiff.OPS,
    *contractions.OPS,
    *complex_numbers.OPS,
    *special.OPS,
    *fft.OPS,
    *linalg_solve.OPS,
    *linalg_decomp.OPS,
    *linalg_matfun.OPS,
]
NONDIFF: list[NondiffInfo] = [
    *elementwise.NONDIFF,
    *reductions.NONDIFF,
    *shape.NONDIFF,
    *indexing.NONDIFF,
    *assembly.NONDIFF,
    *sorting.NONDIFF,
    *numeric.NONDIFF,
    *nondiff.NONDIFF,
    *contractions.NONDIFF,
    *complex_numbers.NONDIFF,
    *special.NONDIFF,
    *fft.NONDIFF,
    *linalg_solve.NONDIFF,
    *linalg_decomp.NONDIFF,
    *linalg_matfun.NONDIFF,
]
