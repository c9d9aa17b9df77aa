"""The one OpInfo table: the concatenation of each rule family's entries."""

from __future__ import annotations

from ..opinfo import NondiffInfo, OpInfo
from . import elementwise, reductions, shape

OPS: list[OpInfo] = [*elementwise.OPS, *reductions.OPS, *shape.OPS]
NONDIFF: list[NondiffInfo] = [*elementwise.NONDIFF, *reductions.NONDIFF, *shape.NONDIFF]
