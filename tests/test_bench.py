"""Smoke test of the benchmark suite (tiny sizes, one repeat, no timing assertions): the outputs,
the agreement check that refuses to time a wrong answer, and skipped cells."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from pullback.bench import main
from pullback.bench.runner import Options, agree, run_workload
from pullback.bench.workloads import Impl, Skip, Workload, workloads

TINY = ["--tiny", "--repeats", "1", "--min-time", "0", "--libs", "numpy,pullback"]


def test_bench_writes_json_markdown_and_docs(tmp_path):
    docs = tmp_path / "benchmarks.md"
    argv = ["--in-process", *TINY, "--workloads", "W1,W2,W8", "--out", str(tmp_path)]
    assert main([*argv, "--docs", str(docs)]) == 0
    payload = json.loads((tmp_path / "latest.json").read_text())
    cells = {(c["workload"], c["impl"]): c for c in payload["cells"]}
    assert set(cells) == {
        (w, i) for w in ("W1", "W2-f64", "W2-f32", "W8") for i in ("hand-written", "pullback")
    }
    for c in cells.values():
        assert c["status"] == "ok", c
        assert c["median"] > 0 and len(c["samples"]) >= 1
    assert cells[("W1", "hand-written")]["ratio"] == 1.0
    assert cells[("W1", "pullback")]["per_op"] > 0
    table = (tmp_path / "latest.md").read_text()
    assert "| W2-f32 | pullback |" in table
    assert docs.read_text().startswith("# Benchmarks") and "| W8 | pullback |" in docs.read_text()


def _toy(wrong: bool) -> Workload:
    def setup(rng: np.random.Generator, tiny: bool) -> dict:
        return {"x": rng.standard_normal(4)}

    def reference(d: dict):
        return lambda: [2 * d["x"]]

    def candidate(d: dict):
        return lambda: [2 * d["x"] + (1e-3 if wrong else 0.0)]

    def missing(d: dict):
        raise Skip("library X lacks f")

    impls = [
        Impl("hand-written", "numpy", reference),
        Impl("candidate", "pullback", candidate),
        Impl("absent", "autograd", missing),
    ]
    return Workload("T", "T", "toy", setup, impls)


def test_a_wrong_answer_is_refused_and_not_timed():
    lines: list[str] = []
    ref, cand, absent = run_workload(_toy(wrong=True), Options(repeats=2, min_time=0), lines.append)
    assert ref.status == "ok" and len(ref.samples) == 2
    assert cand.status.startswith("wrong:") and "not timed" in cand.status
    assert cand.samples == [] and cand.median is None and cand.ratio is None
    assert absent.status == "skipped: library X lacks f"
    assert len(lines) == 3 and "wrong" in lines[1]  # one progress line per cell


def test_a_right_answer_is_timed():
    cells = run_workload(_toy(wrong=False), Options(repeats=2, min_time=0), lambda s: None)
    assert cells[1].status == "ok" and len(cells[1].samples) == 2 and cells[1].ratio > 0


def test_without_a_reference_nothing_is_timed():
    w = _toy(wrong=False)
    w.impls[0] = Impl("hand-written", "numpy", w.impls[2].build)  # the reference itself is absent
    ref, cand, _ = run_workload(w, Options(repeats=1, min_time=0), lambda s: None)
    assert ref.status.startswith("skipped:")
    assert cand.status == "skipped: the hand-written reference did not run" and not cand.samples


def test_agree_checks_count_shape_and_values():
    ref = [np.array([1.0, -2.0])]
    assert agree([np.array([1.0, -2.0 + 1e-9])], ref, 1e-6) is None
    assert "max error" in agree([np.array([1.0, -2.1])], ref, 1e-6)
    assert "shape" in agree([np.array([1.0])], ref, 1e-6)
    assert "outputs" in agree([], ref, 1e-6)
    assert "max error" in agree([np.array([np.nan, -2.0])], ref, 1e-6)


def test_every_workload_has_a_reference_first_and_unique_keys():
    ws = workloads()
    assert [w.group for w in ws] == ["W1", "W2", "W2", "W3", "W4", "W5", "W5", "W6", "W7", "W8"]
    assert len({w.key for w in ws}) == len(ws)
    assert all(w.impls[0].lib == "numpy" for w in ws)


def test_a_missing_rule_is_a_skipped_cell_not_a_crash(monkeypatch):
    (w4,) = [w for w in workloads() if w.key == "W4"]
    monkeypatch.delattr("pullback.linalg.solve_continuous_lyapunov", raising=False)
    ref, pb_cell = run_workload(w4, Options(repeats=1, min_time=0, tiny=True, libs={"pullback"}))
    assert ref.status == "ok"
    assert pb_cell.status.startswith("skipped:") and pb_cell.median is None


def test_the_command_reruns_itself_with_one_blas_thread(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    code = (
        "import sys; from pullback.bench import main; "
        f"sys.exit(main({[*TINY, '--workloads', 'W1', '--out', str(tmp_path), '--no-docs']!r}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads((tmp_path / "latest.json").read_text())
    assert payload["machine"]["blas_threads"]["OPENBLAS_NUM_THREADS"] == "1"
    assert "[W1      ] pullback" in proc.stderr


def test_the_w1_profile_takes_the_time_per_op_apart(capsys):
    from pullback.bench import profile

    r = profile.measure(samples=1, number=1)
    assert set(r) == {
        "numpy_forward", "hand_written", "record", "sweep", "grad", "grad_gc", "protocol",
    }  # fmt: skip
    assert all(np.isfinite(v) and v > 0 for k, v in r.items() if k != "protocol")
    # recording does the NumPy forward and more; a grad does the record and the sweep
    assert r["record"] > r["numpy_forward"] and r["grad"] > r["sweep"]
    text = profile.report(r)
    assert "pullback backward sweep" in text and "__array_ufunc__" in text
    assert main(["--profile-w1", "--in-process", "--repeats", "1"]) == 0
    assert "W1 per op (801 ops" in capsys.readouterr().out
