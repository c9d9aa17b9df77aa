"""OpInfo entries for linalg_matfun."""

from __future__ import annotations

from ..opinfo import NondiffInfo, OpInfo

OPS: list[OpInfo] = []
NONDIFF: list[NondiffInfo] = []
