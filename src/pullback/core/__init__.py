"""The engine (stages ②-⑥): pytrees, traced arrays, dispatch, nodes, the reverse sweep and the
forward pass. It knows the NumPy protocols and nothing about individual NumPy functions."""

from . import traced  # noqa: F401  (first: dispatch imports Traced)
from .dispatch import REGISTRY, Rule, call, register, unsupported_keywords
from .forward import ForwardTrace, ForwardTraced, push_forward
from .reverse import ReverseTrace, ReverseTraced, backward, reachable
from .trace import new_trace
from .traced import Traced, primal

__all__ = [
    "REGISTRY",
    "ForwardTrace",
    "ForwardTraced",
    "ReverseTrace",
    "ReverseTraced",
    "Rule",
    "Traced",
    "backward",
    "primal",
    "call",
    "new_trace",
    "push_forward",
    "reachable",
    "register",
    "unsupported_keywords",
]
