"""Testing tools for rule authors (consumers of the engine): check_grads and the OpInfo table."""

from .check import TOLERANCES, CheckRow, check_grads
from .opinfo import BINARY_SHAPES, UNARY_SHAPES, NondiffInfo, OpInfo

__all__ = [
    "BINARY_SHAPES",
    "TOLERANCES",
    "UNARY_SHAPES",
    "CheckRow",
    "NondiffInfo",
    "OpInfo",
    "check_grads",
]
