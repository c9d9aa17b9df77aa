"""Issue 3 (NumPy parity): traced results equal NumPy's (values and dtypes), the conventions at
degenerate points, nan-aware reductions, non-differentiable functions, and the errors."""

from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest

import pullback as pb
from pullback.core import REGISTRY, Traced
from pullback.errors import InPlaceWriteError, UnsupportedFunctionError

RNG = np.random.default_rng(3)
X = RNG.uniform(0.5, 1.5, (3, 4))
XP = np.array([0.6, 0.9, 1.0, 1.4])
FP = np.array([1.0, 3.0, -1.0, 2.0])

# Each function runs once on plain X (NumPy) and once traced (pullback): same values and dtypes.
SAME_AS_NUMPY = {
    "sinc": np.sinc,
    "mod": lambda x: np.mod(x, 0.7),
    "fmod": lambda x: np.fmod(-x, 0.7),
    "copysign": lambda x: np.copysign(x, -1.0),
    "deg2rad": np.deg2rad,
    "ldexp": lambda x: np.ldexp(x, 3),
    "float_power": lambda x: np.float_power(x.astype(np.float32), 1.5),
    "modf": np.modf,
    "divmod": lambda x: np.divmod(x, 0.3),
    "nan_to_num": lambda x: np.nan_to_num(np.where(x > 1, x, np.nan), nan=-1.0),
    "ptp": lambda x: np.ptp(x, axis=1),
    "cumprod": lambda x: np.cumprod(x, axis=1),
    "cumulative_sum": lambda x: np.cumulative_sum(x, axis=0, include_initial=True),
    "diff": lambda x: np.diff(x, 2, axis=1, prepend=0.5, append=x[:, :1]),
    "gradient": lambda x: np.gradient(x, 0.5, 2.0, edge_order=2),
    "average": lambda x: np.average(x, axis=1, weights=x[0], returned=True),
    "trapezoid": lambda x: np.trapezoid(x, x[0]),
    "nanvar": lambda x: np.nanvar(np.where(x > 0.7, x, np.nan), axis=1, ddof=1),
    "nanmax": lambda x: np.nanmax(np.where(x > 0.7, x, np.nan), axis=0),
    "roll": lambda x: np.roll(x, (1, -1), axis=(0, 1)),
    "rot90": lambda x: np.rot90(x, 3),
    "pad_reflect": lambda x: np.pad(x, ((1, 2), (2, 0)), mode="reflect"),
    "pad_wrap": lambda x: np.pad(x, 2, mode="wrap"),
    "pad_constant": lambda x: np.pad(x, 1, constant_values=x[0, 0]),
    "insert": lambda x: np.insert(x, [1, 3], x[:, :1], axis=1),
    "delete": lambda x: np.delete(x, [0, 2], axis=1),
    "append": lambda x: np.append(x, x[0]),
    "compress": lambda x: np.compress([True, False, True], x, axis=0),
    "select": lambda x: np.select([x < 0.8, x > 1.2], [x, x * x], 0.5),
    "block": lambda x: np.block([[x, x[:, :1]], [x[:1], x[:1, :1]]]),
    "meshgrid": lambda x: np.meshgrid(x[0], x[1, :2], indexing="ij"),
    "hsplit": lambda x: np.hsplit(x, 2),
    "linspace": lambda x: np.linspace(x[0], x[1], 5, axis=1),
    "linspace_float32": lambda x: np.linspace(x[0, 0].astype(np.float32), 2.0, 4),
    "logspace": lambda x: np.logspace(x[0, 0], x[1, 1], 5, base=x[2, 2]),
    "geomspace": lambda x: np.geomspace(x[0, 0], x[1, 1], 5),
    "full_like": lambda x: np.full_like(x, x[0, 0]),
    "sort": lambda x: np.sort(x, axis=0),
    "partition": lambda x: np.partition(x, (0, 2), axis=1),
    "median": lambda x: np.median(x, axis=1),
    "quantile": lambda x: np.quantile(x, [0.1, 0.5, 0.77], axis=0),
    "percentile_float32": lambda x: np.percentile(x.astype(np.float32), 30.0),
    "interp": lambda x: np.interp(x, XP, FP, left=-5.0),
    "convolve_same": lambda x: np.convolve(x[0], x[1, :3], "same"),
    "correlate_full": lambda x: np.correlate(x[0, :2], x[1], "full"),
    "polyval": lambda x: np.polyval(x[0], x[1:]),
    "polyder": lambda x: np.polyder(x[0].astype(np.float32), 2),
    "vander": lambda x: np.vander(x[0], 3),
    "cross": lambda x: np.cross(x[:, :3], x[:, 1:]),
    "cov": lambda x: np.cov(x, rowvar=False),
    "corrcoef": np.corrcoef,
    "subtract_outer": lambda x: np.subtract.outer(x[0], x[1]),
    "mean_where": lambda x: np.mean(x, axis=1, where=x > 0.8),
    "var_where": lambda x: np.var(x, axis=0, where=x < 1.3, ddof=1),
    "maximum_accumulate": lambda x: np.maximum.accumulate(x, axis=1),
    "sort_complex": lambda x: np.sort_complex(x[0] + 1j * x[1]),
    "nanmedian": lambda x: np.nanmedian(np.where(x > 0.7, x, np.nan), axis=1),
    "nanquantile": lambda x: np.nanquantile(np.where(x > 0.7, x, np.nan), [0.2, 0.6], axis=0),
    "piecewise": lambda x: np.piecewise(x, [x < 0.8, x > 1.2], [lambda v: v * v, 1.0, np.sin]),
    "apply_along_axis": lambda x: np.apply_along_axis(lambda v: np.outer(v, v[:2]), 1, x),
    "poly": lambda x: np.poly(x[0]),
    "unwrap": lambda x: np.unwrap(x * 4.0),
    "frexp": lambda x: np.frexp(x * 3.0),
    "trim_zeros": lambda x: np.trim_zeros(np.concatenate([np.zeros(2), x[0], np.zeros(1)])),
    "rollaxis": lambda x: np.rollaxis(x, 1),
}


@pytest.mark.parametrize("name", sorted(SAME_AS_NUMPY))
def test_traced_result_equals_numpy(name: str) -> None:
    fn = SAME_AS_NUMPY[name]
    expected = fn(X)
    got, _ = pb.jvp(fn, (X,), (np.ones_like(X),))
    expected = expected if isinstance(expected, tuple | list) else (expected,)
    got = got if isinstance(got, tuple | list) else (got,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert np.shape(g) == np.shape(e)
        assert np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=1e-6 if np.asarray(e).dtype == np.float32 else 1e-13)


# ---- conventions at degenerate points -----------------------------------------------------------
def test_fabs_derivative_is_zero_at_zero() -> None:
    g = pb.grad(lambda x: np.sum(np.fabs(x)))(np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


def test_sqrt_at_zero_gives_inf_with_numpys_warning() -> None:
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        g = pb.grad(lambda x: np.sum(np.sqrt(x)))(np.array([0.0, 4.0]))
    assert g[0] == np.inf and g[1] == 0.25


def test_max_ties_split_evenly_and_ptp_too() -> None:
    x = np.array([3.0, 1.0, 3.0, 3.0, -1.0])
    np.testing.assert_allclose(pb.grad(np.max)(x), [1 / 3, 0, 1 / 3, 1 / 3, 0])
    np.testing.assert_allclose(pb.grad(np.ptp)(x), [1 / 3, 0, 1 / 3, 1 / 3, -1])


def test_sort_with_ties_follows_the_stable_permutation() -> None:
    x = np.array([2.0, 1.0, 2.0, 0.0])
    w = np.array([1.0, 10.0, 100.0, 1000.0])
    # sorted order [0 (x3), 1 (x1), 2 (x0), 2 (x2)]: the first 2 in the input takes position 2
    g = pb.grad(lambda x: np.sum(np.sort(x) * w))(x)
    np.testing.assert_array_equal(g, [100.0, 10.0, 1000.0, 1.0])
    np.testing.assert_array_equal(pb.jvp(np.sort, (x,), (w,))[1], [1000.0, 10.0, 1.0, 100.0])


def test_partition_gradient_follows_the_values() -> None:
    x = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    y, back = pb.vjp(lambda x: np.partition(x, 2), x)
    np.testing.assert_array_equal(y, np.partition(x, 2))
    (g,) = back(np.arange(5.0))
    for k in range(5):  # the cotangent of output position k lands on the input equal to y[k]
        assert g[np.flatnonzero(x == y[k])[0]] == k


def test_sinc_derivatives_at_zero() -> None:
    x = np.array([0.0])
    assert pb.grad(lambda x: np.sum(np.sinc(x)))(x)[0] == 0.0
    np.testing.assert_allclose(pb.hessian(lambda x: np.sum(np.sinc(x)))(x), [[-(np.pi**2) / 3]])


def test_mod_gradients() -> None:
    g1, g2 = pb.grad(lambda a, b: np.sum(np.mod(a, b)), argnums=(0, 1))(
        np.array([2.5, -2.5]), np.array([1.0, 1.0])
    )
    np.testing.assert_array_equal(g1, [1.0, 1.0])
    np.testing.assert_array_equal(g2, [-2.0, 3.0])  # -floor(a / b)


def test_interp_slopes_knots_and_outside() -> None:
    x = np.array([0.0, 0.75, 0.9, 2.0])  # left of xp, inside, at a knot, right of xp
    g = pb.grad(lambda x: np.sum(np.interp(x, XP, FP)))(x)
    np.testing.assert_allclose(g, [0.0, (3 - 1) / 0.3, (-1 - 3) / 0.1, 0.0])
    gfp = pb.grad(lambda fp: np.interp(0.75, XP, fp))(FP)
    np.testing.assert_allclose(gfp, [0.5, 0.5, 0.0, 0.0])


def test_linspace_is_linear_in_its_endpoints() -> None:
    ga, gb = pb.grad(lambda a, b: np.sum(np.linspace(a, b, 5) ** 2), argnums=(0, 1))(1.0, 3.0)
    t = np.linspace(0, 1, 5)
    y = np.linspace(1.0, 3.0, 5)
    np.testing.assert_allclose([ga, gb], [np.sum(2 * y * (1 - t)), np.sum(2 * y * t)])


def test_full_like_with_a_traced_fill_value() -> None:
    """full_like dispatches on its first argument only: differentiable in the fill value when
    that array is traced too (for a plain array use c * np.ones_like(x) instead)."""
    gx, gc = pb.grad(lambda x, c: np.sum(np.full_like(x, c) * x), argnums=(0, 1))(X, 2.0)
    np.testing.assert_allclose(gc, X.sum())
    np.testing.assert_allclose(gx, np.full_like(X, 2.0))


# ---- nan-aware reductions: NaN entries get zero gradient -----------------------------------------
@pytest.mark.parametrize(
    "fn",
    [np.nansum, np.nanmean, np.nanmax, np.nanmin, np.nanvar, np.nanstd, np.nanprod],
    ids=lambda f: f.__name__,
)
def test_nan_reductions_ignore_nan_entries(fn) -> None:
    x = np.array([[1.0, np.nan, 3.0], [0.5, 2.0, np.nan]])
    ok = ~np.isnan(x)
    g = pb.grad(lambda x: np.sum(fn(x, axis=1)))(x)
    assert np.all(g[~ok] == 0.0)
    # equal to the gradient of the plain reduction over the non-NaN entries of each row
    for i in range(2):
        plain = {"nansum": np.sum, "nanmean": np.mean, "nanmax": np.max, "nanmin": np.min}
        plain |= {"nanvar": np.var, "nanstd": np.std, "nanprod": np.prod}
        gi = pb.grad(plain[fn.__name__])(x[i, ok[i]])
        np.testing.assert_allclose(g[i, ok[i]], gi)


def test_all_nan_slice_gives_nan_with_numpys_warning() -> None:
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        y = pb.jvp(lambda x: np.nanmax(x, axis=1), (x,), (x,))[0]
    np.testing.assert_array_equal(y, [np.nan, 2.0])


# ---- non-differentiable functions return plain arrays ------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [
        np.unique,
        lambda x: np.argpartition(x, 1),
        lambda x: np.histogram(x, bins=3),
        lambda x: np.digitize(x, [0.8, 1.2]),
        np.around,
        np.fix,
        lambda x: np.searchsorted(np.sort(x), 1.0),
    ],
)
def test_nondifferentiable_results_are_plain(fn) -> None:
    seen = []

    def f(x):
        seen.append(fn(x))
        return np.sum(x)

    g = pb.grad(f)(X[0])
    np.testing.assert_array_equal(g, np.ones(4))
    leaves = seen[0] if isinstance(seen[0], tuple) else (seen[0],)
    assert not any(isinstance(leaf, Traced) for leaf in leaves)
    for a, b in zip(leaves, fn(X[0]) if isinstance(seen[0], tuple) else (fn(X[0]),), strict=True):
        np.testing.assert_array_equal(a, b)


# ---- errors --------------------------------------------------------------------------------------
def test_put_along_axis_writes_like_numpy_or_raises_without_the_writes_module() -> None:
    idx = np.array([[0], [2], [1]])

    def f(x, v):
        y = x * 1.0
        assert np.put_along_axis(y, idx, v, axis=1) is None  # in place, as in NumPy
        return np.sum(y * y)

    if operator.setitem not in REGISTRY:  # rules/writes.py not loaded: a clear error
        with pytest.raises(InPlaceWriteError):
            pb.grad(f)(X, 2.0)
        return
    gx, gv = pb.grad(f, argnums=(0, 1))(X, 2.0)
    written = np.zeros(X.shape, bool)
    np.put_along_axis(written, idx, True, axis=1)
    np.testing.assert_allclose(gx, np.where(written, 0.0, 2 * X))  # overwritten: no cotangent
    np.testing.assert_allclose(gv, 2 * 2.0 * 3)  # three entries hold v


def test_put_along_axis_into_a_plain_array_with_traced_values_raises() -> None:
    with pytest.raises(InPlaceWriteError, match="plain NumPy arr and traced values"):
        pb.grad(lambda v: np.put_along_axis(np.zeros((2, 2)), np.array([[0], [1]]), v, 1))(1.0)


def test_unsupported_error_shows_a_custom_vjp_template() -> None:
    with pytest.raises(UnsupportedFunctionError) as info:
        pb.grad(lambda x: np.sum(np.multiply.reduceat(x, [0, 1])))(X[0])
    message = str(info.value)
    assert "f = pullback.custom_vjp(numpy.multiply.reduceat)" in message
    assert "f.defvjp(lambda x: (numpy.multiply.reduceat(x), x)" in message
    assert "lambda x, ybar: (ybar * df_dx(x),)" in message


def test_the_template_works_as_written() -> None:
    """The three lines of the template, filled in for numpy.i0 (derivative i1), give a rule."""
    from scipy import special

    f = pb.custom_vjp(np.i0)
    f.defvjp(lambda x: (np.i0(x), x), lambda x, ybar: (ybar * special.i1(x),))
    np.testing.assert_allclose(pb.grad(lambda x: np.sum(f(x)))(X[0]), special.i1(X[0]))


def test_unsupported_options_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match="modes constant"):
        pb.grad(lambda x: np.sum(np.pad(x, 1, mode="mean")))(X)
    with pytest.raises(TypeError, match="scalar spacings"):
        pb.grad(lambda x: np.sum(np.gradient(x[0], x[1])))(X)
    with pytest.raises(TypeError, match="method='linear'"):
        pb.grad(lambda x: np.sum(np.quantile(x, 0.3, method="nearest")))(X)


def test_cross_of_2_vectors_keeps_numpys_deprecation_warning() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    with pytest.warns(DeprecationWarning):
        g = pb.grad(lambda a: np.cross(a, b))(a)
    np.testing.assert_array_equal(g, [5.0, -3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert np.cross(a, b) == -1.0
