"""OpInfo entries for shape ops (rules/shape.py): reshape and its composites, transposes,
broadcast_to, tile, repeat, concatenate / stack / split, flip, diagonals and triangles."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opinfo import UNARY_SHAPES, NondiffInfo, OpInfo

NDIM2 = (((2, 3),), ((4, 2, 3),))
NONSCALAR = UNARY_SHAPES[1:]
SQUARE = (((3, 3),), ((2, 3),), ((3, 2),), ((4, 2, 3),))


def _plus_constant(x: Any) -> Any:
    """concatenate a traced array with a plain one (the constant gets no cotangent)."""
    return np.concatenate([x, np.full((1, *x.shape[1:]), 0.5, x.dtype)], axis=0)


def _squeezable(x: Any) -> Any:
    return np.squeeze(np.reshape(x, (1, *x.shape, 1)))


def _squeeze_axis(x: Any) -> Any:
    return np.squeeze(np.expand_dims(x, (0, -1)), axis=-1)


def _split_sum(parts: list[Any]) -> Any:
    return [p * (k + 1) for k, p in enumerate(parts)]


def _reshape_methods(x: Any) -> Any:
    return x.T.reshape(-1) + x.reshape(x.size) * 2 + x.transpose().flatten()


OPS: list[OpInfo] = [
    OpInfo("reshape", lambda x: np.reshape(x, (-1, 1)), (np.reshape,)),
    OpInfo(
        "reshape_F", lambda x: x.reshape((x.shape[-1], -1), order="F"), (np.reshape,), shapes=NDIM2
    ),
    OpInfo("reshape_methods", _reshape_methods, (np.reshape, np.transpose, np.ravel)),
    OpInfo("ravel", np.ravel, (np.ravel,)),
    OpInfo("expand_dims", lambda x: np.expand_dims(x, 0), (np.expand_dims,)),
    OpInfo("expand_dims_tuple", lambda x: np.expand_dims(x, (0, -1)), (np.expand_dims,)),
    OpInfo("squeeze", _squeezable, (np.squeeze,)),
    OpInfo("squeeze_axis", _squeeze_axis, (np.squeeze,)),
    OpInfo("atleast_1d", np.atleast_1d, (np.atleast_1d,)),
    OpInfo("atleast_2d", np.atleast_2d, (np.atleast_2d,)),
    OpInfo("atleast_3d", np.atleast_3d, (np.atleast_3d,)),
    OpInfo("transpose", np.transpose, (np.transpose,)),
    OpInfo(
        "transpose_axes",
        lambda x: np.transpose(x, (1, -1, 0)),
        (np.transpose,),
        shapes=(((4, 2, 3),),),
    ),
    OpInfo("T", lambda x: x.T, (np.transpose,)),
    OpInfo("mT", lambda x: x.mT, (np.swapaxes,), shapes=NDIM2),
    OpInfo("swapaxes", lambda x: np.swapaxes(x, 0, -1), (np.swapaxes,), shapes=NDIM2),
    OpInfo("moveaxis", lambda x: np.moveaxis(x, 0, -1), (np.moveaxis,), shapes=NDIM2),
    OpInfo(
        "moveaxis_tuple",
        lambda x: np.moveaxis(x, (0, 1), (-1, 0)),
        (np.moveaxis,),
        shapes=(((4, 2, 3),),),
    ),
    OpInfo(
        "broadcast_to",
        lambda x: np.broadcast_to(x, (4, 2, 3)),
        (np.broadcast_to,),
        shapes=(((),), ((3,),), ((1, 3),), ((2, 1),), ((4, 2, 3),)),
    ),
    OpInfo("tile", lambda x: np.tile(x, 2), (np.tile,)),
    OpInfo(
        "tile_reps", lambda x: np.tile(x, (2, 1, 3)), (np.tile,), shapes=(((),), ((3,),), ((2, 3),))
    ),
    OpInfo("repeat", lambda x: np.repeat(x, 2), (np.repeat,)),
    OpInfo("repeat_axis", lambda x: np.repeat(x, 3, axis=-2), (np.repeat,), shapes=NDIM2),
    OpInfo(
        "repeat_array",
        lambda x: np.repeat(x, [2, 0, 1], axis=-1),
        (np.repeat,),
        shapes=((((3,),), *NDIM2)),
    ),
    OpInfo(
        "concatenate",
        lambda x, y: np.concatenate([x, y, x]),
        (np.concatenate,),
        shapes=(((3,), (2,)), ((2, 3), (1, 3))),
    ),
    OpInfo(
        "concatenate_axis",
        lambda x, y: np.concatenate((y, x), axis=-1),
        (np.concatenate,),
        shapes=(((2, 3), (2, 1)), ((4, 2, 3), (4, 2, 2))),
    ),
    OpInfo(
        "concatenate_none",
        lambda x, y: np.concatenate([x, y], axis=None),
        (np.concatenate,),
        shapes=(((), (2, 3)), ((4, 2, 3), (3,))),
    ),
    OpInfo("concatenate_constant", _plus_constant, (np.concatenate,), shapes=NONSCALAR),
    OpInfo(
        "stack",
        lambda x, y: np.stack([x, y]),
        (np.stack,),
        shapes=(((), ()), ((3,), (3,)), ((2, 3), (2, 3))),
    ),
    OpInfo(
        "stack_axis",
        lambda x, y: np.stack((x, y, x), axis=-1),
        (np.stack,),
        shapes=(((3,), (3,)), ((4, 2, 3), (4, 2, 3))),
    ),
    OpInfo(
        "hstack",
        lambda x, y: np.hstack([x, y]),
        (np.hstack,),
        shapes=(((), (2,)), ((2,), (3,)), ((2, 3), (2, 1))),
    ),
    OpInfo(
        "vstack",
        lambda x, y: np.vstack([x, y]),
        (np.vstack,),
        shapes=(((3,), (3,)), ((2, 3), (1, 3)), ((4, 2, 3), (1, 2, 3))),
    ),
    OpInfo(
        "split", lambda x: _split_sum(np.split(x, 2)), (np.split,), shapes=(((4,),), ((4, 2, 3),))
    ),
    OpInfo(
        "split_indices",
        lambda x: _split_sum(np.split(x, [1, -1], axis=-1)),
        (np.split,),
        shapes=NONSCALAR,
    ),
    OpInfo(
        "array_split",
        lambda x: _split_sum(np.array_split(x, 3, axis=-2)),
        (np.array_split,),
        shapes=NDIM2,
    ),
    OpInfo("flip", np.flip, (np.flip,)),
    OpInfo("flip_axis", lambda x: np.flip(x, -1), (np.flip,), shapes=NONSCALAR),
    OpInfo("flip_axes", lambda x: np.flip(x, (0, 2)), (np.flip,), shapes=(((4, 2, 3),),)),
    OpInfo("diag_embed", np.diag, (np.diag,), shapes=(((3,),),)),
    OpInfo(
        "diag_embed_k", lambda x: np.diag(x, 1) + np.diag(x, 1).T, (np.diag,), shapes=(((3,),),)
    ),
    OpInfo("diag_embed_negative_k", lambda x: np.diag(x, -2), (np.diag,), shapes=(((3,),),)),
    OpInfo(
        "diag_extract",
        lambda x: np.diag(x) * np.diag(x, 1).sum(),
        (np.diag,),
        shapes=(((3, 3),), ((2, 3),)),
    ),
    OpInfo("diagonal", np.diagonal, (np.diagonal,), shapes=SQUARE),
    OpInfo(
        "diagonal_axes", lambda x: np.diagonal(x, 1, 2, 0), (np.diagonal,), shapes=(((4, 2, 3),),)
    ),
    OpInfo(
        "diagonal_negative_offset",
        lambda x: np.diagonal(x, -1, -1, -2),
        (np.diagonal,),
        shapes=SQUARE,
    ),
    OpInfo("trace", np.trace, (np.trace,), shapes=SQUARE),
    OpInfo(
        "trace_axes",
        lambda x: np.trace(x, -1, axis1=1, axis2=2),
        (np.trace,),
        shapes=(((4, 2, 3),),),
    ),
    OpInfo("triu", np.triu, (np.triu,), shapes=((((3,),), *SQUARE))),
    OpInfo("triu_k", lambda x: np.triu(x, 1), (np.triu,), shapes=SQUARE),
    OpInfo("tril", np.tril, (np.tril,), shapes=SQUARE),
    OpInfo("tril_k", lambda x: np.tril(x, -1), (np.tril,), shapes=SQUARE),
]

NONDIFF: list[NondiffInfo] = []
