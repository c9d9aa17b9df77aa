"""pullback.linalg rules (stage ④): the Sylvester, Lyapunov and Riccati matrix equations."""

from __future__ import annotations

__all__: list[str] = []
