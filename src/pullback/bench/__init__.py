"""Placeholder: filled in by the bench work."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    print("python -m pullback bench: not yet available", file=sys.stderr)
    return 2
