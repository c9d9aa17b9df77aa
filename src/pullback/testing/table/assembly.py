"""OpInfo entries for rules/assembly.py: roll, rot90, flips, pad, insert, delete, append,
compress, extract, select, choose, meshgrid, block, stacks and splits, linspace, logspace,
geomspace, full_like, astype."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ...core import REGISTRY, Traced, primal
from ...errors import InPlaceWriteError
from ..opinfo import UNARY_SHAPES, NondiffInfo, OpInfo

NONSCALAR = UNARY_SHAPES[1:]
NDIM2 = (((2, 3),), ((4, 2, 3),))
M23 = (((2, 3),),)


def _parts(parts: Any) -> Any:
    """Weight each piece differently so that a mix-up of pieces changes the result."""
    return [p * (k + 1.0) for k, p in enumerate(parts)]


def _insert_broadcast(x: Any, v: Any) -> Any:
    return np.insert(x, [1, 3], v, axis=-1)  # one value inserted twice: its cotangents add


def _pad_traced_constant(x: Any, c: Any) -> Any:
    return np.pad(x, ((1, 0), (2, 1)), constant_values=c)


def _select(x: Any) -> Any:
    return np.select([x < -0.5, x > 0.5], [x * x, 2.0 * x], default=x)


def _choose(x: Any, y: Any) -> Any:
    return np.choose(np.array([[0, 1, 2], [2, 1, 0]]), [x, y, x * y])


def _linspace(a: Any, b: Any) -> Any:
    return np.linspace(a, b, 5)


def _linspace_axis(a: Any, b: Any) -> Any:
    return np.linspace(a, b, 4, endpoint=False, retstep=True, axis=-1)


def _linspace_one(a: Any, b: Any) -> Any:
    return np.linspace(a, b, 1)


def _logspace(a: Any, b: Any) -> Any:
    return np.logspace(a, b, 4, base=2.0)


def _logspace_base(a: Any, base: Any) -> Any:
    return np.logspace(0.5, a, 3, base=base)


def _geomspace(a: Any, b: Any) -> Any:
    return np.geomspace(a, b, 4)


def _meshgrid(x: Any, y: Any) -> Any:
    u, v = np.meshgrid(x, y)
    s, t = np.meshgrid(x, y, indexing="ij", sparse=True)
    return u * v + (s * t).T


def _block(x: Any, y: Any) -> Any:
    return np.block([[x, y], [y, x]])


def _piecewise(x: Any) -> Any:
    return np.piecewise(x, [x < -0.5, x > 0.5], [lambda v: v**3, 0.25, np.sin])


def _piecewise_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    """Entries at least 0.1 from the breakpoints +-0.5."""
    shapes = [(), (3,), (2, 3), (4, 2, 3)]
    picks = np.array([-1.5, -1.0, -0.8, -0.3, 0.1, 0.3, 0.8, 1.2])
    return [((rng.choice(picks, s) + rng.uniform(-0.1, 0.1, s)).astype(dtype),) for s in shapes]


PAIR = (((3,), (3,)), ((2, 3), (2, 3)))

OPS: list[OpInfo] = [
    OpInfo("roll", lambda x: np.roll(x, 2), (np.roll,), shapes=NONSCALAR),
    OpInfo("roll_axes", lambda x: np.roll(x, (1, -1), axis=(0, -1)), (np.roll,), shapes=NDIM2),
    OpInfo("rot90", np.rot90, (np.rot90,), shapes=NDIM2),
    OpInfo("rot90_k", lambda x: np.rot90(x, 3, axes=(1, 0)), (np.rot90,), shapes=NDIM2),
    OpInfo("flipud", np.flipud, (np.flipud,), shapes=NONSCALAR),
    OpInfo("fliplr", np.fliplr, (np.fliplr,), shapes=NDIM2),
    OpInfo("resize", lambda x: np.resize(x, (2, 5)), (np.resize,), shapes=NONSCALAR),
    OpInfo("delete", lambda x: np.delete(x, [0, 2], axis=-1), (np.delete,), shapes=NONSCALAR),
    OpInfo("delete_flat", lambda x: np.delete(x, 1), (np.delete,), shapes=NONSCALAR),
    OpInfo("diagflat", lambda x: np.diagflat(x, 1), (np.diagflat,), shapes=((((3,),), *M23))),
    OpInfo("hsplit", lambda x: _parts(np.hsplit(x, [1])), (np.hsplit,), shapes=NDIM2),
    OpInfo("vsplit", lambda x: _parts(np.vsplit(x, [1])), (np.vsplit,), shapes=NDIM2),
    OpInfo("dsplit", lambda x: _parts(np.dsplit(x, [1])), (np.dsplit,), shapes=(((4, 2, 3),),)),
    OpInfo("unstack", lambda x: _parts(np.unstack(x, axis=-1)), (np.unstack,), shapes=NDIM2),
    OpInfo("matrix_transpose", np.matrix_transpose, (np.matrix_transpose,), shapes=NDIM2),
    OpInfo("column_stack", lambda x, y: np.column_stack([x, y]), (np.column_stack,), shapes=PAIR),
    OpInfo("dstack", lambda x, y: np.dstack((x, y, x)), (np.dstack,), shapes=PAIR),
    OpInfo("block", _block, (np.block,), shapes=PAIR),
    OpInfo("meshgrid", _meshgrid, (np.meshgrid,), shapes=(((3,), (2,)), ((4,), (4,)))),
    OpInfo(
        "broadcast_arrays",
        lambda x, y: _parts(np.broadcast_arrays(x, y)),
        (np.broadcast_arrays,),
        shapes=(((3,), (2, 1)), ((), (2, 3))),
    ),
    OpInfo(
        "append", lambda x, y: np.append(x, y), (np.append,), shapes=(((3,), (2,)), ((2, 3), ()))
    ),
    OpInfo("append_axis", lambda x, y: np.append(x, y, axis=0), (np.append,), shapes=PAIR),
    OpInfo("insert", lambda x: np.insert(x, 1, 0.5, axis=0), (np.insert,), shapes=NDIM2),
    OpInfo(
        "insert_values",
        _insert_broadcast,
        (np.insert,),
        shapes=(((3,), ()), ((2, 3), (2, 1)), ((4, 2, 3), (4, 2, 1))),
    ),
    OpInfo(
        "compress",
        lambda x: np.compress([True, False, True], x, axis=-1),
        (np.compress,),
        shapes=NONSCALAR,
    ),
    OpInfo(
        "compress_flat", lambda x: np.compress([False, True], x), (np.compress,), shapes=NONSCALAR
    ),
    OpInfo(
        "extract",
        lambda x: np.extract(np.arange(x.size).reshape(x.shape) % 2 == 0, x),
        (np.extract,),
        shapes=NONSCALAR,
    ),
    OpInfo("select", _select, (np.select,), samples=None, domain=(-2.0, 2.0), shapes=NONSCALAR),
    OpInfo("choose", _choose, (np.choose,), shapes=(((2, 3), (2, 3)), ((2, 3), (3,)))),
    OpInfo("pad", lambda x: np.pad(x, 2), (np.pad,), shapes=NONSCALAR),
    OpInfo(
        "pad_constants",
        lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=((1.0, 2.0), (3.0, 4.0))),
        (np.pad,),
        shapes=M23,
    ),
    OpInfo("pad_traced_constant", _pad_traced_constant, (np.pad,), shapes=(((2, 3), ()),)),
    *(
        OpInfo(
            f"pad_{mode}",
            lambda x, mode=mode: np.pad(x, ((1, 2), (2, 0)), mode=mode),
            (np.pad,),
            shapes=(((3, 3),), ((2, 4),)),
        )
        for mode in ("edge", "reflect", "symmetric", "wrap")
    ),
    OpInfo("linspace", _linspace, (np.linspace,), shapes=(((), ()), ((3,), (3,)), ((2, 1), (3,)))),
    OpInfo(
        "linspace_axis_retstep", _linspace_axis, (np.linspace,), shapes=(((), ()), ((2,), (2,)))
    ),
    OpInfo("linspace_one", _linspace_one, (np.linspace,), shapes=(((), ()),)),
    OpInfo("logspace", _logspace, (np.logspace,), shapes=(((), ()), ((3,), (3,)))),
    OpInfo(
        "logspace_base",
        _logspace_base,
        (np.logspace,),
        shapes=(((), ()),),
        domain=((-1.0, 1.0), (1.5, 3.0)),
    ),
    OpInfo(
        "geomspace", _geomspace, (np.geomspace,), shapes=(((), ()), ((3,), (3,))), domain=(0.5, 3.0)
    ),
    OpInfo(
        "full_like",
        lambda x, c: np.full_like(x, c) * x,
        (np.full_like,),
        shapes=(((2, 3), ()), ((3,), (3,))),
    ),
    OpInfo("full_like_plain", lambda x: np.full_like(x, 2.0) * x, (np.full_like,)),
    OpInfo("rollaxis", lambda x: np.rollaxis(x, 2), (np.rollaxis,), shapes=(((4, 2, 3),),)),
    OpInfo(
        "trim_zeros",
        lambda x: np.trim_zeros(np.concatenate([np.zeros(2, x.dtype), x, np.zeros(1, x.dtype)])),
        (np.trim_zeros,),
        shapes=(((3,),),),
    ),
    OpInfo(
        "apply_along_axis",
        lambda x: np.apply_along_axis(lambda v: v * np.sum(v * v), 0, x),
        (np.apply_along_axis,),
        shapes=NDIM2,
    ),
    OpInfo(
        "apply_along_axis_matrix",
        lambda x: np.apply_along_axis(lambda v: np.outer(v, v), -1, x),
        (np.apply_along_axis,),
        shapes=NDIM2,
    ),
    OpInfo(
        "apply_over_axes",
        lambda x: np.apply_over_axes(np.sum, x * x, [0, -1]),
        (np.apply_over_axes,),
        shapes=NDIM2,
    ),
    OpInfo("piecewise", _piecewise, (np.piecewise,), samples=_piecewise_samples),
    OpInfo("astype_function", lambda x: np.astype(x, np.float64) * x, (np.astype,)),
]

_PUT_IDX = np.array([[2], [0]])


def _put_along_axis_raises(x: Any) -> Any:
    """Without rules/writes.py, put_along_axis on a traced array must raise InPlaceWriteError
    (checked here); the plain write gives the reference result either way."""
    out = np.array(primal(x), copy=True)
    np.put_along_axis(out, _PUT_IDX, 0.0, axis=-1)
    if isinstance(x, Traced):
        try:
            np.put_along_axis(x, _PUT_IDX, 0.0, axis=-1)
        except InPlaceWriteError:
            return out
        raise AssertionError("numpy.put_along_axis on a traced array did not raise")
    return out


def _put_along_axis(x: Any, v: Any) -> Any:
    y = x * 1.0
    np.put_along_axis(y, np.array([[2, 0], [1, 1]]), v, axis=-1)  # a repeated index: last wins
    return y * y


NONDIFF: list[NondiffInfo] = []
if operator.setitem in REGISTRY:  # rules/writes.py is loaded: put_along_axis is a real write
    OPS.append(
        OpInfo(
            "put_along_axis",
            _put_along_axis,
            (np.put_along_axis,),
            shapes=(((2, 3), (2, 2)), ((2, 3), (2, 1)), ((2, 3), ())),
        )
    )
else:
    NONDIFF.append(
        NondiffInfo("put_along_axis_raises", _put_along_axis_raises, (np.put_along_axis,))
    )
