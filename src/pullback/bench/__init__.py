"""The benchmark suite (a consumer of the public API): `python -m pullback bench`. Times pullback
against hand-written NumPy/SciPy gradients and the installed peer libraries; see
docs/benchmarks.md for the method and the latest table."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_LIBS = ("numpy", "pullback", "autograd", "torch", "jax", "jax-jit")


def _root() -> Path:
    """The repository root when run from a checkout, else the current directory."""
    here = Path(__file__).resolve().parents[3]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pullback bench",
        description="Time pullback against hand-written NumPy/SciPy gradients and the installed "
        "peers (autograd, torch, jax), after checking that every answer agrees.",
    )
    p.add_argument(
        "--workloads", default="", help="comma-separated groups, e.g. W1,W5 (default all)"
    )
    p.add_argument(
        "--libs",
        default="",
        help=f"comma-separated libraries from {','.join(_LIBS)} (default all installed; the "
        "hand-written reference always runs)",
    )
    p.add_argument("--repeats", type=int, default=7, help="timed rounds, median reported (7)")
    p.add_argument("--min-time", type=float, default=0.02, help="seconds per sample (0.02)")
    p.add_argument("--tiny", action="store_true", help="tiny sizes (a smoke test, not a benchmark)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="results folder (bench/results)")
    p.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="the page to rewrite (default docs/benchmarks.md, on a full run only)",
    )
    p.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    p.add_argument(
        "--profile-w1",
        action="store_true",
        help="take W1's time per op apart (NumPy, its dispatch, pullback's record and sweep) "
        "instead of running the suite",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run here instead of in a subprocess with one BLAS thread",
    )
    return p


def _split(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the selected workloads, write the results; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if not args.in_process and any(os.environ.get(v) != "1" for v in _THREADS):
        # BLAS reads its thread count when NumPy is first imported: start afresh with it set.
        env = {**os.environ, **dict.fromkeys(_THREADS, "1")}
        env.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
        # glibc returns freed heap tops to the OS and the next call faults the pages back in
        # (~1 us each here), which swings ratios by 20-40% depending on call order.
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(2**28))
        env.setdefault("MALLOC_TRIM_THRESHOLD_", str(2**30))
        cmd = [sys.executable, "-m", "pullback", "bench", *argv]
        return subprocess.call(cmd, env=env)

    if args.profile_w1:
        from .profile import main as profile_main

        return profile_main(samples=args.repeats)

    from . import report
    from .runner import Options, run_all
    from .workloads import workloads

    groups = {g.upper() for g in _split(args.workloads)}
    libs = set(_split(args.libs)) or None
    unknown = (libs or set()) - set(_LIBS)
    if unknown:
        _parser().error(f"unknown --libs {sorted(unknown)}; choose from {', '.join(_LIBS)}")
    selected = [w for w in workloads() if not groups or w.group in groups]
    if not selected:
        _parser().error(f"no workload matches --workloads {args.workloads!r} (W1 ... W8)")
    opts = Options(args.repeats, args.min_time, args.tiny, args.seed, libs)
    cells = run_all(selected, opts)
    out = args.out if args.out is not None else _root() / "bench" / "results"
    full = not groups and libs is None and not args.tiny  # only a full run replaces the page
    docs = args.docs or (_root() / "docs" / "benchmarks.md" if full else None)
    docs = None if args.no_docs else docs
    for path in report.write(cells, selected, opts, out, docs):
        print(f"wrote {path}", file=sys.stderr)
    return 0
