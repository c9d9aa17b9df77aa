"""OpInfo entries for linalg_solve."""

from __future__ import annotations

from ..opinfo import NondiffInfo, OpInfo

OPS: list[OpInfo] = []
NONDIFF: list[NondiffInfo] = []
