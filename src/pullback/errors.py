"""Every exception pullback raises, in one place and one voice: what went wrong, why, the fix.

Used by all stages of the data flow; imports nothing from the rest of the package.
"""

from __future__ import annotations

import sys

import numpy as np


class PullbackError(Exception):
    """Base class of every pullback error."""


class UnsupportedFunctionError(PullbackError, TypeError):
    """A NumPy function without a differentiation rule was called on a traced array."""

    def __init__(self, fn: object, argument: str, hint: str = "") -> None:
        name = function_name(fn)
        self.function = name
        lines = [
            f"pullback has no differentiation rule for {name}, called on the traced {argument}.",
        ]
        if hint:
            lines.append(hint)
        lines += [
            "Fixes:",
            "  - rewrite it with supported functions (README: What is supported), or",
            "  - give it a rule: f = pullback.custom_vjp(f); f.defvjp(f_fwd, f_bwd), or",
            "  - if its result should not carry a derivative, wrap the input in",
            "    pullback.stop_gradient(x).",
        ]
        super().__init__("\n".join(lines))


class TracedConversionError(PullbackError, TypeError):
    """A traced array was turned into a constant (np.asarray, float): its derivative is lost."""


class InPlaceWriteError(PullbackError, TypeError):
    """An in-place write into or with a traced array (not yet supported)."""


class LeakedTracerError(PullbackError, RuntimeError):
    """A traced value escaped the transform that created it and was used after it finished."""


class NonScalarOutputError(PullbackError, TypeError):
    """grad was asked for the gradient of a function whose output is not a scalar."""


class InputDtypeError(PullbackError, TypeError):
    """A differentiated argument has an integer, boolean or non-numeric dtype."""


class CotangentError(PullbackError, ValueError):
    """A cotangent or tangent passed to a transform has the wrong structure, shape or dtype."""


class RuleError(PullbackError, ValueError):
    """A differentiation rule (built-in or custom) returned something malformed."""


class DuplicateRuleError(PullbackError, ValueError):
    """A NumPy callable was registered twice."""


class MissingRuleError(PullbackError, TypeError):
    """A custom function lacks the rule that the current transform needs (e.g. a JVP)."""


class GradientCheckError(PullbackError, AssertionError):
    """check_grads found a derivative that disagrees with finite differences or its adjoint."""


def function_name(fn: object) -> str:
    """`numpy.sin`, `numpy.linalg.solve`, `my_module.f`: the name a user would type."""
    if isinstance(fn, np.ufunc):  # a ufunc has no __module__; scipy.special's are ufuncs too
        for module in ("numpy", "scipy.special"):
            if getattr(sys.modules.get(module), fn.__name__, None) is fn:
                return f"{module}.{fn.__name__}"
        return fn.__name__
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    if module.startswith("numpy"):
        # numpy.linalg._linalg.solve -> numpy.linalg.solve; numpy._core.fromnumeric.sum -> numpy.sum
        parts = [p for p in module.split(".") if not p.startswith("_")]
        module = (
            ".".join(parts[:2]) if len(parts) > 1 and parts[1] in _NUMPY_SUBMODULES else "numpy"
        )
    return f"{module}.{name}" if module else name


_NUMPY_SUBMODULES = {"linalg", "fft", "random", "polynomial", "ma", "lib"}
