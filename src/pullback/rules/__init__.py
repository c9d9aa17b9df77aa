"""Rules (stage ④) for NumPy: importing this package registers every rule in the dispatch table."""

from . import elementwise, nondiff, reductions, shape  # noqa: F401
