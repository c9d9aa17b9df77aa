"""The demo gallery (pullback.demo), the command line (pullback.cli) and the documentation's code:
the numbers the gallery promises, its failure detection, and every ```python block of the docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.special

import pullback as pb
from pullback import cli, demo
from pullback.core import Rule

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results() -> list[demo.Result]:
    return demo.run_gallery(seed=0)


def _row(results: list[demo.Result], prefix: str) -> demo.Result:
    (found,) = [r for r in results if r.example.name.startswith(prefix)]
    return found


def test_every_row_passes(results) -> None:
    failures = [(r.example.name, r.error, r.fd_error, r.adjoint_residual) for r in results]
    assert all(r.ok for r in results), failures
    assert len(results) >= 8
    for r in results:
        assert r.fd_error < 1e-6
        assert r.adjoint_residual < 1e-12


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_product_sine_both_modes(results, mode) -> None:
    r = _row(results, f"x1*x2 + sin(x1) at (2,7), {mode}")
    g1, g2 = r.derivative
    assert g1 == pytest.approx(6.58385316, abs=1e-8)  # x2 + cos(x1) = 7 + cos 2
    assert g2 == 2.0
    assert r.value == pytest.approx(14 + np.sin(2.0), abs=1e-12)


def test_gaussian_bump(results) -> None:
    r = _row(results, "(x @ [1,0])")
    np.testing.assert_allclose(r.derivative, [-0.00673795, -0.02695179], atol=5e-9)
    np.testing.assert_allclose(r.derivative, [-np.exp(-5), -4 * np.exp(-5)], rtol=1e-14)


def test_sigmoid_is_finite_at_extremes(results) -> None:
    r = _row(results, "sum(sigmoid(x))")
    assert np.all(np.isfinite(r.derivative))
    np.testing.assert_allclose(r.derivative[2:], [0.25, 0.07010371654510816], rtol=1e-14)
    assert 0 < r.derivative[0] < 1e-43 and r.derivative[1] == 0.0  # e^-100 and e^-800 (underflow)


def test_hessian_row(results) -> None:
    r = _row(results, "hessian of Rosenbrock")
    np.testing.assert_allclose(r.derivative, [[1330.0, 480.0], [480.0, 200.0]], rtol=1e-14)
    assert r.value == pytest.approx(24.2, rel=1e-14)


def test_matrix_rows_match_closed_forms(results) -> None:
    for prefix in ("quadratic form", "matmul, both args", "Gram matrix"):
        r = _row(results, prefix)
        assert r.closed_error < 1e-13, prefix


def test_table_is_aligned(results) -> None:
    lines = demo.format_table(results).splitlines()
    col = lines[0].index("FD err")
    rows = lines[2 : 2 + len(results)]
    assert all(line[col - 2 : col] == "  " and line[col] != " " for line in rows)
    assert "6.58385" in lines[2 + results.index(_row(results, "x1*x2 + sin(x1) at (2,7), reverse"))]


# ---- the demo is itself a check: a wrong derivative makes it fail ----------------------------
def _bad_fwd(x):
    return np.sin(x), x


def _bad_jvp(res, xdot):
    return np.cos(res) * xdot


def _bad_vjp(res, ybar):
    return (2 * np.cos(res) * ybar,)  # not the transpose of _bad_jvp


_BAD = Rule("bad_sin", _bad_fwd, _bad_jvp, _bad_vjp)


def test_demo_flags_a_wrong_closed_form() -> None:
    ex = demo.Example("wrong closed form", lambda x: np.sum(x * x), (np.ones(2),), lambda x: x)
    (r,) = demo.run_gallery([ex])
    assert r.fd_error < 1e-8 and r.adjoint_residual < 1e-14
    assert r.closed_error == pytest.approx(1.0) and not r.ok


def test_demo_flags_a_derivative_that_disagrees_with_finite_differences() -> None:
    ex = demo.Example("half the derivative", lambda x: x * pb.stop_gradient(x), (np.array(3.0),))
    (r,) = demo.run_gallery([ex])
    assert r.derivative == 3.0 and r.fd_error == pytest.approx(0.5, rel=1e-6) and not r.ok


def test_demo_flags_an_adjoint_mismatch() -> None:
    ex = demo.Example("jvp and vjp disagree", lambda x: np.sum(_BAD.bind(x)), (np.array([0.3]),))
    (r,) = demo.run_gallery([ex])
    assert r.adjoint_residual == pytest.approx(1 / 3) and not r.ok
    assert "FAILED jvp and vjp disagree" in demo.format_table([r])


def test_demo_reports_an_unsupported_function_instead_of_crashing() -> None:
    ex = demo.Example("kolmogorov", lambda x: np.sum(scipy.special.kolmogorov(x)), (np.ones(2),))
    (r,) = demo.run_gallery([ex])
    assert not r.ok and r.error.startswith("UnsupportedFunctionError")
    assert "scipy.special.kolmogorov" in demo.format_table([r])


# ---- the command line ----------------------------------------------------------------------------
def test_cli_demo_exits_zero(capsys) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    n = len(demo.gallery())
    assert f"all {n} rows agree" in out and "FAIL" not in out


def test_python_m_pullback_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pullback", "demo"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[-0.00673795, -0.0269518]" in done.stdout


# ---- the docs' code runs ----------------------------------------------------------------------
def _python_blocks(path: Path) -> list:
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    return [pytest.param(b, id=f"{path.name}-{k}") for k, b in enumerate(blocks)]


DOC_BLOCKS = [
    *_python_blocks(ROOT / "README.md"),
    *_python_blocks(ROOT / "docs" / "index.md"),
    *_python_blocks(ROOT / "docs" / "scipy.md"),
]


def test_docs_have_code() -> None:
    assert len(_python_blocks(ROOT / "README.md")) >= 5
    assert len(_python_blocks(ROOT / "docs" / "index.md")) >= 5


@pytest.mark.parametrize("code", DOC_BLOCKS)
def test_doc_block_runs(code) -> None:
    exec(compile(code, "<doc block>", "exec"), {"__name__": "doc_block"})
