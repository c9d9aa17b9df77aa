"""Rules (stage ④) for complex."""

from __future__ import annotations
