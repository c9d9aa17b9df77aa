"""The command line (a consumer of the whole package): `python -m pullback demo | bench | graph`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


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
    sub.add_parser(
        "bench",
        help="time pullback against hand-written gradients and peer libraries "
        "(python -m pullback bench --help)",
        add_help=False,
    )
    sub.add_parser(
        "graph",
        help="draw the graph of the demo's examples with every value and gradient "
        "(python -m pullback graph --help)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv[1:]), run the command and return its exit status.

    `bench` and `graph` hand the rest of the command line to their own parsers.
    """
    args, rest = _parser().parse_known_args(argv)
    if args.command == "bench":
        from .bench import main as bench_main  # imported here so that `--help` stays fast

        return bench_main(rest)
    if args.command == "graph":
        from .viz import main as graph_main

        return graph_main(rest)
    if rest:
        _parser().error(f"unrecognized arguments: {' '.join(rest)}")
    from . import demo

    return demo.main(seed=args.seed)
