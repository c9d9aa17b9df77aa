"""The command line (a consumer of the whole package): `python -m pullback demo | bench | graph`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

NOT_YET = {
    "bench": "the benchmark suite (pullback against other AD libraries)",
    "graph": "the graph view (values and gradients per node)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pullback",
        description="Exact derivatives of plain NumPy code, reverse and forward mode, any order.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = sub.add_parser(
        "demo",
        help="run the gallery of worked derivations (exit status 1 if any check fails)",
        description="Differentiate a gallery of functions and check every derivative against "
        "its closed form, central finite differences and the forward/reverse adjoint identity.",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    for name, what in NOT_YET.items():
        sub.add_parser(name, help=f"{what} - not yet available")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv[1:]), run the command and return its exit status."""
    args = _parser().parse_args(argv)
    if args.command in NOT_YET:
        print(
            f"python -m pullback {args.command}: {NOT_YET[args.command]} is not yet available "
            "in this version of pullback. Available now: python -m pullback demo",
            file=sys.stderr,
        )
        return 2
    from . import demo  # imported here so that `--help` stays fast

    return demo.main(seed=args.seed)
