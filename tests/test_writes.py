"""Writes into traced arrays (docs/writes.md): x[idx] = v, x[mask] = v, x op= y, out=, views."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import pullback as pb
import pullback.rules.writes  # registers setitem (until rules/__init__ imports it)
from pullback.errors import InPlaceWriteError, TracedConversionError
from pullback.testing import check_grads

RNG = np.random.default_rng(7)
X = RNG.uniform(0.2, 1.5, (4, 3)) * RNG.choice([-1.0, 1.0], (4, 3))
V = RNG.uniform(0.2, 1.5, 3)


def _both(f, *args):
    """f on plain arrays and the value f returns under grad's trace: they must agree."""
    seen = []

    def loss(*a):
        y = f(*a)
        seen.append(pb.stop_gradient(y))
        return np.sum(y * y)

    pb.grad(loss, argnums=tuple(range(len(args))))(*args)
    return f(*[a.copy() for a in args]), seen[0]


def test_setitem_gradients_by_hand() -> None:
    def f(x, v):
        y = x.copy()
        y[1] = v  # row 1 is overwritten: x's cotangent there is zero
        return np.sum(y * np.arange(12.0).reshape(4, 3))

    gx, gv = pb.grad(f, argnums=(0, 1))(X, V)
    w = np.arange(12.0).reshape(4, 3)
    expected_gx = w.copy()
    expected_gx[1] = 0
    np.testing.assert_array_equal(gx, expected_gx)
    np.testing.assert_array_equal(gv, w[1])


def test_broadcast_value_cotangent_is_summed() -> None:
    def f(x, c):
        y = x * 1.0
        y[:, 1:] = c  # a 0-d value written into 8 entries
        return np.sum(y)

    gx, gc = pb.grad(f, argnums=(0, 1))(X, np.array(0.5))
    assert float(gc) == 8.0
    np.testing.assert_array_equal(gx, np.array([[1.0, 0, 0]] * 4))


def test_repeated_advanced_index_last_write_wins() -> None:
    def f(x, v):
        y = x * 1.0
        y[[0, 2, 0]] = v[:, None] * np.ones(3)  # row 0 gets v[0], then v[2]: NumPy keeps v[2]
        return y

    plain, traced = _both(f, X, V)
    np.testing.assert_array_equal(plain, traced)
    np.testing.assert_array_equal(plain[0], np.full(3, V[2]))
    _, gv = pb.grad(lambda x, v: np.sum(f(x, v)), argnums=(0, 1))(X, V)
    np.testing.assert_array_equal(gv, [0.0, 3.0, 3.0])  # v[0]'s write was overwritten
    check_grads(f, (X, V), order=2)


def test_mask_write_and_augmented_operators_check_grads_both_modes_order_2() -> None:
    def f(x, v):
        y = x * 1.0
        y[x > 0] = 0.5
        y += v
        y *= x
        y -= v * v
        y /= 2.0 + x * x
        y **= 2
        y[::2] @= np.eye(3) * 2.0
        return y

    plain, traced = _both(f, X, V)
    np.testing.assert_allclose(traced, plain, rtol=1e-15)
    rows = check_grads(f, (X, V), order=2)
    assert len(rows) == 18 and all(r.ok for r in rows)
    g = pb.grad(lambda x: np.sum(f(x, V)))(X)
    h = pb.hessian(lambda x: np.sum(f(x, V)))(X)
    assert g.shape == (4, 3) and h.shape == (4, 3, 4, 3)
    np.testing.assert_allclose(h, np.swapaxes(np.swapaxes(h, 0, 2), 1, 3), rtol=1e-12)


def test_augmented_assignment_is_seen_through_aliases() -> None:
    def f(x):
        y = x * 1.0
        alias = y  # the same object: NumPy's alias sees y += 1
        y += 1.0
        return alias * 2.0

    out, traced = _both(f, X)
    np.testing.assert_array_equal(traced, out)
    np.testing.assert_array_equal(out, (X + 1.0) * 2.0)
    np.testing.assert_array_equal(pb.grad(lambda x: np.sum(f(x)))(X), np.full((4, 3), 2.0))


def test_views_see_writes_to_their_base_and_write_through() -> None:
    def f(x, v):
        y = x * 1.0
        s = y[1:3]  # a view
        t = s[:, 1:]  # a view of a view
        y[1, 0] = 7 * v[0]  # s sees it
        s[0, 1] = v[1] ** 2  # y and t see it
        t *= 1.5  # s and y see it
        return np.concatenate([s.ravel(), t.ravel(), y.ravel()])

    plain, traced = _both(f, X, V)
    np.testing.assert_array_equal(traced, plain)
    assert plain[0] == 7 * V[0]
    check_grads(f, (X, V), order=2)


def test_out_argument_writes_into_a_traced_array() -> None:
    def f(x, v):
        y = x * 1.0
        r = np.multiply(y, v, out=y)
        assert r is y
        np.add(x, y, out=y, where=x > 0)
        np.exp(y[0], out=y[0])
        np.copyto(y[3], v * 3.0)
        return y

    plain, traced = _both(f, X, V)
    np.testing.assert_allclose(traced, plain, rtol=1e-15)
    check_grads(f, (X, V), order=2)


def test_fill_and_sort_in_place() -> None:
    def f(x):
        y = x * 2.0
        y[0].fill(3.0)  # a view: fills row 0 of y
        return y

    plain, traced = _both(f, X)
    np.testing.assert_array_equal(traced, plain)
    g = pb.grad(lambda x: np.sum(f(x)))(X)
    np.testing.assert_array_equal(g[0], 0.0)
    np.testing.assert_array_equal(g[1:], 2.0)


def test_write_into_an_input_leaves_the_callers_array_alone() -> None:
    x = X.copy()

    def f(x):
        x[0] = 0.0  # under pullback a functional update: the caller's x is not modified
        return np.sum(x * x)

    g = pb.grad(f)(x)
    np.testing.assert_array_equal(x, X)
    expected = 2 * X
    expected[0] = 0.0
    np.testing.assert_array_equal(g, expected)


def test_writing_a_traced_value_into_a_plain_buffer_says_why_and_how() -> None:
    def scalar_write(x):
        buf = np.zeros(3)
        buf[0] = x[0]
        return np.sum(buf)

    def slice_write(x):
        buf = np.zeros((4, 3))
        buf[:] = x
        return np.sum(buf)

    with pytest.raises((TracedConversionError, ValueError)) as info:
        pb.grad(scalar_write)(X[0])
    err = info.value if isinstance(info.value, TracedConversionError) else info.value.__cause__
    assert isinstance(err, TracedConversionError)
    assert "plain NumPy array (buf[i] = x" in str(err) and "numpy.stack" in str(err)
    with pytest.raises(TracedConversionError, match="cannot intercept that write"):
        pb.grad(slice_write)(X)
    with pytest.raises(InPlaceWriteError, match="plain array"):
        pb.grad(lambda x: np.sum(np.add(x, 1.0, out=np.zeros((4, 3)))))(X)
    with pytest.raises(InPlaceWriteError, match="plain"):
        pb.grad(lambda x: np.sum(np.copyto(np.zeros((4, 3)), x)))(X)


def test_recommended_traced_buffer_works() -> None:
    def f(x):
        buf = x.copy()  # a traced buffer: every entry is written below
        for i in range(3):
            buf[i] = np.sin(x[i]) * i
        return buf

    g = pb.grad(lambda x: np.sum(f(x)))(X[:, 0])
    np.testing.assert_allclose(g, [0.0, np.cos(X[1, 0]), 2 * np.cos(X[2, 0]), 1.0], rtol=1e-15)


def test_writes_that_numpy_rejects_or_would_corrupt_raise() -> None:
    with pytest.raises(InPlaceWriteError, match="imaginary part"):
        pb.grad(lambda x: np.sum(x.copy().__setitem__(0, 1j) or x))(X)
    with pytest.raises(InPlaceWriteError, match="same_kind"):

        def f(x):
            y = x * 1.0
            y += 1j
            return np.sum(y)

        pb.grad(f)(X)
    with pytest.raises(ValueError, match="broadcast"):

        def g(x):
            y = x * 1.0
            y[0] = np.ones(5)
            return np.sum(y)

        pb.grad(g)(X)


def test_nested_write_of_an_inner_value_into_an_outer_array_raises() -> None:
    def outer(x):
        buf = x * 1.0

        def inner(y):
            buf[0] = y  # buf belongs to the outer transform
            return np.sum(buf)

        return pb.grad(inner)(x[0])

    with pytest.raises(InPlaceWriteError, match="nested inside"):
        pb.jacfwd(outer)(X)


def test_complex_write_gradients() -> None:
    z = np.array([1 + 2j, -0.5 + 1j, 2 - 1j])

    def f(z, v):
        y = z * 1.0
        y[1] = v * 1j  # a real v written into a complex array
        return np.sum(np.abs(y) ** 2)

    gz, gv = pb.grad(f, argnums=(0, 1))(z, np.array(0.7))
    np.testing.assert_allclose(gz, [2 * z[0], 0, 2 * z[2]], rtol=1e-15)
    assert gv.dtype == np.float64 and abs(float(gv) - 1.4) < 1e-15  # |i v|^2 = v^2


# ---- the code blocks of docs/writes.md run ---------------------------------------------------
def _doc_blocks() -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "writes.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_docs_have_code_blocks() -> None:
    assert len(_doc_blocks()) >= 3


@pytest.mark.parametrize("code", _doc_blocks())
def test_doc_block_runs(code: str) -> None:
    exec(compile(code, "<docs/writes.md>", "exec"), {"__name__": "doc_block"})


def test_traced_buffer_like_records_writes_both_modes() -> None:
    # numpy.zeros_like of a traced array as a traced constant (rules/writes.py BUFFER_LIKE;
    # numpy.zeros_like dispatches to it once rules/nondiff.py no longer claims it)
    from pullback.rules.writes import BUFFER_LIKE

    zeros_like = BUFFER_LIKE[np.zeros_like]
    ones_like = BUFFER_LIKE[np.ones_like]

    def f(x):
        buf = zeros_like(x)
        for i in range(x.shape[0]):
            buf[i] = np.sin(x[i]) * i
        return buf * ones_like(x) + np.sum(zeros_like(x, shape=(2,)))

    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(pb.grad(lambda x: np.sum(f(x)))(x), np.cos(x) * [0, 1, 2])
    _, ydot = pb.jvp(f, (x,), (np.ones(3),))
    np.testing.assert_allclose(ydot, np.cos(x) * [0, 1, 2])
    check_grads(f, (x,), order=2)
    assert not isinstance(zeros_like(np.ones(2)), pb.core.Traced)  # plain in, plain out


def test_numpy_in_place_writers_match_numpy_and_differentiate() -> None:
    def f(x, v):
        y = x * 1.0
        np.fill_diagonal(y, v)
        np.put(y, [1, 5, 1], v * 2.0)  # flat index 1 gets 2 v[0], then 2 v[2]
        np.putmask(y, x > 0, y * v)
        np.place(y, x < 0, v**2)
        return y

    plain, traced = _both(f, X, V)
    np.testing.assert_allclose(traced, plain, rtol=1e-15)
    check_grads(f, (X, V), order=2)

    def put_only(v):
        y = np.zeros(4) + 0.0 * v[0]
        np.put(y, [1, 3, 1], v)
        return np.sum(y * np.array([1.0, 10.0, 100.0, 1000.0]))

    np.testing.assert_array_equal(pb.grad(put_only)(V), [0.0, 1000.0, 10.0])
    with pytest.raises(InPlaceWriteError, match="plain NumPy array"):
        pb.grad(lambda v: np.sum(np.put(np.zeros(3), [0], v) or v))(V[:1])
    with pytest.raises(InPlaceWriteError, match="plain NumPy array"):
        pb.grad(lambda v: np.sum(np.place(np.zeros(3), [True, False, True], v) or v))(V)


def test_real_and_imag_setters() -> None:
    z = np.array([1 + 2j, -0.5 + 1j])
    x = np.array([0.3, -0.7])

    def f(z, x):
        w = z * 1.0
        w.real = x**2  # w = x^2 + i Im(z)
        w.imag = w.imag * x  # w = x^2 + i Im(z) x
        return np.sum(np.real(w) + 3.0 * np.imag(w))

    gz, gx = pb.grad(f, argnums=(0, 1))(z, x)
    np.testing.assert_allclose(gz, 3j * x, rtol=1e-15)  # d/dIm(z) = 3x: gradient i 3x
    np.testing.assert_allclose(gx, 2 * x + 3 * np.imag(z), rtol=1e-15)
    with pytest.raises(TypeError, match="imaginary part"):

        def g(x):
            y = x * 1.0
            y.imag = x
            return np.sum(y)

        pb.grad(g)(x)
