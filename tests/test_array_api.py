"""Traced arrays follow the array API standard (pullback/array_api.py): SciPy functions that look
up `x.__array_namespace__()` run unchanged on them when SciPy's array-API mode is on
(SCIPY_ARRAY_API=1, read once when SciPy is imported, hence the subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pullback as pb
from pullback import array_api

SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    import scipy.integrate as si
    import scipy.special as ss
    import scipy.stats as st
    import pullback as pb

    x = np.array([0.7, 1.9, 3.4, 2.2])
    w = np.array([0.5, -1.0, 2.0, 0.3])
    FUNCTIONS = {
        "special.erf": ss.erf,
        "special.xlogy": lambda x: ss.xlogy(x, x),
        "special.gammaln": ss.gammaln,
        "special.logsumexp": ss.logsumexp,
        "special.softmax": ss.softmax,
        "special.log_softmax": ss.log_softmax,
        "special.entr": ss.entr,
        "integrate.trapezoid": si.trapezoid,
        "integrate.cumulative_trapezoid": si.cumulative_trapezoid,
        "stats.zscore": st.zscore,
        "stats.skew": st.skew,
        "stats.gmean": st.gmean,
        "stats.entropy": st.entropy,
    }
    out = {}
    for name, f in FUNCTIONS.items():
        loss = lambda x, f=f: np.sum(f(x) * w[: np.size(f(x))])
        try:
            rows = pb.check_grads(loss, (x,), order=2)
            value_ok = bool(np.allclose(loss(x), pb.jvp(loss, (x,), (x,))[0], rtol=0, atol=0))
            out[name] = "ok" if value_ok and all(r.ok for r in rows) else "wrong value"
        except Exception as e:
            out[name] = type(e).__name__ + ": " + str(e)[:200]
    try:  # a traced array and a plain one in the same call: SciPy refuses two namespaces
        pb.grad(lambda x: ss.logsumexp(x, b=w))(x)
        out["mixed"] = "no error"
    except TypeError as e:
        out["mixed"] = "TypeError: " + str(e)[:60]
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def array_api_results() -> dict[str, str]:
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_scipy_functions_run_unchanged_in_array_api_mode(array_api_results) -> None:
    failed = {k: v for k, v in array_api_results.items() if k != "mixed" and v != "ok"}
    assert not failed, failed


def test_mixing_traced_and_plain_arrays_is_refused_by_scipy_not_silently_wrong(
    array_api_results,
) -> None:
    assert array_api_results["mixed"].startswith("TypeError: Multiple namespaces")


def test_the_namespace_is_numpy_with_a_traced_asarray() -> None:
    x = np.array([1.0, 2.0])

    def f(x):
        xp = x.__array_namespace__()
        assert xp is array_api and x.device == "cpu"
        y = xp.asarray(x)  # stays traced: a plain np.asarray would raise TracedConversionError
        return xp.sum(xp.exp(y) * xp.asarray([1.0, 3.0]))

    np.testing.assert_allclose(pb.grad(f)(x), np.exp(x) * [1.0, 3.0])
    np.testing.assert_allclose(pb.jvp(f, (x,), (np.ones(2),))[1], np.exp(x) @ [1.0, 3.0])
    assert array_api.asarray([1, 2]).dtype == np.int64
    with pytest.raises(AttributeError, match="no 'not_a_function'"):
        array_api.not_a_function
