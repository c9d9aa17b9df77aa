"""Generate docs/coverage.md: every public function of numpy, numpy.linalg, numpy.fft and
scipy.special, with what pullback does when it is called on a traced array.

    python scripts/coverage.py           write docs/coverage.md   (make coverage)
    python scripts/coverage.py --check   exit 1 when docs/coverage.md is stale

The table is read from the dispatch registry (pullback.core.REGISTRY), so it is exactly what the
code does: a registered primitive rule reports the modes it defines; a registered composite
(a function written with other rules) supports both modes; a handler made by
`pullback.extend.nondifferentiable` is non-differentiable; a function NumPy does not dispatch on
its array arguments (np.zeros, np.arange: they take shapes, not arrays) is listed as such.
"""

from __future__ import annotations

import argparse
import importlib
import operator
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy

import pullback  # noqa: F401  (registers every rule)
from pullback.core import REGISTRY
from pullback.core.dispatch import Rule
from pullback.rules.nondiff import is_nondifferentiable

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "coverage.md"
MODULES = ("numpy", "numpy.linalg", "numpy.fft", "scipy.special")

BOTH = "reverse, forward"
REVERSE = "reverse"
FORWARD = "forward"
NONDIFF = "non-differentiable"
RAISES = "raises (in-place write)"
UNSUPPORTED = "unsupported"
NO_DISPATCH = "no array dispatch"
ORDER = (BOTH, REVERSE, FORWARD, NONDIFF, RAISES, UNSUPPORTED, NO_DISPATCH)
MEANING = {
    BOTH: "differentiable in reverse mode (grad, vjp) and forward mode (jvp), to any order",
    REVERSE: "reverse mode only",
    FORWARD: "forward mode only",
    NONDIFF: "runs on the values and returns a plain array; its derivative is zero by definition",
    RAISES: "writes into an array in place; on a traced array it raises an error that names "
    "the functional alternative",
    UNSUPPORTED: "raises pullback.UnsupportedFunctionError on a traced array (fix: custom_vjp, "
    "stop_gradient, or a rewrite)",
    NO_DISPATCH: "NumPy does not dispatch it on array arguments (it takes shapes or Python "
    "values); it never sees a traced array, or converts one and raises TracedConversionError",
}


def public_callables(module_name: str) -> dict[str, Any]:
    """name -> object for the public, callable, non-class attributes of a module."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or dir(module)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated aliases warn on access
        for name in sorted(set(names)):
            if name.startswith("_"):
                continue
            obj = getattr(module, name, None)
            if obj is None or isinstance(obj, type) or type(obj).__name__ == "module":
                continue
            if not callable(obj):
                continue
            out[name] = obj
    return out


def _dispatched(obj: Any) -> bool:
    """True when NumPy hands a call with a traced argument to pullback (__array_ufunc__ for
    ufuncs, __array_function__ for functions decorated with array_function_dispatch)."""
    return isinstance(obj, np.ufunc) or hasattr(obj, "_implementation")


def status(obj: Any, module_name: str) -> str:
    try:
        handler = REGISTRY.get(obj)
    except TypeError:  # unhashable
        handler = None
    if handler is None:
        if module_name.startswith("numpy") and not _dispatched(obj):
            return NO_DISPATCH
        return UNSUPPORTED
    if is_nondifferentiable(handler):
        return NONDIFF
    if getattr(handler, "needs_setitem", False) and operator.setitem not in REGISTRY:
        return RAISES  # a write, and the functional writes (rules/writes.py) are not loaded
    rule = getattr(handler, "__self__", None)
    if isinstance(rule, Rule):
        fwd, rev = rule.jvp is not None, rule.vjp is not None
        return BOTH if fwd and rev else REVERSE if rev else FORWARD if fwd else NONDIFF
    return BOTH  # a composite: written with other rules, every mode they have


def ufunc_methods() -> list[tuple[str, str]]:
    rows = []
    for key, handler in REGISTRY.items():
        if isinstance(key, tuple) and isinstance(key[0], np.ufunc):
            rows.append((f"numpy.{key[0].__name__}.{key[1]}", status_of_handler(handler)))
    return sorted(rows)


def status_of_handler(handler: Any) -> str:
    if is_nondifferentiable(handler):
        return NONDIFF
    rule = getattr(handler, "__self__", None)
    if isinstance(rule, Rule):
        fwd, rev = rule.jvp is not None, rule.vjp is not None
        return BOTH if fwd and rev else REVERSE if rev else FORWARD
    return BOTH


def render() -> str:
    tables = {m: {n: status(o, m) for n, o in public_callables(m).items()} for m in MODULES}
    lines = [
        "# NumPy and SciPy coverage",
        "",
        "<!-- Generated by scripts/coverage.py from pullback's rule registry; do not edit. -->",
        "<!-- Regenerate with `make coverage` (tests/test_coverage_table.py fails when stale). -->",
        "",
        f"What pullback does with each public function of {', '.join(MODULES)} when it is "
        f"called on a traced array (numpy {np.__version__}, scipy {scipy.__version__}).",
        "",
        "| status | meaning |",
        "|---|---|",
        *(f"| {s} | {MEANING[s]} |" for s in ORDER),
        "",
        "Conventions at non-differentiable points (the derivative used there, finite):",
        "",
        "- `abs`, `fabs`, `sign`-like kinks: derivative 0 at 0 (the minimum-norm subgradient).",
        "- `sqrt` (and `x ** p`, p < 1) at 0: the derivative 0.5 / sqrt(x) is infinite; pullback "
        "returns `inf` with NumPy's divide-by-zero RuntimeWarning (`nan` where the cotangent is "
        "0), as the math says. Use `sqrt(x + eps)` or a custom rule when 0 is reachable.",
        "- `max`, `min`, `amax`, `amin`, `maximum`, `minimum`, `ptp`: ties split the derivative "
        "evenly between the tied entries.",
        "- `sort`, `partition`, `median`, `quantile`: the permutation of a stable argsort; tied "
        "entries each keep the derivative of their own output position.",
        "- `mod`, `fmod`, `floor`-like jumps: the derivative of the piece the point lies on.",
        "- `interp`: the interval to the right of a knot; slope 0 outside `[xp[0], xp[-1]]`.",
        "- nan-aware reductions (`nansum`, `nanmean`, `nanmax`, ...): gradient 0 at NaN entries.",
        "",
        "## Counts",
        "",
        "| module | " + " | ".join(ORDER) + " | total |",
        "|---|" + "---|" * (len(ORDER) + 1),
    ]
    for m in MODULES:
        counts = [sum(1 for s in tables[m].values() if s == k) for k in ORDER]
        lines.append(f"| `{m}` | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
    for m in MODULES:
        lines += ["", f"## `{m}`", "", "| function | status |", "|---|---|"]
        lines += [f"| `{m}.{n}` | {s} |" for n, s in sorted(tables[m].items())]
    methods = ufunc_methods()
    if methods:
        lines += ["", "## ufunc methods", "", "| method | status |", "|---|---|"]
        lines += [f"| `{n}` | {s} |" for n, s in methods]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/coverage.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run `make coverage`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
