"""Rules (stage ④) for NumPy: importing this package registers every rule in the dispatch table."""

from . import contractions, elementwise, indexing, nondiff, reductions, shape  # noqa: F401
