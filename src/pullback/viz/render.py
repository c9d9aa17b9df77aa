"""Graph rendering (the last consumer stage): deterministic DOT text, a self-contained SVG drawn
by pullback itself (columns by depth, no Graphviz needed), a standalone HTML page built on it,
and the trace table of the forward and reverse sweeps."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from .capture import GraphNode, full, summary

RED = "#c62828"
RED_FILL = "#ffebee"
INPUT_FILL = "#e3f2fd"
OP_FILL = "#f5f5f5"
CONST_FILL = "#ffffff"
OUTPUT_FILL = "#e8f5e9"


def _shape_text(n: GraphNode) -> str:
    shape = n.shape
    if shape == "tuple":
        return f"tuple of {len(n.value)}"
    return ("scalar" if shape == () else str(shape)) + f" {n.dtype}"


def label_lines(n: GraphNode, with_tangent: bool) -> list[str]:
    """The lines shown inside a node's box."""
    if n.kind == "const":
        return [f"const {summary(n.value)}"]
    title = f"{n.op} (input)" if n.kind == "input" else n.op
    if n.output:
        title += "  = output"
    lines = [f"{n.id}: {title}", _shape_text(n), f"value {summary(n.value)}"]
    if with_tangent:
        lines.append(f"tangent {summary(n.tangent)}")
    lines.append(f"grad {summary(n.cotangent)}")
    if n.nan_forward:
        lines.append("NaN/Inf first produced here")
    if n.nan_backward:
        lines.append("NaN/Inf first in the backward sweep here")
    if n.flagged and n.source:
        lines.append(n.source)
    return lines


def hover_text(n: GraphNode, with_tangent: bool) -> str:
    """Everything known about a node (hover text in SVG and HTML)."""
    if n.kind == "const":
        return f"{n.id}: constant\n{_shape_text(n)}\nvalue\n{full(n.value)}"
    parts = [
        f"{n.id}: {n.op}" + (" (input)" if n.kind == "input" else ""),
        f"inputs: {', '.join(n.inputs) or '-'}",
        f"shape/dtype: {_shape_text(n)}",
    ]
    if n.params:
        parts.append("params: " + ", ".join(f"{k}={v!r}" for k, v in sorted(n.params.items())))
    if n.source:
        parts.append(f"source: {n.source}")
    parts += ["value", full(n.value)]
    if with_tangent:
        parts += ["tangent", full(n.tangent)]
    parts += ["grad (cotangent: d output / d this node)", full(n.cotangent)]
    if n.nan_forward:
        parts.append("NaN/Inf first produced here (its inputs are finite)")
    if n.nan_backward:
        parts.append("NaN/Inf first produced by this node's backward rule")
    return "\n".join(parts)


# ---- DOT ---------------------------------------------------------------------------------------
def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(nodes: Sequence[GraphNode], title: str, with_tangent: bool) -> str:
    """Graphviz DOT text; the same graph always gives the same text."""
    out = [
        "digraph pullback {",
        f"  graph [rankdir=LR, labelloc=t, fontname=Helvetica, label={_dot_str(title)}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10];',
        '  edge [color="#607d8b", fontsize=8];',
    ]
    for n in nodes:
        text = "".join(
            line.replace("\\", "\\\\").replace('"', '\\"') + "\\l"
            for line in label_lines(n, with_tangent)
        )
        attrs = [f'label="{text}"', f"tooltip={_dot_str(hover_text(n, with_tangent))}"]
        if n.flagged:
            attrs += [
                f'color="{RED}"',
                f'fontcolor="{RED}"',
                f'fillcolor="{RED_FILL}"',
                "penwidth=2",
            ]
        elif n.kind == "const":
            attrs += ["shape=note", f'fillcolor="{CONST_FILL}"']
        else:
            fill = INPUT_FILL if n.kind == "input" else OUTPUT_FILL if n.output else OP_FILL
            attrs.append(f'fillcolor="{fill}"')
        out.append(f"  {n.id} [{', '.join(attrs)}];")
    for n in nodes:
        many = len(n.inputs) > 1
        for i, src in enumerate(n.inputs):
            out.append(f'  {src} -> {n.id} [label="{i}"];' if many else f"  {src} -> {n.id};")
    out.append("}")
    return "\n".join(out) + "\n"


# ---- pullback's own SVG layout ------------------------------------------------------------------
LINE_H = 15
CHAR_W = 6.6
PAD = 8
COL_GAP = 60
ROW_GAP = 18


def _layout(
    nodes: Sequence[GraphNode], with_tangent: bool
) -> tuple[dict[str, tuple[float, float, float, float]], float, float]:
    """Columns by depth (longest path from an input); rows by creation order."""
    depth: dict[str, int] = {}
    for n in nodes:
        depth[n.id] = 1 + max((depth[i] for i in n.inputs), default=-1)
    placed: set[str] = set()
    for n in nodes:  # a constant sits in the column just left of its first consumer
        for i in n.inputs:
            if i.startswith("c") and i not in placed:
                placed.add(i)
                depth[i] = depth[n.id] - 1
    sizes = {}
    for n in nodes:
        lines = label_lines(n, with_tangent)
        sizes[n.id] = (max(len(s) for s in lines) * CHAR_W + 2 * PAD, len(lines) * LINE_H + PAD)
    columns: dict[int, list[GraphNode]] = {}
    for n in nodes:
        columns.setdefault(max(depth[n.id], 0), []).append(n)
    boxes = {}
    x = PAD
    height = 0.0
    for col in sorted(columns):
        width = max(sizes[n.id][0] for n in columns[col])
        y = PAD + 30.0
        for n in columns[col]:
            w, h = sizes[n.id]
            boxes[n.id] = (x, y, w, h)
            y += h + ROW_GAP
        height = max(height, y)
        x += width + COL_GAP
    return boxes, x, height


def to_svg(nodes: Sequence[GraphNode], title: str, with_tangent: bool, standalone: bool) -> str:
    """An SVG drawing of the graph (no Graphviz): hovering a node shows its full summary."""
    boxes, width, height = _layout(nodes, with_tangent)
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    out = [
        f'<svg{ns} width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#607d8b"/></marker></defs>',
        f'<text x="{PAD}" y="20" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for n in nodes:
        x1, y1, _, h1 = boxes[n.id]
        k = len(n.inputs)
        for i, src in enumerate(n.inputs):  # inputs enter top to bottom in argument order
            x0, y0, w0, h0 = boxes[src]
            ax, ay, bx, by = x0 + w0, y0 + h0 / 2, x1, y1 + h1 * (i + 1) / (k + 1)
            mid = (ax + bx) / 2
            out.append(
                f'<path d="M{ax:.1f},{ay:.1f} C{mid:.1f},{ay:.1f} {mid:.1f},{by:.1f} '
                f'{bx:.1f},{by:.1f}" fill="none" stroke="#607d8b" marker-end="url(#arrow)"/>'
            )
    for n in nodes:
        x, y, w, h = boxes[n.id]
        fill = (
            RED_FILL if n.flagged else CONST_FILL if n.kind == "const"
            else INPUT_FILL if n.kind == "input" else OUTPUT_FILL if n.output else OP_FILL
        )  # fmt: skip
        stroke = RED if n.flagged else "#90a4ae"
        tip = hover_text(n, with_tangent)
        out.append(
            f'<g class="node" id="{n.id}" data-summary="{html.escape(tip)}">'
            f"<title>{html.escape(tip)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if n.flagged else 1}"/>'
        )
        color = RED if n.flagged else "#212121"
        for k, line in enumerate(label_lines(n, with_tangent)):
            weight = ' font-weight="bold"' if k == 0 else ""
            out.append(
                f'<text x="{x + PAD:.1f}" y="{y + PAD / 2 + LINE_H * (k + 0.8):.1f}" '
                f'fill="{color}"{weight} xml:space="preserve">{html.escape(line)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #212121; }
#wrap { display: flex; gap: 1.5em; align-items: flex-start; }
#graph { overflow: auto; border: 1px solid #cfd8dc; flex: 1 1 auto; }
#details { width: 32em; min-height: 10em; white-space: pre-wrap; background: #fafafa;
  border: 1px solid #cfd8dc; padding: 0.8em; font-size: 12px; position: sticky; top: 1em; }
g.node:hover rect { stroke: #1565c0; stroke-width: 3; }
pre.table { font-size: 12px; background: #fafafa; border: 1px solid #cfd8dc; padding: 0.8em; }
"""

_JS = """
document.querySelectorAll('g.node').forEach(function (g) {
  g.addEventListener('mouseenter', function () {
    document.getElementById('details').textContent = g.getAttribute('data-summary');
  });
});
"""


def to_html(nodes: Sequence[GraphNode], title: str, with_tangent: bool, table: str) -> str:
    """A standalone page: the drawing, a details panel filled on hover, the trace table.
    Everything is inline (no network)."""
    flagged = [n for n in nodes if n.flagged]
    note = ""
    if flagged:
        items = "".join(
            f"<li>{html.escape(n.id)} {html.escape(n.op)}: {html.escape(n.source or '?')}</li>"
            for n in flagged
        )
        note = f'<p style="color:{RED}">NaN/Inf first appears at:</p><ul>{items}</ul>'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        "<p>Each box is one primitive call: its value (forward sweep) and its grad, the "
        "cotangent d output / d node (reverse sweep). Hover a box for everything about it.</p>\n"
        f"{note}\n"
        '<div id="wrap">\n<div id="graph">\n'
        f"{to_svg(nodes, title, with_tangent, standalone=False)}</div>\n"
        '<pre id="details">hover a node</pre>\n</div>\n'
        f'<h2>Trace table</h2>\n<pre class="table">{html.escape(table)}</pre>\n'
        f"<script>{_JS}</script>\n</body>\n</html>\n"
    )


# ---- the trace table -----------------------------------------------------------------------------
def trace_table(nodes: Sequence[GraphNode], with_tangent: bool) -> str:
    """One row per node in evaluation order: read values and tangents top to bottom (forward
    sweep) and grads bottom to top (reverse sweep)."""
    header = ["node", "operation", "value", "grad"]
    if with_tangent:
        header.insert(3, "tangent")
    rows = [header]
    for n in nodes:
        if n.kind == "const":
            if np.size(n.value) > 1:  # scalars are written inline in their consumer's row
                rows.append([n.id, "constant", summary(n.value)] + ["-"] * (len(header) - 3))
            continue
        if n.kind == "input":
            op = f"{n.op} (input)"
        else:
            args = ", ".join(_arg_text(a, nodes) for a in n.inputs)
            op = f"{n.op}({args})"
        row = [n.id + ("*" if n.output else ""), op, summary(n.value), summary(n.cotangent)]
        if with_tangent:
            row.insert(3, summary(n.tangent))
        if n.flagged:
            row[0] += " !"
        rows.append(row)
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        "forward sweep: top to bottom (value" + (", tangent" if with_tangent else "") + ")"
    )
    lines.append("reverse sweep: bottom to top (grad = d output / d node);  * output  ! NaN/Inf")
    return "\n".join(lines) + "\n"


def _arg_text(ref: str, nodes: Sequence[GraphNode]) -> str:
    if ref.startswith("c"):
        for n in nodes:
            if n.id == ref:
                return summary(n.value) if np.size(n.value) <= 1 else ref
    return ref
