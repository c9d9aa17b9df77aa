"""The graph view (a consumer of the engine): `graph(f, *args)` records `f` on the same trace as
`pullback.grad`, runs both sweeps and returns a Graph of values, tangents and gradients per node,
drawn as DOT, SVG (Graphviz or pullback's own layout), a standalone HTML page or a trace table."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import GraphvizError
from .capture import GraphNode, capture, capture_tensor
from .render import to_dot, to_html, to_svg, trace_table

__all__ = ["Graph", "GraphNode", "graph", "graph_of_tensor", "main"]


class Graph:
    """A recorded computation with both sweeps done. `nodes` are in evaluation order.

    >>> import numpy as np
    >>> g = graph(lambda x: np.sum(np.sin(x) * x), np.array([1.0, 2.0]))
    >>> [n.op for n in g.nodes]
    ['x', 'sin', 'multiply', 'sum']
    >>> g.nodes[0].cotangent          # the gradient: sin x + x cos x
    array([1.38177329, 0.07700375])
    """

    def __init__(self, nodes: list[GraphNode], title: str, with_tangent: bool = False) -> None:
        self.nodes = nodes
        self.title = title
        self.with_tangent = with_tangent

    def __getitem__(self, node_id: str) -> GraphNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def flagged(self) -> list[GraphNode]:
        """The nodes where a NaN or Inf first appears (forward or backward)."""
        return [n for n in self.nodes if n.flagged]

    def to_dot(self) -> str:
        """Graphviz DOT text (deterministic: the same computation gives the same text)."""
        return to_dot(self.nodes, self.title, self.with_tangent)

    def to_svg(self) -> str:
        """SVG text from pullback's own layout (no Graphviz needed)."""
        return to_svg(self.nodes, self.title, self.with_tangent, standalone=True)

    def to_html(self) -> str:
        """A standalone HTML page (inline SVG, CSS and a few lines of JS; no network)."""
        return to_html(self.nodes, self.title, self.with_tangent, self.table())

    def table(self) -> str:
        """The trace table: one row per node with its value, tangent and grad."""
        return trace_table(self.nodes, self.with_tangent)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<pullback Graph {self.title!r}: {len(self.nodes)} nodes>"

    def _repr_svg_(self) -> str:
        """Jupyter's display: Graphviz's drawing when `dot` is installed, else pullback's."""
        if shutil.which("dot"):
            return _run_dot(self.to_dot(), "svg").decode()
        return self.to_svg()

    def render(self, path: str | os.PathLike[str]) -> Path:
        """Write the graph to `path`; the suffix picks the format: .html (standalone page),
        .dot (DOT text), .svg / .png (through Graphviz's `dot`). Returns the path."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            path.write_text(self.to_html(), encoding="utf-8")
        elif suffix in (".dot", ".gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
        elif suffix in (".svg", ".png", ".pdf"):
            path.write_bytes(_run_dot(self.to_dot(), suffix[1:]))
        else:
            raise ValueError(
                f"render: unknown format {suffix!r}; use .html, .dot, .svg, .png or .pdf"
            )
        return path


def _run_dot(text: str, fmt: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizError(
            f"Rendering to {fmt.upper()} needs Graphviz's `dot` program, which is not on PATH. "
            "Install Graphviz (apt install graphviz, brew install graphviz, conda install "
            "graphviz), or use a format that needs nothing: graph.render('graph.html') "
            "(a standalone page), graph.to_svg() or graph.to_dot()."
        )
    done = subprocess.run([exe, f"-T{fmt}"], input=text.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise GraphvizError(f"dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def graph(
    fun: Callable[..., Any],
    *args: Any,
    tangents: Sequence[Any] | None = None,
    cotangent: Any = None,
    title: str | None = None,
) -> Graph:
    """Record `fun(*args)`, run the forward and reverse sweeps, and return the Graph.

    Every floating-point leaf of `args` is an input. `cotangent` seeds the reverse sweep (needed
    unless the output is a scalar); `tangents` (one per argument, like pullback.jvp) adds each
    node's tangent along that direction.
    """
    nodes, name = capture(fun, args, tangents, cotangent)
    return Graph(nodes, title or name, with_tangent=tangents is not None)


def graph_of_tensor(t: Any, gradient: Any = None, title: str | None = None) -> Graph:
    """The Graph behind a Tensor (see `Tensor.graph`)."""
    return Graph(capture_tensor(t, gradient), title or (t.name or "tensor"))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pullback graph`: draw the demo's examples (see `--help`)."""
    from .command import main as command_main

    return command_main(argv)
