"""Stage ③: the traced array. It behaves like an ndarray (operators, attributes, methods, the
NumPy protocols `__array_ufunc__` / `__array_function__`) and routes every call to
`dispatch.call`, which finds the rule. It holds no AD logic: subclasses carry a node or a tangent.

Writes (`x[i] = v`, `x += y`, `out=x`, docs/writes.md) are functional updates: the handler
registered for `operator.setitem` (rules/writes.py) computes the new array and this object is
rebound to it, so every alias sees it; views made by basic indexing record their base and are
kept in step through weak references.
"""

from __future__ import annotations

import operator
import sys
import weakref
from typing import Any

import numpy as np

from ..errors import InPlaceWriteError, TracedConversionError


class Traced:
    """A value being differentiated at one trace level. `value` may itself be traced (nesting)."""

    # _base: (base, index) for a view made by basic slicing; _views: weak references to the live
    # views of this array. Both are set only when used (reading an unset slot raises).
    __slots__ = ("value", "_trace", "_base", "_views", "__weakref__")
    __array_priority__ = 1000.0
    __hash__ = None  # type: ignore[assignment]  # like ndarray: == is elementwise

    # ---- the NumPy protocols ---------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if not kwargs and method == "__call__":  # np.sin(x), np.add(x, y): the hot path
            rule = RULES.get(ufunc)  # the handler is the rule's own bind: skip *inputs, **kwargs
            if rule is not None:
                n = len(inputs)
                if n == 1:  # the input is self: bind1's choice of trace is self's
                    top = self._trace
                    return top.process1(rule, self) if top.alive else rule.bind1(self)
                if n == 2:
                    return rule.bind2(inputs[0], inputs[1])
        out = kwargs.pop("out", None)
        if out is not None:
            return _ufunc_out(ufunc, method, inputs, kwargs, out)
        return _call(ufunc if method == "__call__" else (ufunc, method), *inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _call(func, *args, **kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TracedConversionError(
            _scipy_caller()
            + "A traced array was converted to a plain NumPy array (numpy.asarray, numpy.array, "
            "or a function that calls them), which would silently drop its derivative. "
            "To build an array from traced pieces use numpy.stack / numpy.concatenate; "
            "if you mean to use the value as a constant, call pullback.stop_gradient(x) first. "
            "(plain_array.dot(x) also lands here: write numpy.dot(A, x) or A @ x.) " + _PLAIN_WRITE
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

    @property
    def device(self) -> Any:
        return self.value.device  # "cpu", as for ndarray

    def to_device(self, device: Any, /, *, stream: Any = None) -> Any:
        if device != "cpu":
            raise ValueError(f"traced arrays live on the CPU, like NumPy's; got device {device!r}")
        return self

    def __array_namespace__(self, *, api_version: Any = None) -> Any:
        from .. import array_api  # the array API standard: NumPy's namespace, asarray traced

        return array_api

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
            "write float(pullback.stop_gradient(x)). " + _PLAIN_WRITE
        )

    __float__ = __int__ = __complex__ = __index__ = item = tolist = _no_conversion

    # ---- writes: functional updates; this object is rebound to the new value (docs/writes.md) --
    def __setitem__(self, index: Any, value: Any) -> None:
        _write(self, index, value)

    def fill(self, value: Any) -> None:
        _write(self, Ellipsis, value)

    def sort(self, axis: int = -1, kind: Any = None, order: Any = None) -> None:
        _assign(self, _call(np.sort, self, axis=axis), "sort")

    @property
    def real(self) -> Any:
        return _call(np.real, self)

    @real.setter
    def real(self, value: Any) -> None:  # z.real = v: z = v + i Im(z) (a real x: x[...] = v)
        if self.dtype.kind == "c":
            value = value + 1j * _call(np.imag, self)
        _write(self, Ellipsis, value)

    @property
    def imag(self) -> Any:
        return _call(np.imag, self)

    @imag.setter
    def imag(self, value: Any) -> None:  # z.imag = v: z = Re(z) + i v
        if self.dtype.kind != "c":
            raise TypeError("array does not have imaginary part to set")
        _write(self, Ellipsis, _call(np.real, self) + 1j * value)

    # ---- indexing and operators (each is a NumPy call, routed through the registry) ----------
    def __getitem__(self, index: Any) -> Any:
        out = _call(operator.getitem, self, index)
        if out.__class__ is self.__class__ and out.value.ndim and _basic(index):
            _add_view(self, out, index)  # NumPy returns a view here: keep it in step with self
        return out

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
    """x + y -> numpy.add(x, y), y + x -> numpy.add(y, x): straight to the rule (the hot path:
    one closure per direction saves swapping a tuple per call), or else to the handler.

    When `other` is a constant or shares self's trace, that trace processes the call (bind2's
    choice, made without a call to bind2); mixed levels and dead traces go through bind2."""

    if reflected:

        def method(self: Traced, other: Any) -> Any:
            rule = RULES.get(fn)
            if rule is not None:
                top = self._trace
                if top.alive and (not isinstance(other, Traced) or other._trace is top):
                    return top.process2(rule, other, self)
                return rule.bind2(other, self)
            handler = REGISTRY.get(fn)
            return _call(fn, other, self) if handler is None else handler(other, self)

    else:

        def method(self: Traced, other: Any) -> Any:
            rule = RULES.get(fn)
            if rule is not None:
                top = self._trace
                if top.alive and (not isinstance(other, Traced) or other._trace is top):
                    return top.process2(rule, self, other)
                return rule.bind2(self, other)
            handler = REGISTRY.get(fn)
            return _call(fn, self, other) if handler is None else handler(self, other)

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


def _inplace(fn: Any) -> Any:
    """x op= y -> x is rebound to numpy.op(x, y) (cast to x's dtype as NumPy's same_kind rule
    allows); every alias of x (and its views) sees the new value."""

    def method(self: Traced, other: Any) -> Any:
        handler = REGISTRY.get(fn)
        _assign(self, _call(fn, self, other) if handler is None else handler(self, other), fn)
        return self

    return method


for _name, _fn in {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
}.items():  # fmt: skip
    setattr(Traced, f"__i{_name}__", _inplace(_fn))


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

# ---- writes into arrays ---------------------------------------------------------------------
_PLAIN_WRITE = (
    "If this came from writing a traced value into a plain NumPy array (buf[i] = x, buf[:] = x, "
    "numpy.copyto(buf, x)): pullback cannot intercept that write, because NumPy converts the "
    "value itself before pullback sees it. Build the array from its pieces instead "
    "(numpy.stack / numpy.concatenate / numpy.where), or write into a traced array, e.g. "
    "buf = numpy.zeros_like(x) (traced when x is) followed by buf[i] = value."
)
_BASIC_TYPES = (int, slice)

# SciPy functions written in Python convert their inputs with numpy.asarray; pullback has its own
# differentiable version of the ones users reach for, under the same name and signature.
_SCIPY_TWINS = {"scipy.linalg": "linalg", "scipy.special": "special", "scipy.optimize": "optimize"}


def _scipy_caller() -> str:
    """When a SciPy function made the conversion, a first sentence naming it and its pullback twin
    (only on this error path: walks the Python stack once)."""
    frame, found = sys._getframe(2), None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("scipy._lib"):  # a decorator (array-API wrapper): name what it wraps
            wrapped = frame.f_locals.get("f")
            if getattr(wrapped, "__module__", "").startswith("scipy."):
                found = (wrapped.__module__, wrapped.__name__)
        elif module.startswith("scipy."):
            found = (module, frame.f_code.co_name)  # keeps the outermost SciPy frame
        elif found is not None:
            break
        frame = frame.f_back
    if found is None:
        return ""
    module, name = found
    package = ".".join(module.split(".")[:2])
    sentence = (
        f"{package}.{name} converts its inputs with numpy.asarray, so pullback cannot see inside "
        "it. "
    )
    twin = _SCIPY_TWINS.get(package)
    if twin is not None:
        import importlib

        namespace = importlib.import_module(f"pullback.{twin}")
        if callable(getattr(namespace, name, None)):
            return (
                sentence + f"Call pullback.{twin}.{name} instead: same arguments, differentiable. "
            )
    return sentence


def _basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, Ellipsis): NumPy's result is a view of the array."""
    for i in index if type(index) is tuple else (index,):
        if not (i is None or i is Ellipsis or type(i) in _BASIC_TYPES or isinstance(i, np.integer)):
            return False
    return True


def _add_view(base: Traced, view: Traced, index: Any) -> None:
    view._base = (base, index)
    try:
        views = base._views
    except AttributeError:
        views = base._views = []
    views.append(weakref.ref(view))
    n = len(views)
    if n >= 64 and n & (n - 1) == 0:  # prune dead views now and then: amortized O(1)
        views[:] = [r for r in views if r() is not None]


_COPIED_SLOTS: dict[type, tuple[str, ...]] = {}


def _rebind(x: Traced, new: Any, what: Any) -> None:
    """Make the object x hold `new` (same trace level): every alias of x sees the new value."""
    if new.__class__ is not x.__class__ or new._trace is not x._trace:
        raise InPlaceWriteError(
            f"{_what(what)} writes a value traced by a transform nested inside the one that "
            "traced the array being written (the array was created outside the inner "
            "function, e.g. closed over). pullback cannot rebind an outer array to an inner "
            "value. Build a new array inside the inner function instead: y = numpy.where(mask, "
            "v, x), numpy.concatenate, or y = x + 0 followed by y[i] = v."
        )
    cls = x.__class__
    slots = _COPIED_SLOTS.get(cls)
    if slots is None:
        names = [n for c in cls.__mro__ for n in c.__dict__.get("__slots__", ())]
        slots = _COPIED_SLOTS[cls] = tuple(
            n for n in names if n not in ("_trace", "_base", "_views", "__weakref__")
        )
    for name in slots:
        try:
            setattr(x, name, getattr(new, name))
        except AttributeError:  # a slot the new value never set (subclasses' optional state)
            pass


def _what(what: Any) -> str:
    if what is operator.setitem:
        return "x[index] = v"
    if isinstance(what, str):
        return f"x.{what}()"
    return f"an in-place numpy.{getattr(what, '__name__', what)} (x op= y or out=x)"


def _write(x: Traced, index: Any, value: Any) -> None:
    """x[index] = value: rebind x to setitem(x, value, index), then bring views up to date."""
    handler = REGISTRY.get(operator.setitem)
    if handler is None:
        raise InPlaceWriteError(
            "Writes into traced arrays need pullback.rules.writes, which is not loaded. Build a "
            "new array instead: numpy.where(mask, v, x), numpy.concatenate, numpy.stack."
        )
    _rebind(x, handler(x, index, value), operator.setitem)
    _propagate(x)


def _assign(x: Traced, new: Any, what: Any) -> None:
    """x's whole contents become `new` (x op= y, out=x, x.sort()), as NumPy would store them."""
    dtype = x.value.dtype
    new_dtype = new.dtype if hasattr(new, "dtype") else np.result_type(new)
    if new_dtype != dtype and not np.can_cast(new_dtype, dtype, "same_kind"):
        raise InPlaceWriteError(
            f"{_what(what)}: the result has dtype {new_dtype}, which cannot be stored in an array "
            f"of dtype {dtype} under NumPy's same_kind casting rule (NumPy raises here too). "
            f"Write x = x op y to get a new array of dtype {new_dtype}."
        )
    if (
        new.__class__ is x.__class__
        and new._trace is x._trace
        and new.value.shape == x.value.shape
        and new_dtype == dtype
    ):
        _rebind(x, new, what)
        _propagate(x)
    else:  # a constant, a dtype cast or a broadcast: x[...] = new does what NumPy does
        _write(x, Ellipsis, new)


def _propagate(x: Traced) -> None:
    """After a write into x: a view writes its new contents into its base (which updates the
    other views); a base re-reads every live view from its new value."""
    try:
        base, index = x._base
    except AttributeError:
        _refresh(x)
        return
    base[index] = x  # through the base's own __setitem__ (a subclass may refuse, e.g. a leaf)


def _refresh(x: Traced) -> None:
    try:
        views = x._views
    except AttributeError:
        return
    getitem = REGISTRY[operator.getitem]
    for ref in list(views):
        view = ref()
        if view is not None:
            _rebind(view, getitem(x, view._base[1]), operator.setitem)
            _refresh(view)


def _ufunc_out(ufunc: np.ufunc, method: str, inputs: Any, kwargs: dict[str, Any], out: Any) -> Any:
    """numpy.ufunc(..., out=o): compute the result, then store it into o as a write."""
    outs = out if isinstance(out, tuple) else (out,)
    if len(outs) != 1:
        raise InPlaceWriteError(
            f"numpy.{ufunc.__name__}(..., out=...) with {len(outs)} outputs is not supported on "
            "traced arrays; use the returned arrays instead."
        )
    (o,) = outs
    where = kwargs.pop("where", True)
    result = _call(ufunc if method == "__call__" else (ufunc, method), *inputs, **kwargs)
    if o is None:
        return result
    if where is not True:
        result = _call(np.where, where, result, o)
    if isinstance(o, Traced):
        _assign(o, result, ufunc)
        return o
    if isinstance(result, Traced):
        raise InPlaceWriteError(
            f"numpy.{ufunc.__name__}(..., out=...) into a plain NumPy array with a traced result "
            "(also buf += x for a plain buf): pullback cannot write a traced value into a plain "
            "array (its derivative would be lost). Write y = numpy."
            f"{ufunc.__name__}(...) (or buf = buf + x) and use the new array, or pass a traced "
            "array as out (buf = x.copy() for a traced x)."
        )
    np.copyto(o, result)
    return o


from .dispatch import REGISTRY, RULES  # noqa: E402
from .dispatch import call as _call  # noqa: E402  (dispatch needs Traced defined first)
