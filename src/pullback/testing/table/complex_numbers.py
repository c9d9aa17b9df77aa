"""OpInfo entries for complex numbers (rules/complex_numbers.py and the complex paths of the
elementwise, reduction and contraction rules) and for writes into arrays (rules/writes.py).

Complex samples: the float64 run uses complex128 inputs, the float32 run complex64; check_grads
probes every complex argument along a real and an imaginary direction under the real inner
product <a, b> = Re(sum(conj(a) * b)) (docs/complex.md)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ...rules import writes as _writes  # (also loads setitem until rules/__init__ does)
from ..opinfo import NondiffInfo, OpInfo

UNARY = [(), (3,), (2, 3), (4, 2, 3)]
ROWS = [(3,), (2, 3), (4, 2, 3)]  # for reductions over axis=-1
BINARY = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((1, 3), (2, 3)), ((2, 3), ())]
MATMUL = [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((4, 2, 3), (3, 2))]


def _cdtype(dtype: Any) -> np.dtype:
    return np.result_type(dtype, np.complex64)  # float32 -> complex64, float64 -> complex128


def _complex(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, low=-1.5, high=1.5):
    re, im = rng.uniform(low, high, shape), rng.uniform(low, high, shape)
    return (re + 1j * im).astype(_cdtype(dtype))


def _real(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """|x| in [0.2, 1.5], random signs: no finite-difference step crosses 0 (angle's jump, a
    mask x > 0)."""
    return (rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)


def _unary_samples(
    kinds: str = "c", away: bool = False, shapes: list[tuple[int, ...]] = UNARY
) -> Callable[..., list[tuple[Any, ...]]]:
    """One sample per shape; kinds: 'c' complex argument, 'r' real."""

    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        out = []
        for s in shapes:
            if kinds == "c":
                z = _complex(rng, s, dtype)
                if away:  # |z| >= 0.3: no step reaches the kink of |z| or angle at 0
                    z = z + (0.3 * np.exp(1j * np.angle(z))).astype(z.dtype)
                out.append((z,))
            else:
                out.append((_real(rng, s, dtype),))
        return out

    return samples


def _binary_samples(kinds: str, shapes=BINARY) -> Callable[..., list[tuple[Any, ...]]]:
    """kinds: two letters, 'c' complex or 'r' real, per argument."""

    def samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        return [
            tuple(
                _complex(rng, s, dtype) if k == "c" else _real(rng, s, dtype)
                for k, s in zip(kinds, pair, strict=True)
            )
            for pair in shapes
        ]

    return samples


def _divisor_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    out = []
    for s1, s2 in BINARY:
        d = _complex(rng, s2, dtype)
        out.append((_complex(rng, s1, dtype), d + (np.exp(1j * np.angle(d))).astype(d.dtype)))
    return out


# ---- writes: each function copies its input first (check_grads requires unmodified inputs) ------
def _write_basic(x: Any, v: Any) -> Any:
    y = x.copy()
    y[1] = v  # a row, v broadcast from (3,)
    y[0, 1:] = 2 * v[1:]
    return y * y


def _write_advanced(x: Any, v: Any) -> Any:
    y = x * 1.0
    y[[0, 2, 0], 1] = v  # row 0 written twice: the last write (v[2]) wins, as in NumPy
    return np.sin(y)


def _write_mask(x: Any, v: Any) -> Any:
    y = x * 1.0
    y[x > 0] = 0.5  # a constant: the masked entries lose their dependence on x
    y[:, 0] = v[:1]  # broadcast a length-1 value
    return y * x


def _write_augmented(x: Any, v: Any) -> Any:
    y = x * 1.0
    y += v
    y *= x
    y -= 1.5 * v
    y /= 2.0 + x * x
    y[1:3] **= 2
    return y


def _write_views(x: Any, v: Any) -> Any:
    y = x * 1.0
    s = y[1:3]  # a view: it sees writes into y, and writing into it writes into y
    y[1, 0] = 7 * v[0]
    s[0, 1] = v[1] ** 2
    s *= 1.5
    return s * y[1:3] + y[0]


def _write_out(x: Any, v: Any) -> Any:
    y = x * 1.0
    np.multiply(y, v, out=y)
    np.add(x, y, out=y, where=x > 0)
    np.copyto(y[0], v * 3.0)
    return y


def _write_buffer(x: Any, v: Any) -> Any:
    """numpy.zeros_like / ones_like / empty_like of a traced array: a traced buffer to write into
    (the handlers are called directly, so the entry holds whether or not numpy.zeros_like
    already dispatches to them)."""
    buf = _writes.BUFFER_LIKE[np.zeros_like](x)
    buf[0] = v
    buf[2:] = x[2:] * v
    scratch = _writes.BUFFER_LIKE[np.empty_like](x, shape=(3,))
    scratch[...] = v
    return (buf * _writes.BUFFER_LIKE[np.ones_like](x)) ** 2 + scratch


def _write_numpy_writers(x: Any, v: Any) -> Any:
    """NumPy's in-place writers on a traced destination (values chosen so no mask flips)."""
    y = x * 1.0
    np.fill_diagonal(y, v)  # (4, 3): the diagonal y[0,0], y[1,1], y[2,2]
    np.put(y, [1, 5, 1], v * 2.0)  # flat index 1 written twice: the last write wins
    np.putmask(y, x > 0, y * v)  # values read at each masked position
    np.place(y, x < 0, v**2)  # the first N values, cycled
    return y


def _write_parts(z: Any, x: Any) -> Any:
    """z.real = ..., z.imag = ... on a complex traced array."""
    w = z * 1.0
    w.real = x * np.imag(z)
    w.imag = w.imag * x
    return w


def _write_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [(_real(rng, (4, 3), dtype), _real(rng, (3,), dtype))]


def _write_complex(x: Any, v: Any) -> Any:
    y = x * 1.0
    y[0] = v * 1j  # complex array, real value: v's cotangent is a real part
    y[1:] += np.conj(y[:-1])
    return np.real(y * np.conj(y)) + np.imag(y)


def _write_complex_samples(rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
    return [(_complex(rng, (3, 2), dtype), _real(rng, (2,), dtype))]


OPS: list[OpInfo] = [
    # the complex rules
    OpInfo("c_real", np.real, (np.real,), samples=_unary_samples()),
    OpInfo("c_real_of_real", lambda x: np.real(x) * x, (np.real,), samples=_unary_samples("r")),
    OpInfo("c_imag", np.imag, (np.imag,), samples=_unary_samples()),
    OpInfo("c_imag_of_real", lambda x: np.imag(x) + x, (np.imag,), samples=_unary_samples("r")),
    OpInfo("c_attributes", lambda z: z.real * z.imag, (np.real, np.imag), samples=_unary_samples()),
    OpInfo("c_conj", np.conj, (np.conjugate,), samples=_unary_samples()),
    OpInfo("c_conj_method", lambda z: z.conj() * z, (np.conjugate,), samples=_unary_samples()),
    OpInfo("c_angle", np.angle, (np.angle,), samples=_unary_samples(away=True)),
    OpInfo(
        "c_angle_deg",
        lambda z: np.angle(z, deg=True),
        (np.angle,),
        samples=_unary_samples(away=True),
    ),
    OpInfo("c_angle_of_real", lambda x: np.angle(x) + x, (np.angle,), samples=_unary_samples("r")),
    OpInfo("c_abs", np.abs, (np.absolute,), samples=_unary_samples(away=True)),
    OpInfo("c_abs_squared", lambda z: abs(z) ** 2, (np.absolute,), samples=_unary_samples()),
    # complex paths of elementwise, reduction and contraction rules
    OpInfo("c_exp", np.exp, (np.exp,), samples=_unary_samples()),
    OpInfo("c_sin", np.sin, (np.sin,), samples=_unary_samples()),
    OpInfo("c_multiply", np.multiply, (np.multiply,), samples=_binary_samples("cc")),
    OpInfo("c_multiply_real", np.multiply, (np.multiply,), samples=_binary_samples("rc")),
    OpInfo("c_add_real", np.add, (np.add,), samples=_binary_samples("cr")),
    OpInfo("c_divide", np.divide, (np.divide,), samples=_divisor_samples),
    OpInfo("c_sum", lambda z: np.sum(z, axis=-1), (np.sum,), samples=_unary_samples(shapes=ROWS)),
    OpInfo("c_matmul", np.matmul, (np.matmul,), samples=_binary_samples("cc", MATMUL)),
    OpInfo("c_matmul_real_left", np.matmul, (np.matmul,), samples=_binary_samples("rc", MATMUL)),
    OpInfo(
        "c_einsum",
        lambda a, b: np.einsum("ij,jk->ik", a, b),
        (np.einsum,),
        samples=_binary_samples("cc", [((2, 3), (3, 4))]),
    ),
    OpInfo("c_vdot", np.vdot, (np.vdot,), samples=_binary_samples("cc", [((3,), (3,))])),
    # real -> complex and complex -> real functions
    OpInfo(
        "c_real_to_complex",
        lambda x, y: np.exp(x + 1j * y),
        (np.multiply, np.add, np.exp),
        samples=_binary_samples("rr"),
    ),
    OpInfo(
        "c_complex_to_real",
        lambda z: np.sum(np.abs(np.sin(z)) ** 2, axis=-1),
        (np.absolute, np.sin, np.sum),
        samples=_unary_samples(shapes=ROWS),
    ),
    # writes into arrays (real and complex)
    OpInfo("w_basic", _write_basic, (operator.setitem,), samples=_write_samples),
    OpInfo("w_advanced_repeated", _write_advanced, (operator.setitem,), samples=_write_samples),
    OpInfo("w_mask", _write_mask, (operator.setitem,), samples=_write_samples),
    OpInfo("w_augmented", _write_augmented, (operator.setitem,), samples=_write_samples),
    OpInfo("w_views", _write_views, (operator.setitem,), samples=_write_samples),
    OpInfo("w_out", _write_out, (operator.setitem, np.copyto), samples=_write_samples),
    OpInfo(
        "w_buffer_like",
        _write_buffer,
        (operator.setitem, np.zeros_like, np.ones_like, np.empty_like),
        samples=_write_samples,
    ),
    OpInfo(
        "w_numpy_writers",
        _write_numpy_writers,
        (np.fill_diagonal, np.put, np.putmask, np.place),
        samples=_write_samples,
    ),
    OpInfo(
        "w_real_imag_setters",
        _write_parts,
        (operator.setitem,),
        samples=lambda rng, dtype: [(_complex(rng, (2, 3), dtype), _real(rng, (2, 3), dtype))],
    ),
    OpInfo("w_complex", _write_complex, (operator.setitem,), samples=_write_complex_samples),
]
NONDIFF: list[NondiffInfo] = []
