"""pullback.linalg rules (stage ④): eigh, eigvalsh, eig, eigvals, svd, qr."""

from __future__ import annotations

__all__: list[str] = []
