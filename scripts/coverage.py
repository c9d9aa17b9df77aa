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


# Why the functions still marked unsupported are not covered (kept by hand: a reason is not in the
# registry). Each names its functions so a reader can search this page for them.
NOTES = (
    "scipy.special ufuncs are differentiable in their continuous variable; an order, a degree or "
    "a shape parameter (the `v` of `jv`, the `a` of `gammainc`, the `n` of `eval_legendre`) has "
    "no closed-form derivative, and a traced one raises UnsupportedFunctionError naming it (pass "
    "it as a constant). The discrete distributions (`bdtr`, `nbdtr`, `pdtr` and their "
    "complements and inverses) floor `k` and `n` as SciPy does.",
    "`numpy.save`, `savetxt`, `savez`, `savez_compressed`: file output, not a computation; save "
    "the plain values.",
    "`scipy.special.logsumexp`, `softmax`, `log_softmax`, `polygamma`: SciPy's Python functions "
    "convert their input with np.asarray before any protocol runs; call `pullback.special.<name>` "
    "(same signature, differentiable). `softplus` works on traced input as it is (SciPy writes "
    "it with `np.logaddexp`), although the registry cannot show it.",
    "Several outputs: `airy`, `airye`, `sici`, `shichi`, `fresnel`, `modfresnelm`, "
    "`modfresnelp`, `ellipj`, `kelvin`, `itairy`, `it2i0k0`, `it2j0y0`, `iti0k0`, `itj0y0`, "
    "`pbdv`, `pbvv`, `pbwa`, the Mathieu and spheroidal (`obl_*`, `pro_*`) functions: "
    "`pullback.extend.elementwise` declares one output; not done yet.",
    "Complex-valued: `hankel1`, `hankel2`, `hankel1e`, `hankel2e`, `wofz`, `voigt_profile`, "
    "`lambertw`, `sph_harm_y`: not done yet.",
    "No closed-form derivative among SciPy's functions: `kolmogorov`, `kolmogi`, `smirnov`, "
    "`smirnovi` (the derivative is a series), `zeta` and `zetac` in their exponent, `tklmbda` "
    "(an implicit quantile), `besselpoly`. Skipped for now although reachable: `agm` (through "
    "`ellipk`/`ellipe` of the modulus ratio), `ellipkinc` and `ellipeinc` (their derivative in "
    "m needs both together), the Carlson integrals `elliprc`, `elliprd`, `elliprf`, `elliprg`, "
    "`elliprj` (second derivatives reach `elliprj` with repeated arguments).",
    "Inverse distribution functions that solve for a shape parameter (`bdtrik`, `bdtrin`, "
    "`btdtria`, `btdtrib`, `chdtriv`, `fdtridfd`, `gdtria`, `gdtrib`, `nbdtrik`, `nbdtrin`, "
    "`nrdtrimn`, `nrdtrisd`, `pdtrik`, `stdtridf`) and the noncentral distributions "
    "(`chndtr*`, `ncfdtr*`, `nctdtr*`): their derivatives are derivatives of incomplete beta or "
    "gamma functions in a shape parameter, or series; none has a closed form.",
    "Python functions that take integer orders or counts, or convert their inputs: `roots_*` "
    "and their aliases, `*_zeros`, `bernoulli`, `euler`, `factorial`, `factorial2`, "
    "`factorialk`, `comb`, `perm`, `stirling2`, `multigammaln`, `lmbda`, the poly1d "
    "constructors (`legendre`, `hermite`, `chebyt`, ...), `lqmn`, `lqn`, `riccati_jn`, "
    "`riccati_yn`, `jvp`, `yvp`, `ivp`, `kvp`, `h1vp`, `h2vp`, `spherical_*`, `ellip_harm`, "
    "`ellip_harm_2`, `ellip_normal`, `*legendre_p*`, `diric`, `geterr`, `seterr`. For a "
    "continuous argument, write the formula with the ufuncs above (`binom` for `comb`, "
    "`gamma(n + 1)` for `factorial`, `jv` recurrences for `jvp`).",
)


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
        "## What is not covered, and why",
        "",
        *(f"- {note}" for note in NOTES),
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
