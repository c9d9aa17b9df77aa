"""Rules (stage ④) for contractions: matmul and dot are primitives with BLAS-speed pullbacks,
einsum a primitive whose pullbacks are einsums; tensordot, inner, outer, kron, vdot, vecdot,
matvec and vecmat compose them. Every pullback calls NumPy on traced values: every order works."""

from __future__ import annotations

import string
from collections import Counter
from functools import cache
from math import prod
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ..core import batching, register
from ..extend import Rule, as_array, defbatch, defrule, unbroadcast

LETTERS = string.ascii_uppercase + string.ascii_lowercase  # einsum's labels, in NumPy's order


def _no_kwargs(fn: str, kwargs: dict[str, Any]) -> None:
    if any(v is not None for v in kwargs.values()):
        raise TypeError(f"pullback's numpy.{fn} does not support the arguments {sorted(kwargs)}")


def _conj(x: Any) -> Any:
    """conj(x) for complex x; x itself for real x (real code pays nothing)."""
    return np.conjugate(x) if x.dtype.kind == "c" else x


# ---- matmul (and dot where dot agrees with it) ------------------------------------------------
def _matmul_fwd(a: Any, b: Any) -> tuple[Any, Any]:
    return np.matmul(a, b), (a, b)


def _dot_fwd(a: Any, b: Any) -> tuple[Any, Any]:
    return np.dot(a, b), (a, b)


def _matmul_jvp(res: Any, adot: Any, bdot: Any) -> Any:
    a, b = res  # ydot = Adot B + A Bdot
    if adot is None:
        return np.matmul(a, bdot)
    if bdot is None:
        return np.matmul(adot, b)
    return np.matmul(adot, b) + np.matmul(a, bdot)


def _as_matrices(a: Any, b: Any, ybar: Any) -> tuple[Any, Any, Any]:
    """A 1-D a is a row (1, k), a 1-D b a column (k, 1); ybar gains the matching axes."""
    if b.ndim == 1:
        b, ybar = np.reshape(b, (-1, 1)), np.expand_dims(ybar, -1)
    if a.ndim == 1:
        a, ybar = np.reshape(a, (1, -1)), np.expand_dims(ybar, -2)
    return a, b, ybar


def _matmul_vjp_a(res: Any, ybar: Any) -> Any:
    a, b = res
    if a.ndim == 2 and b.ndim == 2:  # matrix @ matrix (an MLP layer): no axes to add or sum
        abar = np.matmul(ybar, _conj(b).mT)
        return abar if abar.dtype == a.dtype else unbroadcast(abar, a)
    a2, b2, ybar2 = _as_matrices(a, b, ybar)
    abar = unbroadcast(np.matmul(ybar2, _conj(b2.mT)), a2)  # Abar = Ybar B^H, summed over batch
    return abar if a.ndim > 1 else np.reshape(abar, a.shape)


def _matmul_vjp_b(res: Any, ybar: Any) -> Any:
    a, b = res
    if a.ndim == 2 and b.ndim == 2:
        bbar = np.matmul(_conj(a).mT, ybar)
        return bbar if bbar.dtype == b.dtype else unbroadcast(bbar, b)
    a2, b2, ybar2 = _as_matrices(a, b, ybar)
    bbar = unbroadcast(np.matmul(_conj(a2.mT), ybar2), b2)  # Bbar = A^H Ybar, summed over batch
    return bbar if b.ndim > 1 else np.reshape(bbar, b.shape)


def _matmul(a: Any, b: Any, **kwargs: Any) -> Any:
    if kwargs:
        _no_kwargs("matmul", kwargs)
    return MATMUL.bind2(as_array(a), as_array(b))


MATMUL = defrule(
    np.matmul, _matmul_fwd, _matmul_jvp, (_matmul_vjp_a, _matmul_vjp_b), handler=_matmul
)


# ---- matmul and dot on a batch of directions (core/batching.py): xdot (B, *x.shape) ----------
def _rows_times(x: Any, m: Any) -> Any:
    """x @ m for x of shape (..., p, k) and a 2-D m as ONE matrix product (rows stacked)."""
    k, n = m.shape
    return np.reshape(np.matmul(np.reshape(x, (-1, k)), m), (*x.shape[:-1], n))


def _matmul_ndim(a: Any, b: Any) -> int:
    if a.ndim == 1 or b.ndim == 1:
        return a.ndim + b.ndim - 2
    return max(a.ndim, b.ndim)


def _adot_times_b(adot: Any, b: Any, ndim: int) -> Any:
    """ydot[k] = adot[k] @ b for every row k; adot of shape (B, *a.shape)."""
    if adot.ndim == 2:  # a is 1-D: the rows of adot are vectors
        y = np.matmul(adot, b)  # (B, n), (B,), or (..., B, n) for a stacked b
        return y if b.ndim <= 2 else np.moveaxis(y, -2, 0)
    if b.ndim == 1:
        return np.matmul(adot, b)
    if b.ndim == 2:
        return _rows_times(adot, b)
    return np.matmul(batching.lift(adot, ndim), b)


def _a_times_bdot(a: Any, bdot: Any, ndim: int) -> Any:
    """ydot[k] = a @ bdot[k] for every row k; bdot of shape (B, *b.shape)."""
    if bdot.ndim == 2:  # b is 1-D: ydot[k] = a @ bdot[k] = bdot[k] @ a^T
        if a.ndim == 1:
            return np.matmul(bdot, a)
        y = np.matmul(bdot, a.mT) if a.ndim == 2 else np.matmul(bdot, np.swapaxes(a, -1, -2))
        return y if a.ndim == 2 else np.moveaxis(y, -2, 0)
    if a.ndim == 1:
        return np.matmul(a, bdot)
    if a.ndim == 2:  # (a @ bdot[k])^T = bdot[k]^T @ a^T: one product over all rows
        return np.swapaxes(_rows_times(np.swapaxes(bdot, -1, -2), a.mT), -1, -2)
    return np.matmul(a, batching.lift(bdot, ndim))


def _matmul_jvp_batched(res: Any, adot: Any, bdot: Any) -> Any:
    a, b = res  # ydot[k] = Adot[k] B + A Bdot[k]
    ndim = _matmul_ndim(a, b)
    ydot = None
    if adot is not None:
        ydot = _adot_times_b(batching.full(adot, a.shape), b, ndim)
    if bdot is not None:
        term = _a_times_bdot(a, batching.full(bdot, b.shape), ndim)
        ydot = term if ydot is None else ydot + term
    return ydot


def _matmul_vjp_a_batched(res: Any, ybar: Any) -> Any:
    a, b = res  # Abar[k] = Ybar[k] B^H, summed over the broadcast axes
    if b.ndim == 1 and a.ndim == 2:  # y = A b: Abar[k] = ybar[k] b^H, an outer product
        return batching.unbroadcast(np.expand_dims(ybar, -1) * _conj(b), a)
    if a.ndim == 1 and b.ndim == 2:  # y = a B: abar[k] = conj(B) ybar[k], rows: ybar B^H
        return batching.unbroadcast(np.matmul(ybar, _conj(b.mT)), a)
    a2, b2, ybar2 = _as_matrices(a, b, ybar)
    bh = _conj(b2.mT if b2.ndim == 2 else np.swapaxes(b2, -1, -2))
    g = _rows_times(ybar2, bh) if b2.ndim == 2 else np.matmul(ybar2, bh)
    abar = batching.unbroadcast(g, a2)
    return abar if a.ndim > 1 else np.reshape(abar, (abar.shape[0], *a.shape))


def _matmul_vjp_b_batched(res: Any, ybar: Any) -> Any:
    a, b = res  # Bbar[k] = A^H Ybar[k], summed over the broadcast axes
    if b.ndim == 1 and a.ndim == 2:  # y = A b: bbar[k] = A^H ybar[k], rows: ybar conj(A)
        return batching.unbroadcast(np.matmul(ybar, _conj(a)), b)
    if a.ndim == 1 and b.ndim == 2:  # y = a B: Bbar[k] = conj(a) ybar[k]^T, an outer product
        return batching.unbroadcast(np.expand_dims(_conj(a), -1) * np.expand_dims(ybar, -2), b)
    a2, b2, ybar2 = _as_matrices(a, b, ybar)
    if a2.ndim == 2:  # (A^H Ybar[k])^T = Ybar[k]^T conj(A): one product over all rows
        g = np.swapaxes(_rows_times(np.swapaxes(ybar2, -1, -2), _conj(a2)), -1, -2)
    else:
        g = np.matmul(_conj(np.swapaxes(a2, -1, -2)), ybar2)
    bbar = batching.unbroadcast(g, b2)
    return bbar if b.ndim > 1 else np.reshape(bbar, (bbar.shape[0], *b.shape))


defbatch(MATMUL, _matmul_jvp_batched, (_matmul_vjp_a_batched, _matmul_vjp_b_batched))


def _dot(a: Any, b: Any, out: Any = None) -> Any:
    _no_kwargs("dot", {"out": out})
    a, b = as_array(a), as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    if b.ndim == 1 or (a.ndim <= 2 and b.ndim == 2):  # here dot(a, b) = matmul(a, b)
        return DOT.bind(a, b)
    return _tensordot(a, b, ((-1,), (-2,)))  # dot(a, b)[i,j,k,m] = sum(a[i,j,:] * b[k,:,m])


DOT = defrule(np.dot, _dot_fwd, _matmul_jvp, (_matmul_vjp_a, _matmul_vjp_b), handler=_dot)
defbatch(DOT, _matmul_jvp_batched, (_matmul_vjp_a_batched, _matmul_vjp_b_batched))


# ---- tensordot and its relatives: transpose + reshape + matmul ---------------------------------
def _transpose(x: Any, perm: list[int]) -> Any:
    return x if perm == sorted(perm) else np.transpose(x, perm)


def _reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return x if x.shape == shape else np.reshape(x, shape)


def _tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    a, b = as_array(a), as_array(b)
    if np.ndim(axes) == 0:
        n = int(axes)
        ax_a, ax_b = tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    else:
        ax_a, ax_b = normalize_axis_tuple(axes[0], a.ndim), normalize_axis_tuple(axes[1], b.ndim)
    if len(ax_a) != len(ax_b) or any(
        a.shape[i] != b.shape[j] for i, j in zip(ax_a, ax_b, strict=True)
    ):
        raise ValueError("shape-mismatch for sum")
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [j for j in range(b.ndim) if j not in ax_b]
    m, k, n = (prod(x.shape[i] for i in ax) for x, ax in ((a, free_a), (a, ax_a), (b, free_b)))
    a2 = _reshape(_transpose(a, free_a + list(ax_a)), (m, k))
    b2 = _reshape(_transpose(b, list(ax_b) + free_b), (k, n))
    y = np.matmul(a2, b2)  # Y = A' B' with A' = (free_a, summed) and B' = (summed, free_b)
    return _reshape(y, tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b))


def _inner(a: Any, b: Any) -> Any:
    a, b = as_array(a), as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    return _tensordot(a, b, ((-1,), (-1,)))  # inner(a, b) = sum(a[..., :] * b[..., :])


def _outer(a: Any, b: Any, out: Any = None) -> Any:
    _no_kwargs("outer", {"out": out})
    return np.multiply(np.reshape(a, (-1, 1)), np.reshape(b, (1, -1)))  # y_ij = a_i b_j


def _kron(a: Any, b: Any) -> Any:
    a, b = as_array(a), as_array(b)
    nd = max(a.ndim, b.ndim)
    sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
    # y[i*p + k, j*q + l] = a[i, j] b[k, l]: a on the even axes times b on the odd, merged pairwise
    y = np.reshape(a, tuple(n for s in sa for n in (s, 1))) * np.reshape(
        b, tuple(n for s in sb for n in (1, s))
    )
    return np.reshape(y, tuple(p * q for p, q in zip(sa, sb, strict=True)))


def _vdot(a: Any, b: Any) -> Any:
    a, b = as_array(a), as_array(b)
    return np.dot(np.reshape(_conj(a), -1), np.reshape(b, -1))  # vdot(a, b) = sum(conj(a) * b)


def _vecdot(x1: Any, x2: Any, /, *, axis: int = -1, **kwargs: Any) -> Any:
    _no_kwargs("vecdot", kwargs)
    return np.sum(_conj(as_array(x1)) * x2, axis=axis)  # y = sum(conj(x1) * x2, axis)


def _matvec(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    _no_kwargs("matvec", kwargs)
    return np.matmul(x1, np.expand_dims(x2, -1))[..., 0]  # y = A x over the batch axes


def _vecmat(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    _no_kwargs("vecmat", kwargs)
    return np.matmul(np.expand_dims(_conj(as_array(x1)), -2), x2)[..., 0, :]  # y = x^H A


def _multi_dot(arrays: Any, *, out: Any = None) -> Any:
    _no_kwargs("linalg.multi_dot", {"out": out})
    y = arrays[0]
    for a in arrays[1:]:  # left to right; the chain order is not optimized
        y = np.dot(y, a)
    return y


register(np.tensordot, _tensordot)
register(np.inner, _inner)
register(np.outer, _outer)
register(np.kron, _kron)
register(np.vdot, _vdot)
register(np.vecdot, _vecdot)
register(np.linalg.matmul, _matmul)
register(np.linalg.tensordot, _tensordot)
register(np.linalg.outer, _outer)
register(np.linalg.vecdot, _vecdot)
register(np.linalg.multi_dot, _multi_dot)
if hasattr(np, "matvec"):  # NumPy >= 2.2
    register(np.matvec, _matvec)
    register(np.vecmat, _vecmat)


# ---- einsum -----------------------------------------------------------------------------------
def _interleaved(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """einsum(op0, sublist0, op1, sublist1, ..., [sublistout]) -> (subscripts, operands)."""

    def term(sublist: Any) -> str:
        return "".join("..." if s is Ellipsis else LETTERS[s] for s in sublist)

    ops, subs = args[0::2], [term(s) for s in args[1::2]]
    if len(args) % 2:  # an output sublist
        ops, out = ops[:-1], "->" + term(args[-1])
    else:
        out = ""
    return ",".join(subs) + out, ops


def _parse(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[tuple[str, ...], str]:
    """Subscripts -> (one term per operand, output term), '...' replaced by fresh labels."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, out = subscripts.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} subscript terms for {len(shapes)} operands")
    free = [c for c in LETTERS if c not in subscripts]
    ranks = [len(s) - (len(t) - 3) for t, s in zip(terms, shapes, strict=True) if "..." in t]
    ell = "".join(free[: max(ranks, default=0)])  # broadcast axes, aligned right
    full = []
    for t, s in zip(terms, shapes, strict=True):
        if "..." in t:
            t = t.replace("...", ell[len(ell) - (len(s) - len(t) + 3) :])
        if len(t) != len(s) or not set(t) <= set(LETTERS):
            raise ValueError(f"einsum: subscripts {t!r} do not match an operand of shape {s}")
        full.append(t)
    if not arrow:
        counts = Counter("".join(full))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    elif "..." in out:
        out = out.replace("...", ell)
    return tuple(full), out


def _einsum(*operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Any:
    dtype = kwargs.pop("dtype", None)
    _no_kwargs(
        "einsum", {"out": out, **{k: v for k, v in kwargs.items() if k not in ("order", "casting")}}
    )
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], operands[1:]
    else:
        subscripts, ops = _interleaved(operands)
    ops = tuple(as_array(x) for x in ops)
    ins, out_term = _parse(subscripts, [x.shape for x in ops])
    y = _einsum_rule(len(ops)).bind(*ops, ins=ins, out=out_term, optimize=optimize)
    return y if dtype is None else y.astype(dtype)


def _einsum_fwd(*ops: Any, ins: tuple[str, ...], out: str, optimize: Any) -> tuple[Any, Any]:
    y = np.einsum(",".join(ins) + "->" + out, *ops, optimize=optimize)
    return y, (ops, ins, out, optimize)


def _einsum_jvp(res: Any, *xdots: Any) -> Any:
    ops, ins, out, optimize = res  # multilinear: ydot = sum_k einsum(..., xdot_k, ...)
    spec = ",".join(ins) + "->" + out
    ydot = None
    for k, xdot in enumerate(xdots):
        if xdot is not None:
            term = np.einsum(spec, *ops[:k], xdot, *ops[k + 1 :], optimize=optimize)
            ydot = term if ydot is None else ydot + term
    return ydot


def _einsum_vjp(k: int) -> Any:
    def vjp(res: Any, ybar: Any) -> Any:
        return _einsum_xbar(res, ybar, k, batched=False)

    return vjp


def _einsum_xbar(res: Any, ybar: Any, k: int, batched: bool) -> Any:
    """Xbar_k = einsum of Ybar with the conjugated other operands into X_k's labels; a label
    repeated in X_k gets a fresh one tied by an identity, a label only X_k has a ones vector.
    Batched: Ybar and Xbar_k carry one more label, the batch axis, in front."""
    ops, ins, out, optimize = res
    x, term = ops[k], ins[k]
    used = set("".join(ins) + out)
    fresh = iter(c for c in LETTERS if c not in used)
    lead = next(fresh) if batched else ""
    subs = [lead + out, *ins[:k], *ins[k + 1 :]]
    args = [ybar, *(_conj(o) for o in ops[:k]), *(_conj(o) for o in ops[k + 1 :])]
    target = lead
    for pos, c in enumerate(term):
        if c in target:
            f = next(fresh)
            subs.append(c + f)
            args.append(np.eye(x.shape[pos], dtype=x.dtype))
            target += f
        else:
            target += c
    present = set("".join(subs))
    for pos, c in enumerate(term):
        if c not in present:
            subs.append(c)
            args.append(np.ones(x.shape[pos], dtype=x.dtype))
            present.add(c)
    path = optimize if isinstance(optimize, bool | str) else "greedy"
    g = np.einsum(",".join(subs) + "->" + target, *args, optimize=path)
    return batching.unbroadcast(g, x) if batched else unbroadcast(g, x)


def _einsum_jvp_batched(res: Any, *xdots: Any) -> Any:
    # ydot[b] = sum_k einsum(..., xdot_k[b], ...): the batch axis is one more label, in front
    ops, ins, out, optimize = res
    lead = _free_label(ins, out)
    if lead is None:  # all 52 labels taken: no room for the batch axis
        return NotImplemented
    ydot = None
    for k, xdot in enumerate(xdots):
        if xdot is not None:
            terms = (*ins[:k], lead + ins[k], *ins[k + 1 :])
            spec = ",".join(terms) + "->" + lead + out
            xdot = batching.full(xdot, ops[k].shape)
            term = np.einsum(spec, *ops[:k], xdot, *ops[k + 1 :], optimize=optimize)
            ydot = term if ydot is None else ydot + term
    return ydot


def _free_label(ins: tuple[str, ...], out: str) -> str | None:
    used = set("".join(ins) + out)
    return next((c for c in LETTERS if c not in used), None)


def _einsum_vjp_batched(k: int) -> Any:
    def vjp(res: Any, ybar: Any) -> Any:
        _, ins, out, _ = res
        term = ins[k]
        if len(set(LETTERS) - set("".join(ins) + out)) <= len(term) - len(set(term)):
            return NotImplemented  # no fresh label left for the batch axis
        return _einsum_xbar(res, ybar, k, batched=True)

    return vjp


@cache
def _einsum_rule(n: int) -> Rule:
    """The einsum primitive for n operands (one vjp per operand, so constants are skipped)."""
    rule = Rule("einsum", _einsum_fwd, _einsum_jvp, tuple(_einsum_vjp(k) for k in range(n)))
    return defbatch(rule, _einsum_jvp_batched, tuple(_einsum_vjp_batched(k) for k in range(n)))


register(np.einsum, _einsum)
