"""pullback.linalg rules (stage ④): solve, inv, det, factorizations, lstsq, pinv, norm."""

from __future__ import annotations

__all__: list[str] = []
