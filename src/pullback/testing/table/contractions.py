"""OpInfo entries for contractions (rules/contractions.py): matmul and dot in every case,
tensordot, einsum (implicit, ellipsis, traces, diagonals), inner, outer, kron and relatives."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opinfo import NondiffInfo, OpInfo

# matmul's cases: 1-D @ 1-D, 2-D @ 1-D, 1-D @ 2-D, 2-D @ 2-D, batched, broadcast batched
MATMUL_SHAPES = (
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3, 4)),
    ((4, 2, 3), (4, 3, 5)),
    ((1, 2, 3), (4, 3, 5)),
    ((2, 3), (4, 3, 5)),
    ((4, 2, 3), (3,)),
    ((3,), (4, 3, 2)),
)
# dot's cases beyond matmul's: scalars and dot(a, b)[i,j,k,m] = sum(a[i,j,:] * b[k,:,m])
DOT_SHAPES = (
    ((), (3,)),
    ((2, 3), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3, 4)),
    ((4, 2, 3), (3,)),
    ((4, 2, 3), (3, 5)),
    ((2, 3), (4, 3, 5)),
    ((3,), (4, 3, 2)),
    ((4, 2, 3), (5, 3, 2)),
)


def _einsum(subscripts: str) -> Any:
    def fn(*ops: Any) -> Any:
        return np.einsum(subscripts, *ops)

    return fn


def _plain_matmul(x: Any) -> Any:
    """A constant matrix on the left: ndarray @ traced goes through the ufunc protocol."""
    return np.arange(6.0).reshape(2, 3).astype(x.dtype) @ x


def _multi_dot(a: Any, b: Any) -> Any:
    return np.linalg.multi_dot([a, b, a.T])


OPS: list[OpInfo] = [
    OpInfo("matmul", np.matmul, (np.matmul,), shapes=MATMUL_SHAPES),
    OpInfo("matmul_operator", lambda a, b: a @ b, (np.matmul,), shapes=MATMUL_SHAPES),
    OpInfo("matmul_self", lambda x: x.T @ x, (np.matmul,), shapes=(((3,),), ((2, 3),))),
    OpInfo("matmul_constant_left", _plain_matmul, (np.matmul,), shapes=(((3,),), ((3, 4),))),
    OpInfo("dot", np.dot, (np.dot,), shapes=DOT_SHAPES),
    OpInfo("dot_method", lambda x, w: x.dot(w), (np.dot,), shapes=DOT_SHAPES[2:6]),
    OpInfo("tensordot", np.tensordot, (np.tensordot,), shapes=(((2, 3, 4), (3, 4, 2)),)),
    OpInfo(
        "tensordot_int",
        lambda a, b: np.tensordot(a, b, axes=1),
        (np.tensordot,),
        shapes=(((2, 3), (3, 4)), ((4, 2, 3), (3,))),
    ),
    OpInfo(
        "tensordot_outer",
        lambda a, b: np.tensordot(a, b, axes=0),
        (np.tensordot,),
        shapes=(((3,), (2, 2)), ((), (2,))),
    ),
    OpInfo(
        "tensordot_pairs",
        lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])),
        (np.tensordot,),
        shapes=(((2, 3, 4), (4, 5, 2)),),
    ),
    OpInfo(
        "tensordot_pair_of_ints",
        lambda a, b: np.tensordot(a, b, axes=(-1, 0)),
        (np.tensordot,),
        shapes=(((2, 3), (3, 4)),),
    ),
    OpInfo("einsum_matmul", _einsum("ij,jk->ik"), (np.einsum,), shapes=(((2, 3), (3, 4)),)),
    OpInfo("einsum_implicit", _einsum("ij,kj"), (np.einsum,), shapes=(((2, 3), (4, 3)),)),
    OpInfo("einsum_transpose", _einsum("ba"), (np.einsum,), shapes=(((2, 3),),)),
    OpInfo(
        "einsum_ellipsis",
        _einsum("...ij,...jk->...ik"),
        (np.einsum,),
        shapes=(((4, 2, 3), (4, 3, 5)), ((1, 2, 3), (4, 3, 5)), ((2, 3), (4, 3, 5))),
    ),
    OpInfo(
        "einsum_ellipsis_implicit", _einsum("i...,i"), (np.einsum,), shapes=(((3, 4, 2), (3,)),)
    ),
    OpInfo("einsum_sum_out", _einsum("ij->i"), (np.einsum,), shapes=(((2, 3),),)),
    OpInfo("einsum_trace", _einsum("ii->"), (np.einsum,), shapes=(((3, 3),),)),
    OpInfo("einsum_trace_implicit", _einsum("ii"), (np.einsum,), shapes=(((3, 3),),)),
    OpInfo("einsum_diagonal", _einsum("ii->i"), (np.einsum,), shapes=(((3, 3),),)),
    OpInfo(
        "einsum_batched_diagonal",
        _einsum("bii,bj->bij"),
        (np.einsum,),
        shapes=(((4, 2, 2), (4, 3)),),
    ),
    OpInfo(
        "einsum_repeated_operand",
        lambda x: np.einsum("i,i->", x, x),
        (np.einsum,),
        shapes=(((3,),),),
    ),
    OpInfo(
        "einsum_three",
        _einsum("bij,bjk,bkl->bil"),
        (np.einsum,),
        shapes=(((2, 2, 3), (2, 3, 4), (2, 4, 2)),),
    ),
    OpInfo(
        "einsum_broadcast_label", _einsum("ij,ij->ij"), (np.einsum,), shapes=(((1, 3), (2, 3)),)
    ),
    OpInfo(
        "einsum_sublists",
        lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [2, 0]),
        (np.einsum,),
        shapes=(((2, 3), (3, 4)),),
    ),
    OpInfo(
        "einsum_optimize",
        lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c, optimize=True),
        (np.einsum,),
        shapes=(((2, 3), (3, 4), (4, 2)),),
    ),
    OpInfo("inner", np.inner, (np.inner,), shapes=(((3,), (3,)), ((2, 3), (4, 3)), ((), (2,)))),
    OpInfo("outer", np.outer, (np.outer,), shapes=(((3,), (2,)), ((2, 3), (4,)), ((), (2,)))),
    OpInfo(
        "kron",
        np.kron,
        (np.kron,),
        shapes=(((2, 3), (2, 2)), ((3,), (2, 2)), ((), (3,)), ((2,), (3,))),
    ),
    OpInfo("vdot", np.vdot, (np.vdot,), shapes=(((3,), (3,)), ((2, 3), (3, 2)))),
    OpInfo(
        "vecdot",
        np.vecdot,
        (np.vecdot,),
        shapes=(((3,), (3,)), ((2, 3), (3,)), ((4, 2, 3), (2, 3))),
    ),
    OpInfo(
        "vecdot_axis",
        lambda a, b: np.vecdot(a, b, axis=0),
        (np.vecdot,),
        shapes=(((3, 2), (3, 2)),),
    ),
    OpInfo(
        "linalg_aliases",
        lambda a, b: (
            np.linalg.matmul(a, b)
            + np.linalg.tensordot(a, b, axes=1)
            + np.linalg.outer(a[0], b[:, 0])[:, :1] * np.linalg.vecdot(a, b.T)
        ),
        (np.linalg.matmul, np.linalg.tensordot, np.linalg.outer, np.linalg.vecdot),
        shapes=(((3, 3), (3, 3)),),
    ),
    OpInfo("multi_dot", _multi_dot, (np.linalg.multi_dot,), shapes=(((2, 3), (3, 3)),)),
]

if hasattr(np, "matvec"):  # NumPy >= 2.2
    OPS += [
        OpInfo("matvec", np.matvec, (np.matvec,), shapes=(((2, 3), (3,)), ((4, 2, 3), (1, 3)))),
        OpInfo("vecmat", np.vecmat, (np.vecmat,), shapes=(((3,), (3, 2)), ((1, 3), (4, 3, 2)))),
    ]

NONDIFF: list[NondiffInfo] = []
