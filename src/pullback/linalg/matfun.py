"""pullback.linalg rules (stage ④): expm, sqrtm, logm."""

from __future__ import annotations

__all__: list[str] = []
