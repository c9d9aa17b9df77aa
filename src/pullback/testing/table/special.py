"""OpInfo entries for scipy.special (rules/special.py): its ufuncs over their domains, the Bessel
orders as constants, and pullback.special's logsumexp / softmax / log_softmax / polygamma."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from ...rules import special as ps
from ..opinfo import BINARY_SHAPES, UNARY_SHAPES, NondiffInfo, OpInfo

POS = (0.5, 2.5)
UNIT = (0.1, 0.9)
ND = UNARY_SHAPES[1:]  # entries with an axis argument need ndim >= 1


def _unary(name: str, ufunc: Any, domain: tuple[float, float] = (-2.0, 2.0), **kw: Any) -> OpInfo:
    kw.setdefault("covers", (ufunc,))
    return OpInfo(name, ufunc, domain=domain, **kw)


def _order(ufunc: Any, v: float) -> Any:
    def fn(x: Any) -> Any:
        return ufunc(v, x)

    fn.__name__ = f"{ufunc.__name__}({v}, x)"
    return fn


def _in_x(ufunc: Any, *consts: float) -> Any:
    """ufunc(*consts, x): differentiable in its last argument only."""

    def fn(x: Any) -> Any:
        return ufunc(*consts, x)

    fn.__name__ = f"{ufunc.__name__}{(*consts, 'x')}"
    return fn


def _last(name: str, ufunc: Any, consts: tuple[float, ...], domain: Any, **kw: Any) -> OpInfo:
    return _unary(f"{name}{consts}", _in_x(ufunc, *consts), domain, covers=(ufunc,), **kw)


OPS: list[OpInfo] = [
    _unary("expit", sc.expit, (-4.0, 4.0)),
    _unary("log_expit", sc.log_expit, (-4.0, 4.0)),
    _unary("logit", sc.logit, UNIT),
    _unary("erf", sc.erf),
    _unary("erfc", sc.erfc),
    _unary("erfcx", sc.erfcx, (-1.0, 2.0)),
    _unary("erfinv", sc.erfinv, (-0.8, 0.8)),
    _unary("erfcinv", sc.erfcinv, (0.2, 1.8)),
    _unary("dawsn", sc.dawsn),
    _unary("ndtr", sc.ndtr),
    _unary("ndtri", sc.ndtri, (0.2, 0.8)),
    _unary("log_ndtr", sc.log_ndtr, (-6.0, 2.0)),
    _unary("gamma", sc.gamma, POS),
    _unary("gammaln", sc.gammaln, POS),
    _unary("loggamma", sc.loggamma, POS),
    _unary("rgamma", sc.rgamma, POS),
    _unary("digamma", sc.psi, POS),
    OpInfo("beta", sc.beta, (sc.beta,), shapes=BINARY_SHAPES, domain=(0.8, 2.5)),
    # small derivatives: a float32 finite difference is only good to ~1e-5 absolute, so these
    # entries are compared relative to |fd| + 1e-2 (float64 still sees errors ~1e-12)
    OpInfo("betaln", sc.betaln, (sc.betaln,), shapes=BINARY_SHAPES, domain=(0.8, 2.5)),
    _unary("gammainc(1.7, x)", _order(sc.gammainc, 1.7), POS, covers=(sc.gammainc,)),
    _unary("gammaincc(1.7, x)", _order(sc.gammaincc, 1.7), POS, covers=(sc.gammaincc,)),
    _unary("zeta(3, q)", lambda q: sc.zeta(3.0, q), POS, covers=(sc._ufuncs._zeta,)),
    _unary("i0", sc.i0),
    _unary("i1", sc.i1),
    _unary("numpy i0", np.i0, covers=(np.i0,)),
    _unary("iv(1.5, x)", _order(sc.iv, 1.5), POS, covers=(sc.iv,)),
    _unary("i0e", sc.i0e, POS),
    _unary("i1e", sc.i1e, POS),
    _unary("ive(2.5, x)", _order(sc.ive, 2.5), POS, covers=(sc.ive,)),
    _unary("j0", sc.j0),
    _unary("j1", sc.j1),
    _unary("jv(1.5, x)", _order(sc.jv, 1.5), POS, covers=(sc.jv,)),
    _unary("y0", sc.y0, POS),
    _unary("y1", sc.y1, POS),
    _unary("yv(0.5, x)", _order(sc.yv, 0.5), POS, covers=(sc.yv,)),
    _unary("k0", sc.k0, POS),
    _unary("k1", sc.k1, POS),
    _unary("kv(1.5, x)", _order(sc.kv, 1.5), POS, covers=(sc.kv,)),
    _unary("k0e", sc.k0e, POS),
    _unary("k1e", sc.k1e, POS),
    _unary("kve(0.5, x)", _order(sc.kve, 0.5), POS, covers=(sc.kve,)),
    _unary("exp1", sc.exp1, POS),
    _unary("expi", sc.expi, POS),
    _unary("expn(2, x)", _order(sc.expn, 2), POS, covers=(sc.expn,)),
    _unary("expn(0, x)", _order(sc.expn, 0), POS, covers=(sc.expn,)),
    _unary("spence", sc.spence, (0.2, 0.8)),
    _unary("entr", sc.entr, POS),
    OpInfo("rel_entr", sc.rel_entr, (sc.rel_entr,), shapes=BINARY_SHAPES, domain=POS),
    OpInfo("kl_div", sc.kl_div, (sc.kl_div,), shapes=BINARY_SHAPES, domain=POS),
    OpInfo("xlogy", sc.xlogy, (sc.xlogy,), shapes=BINARY_SHAPES, domain=POS),
    OpInfo("xlog1py", sc.xlog1py, (sc.xlog1py,), shapes=BINARY_SHAPES, domain=POS),
    OpInfo(
        "huber",
        sc.huber,
        (sc.huber,),
        shapes=BINARY_SHAPES,
        domain=((0.5, 1.5), (-3.0, 3.0)),
        order=1,
        skips={"order 2": "piecewise: the second derivative jumps at |r| = delta"},
    ),
    OpInfo(
        "pseudo_huber",
        sc.pseudo_huber,
        (sc.pseudo_huber,),
        shapes=BINARY_SHAPES,
        domain=POS,
    ),
    OpInfo(
        "boxcox", sc.boxcox, (sc.boxcox,), shapes=BINARY_SHAPES, domain=((0.5, 2.5), (-1.0, 1.0))
    ),
    OpInfo(
        "boxcox1p",
        sc.boxcox1p,
        (sc.boxcox1p,),
        shapes=BINARY_SHAPES,
        domain=((-0.5, 1.5), (-1.0, 1.0)),
    ),
    OpInfo(
        "inv_boxcox",
        sc.inv_boxcox,
        (sc.inv_boxcox,),
        shapes=BINARY_SHAPES,
        domain=((0.2, 1.2), (-0.3, 1.0)),
    ),
    OpInfo(
        "inv_boxcox1p",
        sc.inv_boxcox1p,
        (sc.inv_boxcox1p,),
        shapes=BINARY_SHAPES,
        domain=((0.2, 1.2), (-0.3, 1.0)),
    ),
    _unary("boxcox1p at l = 0", lambda x: sc.boxcox1p(x, 0.0), POS, covers=()),
    _unary("inv_boxcox1p at l = 0", lambda x: sc.inv_boxcox1p(x, 0.0), POS, covers=()),
    _unary(
        "inv_boxcox(0.5, l) at l ~ 0",
        lambda lam: sc.inv_boxcox(0.5, lam * 1e-3),
        covers=(),
        skips={"float32": "a change of l by 1e-5 moves the output below float32 resolution"},
    ),
    _last("betainc", sc.betainc, (1.5, 2.5), UNIT),
    _last("betaincc", sc.betaincc, (0.7, 3.0), UNIT),
    _last("betaincinv", sc.betaincinv, (1.5, 2.5), (0.2, 0.8)),
    _last("betainccinv", sc.betainccinv, (2.0, 1.5), (0.2, 0.8)),
    _last("gammaincinv", sc.gammaincinv, (1.7,), (0.2, 0.8)),
    _last("gammainccinv", sc.gammainccinv, (2.5,), (0.2, 0.8)),
    OpInfo("binom", sc.binom, (sc.binom,), shapes=BINARY_SHAPES, domain=((3.0, 5.0), (0.5, 2.5))),
    OpInfo("poch", sc.poch, (sc.poch,), shapes=BINARY_SHAPES, domain=((0.5, 2.0), (-0.3, 1.5))),
    _last("chdtr", sc.chdtr, (3.0,), POS),
    _last("chdtrc", sc.chdtrc, (2.5,), POS),
    _last("chdtri", sc.chdtri, (3.0,), (0.2, 0.8)),
    _last("pdtr", sc.pdtr, (2.0,), POS),
    _last("pdtrc", sc.pdtrc, (1.5,), POS),  # SciPy floors k: the derivative too
    _last("stdtr", sc.stdtr, (4.0,), (-2.0, 2.0)),
    _last("stdtrit", sc.stdtrit, (3.5,), (0.2, 0.8)),
    OpInfo(
        "gdtr in a and x",
        lambda a, x: sc.gdtr(a, 2.5, x),
        (sc.gdtr,),
        shapes=BINARY_SHAPES,
        domain=((0.5, 2.0), (0.5, 2.5)),
    ),
    OpInfo(
        "gdtrc in a and x",
        lambda a, x: sc.gdtrc(a, 1.5, x),
        (sc.gdtrc,),
        shapes=BINARY_SHAPES,
        domain=((0.5, 2.0), (0.5, 2.5)),
    ),
    _last("fdtr", sc.fdtr, (3.0, 5.0), POS),
    _last("fdtrc", sc.fdtrc, (2.5, 4.0), POS),
    _last(
        "bdtr",
        sc.bdtr,
        (2, 6),
        UNIT,
        skips={"float32": "SciPy's float32 loop takes k and n as floats and warns (deprecated)"},
    ),
    _last(
        "bdtrc",
        sc.bdtrc,
        (3, 5),
        UNIT,
        skips={"float32": "SciPy's float32 loop takes k and n as floats and warns (deprecated)"},
    ),
    _last(
        "nbdtr",
        sc.nbdtr,
        (2, 3),
        UNIT,
        skips={"float32": "SciPy's float32 loop takes k and n as floats and warns (deprecated)"},
    ),
    _last(
        "nbdtrc",
        sc.nbdtrc,
        (1, 2),
        UNIT,
        skips={"float32": "SciPy's float32 loop takes k and n as floats and warns (deprecated)"},
    ),
    _unary("ndtri_exp", sc.ndtri_exp, (-2.0, -0.2)),
    _last("fdtri", sc.fdtri, (3.0, 5.0), (0.2, 0.8)),
    _last("gdtrix", sc.gdtrix, (1.5, 2.5), (0.3, 0.7)),
    _last("bdtri", sc.bdtri, (2, 6), (0.2, 0.8), skips={"float32": "no float32 loop for int k"}),
    _last("nbdtri", sc.nbdtri, (2, 3), (0.2, 0.8), skips={"float32": "no float32 loop for int k"}),
    _last("pdtri", sc.pdtri, (2,), (0.2, 0.8), skips={"float32": "no float32 loop for int k"}),
    _unary("itstruve0", sc.itstruve0, POS),
    _unary("itmodstruve0", sc.itmodstruve0, POS),
    _unary("it2struve0", sc.it2struve0, POS),
    *(
        _unary(f.__name__, f, (0.5, 3.0))
        for f in (sc.ber, sc.bei, sc.berp, sc.beip, sc.ker, sc.kei, sc.kerp, sc.keip)
    ),
    _last("wright_bessel", sc.wright_bessel, (0.5, 1.5), POS),
    _last("log_wright_bessel", sc.log_wright_bessel, (0.5, 1.5), POS),
    _last("lpmv", sc.lpmv, (1.0, 2.5), (-0.8, 0.8)),
    OpInfo(
        "owens_t", sc.owens_t, (sc.owens_t,), shapes=BINARY_SHAPES, domain=((-2.0, 2.0), (-1.5, 2))
    ),
    _unary("erfi", sc.erfi, (-1.5, 1.5)),
    _unary("cosm1", sc.cosm1),
    _unary("tandg", sc.tandg, (-60.0, 60.0), atol=1e-4),
    _unary("cotdg", sc.cotdg, (20.0, 160.0), atol=1e-4),
    OpInfo(
        "radian",
        sc.radian,
        (sc.radian,),
        shapes=(((), (), ()), ((3,), (3,), (3,)), ((2, 3), (3,), ())),
        domain=(-90.0, 90.0),
        atol=1e-2,  # d/ds = pi / 648000: float32 differences of the output are only ~1e-7 apart
    ),
    OpInfo("powm1", sc.powm1, (sc.powm1,), shapes=BINARY_SHAPES, domain=((0.5, 2.5), (-1.5, 1.5))),
    _unary("wrightomega", sc.wrightomega),
    _unary("exprel", sc.exprel),
    _unary("exprel near 0", lambda x: sc.exprel(x * 0.02), covers=()),
    _unary("ellipk", sc.ellipk, (0.1, 0.9)),
    _unary("ellipe", sc.ellipe, (0.1, 0.9)),
    _unary("ellipkm1", sc.ellipkm1, (0.2, 0.9)),
    _last("hyp0f1", sc.hyp0f1, (1.5,), (-2.0, 2.0)),
    _last("hyp1f1", sc.hyp1f1, (0.5, 1.5), (-2.0, 2.0)),
    _last("hyp2f1", sc.hyp2f1, (0.5, 1.5, 2.5), (-0.8, 0.8)),
    _last("hyperu", sc.hyperu, (0.5, 1.5), POS),
    _last("kn", sc.kn, (2,), POS),
    _last("kn", sc.kn, (0,), POS),
    _last("yn", sc.yn, (1,), POS),
    _last("yn", sc.yn, (0,), POS),
    _last("jve", sc.jve, (1.5,), POS),
    _last("yve", sc.yve, (0.5,), POS),
    _last("struve", sc.struve, (1.5,), POS),
    _last("struve", sc.struve, (0.0,), POS),
    _last("modstruve", sc.modstruve, (0.5,), POS),
    # orthogonal polynomials in x (degree 0 has derivative 0)
    _last("eval_legendre", sc.eval_legendre, (3,), (-0.9, 0.9)),
    _last("eval_legendre", sc.eval_legendre, (0,), (-0.9, 0.9)),
    _last("eval_sh_legendre", sc.eval_sh_legendre, (3,), UNIT),
    _last("eval_gegenbauer", sc.eval_gegenbauer, (4, 0.75), (-0.9, 0.9)),
    _last("eval_chebyt", sc.eval_chebyt, (4,), (-0.9, 0.9)),
    _last("eval_chebyu", sc.eval_chebyu, (3,), (-0.9, 0.9)),
    _last("eval_chebyc", sc.eval_chebyc, (3,), (-1.8, 1.8)),
    _last("eval_chebys", sc.eval_chebys, (3,), (-1.8, 1.8)),
    _last("eval_sh_chebyt", sc.eval_sh_chebyt, (3,), UNIT),
    _last("eval_sh_chebyu", sc.eval_sh_chebyu, (3,), UNIT),
    _last("eval_jacobi", sc.eval_jacobi, (3, 0.5, 1.5), (-0.9, 0.9)),
    _last("eval_hermite", sc.eval_hermite, (3,), (-1.5, 1.5)),
    _last("eval_hermitenorm", sc.eval_hermitenorm, (4,), (-1.5, 1.5)),
    _last("eval_laguerre", sc.eval_laguerre, (3,), POS),
    _last("eval_genlaguerre", sc.eval_genlaguerre, (3, 0.5), POS),
    _unary("scipy cbrt", sc.cbrt, POS),
    _unary("scipy exp2", sc.exp2),
    _unary("scipy exp10", sc.exp10, (-1.0, 1.0)),
    _unary("cosdg", sc.cosdg, (-90.0, 90.0)),
    _unary("sindg", sc.sindg, (-90.0, 90.0)),
    _unary("scipy log1p", sc.log1p, (-0.5, 2.0)),
    _unary("scipy expm1", sc.expm1),
    # pullback.special: the plain-Python functions of scipy.special
    _unary("polygamma(1, x)", lambda x: ps.polygamma(1, x), POS, covers=()),
    _unary("polygamma(0, x)", lambda x: ps.polygamma(0, x), POS, covers=()),
    _unary("logsumexp", ps.logsumexp, covers=()),  # sum(p v) cancels
    _unary("logsumexp axis=-1", lambda x: ps.logsumexp(x, axis=-1), covers=(), shapes=ND),
    _unary(
        "logsumexp keepdims", lambda x: ps.logsumexp(x, axis=0, keepdims=True), covers=(), shapes=ND
    ),
    OpInfo(
        "logsumexp b",
        lambda a, b: ps.logsumexp(a, axis=-1, b=b),
        (),
        shapes=BINARY_SHAPES[1:],
        domain=((-2.0, 2.0), (0.5, 2.0)),
    ),
    _unary("softmax", lambda x: ps.softmax(x, axis=-1), covers=(), shapes=ND),
    _unary("softmax all", ps.softmax, covers=()),
    _unary("log_softmax", lambda x: ps.log_softmax(x, axis=-1), covers=(), shapes=ND),
]
NONDIFF: list[NondiffInfo] = [
    NondiffInfo("gammasgn", sc.gammasgn, (sc.gammasgn,)),
    NondiffInfo("scipy round", sc.round, (sc.round,)),
]
