"""The array-API namespace of traced arrays (a consumer of the dispatch, stage ③): what
`x.__array_namespace__()` returns for a traced `x`.

Libraries that follow the array API standard (SciPy with `SCIPY_ARRAY_API=1`, scikit-learn's
array-API mode, array-api-extra) ask an array for its namespace and call `xp.exp(x)`,
`xp.sum(x)`, ... instead of `np.asarray(x)` first. This namespace is NumPy's own (NumPy 2 follows
the standard), so those calls reach pullback's rules exactly as your own NumPy calls do; only
`asarray` differs: it passes traced arrays through instead of converting them to constants.
`special` lists the raw scipy.special ufuncs, which SciPy looks up on a namespace it does not know.
docs/scipy.md says which SciPy functions run unchanged this way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core.traced import Traced

__array_api_version__ = "2024.12"


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: Any = None) -> Any:
    """numpy.asarray, except that a traced array stays traced (copied when copy=True)."""
    if isinstance(obj, Traced):
        if dtype is not None and np.dtype(dtype) != obj.dtype:
            return obj.astype(dtype)
        return obj.copy() if copy else obj
    return np.asarray(obj, dtype=dtype, copy=copy)


def _special() -> Any:
    import types

    import scipy.special._ufuncs as raw

    names = {k: v for k, v in vars(raw).items() if isinstance(v, np.ufunc)}
    return types.SimpleNamespace(**names)


def __getattr__(name: str) -> Any:
    if name == "special":  # resolved once, on first use (keeps `import pullback` free of it)
        value = globals()["special"] = _special()
        return value
    try:
        return getattr(np, name)
    except AttributeError:
        raise AttributeError(f"the array API namespace of traced arrays has no {name!r}") from None
