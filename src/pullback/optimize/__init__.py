"""pullback.optimize (rules, stage ④): implicit differentiation of root finding, optimization and
quadratic programs. Solvers run on plain numbers; derivatives come from the optimality conditions.
"""

from .implicit import custom_root
from .quadratic import QPSolution, qp
from .solvers import fixed_point, least_squares, minimize, root

__all__ = [
    "QPSolution",
    "custom_root",
    "fixed_point",
    "least_squares",
    "minimize",
    "qp",
    "root",
]
