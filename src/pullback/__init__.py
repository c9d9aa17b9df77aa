"""pullback: exact derivatives of plain NumPy code, in reverse and forward mode, to any order."""

from . import (
    linalg,
    optimize,
    rules,  # noqa: F401  (registers the NumPy rules)
    special,
    testing,
)
from .custom import custom_jvp, custom_vjp
from .errors import (
    CotangentError,
    GradientCheckError,
    InPlaceWriteError,
    InputDtypeError,
    LeakedTracerError,
    MissingRuleError,
    NonScalarOutputError,
    PullbackError,
    RuleError,
    TracedConversionError,
    UnsupportedFunctionError,
)
from .testing import check_grads
from .transforms import (
    checkpoint,
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    stop_gradient,
    value_and_grad,
    vjp,
)

__version__ = "0.1.0"

__all__ = [
    "CotangentError",
    "GradientCheckError",
    "InPlaceWriteError",
    "InputDtypeError",
    "LeakedTracerError",
    "MissingRuleError",
    "NonScalarOutputError",
    "PullbackError",
    "RuleError",
    "TracedConversionError",
    "UnsupportedFunctionError",
    "check_grads",
    "checkpoint",
    "custom_jvp",
    "custom_vjp",
    "grad",
    "hessian",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linalg",
    "linearize",
    "optimize",
    "special",
    "stop_gradient",
    "testing",
    "value_and_grad",
    "vjp",
]
