"""pullback.special (rules, stage ④): differentiable versions of the scipy.special functions that
are plain Python and so cannot be intercepted on traced arrays (logsumexp, softmax, log_softmax,
polygamma), with SciPy's signatures.

The scipy.special *ufuncs* (expit, erf, gammaln, i0, xlogy, ...) need nothing from here: call them
as usual on traced arrays; they dispatch through `__array_ufunc__` to pullback's rules.

>>> import numpy as np, pullback as pb
>>> g = pb.grad(lambda x: pb.special.logsumexp(x))(np.array([1000.0, 1000.0]))
>>> g.tolist()
[0.5, 0.5]
"""

from .rules.special import log_softmax, logsumexp, polygamma, softmax

__all__ = ["log_softmax", "logsumexp", "polygamma", "softmax"]
