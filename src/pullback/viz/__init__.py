"""Placeholder: filled in by the viz work."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    print("python -m pullback viz: not yet available", file=sys.stderr)
    return 2
