"""Rules (stage ④) for special."""

from __future__ import annotations
