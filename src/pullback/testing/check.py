"""check_grads (a consumer of the transforms): proves a rule right or shows where it is wrong.

Per argument, in a random direction: (i) JVP vs finite differences, (ii) VJP vs finite
differences through <ybar, J_fd xdot>, (iii) the exact adjoint identity <ybar, J xdot> =
<J^T ybar, xdot> between pullback's own JVP and VJP; then recursively on the derivative functions.

Complex leaves: every inner product is the real one, <a, b> = Re(sum(conj(a) * b)) (the
convention of docs/complex.md), and each complex argument is probed twice, along a real direction
and along an imaginary one, so a rule that is right on the real axis only (a missing conj) fails.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.pytree import flatten, unflatten
from ..errors import GradientCheckError
from ..transforms import jvp, vjp

# Per dtype: finite-difference step, tolerance against finite differences, adjoint tolerance.
TOLERANCES: dict[Any, dict[str, float]] = {
    np.dtype(np.float64): {"eps": 1e-3, "rtol": 1e-6, "adjoint": 1e-10},
    np.dtype(np.float32): {"eps": 1e-2, "rtol": 2e-3, "adjoint": 1e-4},
}
STRUCTURES = ("symmetric", "psd", "lower", "upper", "diagonal")


@dataclass(frozen=True)
class CheckRow:
    """One comparison: which check, which argument, the two numbers, their relative error."""

    check: str
    argument: str
    ad: float
    reference: float
    error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return bool(self.error <= self.tolerance)


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    *,
    rng: np.random.Generator | None = None,
    eps: float | None = None,
    rtol: float | None = None,
    atol: float = 0.0,
    structure: dict[int, str] | None = None,
) -> list[CheckRow]:
    """Check pullback's derivatives of `f` at `args` in `modes`, recursively to `order`.

    `structure={k: "symmetric" | "psd" | "lower" | "upper" | "diagonal"}` draws the directions of
    argument k from that subspace (for rules whose input lives on it, e.g. a symmetric matrix).
    Tolerances are keyed by the arguments' dtype (TOLERANCES) unless `eps`/`rtol` are given; each
    comparison passes when |AD - reference| <= rtol |reference| + atol + the finite differences' own
    rounding error (so a derivative that is exactly 0 passes at atol=0 when f is O(1)).
    Raises GradientCheckError with a table of every comparison when one fails; returns the rows.

    >>> rows = check_grads(np.sin, (np.array([0.5, 1.0]),), rng=np.random.default_rng(0))
    >>> all(row.ok for row in rows)
    True
    """
    modes = tuple(modes)
    for m in modes:
        if m not in ("fwd", "rev"):
            raise ValueError(f"check_grads: modes must be a subset of ('fwd', 'rev'), got {m!r}")
    for kind in (structure or {}).values():
        if kind not in STRUCTURES:
            raise ValueError(f"check_grads: structure must be one of {STRUCTURES}, got {kind!r}")
    rng = rng if rng is not None else np.random.default_rng(0)
    args = tuple(args)
    before = copy.deepcopy(args)
    rows = _check(f, args, order, modes, rng, eps, rtol, atol, structure or {}, "")
    _check_not_mutated(args, before)
    failed = [r for r in rows if not r.ok]
    if failed:
        raise GradientCheckError(_table(f, rows))
    return rows


def _check(f, args, order, modes, rng, eps, rtol, atol, structure, prefix) -> list[CheckRow]:
    leaves, _ = flatten(args)
    dtype = np.result_type(*[np.asarray(x).dtype for x in leaves])
    if dtype.kind == "c":  # complex64 is checked like float32, complex128 like float64
        dtype = np.finfo(dtype).dtype
    tol = TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float64)])
    h = eps if eps is not None else tol["eps"]
    fd_rtol = rtol if rtol is not None else tol["rtol"]
    y = f(*args)
    y_leaves, _ = flatten(y)
    u = tuple(_direction(rng, yl, None) for yl in y_leaves)
    rows: list[CheckRow] = []
    xbars: list[Any] | None = None
    if "rev" in modes:
        _, back = vjp(f, *args)
        xbars, _ = flatten(back(_like_tree(y, u)))
        _check_avals(xbars, leaves, f"{prefix}vjp cotangent")
    for k, name, v in _probes(rng, leaves, structure if not prefix else {}):
        ydot_fd, noise = _fd(f, args, k, v, h)
        vjp_side = None if xbars is None else _dot([xbars[k]], [v])
        fd_side = _dot(u, ydot_fd)
        # an absolute floor of the size of the differences' own rounding error: without it, a
        # derivative that is exactly 0 could never match its finite difference (~1e-13, not 0)
        floor = (noise + atol) / fd_rtol  # so that |AD - FD| <= rtol |FD| + noise + atol
        scale = _norm(u) * (_norm(ydot_fd) + floor)
        if "fwd" in modes:
            tangents = [np.zeros_like(np.asarray(leaf)) for leaf in leaves]
            tangents[k] = v
            _, ydot = jvp(f, tuple(args), _like_tree(args, tangents))
            ydot_leaves, _ = flatten(ydot)
            _check_avals(ydot_leaves, y_leaves, f"{prefix}jvp tangent")
            err = _norm([a - b for a, b in zip(ydot_leaves, ydot_fd, strict=True)])
            rows.append(
                _row(
                    f"{prefix}jvp vs fd",
                    name,
                    _norm(ydot_leaves),
                    _norm(ydot_fd),
                    err,
                    _norm(ydot_fd) + floor,
                    fd_rtol,
                )
            )
            jvp_side = _dot(u, ydot_leaves)
            if vjp_side is not None:
                slack = (noise + atol) / tol["adjoint"]
                adj_scale = _norm(u) * (_norm(ydot_leaves) + slack) + _norm([xbars[k]]) * _norm([v])
                rows.append(
                    _row(
                        f"{prefix}adjoint <u,Jv>=<J'u,v>",
                        name,
                        jvp_side,
                        vjp_side,
                        abs(jvp_side - vjp_side),
                        adj_scale,
                        tol["adjoint"],
                    )
                )
        if vjp_side is not None:
            rows.append(
                _row(
                    f"{prefix}vjp vs fd",
                    name,
                    vjp_side,
                    fd_side,
                    abs(vjp_side - fd_side),
                    scale,
                    fd_rtol,
                )
            )
    if order > 1:
        rows += _check_derivatives(f, args, order, modes, rng, eps, rtol, atol, structure, prefix)
    return rows


def _check_derivatives(f, args, order, modes, rng, eps, rtol, atol, structure, prefix):
    """Check the derivative functions themselves: x -> J(x) v and x -> J(x)^T u."""
    leaves, treedef = flatten(args)
    rows: list[CheckRow] = []
    if "fwd" in modes:
        v = [_direction(rng, x, None) for x in leaves]
        tangents = unflatten(treedef, v)

        def f_jvp(*xs: Any) -> Any:
            return jvp(f, xs, tangents)[1]

        rows += _check(
            f_jvp, args, order - 1, modes, rng, eps, rtol, atol, structure, prefix + "d(jvp) "
        )
    if "rev" in modes:
        y = f(*args)
        u = _like_tree(y, [_direction(rng, yl, None) for yl in flatten(y)[0]])

        def f_vjp(*xs: Any) -> Any:
            return vjp(f, *xs)[1](u)

        rows += _check(
            f_vjp, args, order - 1, modes, rng, eps, rtol, atol, structure, prefix + "d(vjp) "
        )
    return rows


def _row(
    check: str, arg: str, ad: float, ref: float, err: float, scale: float, rtol: float
) -> CheckRow:
    scale = float(scale)
    return CheckRow(
        check, arg, float(ad), float(ref), float(err) / scale if scale > 0 else float(err), rtol
    )


def _probes(
    rng: np.random.Generator, leaves: Sequence[Any], structure: dict[int, str]
) -> list[tuple[int, str, np.ndarray]]:
    """(leaf, label, direction) per check: one random direction for a real leaf; a real and an
    imaginary one for a complex leaf (both halves of its real tangent space)."""
    out = []
    for k, x in enumerate(leaves):
        kind = structure.get(k)
        if np.asarray(x).dtype.kind == "c":
            out.append((k, f"x{k}.re", _direction(rng, x, kind, part="re")))
            out.append((k, f"x{k}.im", _direction(rng, x, kind, part="im")))
        else:
            out.append((k, f"x{k}", _direction(rng, x, kind)))
    return out


def _direction(
    rng: np.random.Generator, x: Any, kind: str | None, part: str = "both"
) -> np.ndarray:
    """A random direction in x's tangent space (complex: real and imaginary parts, or one of them
    with part="re" / "im"), restricted to the subspace `kind`."""
    x = np.asarray(x)
    v = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        if part == "re":
            v = v + 0j
        elif part == "im":
            v = 1j * v
        else:
            v = v + 1j * rng.standard_normal(x.shape)
    if kind in ("symmetric", "psd"):  # PSD inputs: symmetric steps keep a PD matrix PD
        v = (v + np.swapaxes(v, -1, -2)) / 2
    elif kind == "lower":
        v = np.tril(v)
    elif kind == "upper":
        v = np.triu(v)
    elif kind == "diagonal":
        v = v * np.eye(x.shape[-1])
    return v.astype(x.dtype)


def _fd(
    f: Callable[..., Any], args: tuple[Any, ...], k: int, v: np.ndarray, h: float
) -> tuple[list[np.ndarray], float]:
    """Fourth-order central difference of f along direction v in leaf k (error O(h^4)), and the
    size of its rounding error: 10 eps |f| / h (the stencil's weights sum to 18/12 < 10)."""
    leaves, treedef = flatten(args)
    dtypes = {np.asarray(leaves[k]).dtype}  # the precision the values are computed in

    def at(t: float) -> list[np.ndarray]:
        moved = list(leaves)
        moved[k] = (np.asarray(leaves[k]) + t * v).astype(np.asarray(leaves[k]).dtype)
        out, _ = flatten(f(*unflatten(treedef, moved)))
        dtypes.update(np.asarray(o).dtype for o in out)
        return [np.asarray(o, dtype=np.result_type(o, np.float64)) for o in out]

    p1, m1, p2, m2 = at(h), at(-h), at(2 * h), at(-2 * h)
    diffs = [(8 * (a - b) - (c - d)) / (12 * h) for a, b, c, d in zip(p1, m1, p2, m2, strict=True)]
    eps = max(float(np.finfo(d).eps) for d in dtypes if d.kind in "fc")
    return diffs, 10 * eps * _magnitude(p1, m1, p2, m2) / h


def _magnitude(*points: list[np.ndarray]) -> float:
    """A bound on the 2-norm of f over the stencil, counting only the entries that change (an
    entry equal at every point differences to an exact 0). max * sqrt(n): cannot overflow."""
    largest, count = 0.0, 0
    for vals in zip(*points, strict=True):
        stacked = np.stack(vals)
        moving = np.any(stacked != stacked[0], axis=0)
        if np.any(moving):
            largest = max(largest, float(np.max(np.abs(stacked[:, moving]))))
            count += int(np.sum(moving))
    return largest * float(np.sqrt(count))


def _wide(x: Any) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _dot(a: Sequence[Any], b: Sequence[Any]) -> float:
    """The real inner product <a, b> = Re(sum(conj(a) * b)) over pairs of leaves."""
    return float(sum(np.real(np.vdot(_wide(x), _wide(y))) for x, y in zip(a, b, strict=True)))


def _norm(a: Sequence[Any]) -> float:
    return float(np.sqrt(sum(np.sum(np.abs(_wide(x)) ** 2) for x in a)))


def _like_tree(tree: Any, leaves: Sequence[Any]) -> Any:
    _, treedef = flatten(tree)
    return unflatten(treedef, list(leaves))


def _check_avals(got: Sequence[Any], like: Sequence[Any], what: str) -> None:
    for k, (g, x) in enumerate(zip(got, like, strict=True)):
        g_shape, x_shape = np.shape(g), np.shape(x)
        g_dtype, x_dtype = np.result_type(g), np.result_type(x)
        if g_shape != x_shape or g_dtype != x_dtype:
            raise GradientCheckError(
                f"{what} {k} has shape {g_shape} and dtype {g_dtype}, but its value has shape "
                f"{x_shape} and dtype {x_dtype}"
            )


def _check_not_mutated(args: tuple[Any, ...], before: tuple[Any, ...]) -> None:
    now, _ = flatten(args)
    then, _ = flatten(before)
    for k, (a, b) in enumerate(zip(now, then, strict=True)):
        if not np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True):
            raise GradientCheckError(f"check_grads: the function mutated its input leaf {k}")


def _table(f: Callable[..., Any], rows: list[CheckRow]) -> str:
    name = getattr(f, "__name__", repr(f))
    head = f"{'check':<44} {'arg':<4} {'AD':>14} {'reference':>14} {'rel. error':>10} {'tol':>8}"
    lines = [f"check_grads failed for {name}:", head, "-" * len(head)]
    for r in rows:
        flag = "" if r.ok else "  <-- FAIL"
        lines.append(
            f"{r.check:<44} {r.argument:<4} {r.ad:>14.7g} {r.reference:>14.7g} "
            f"{r.error:>10.2e} {r.tolerance:>8.0e}{flag}"
        )
    tiny = [r for r in rows if not r.ok and max(abs(r.ad), abs(r.reference)) < 1e-9]
    if tiny and len(tiny) == sum(not r.ok for r in rows):
        lines.append(
            "Every failing value is below 1e-9: if the derivative is 0 here, these are rounding "
            "errors that a relative check cannot resolve; pass atol= (e.g. atol=1e-9) or check "
            "at a point where the derivative is not 0."
        )
    return "\n".join(lines)
