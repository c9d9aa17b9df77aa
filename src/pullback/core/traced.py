"""Stage ③: the traced array. It behaves like an ndarray (operators, attributes, methods, the
NumPy protocols `__array_ufunc__` / `__array_function__`) and routes every call to
`dispatch.call`, which finds the rule. It holds no AD logic: subclasses carry a node or a tangent.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..errors import InPlaceWriteError, TracedConversionError


class Traced:
    """A value being differentiated at one trace level. `value` may itself be traced (nesting)."""

    __slots__ = ("value", "_trace")
    __array_priority__ = 1000.0
    __hash__ = None  # type: ignore[assignment]  # like ndarray: == is elementwise

    # ---- the NumPy protocols ---------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None:
            raise InPlaceWriteError(
                f"numpy.{ufunc.__name__}(..., out=...) writes into an array in place, which "
                "pullback does not trace yet. Write `y = numpy."
                f"{ufunc.__name__}(...)` and use the new array instead."
            )
        kwargs.pop("out", None)
        key = ufunc if method == "__call__" else (ufunc, method)
        handler = REGISTRY.get(key)
        if handler is None:
            return _call(key, *inputs, **kwargs)  # raises UnsupportedFunctionError
        return handler(*inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _call(func, *args, **kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TracedConversionError(
            "A traced array was converted to a plain NumPy array (numpy.asarray, numpy.array, "
            "or a function that calls them), which would silently drop its derivative. "
            "To build an array from traced pieces use numpy.stack / numpy.concatenate; "
            "if you mean to use the value as a constant, call pullback.stop_gradient(x) first. "
            "(plain_array.dot(x) also lands here: write numpy.dot(A, x) or A @ x.)"
        )

    # ---- ndarray attributes ----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def T(self) -> Any:
        return _call(np.transpose, self)

    @property
    def mT(self) -> Any:
        return _call(np.swapaxes, self, -1, -2)

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(len(self.value)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r}, level={self._trace.level})"

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    # ---- conversions: control flow on concrete values works; constants must be explicit ----
    def __bool__(self) -> bool:
        return bool(self.value)

    def _no_conversion(self, *args: Any) -> Any:
        raise TracedConversionError(
            f"A traced array of shape {self.shape} was converted to a Python number, which would "
            "silently drop its derivative (float(x), int(x), x.item(), math.* functions). Use "
            "NumPy functions on the array instead; to use its value as a constant on purpose, "
            "write float(pullback.stop_gradient(x))."
        )

    __float__ = __int__ = __complex__ = __index__ = item = tolist = _no_conversion

    # ---- in-place writes: explicit errors until functional updates land ----------------------
    def _no_write(self, *args: Any) -> Any:
        raise InPlaceWriteError(
            "In-place writes into traced arrays (x[i] = v, x += y, x.fill(v)) are not supported "
            "yet. Build a new array instead: x = x + y, or numpy.where(mask, v, x) for a masked "
            "write, or numpy.concatenate / numpy.stack to assemble pieces."
        )

    __setitem__ = __iadd__ = __isub__ = __imul__ = __itruediv__ = __ipow__ = _no_write
    __imatmul__ = __ifloordiv__ = __imod__ = fill = sort = _no_write

    # ---- indexing and operators (each is a NumPy call, routed through the registry) ----------
    def __getitem__(self, index: Any) -> Any:
        return _call(operator.getitem, self, index)

    def __neg__(self) -> Any:
        return _call(np.negative, self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _call(np.absolute, self)

    # ---- ndarray methods -------------------------------------------------------------------
    def reshape(self, *shape: Any, order: str = "C") -> Any:
        if len(shape) == 1:
            shape = shape[0]
        return _call(np.reshape, self, shape, order=order)

    def transpose(self, *axes: Any) -> Any:
        if not axes:
            axes = None
        elif len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
            axes = axes[0]
        return _call(np.transpose, self, axes)

    def astype(
        self, dtype: Any, order: str = "K", casting: str = "unsafe", copy: bool = True
    ) -> Any:
        return _call(np.ndarray.astype, self, dtype)

    def flatten(self, order: str = "C") -> Any:
        return _call(np.ravel, self, order=order)

    def copy(self, order: str = "K") -> Any:
        return _call(np.copy, self)

    def conjugate(self) -> Any:
        return _call(np.conjugate, self)

    conj = conjugate


def primal(x: Any) -> Any:
    """The concrete value under every trace level: a constant as far as any transform knows."""
    while isinstance(x, Traced):
        x = x.value
    return x


def _operator(fn: Any, reflected: bool) -> Any:
    """x + y -> numpy.add(x, y), y + x -> numpy.add(y, x): straight to the handler (hot path)."""

    def method(self: Traced, other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        handler = REGISTRY.get(fn)
        return _call(fn, a, b) if handler is None else handler(a, b)

    return method


for _name, _fn in {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
}.items():  # fmt: skip
    setattr(Traced, f"__{_name}__", _operator(_fn, reflected=False))
    setattr(Traced, f"__r{_name}__", _operator(_fn, reflected=True))
for _name, _fn in {
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "eq": np.equal, "ne": np.not_equal,
}.items():  # fmt: skip
    setattr(Traced, f"__{_name}__", _operator(_fn, reflected=False))


def _as_method(fn: Any) -> Any:
    def method(self: Traced, *args: Any, **kwargs: Any) -> Any:
        return _call(fn, self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = f"Same as numpy.{fn.__name__}(x, ...)."
    return method


for _fn in (
    np.sum, np.mean, np.prod, np.max, np.min, np.var, np.std, np.cumsum, np.cumprod,
    np.ravel, np.swapaxes, np.squeeze, np.dot, np.clip, np.trace, np.diagonal, np.repeat,
    np.take, np.any, np.all, np.argmax, np.argmin, np.argsort, np.nonzero, np.round, np.ptp,
    np.searchsorted,
):  # fmt: skip
    setattr(Traced, _fn.__name__, _as_method(_fn))
del _fn, _name

from .dispatch import REGISTRY  # noqa: E402
from .dispatch import call as _call  # noqa: E402  (dispatch needs Traced defined first)
