"""The one OpInfo table: the concatenation of each rule family's entries."""

from __future__ import annotations

from ..opinfo import NondiffInfo, OpInfo
from . import contractions, elementwise, indexing, reductions, shape

OPS: list[OpInfo] = [
    *elementwise.OPS,
    *reductions.OPS,
    *shape.OPS,
    *indexing.OPS,
    *contractions.OPS,
]
NONDIFF: list[NondiffInfo] = [
    *elementwise.NONDIFF,
    *reductions.NONDIFF,
    *shape.NONDIFF,
    *indexing.NONDIFF,
    *contractions.NONDIFF,
]
