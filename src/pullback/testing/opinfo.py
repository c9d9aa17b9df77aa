"""The OpInfo table's record (consumers of the rules, like check_grads): one entry per operation
under test, with its sample inputs, domain, dtypes, modes, order and tolerances."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The standard shapes every elementwise-style entry runs over (one tuple of shapes per sample).
UNARY_SHAPES: tuple[tuple[tuple[int, ...], ...], ...] = (((),), ((3,),), ((2, 3),), ((4, 2, 3),))
BINARY_SHAPES: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (2, 3)),
    ((1, 3), (2, 3)),
    ((4, 2, 3), (4, 2, 3)),
    ((2, 3), ()),
)


@dataclass(frozen=True)
class OpInfo:
    """One operation under test.

    fn:      takes the sample arrays positionally (close over static parameters like axis).
    covers:  the NumPy callables (registry keys) this entry exercises; the completeness test
             fails for a registered callable no entry covers.
    shapes:  one tuple of argument shapes per sample.
    domain:  (low, high) for uniform sampling, one pair per argument or one for all.
    samples: optional `samples(rng, dtype) -> list[tuple[args]]` replacing shapes/domain.
    modes:   ("fwd", "rev") unless a mode is missing, with the reason in `skips`.
    rtol, atol: override check_grads' tolerances (rtol keyed by dtype when None).
    skips:   {"fwd" | "rev" | "float32" | ...: "reason"}.
    """

    name: str
    fn: Callable[..., Any]
    covers: tuple[Any, ...]
    shapes: tuple[tuple[tuple[int, ...], ...], ...] = UNARY_SHAPES
    domain: tuple[float, float] | tuple[tuple[float, float], ...] = (-2.0, 2.0)
    samples: Callable[[np.random.Generator, Any], list[tuple[Any, ...]]] | None = None
    dtypes: tuple[Any, ...] = (np.float64, np.float32)
    modes: tuple[str, ...] = ("fwd", "rev")
    order: int = 2
    rtol: float | None = None
    atol: float = 0.0
    skips: dict[str, str] = field(default_factory=dict)

    def sample_inputs(self, rng: np.random.Generator, dtype: Any) -> list[tuple[Any, ...]]:
        if self.samples is not None:
            return self.samples(rng, dtype)
        out = []
        for shapes in self.shapes:
            domains = (
                self.domain if isinstance(self.domain[0], tuple) else (self.domain,) * len(shapes)
            )
            out.append(
                tuple(
                    rng.uniform(lo, hi, size=s).astype(dtype)
                    for s, (lo, hi) in zip(shapes, domains, strict=True)
                )
            )
        return out

    def seeded_samples(self, dtype: Any) -> list[tuple[Any, ...]]:
        """`sample_inputs` drawn from a generator seeded by crc32("name/dtype"): the same arrays in
        every process, whatever the test order, the global RNG state or PYTHONHASHSEED (a CRC of
        the text, never `hash()`, which is salted per process for strings)."""
        seed = zlib.crc32(f"{self.name}/{np.dtype(dtype).name}".encode())
        return self.sample_inputs(np.random.default_rng(seed), dtype)

    def direction_rng(self) -> np.random.Generator:
        """A fresh generator for check_grads' random directions, seeded by crc32(name) alone."""
        return np.random.default_rng(zlib.crc32(self.name.encode()))


@dataclass(frozen=True)
class NondiffInfo:
    """A non-differentiable function: on traced input it must return a plain array equal to
    NumPy's result. `fn` takes one sample array."""

    name: str
    fn: Callable[..., Any]
    covers: tuple[Any, ...]
