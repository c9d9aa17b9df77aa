"""pullback.linalg (rules, stage ④): linear algebra and matrix equations, differentiable in both
modes, with SciPy-compatible signatures. Importing it also registers the rules that make plain
`np.linalg.*` calls on traced arrays differentiable.

`scipy.linalg` functions cannot be intercepted (they convert their inputs with np.asarray before
any protocol runs): call `pullback.linalg.<name>` instead; it accepts the same arguments.
"""

from . import decomp, equations, matfun
from . import solve as _solve_module
from .decomp import *  # noqa: F403
from .equations import *  # noqa: F403
from .matfun import *  # noqa: F403
from .solve import *  # noqa: F403

__all__ = [*_solve_module.__all__, *decomp.__all__, *matfun.__all__, *equations.__all__]
