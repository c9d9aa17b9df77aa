"""Rules (stage ④) for NumPy: importing this package registers every rule in the dispatch table."""

from . import (  # noqa: F401
    assembly,
    complex_numbers,
    contractions,
    elementwise,
    fft,
    indexing,
    nondiff,
    numeric,
    reductions,
    shape,
    sorting,
    special,
    writes,
)
