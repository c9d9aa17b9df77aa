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
            "  - rewrite it with supported functions (docs/coverage.md lists them), or",
            "  - give it a rule with pullback.custom_vjp, and call f(x) instead:",
            f"      f = pullback.custom_vjp({name})",
            f"      f.defvjp(lambda x: ({name}(x), x),  # fwd: (output, residuals)",
            "               lambda x, ybar: (ybar * df_dx(x),))  # bwd: one cotangent per input",
            "  - or, if its result should not carry a derivative, wrap the input in",
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


class DecompositionError(PullbackError, np.linalg.LinAlgError):
    """A matrix decomposition (eigh, eig, svd, qr) got NaN or Inf, or LAPACK did not converge."""


class UndefinedDerivativeError(PullbackError, ValueError):
    """A requested output has no well-defined derivative (it depends on an arbitrary choice, like
    the extra columns of a full-matrices SVD or a complete QR of a tall matrix)."""


class DegenerateEigenvalueWarning(UserWarning):
    """A cotangent depends on the arbitrary basis chosen inside a repeated eigenvalue's (or
    singular value's) subspace: the returned gradient is one of many, valid for that basis."""


class LinearAlgebraError(PullbackError, np.linalg.LinAlgError):
    """A matrix is singular, not positive definite, or rank deficient where a solve, inverse,
    factorization or its derivative needs it to be regular (the message names the function)."""


class MatrixEquationError(LinearAlgebraError):
    """A Sylvester, Lyapunov or Riccati equation (or a matrix function's derivative, which is
    one) has no unique solution, or no stabilizing one (the message names the function)."""


class UnsupportedArgumentError(PullbackError, NotImplementedError):
    """An argument that SciPy accepts but pullback does not support yet (the message names it)."""


class BackwardError(PullbackError, RuntimeError):
    """Tensor.backward() cannot run: the Tensor has no graph, or an earlier backward freed it."""


class GraphvizError(PullbackError, RuntimeError):
    """Rendering a graph to SVG or PNG needs Graphviz's `dot`, which is missing or failed."""


class ConvergenceError(PullbackError, RuntimeError):
    """A solver in pullback.optimize stopped before reaching its tolerance; `.residual` holds
    the norm of the optimality residual it reached."""

    def __init__(self, message: str, residual: float) -> None:
        self.residual = float(residual)
        super().__init__(message)


class InfeasibleError(PullbackError, ValueError):
    """An optimization problem has no point that satisfies its constraints."""


class UnboundedError(PullbackError, ValueError):
    """An optimization problem's objective decreases without bound over its feasible set."""


class NonConvexError(PullbackError, ValueError):
    """pullback.optimize.qp was given a Q that is not positive semidefinite (with inequalities)."""


class SingularJacobianError(PullbackError, np.linalg.LinAlgError):
    """dF/dx (or a KKT matrix) is singular at the solution: the implicit function theorem does
    not apply and the solution has no derivative (or is not unique)."""


class DegenerateActiveSetWarning(UserWarning):
    """A QP constraint is weakly active (zero multiplier and zero slack): the derivative of the
    solution is one-sided there, and pullback.optimize.qp returns the inactive side's."""
