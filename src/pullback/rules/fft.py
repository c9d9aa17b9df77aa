"""Rules (stage ④) for fft."""

from __future__ import annotations
