"""`python -m pullback graph` (a consumer of the graph view): draw the demo gallery's examples,
one file per example and format, and print their trace tables."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FORMATS = ("html", "dot", "svg", "png")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pullback graph",
        description="Draw the computation graph of each example of `python -m pullback demo`, "
        "with every node's value, tangent (along the first input's first coordinate) and "
        "gradient.",
    )
    p.add_argument("--out", default="pullback-graphs", help="output folder (default: %(default)s)")
    p.add_argument(
        "--format",
        action="append",
        choices=FORMATS,
        help="html (standalone page, the default), dot, svg or png (svg and png need Graphviz); "
        "repeat for several",
    )
    p.add_argument("--example", type=int, action="append", help="only example N (repeatable)")
    p.add_argument("--list", action="store_true", help="list the examples and exit")
    p.add_argument("--table", action="store_true", help="print each example's trace table")
    p.add_argument("--seed", type=int, default=0, help="seed of the demo's inputs (default 0)")
    return p


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the drawings; 0 on success, 2 when a format needs Graphviz and it is missing."""
    from ..demo import gallery
    from . import graph

    args = _parser().parse_args(argv)
    examples = gallery(args.seed)
    if args.list:
        for k, ex in enumerate(examples):
            print(f"{k}  {ex.name}")
        return 0
    formats = args.format or ["html"]
    if {"svg", "png"} & set(formats) and shutil.which("dot") is None:
        print(
            "python -m pullback graph: --format svg/png needs Graphviz's `dot`, which is not "
            "installed (apt install graphviz). --format html and dot need nothing.",
            file=sys.stderr,
        )
        return 2
    chosen = args.example or list(range(len(examples)))
    for k in chosen:
        if not 0 <= k < len(examples):
            print(f"python -m pullback graph: no example {k} (see --list)", file=sys.stderr)
            return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for k in chosen:
        ex = examples[k]
        tangents = [np.zeros_like(x) for x in ex.inputs]
        tangents[0].reshape(-1)[0] = 1.0
        g = graph(ex.fn, *ex.inputs, tangents=tangents, title=ex.name)
        for fmt in formats:
            path = g.render(out / f"{k:02d}-{_slug(ex.name)}.{fmt}")
            print(f"wrote {path}")
        if args.table:
            print(f"\n{k}: {ex.name}\n{g.table()}")
    return 0
