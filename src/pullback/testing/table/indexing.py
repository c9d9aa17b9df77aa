"""OpInfo entries for indexing (rules/indexing.py): basic, integer-array (repeated entries),
boolean and mixed indices, iteration, take and take_along_axis."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..opinfo import UNARY_SHAPES, NondiffInfo, OpInfo

GETITEM = (operator.getitem,)
NONSCALAR = UNARY_SHAPES[1:]
NDIM2 = (((2, 3),), ((4, 2, 3),))
MASK3 = np.array([True, False, True])
MASK23 = np.array([[True, False, True], [False, True, True]])


def _rows(x: Any) -> Any:
    """Iteration goes through getitem: each row scaled by its position."""
    return np.stack([row * (k + 1.0) for k, row in enumerate(x)])


def _getitem_squared(x: Any) -> Any:
    """x[[0, 0, 1]] used nonlinearly: the second-order terms meet at the repeated entry."""
    y = x[[0, 0, 1]]
    return y * y


OPS: list[OpInfo] = [
    OpInfo("getitem_int", lambda x: x[1], GETITEM, shapes=NONSCALAR),
    OpInfo("getitem_int_negative", lambda x: x[-1, 0], GETITEM, shapes=NDIM2),
    OpInfo("getitem_empty_tuple", lambda x: x[()], GETITEM),
    OpInfo("getitem_ellipsis", lambda x: x[...], GETITEM),
    OpInfo("getitem_slice", lambda x: x[1:], GETITEM, shapes=NONSCALAR),
    OpInfo("getitem_slice_step", lambda x: x[::2], GETITEM, shapes=NONSCALAR),
    OpInfo("getitem_slice_negative_step", lambda x: x[::-1], GETITEM, shapes=NONSCALAR),
    OpInfo("getitem_slice_reverse_range", lambda x: x[..., 2:0:-1], GETITEM, shapes=NONSCALAR),
    OpInfo("getitem_newaxis", lambda x: x[None, ..., None], GETITEM),
    OpInfo("getitem_mixed_basic", lambda x: x[:, None, ::-2], GETITEM, shapes=NDIM2),
    OpInfo("getitem_int_array", lambda x: x[[2, 0, 1]], GETITEM, shapes=(((3,),), ((3, 2),))),
    OpInfo("getitem_repeated", lambda x: x[[0, 0, 1]], GETITEM, shapes=NONSCALAR),
    OpInfo("getitem_repeated_squared", _getitem_squared, GETITEM, shapes=NONSCALAR),
    OpInfo(
        "getitem_int_array_2d", lambda x: x[np.array([[0, 1], [1, 1]])], GETITEM, shapes=NONSCALAR
    ),
    OpInfo("getitem_two_arrays", lambda x: x[[0, 1, 1], [1, 0, 1]], GETITEM, shapes=NDIM2),
    OpInfo("getitem_slice_and_array", lambda x: x[..., [2, 0, 2]], GETITEM, shapes=NONSCALAR),
    OpInfo(
        "getitem_arrays_split_by_slice",
        lambda x: x[[0, 3, 0], :, [2, 2, 1]],
        GETITEM,
        shapes=(((4, 2, 3),),),
    ),
    OpInfo("getitem_int_and_array", lambda x: x[1, [0, 0]], GETITEM, shapes=NDIM2),
    OpInfo("getitem_mask", lambda x: x[MASK3], GETITEM, shapes=(((3,),),)),
    OpInfo("getitem_mask_last_axis", lambda x: x[..., MASK3], GETITEM, shapes=NONSCALAR),
    OpInfo("getitem_mask_middle", lambda x: x[:, MASK3[1:]], GETITEM, shapes=(((4, 2, 3),),)),
    OpInfo("getitem_mask_2d", lambda x: x[MASK23], GETITEM, shapes=(((2, 3),),)),
    OpInfo("getitem_mask_2d_trailing", lambda x: x[:, MASK23], GETITEM, shapes=(((4, 2, 3),),)),
    OpInfo("getitem_mask_and_array", lambda x: x[MASK3, [1, 1]], GETITEM, shapes=(((3, 2),),)),
    OpInfo("iteration", _rows, GETITEM, shapes=NONSCALAR),
    OpInfo("take", lambda x: np.take(x, [2, 2, 0]), (np.take,), shapes=NONSCALAR),
    OpInfo("take_axis", lambda x: np.take(x, [[1, 0], [1, 1]], axis=-2), (np.take,), shapes=NDIM2),
    OpInfo("take_wrap", lambda x: np.take(x, [-1, 5], mode="wrap"), (np.take,), shapes=NONSCALAR),
    OpInfo("take_clip", lambda x: np.take(x, [-1, 5], mode="clip"), (np.take,), shapes=NONSCALAR),
    OpInfo(
        "take_along_axis",
        lambda x: np.take_along_axis(x, np.array([[2, 2, 0, 1], [0, 1, 1, 1]]), axis=-1),
        (np.take_along_axis,),
        shapes=(((2, 3),),),
    ),
    OpInfo(
        "take_along_axis_0",
        lambda x: np.take_along_axis(x, np.array([[[1], [0]], [[3], [3]]]), axis=0),
        (np.take_along_axis,),
        shapes=(((4, 2, 3),),),
    ),
]

NONDIFF: list[NondiffInfo] = []
