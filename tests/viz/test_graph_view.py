"""The graph view: numbers equal to the transforms', a DOT snapshot, SVG through Graphviz (when
installed) and pullback's own, a self-contained HTML page, NaN flagging with the source line,
the trace table and the `python -m pullback graph` command."""

from __future__ import annotations

import os
import re
import runpy
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import pullback as pb
from pullback import cli
from pullback.errors import BackwardError, GraphvizError, NonScalarOutputError
from pullback.tensor import record_source_lines

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
HAS_DOT = shutil.which("dot") is not None

# Compiled under a fixed file name, so that the snapshot does not move with this file's lines.
_SOURCE = """
def example(x, y):
    s = np.sin(x) * y
    return np.sum(s) + 2.0 * y[0]
"""
_namespace: dict = {"np": np}
exec(compile(_SOURCE, "snapshot_example.py", "exec"), _namespace)
example = _namespace["example"]
X = np.array([1.0, 2.0])
Y = np.array([3.0, 4.0])


def _example_graph() -> pb.viz.Graph:
    return pb.graph(example, X, Y, tangents=(np.array([1.0, 0.0]), np.zeros(2)))


# ---- the numbers -----------------------------------------------------------------------------
def test_cotangents_and_tangents_equal_the_transforms() -> None:
    g = _example_graph()
    assert [n.op for n in g.nodes if n.kind != "const"] == [
        "x", "y", "sin", "multiply", "sum", "getitem", "multiply", "add",
    ]  # fmt: skip
    gx, gy = pb.grad(example, argnums=(0, 1))(X, Y)
    np.testing.assert_array_equal(g["v0"].cotangent, gx)
    np.testing.assert_array_equal(g["v1"].cotangent, gy)
    _, ydot = pb.jvp(example, (X, Y), (np.array([1.0, 0.0]), np.zeros(2)))
    assert g["v7"].output and g["v7"].tangent == ydot
    assert g["v7"].value == example(X, Y)
    np.testing.assert_array_equal(g["v2"].value, np.sin(X))
    np.testing.assert_array_equal(g["v2"].cotangent, Y)  # d out / d sin(x) = y
    assert g["v2"].shape == (2,) and g["v2"].dtype == "float64"


def test_graph_of_a_tensor() -> None:
    x = pb.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = pb.Tensor([0.5, -1.0], requires_grad=True, name="w")
    loss = np.sum(np.tanh(x) * w)
    g = loss.graph()
    assert [n.op for n in g.nodes] == ["x", "w", "tanh", "multiply", "sum"]
    loss.backward()
    np.testing.assert_array_equal(g["v0"].cotangent, x.grad)
    np.testing.assert_array_equal(g["v1"].cotangent, w.grad)
    with pytest.raises(BackwardError, match="freed"):
        loss.graph()


def test_a_non_scalar_output_needs_a_cotangent() -> None:
    with pytest.raises(NonScalarOutputError, match="cotangent"):
        pb.graph(np.sin, X)
    g = pb.graph(np.sin, X, cotangent=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(g["v0"].cotangent, np.cos(X) * [1.0, -1.0])


# ---- NaN / Inf flagging ------------------------------------------------------------------------
def _divides_by_zero(x):
    y = x - 1.0
    z = 1.0 / y
    return np.sum(z * x)


def test_nan_flagging_names_the_division_by_zero() -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        g = pb.graph(_divides_by_zero, np.array([1.0, 2.0]))
    (bad,) = g.flagged
    assert bad.op == "divide" and bad.nan_forward
    assert bad.source.startswith("test_graph_view.py:") and bad.source.endswith("z = 1.0 / y")
    dot = g.to_dot()
    red_line = next(line for line in dot.splitlines() if line.startswith(f"  {bad.id} ["))
    assert "#c62828" in red_line and "NaN/Inf first produced here" in red_line
    assert "z = 1.0 / y" in red_line
    assert f"{bad.id} !" in g.table()
    assert [n.id for n in g.nodes if n.flagged] == [bad.id]  # its consumers are not flagged


def test_a_nan_born_in_the_backward_sweep_is_flagged() -> None:
    g = pb.graph(lambda x: np.sum(np.sqrt(x)), np.array([0.0, 4.0]))
    (bad,) = g.flagged
    assert bad.op == "sqrt" and bad.nan_backward and not bad.nan_forward
    assert np.isinf(g["v0"].cotangent[0])


def test_nan_flagging_on_tensors_with_source_lines() -> None:
    with record_source_lines(), np.errstate(divide="ignore", invalid="ignore"):
        q = pb.Tensor([0.0, 1.0], requires_grad=True, name="q")
        r = np.sum(np.log(q) * q)
    (bad,) = r.graph().flagged
    assert bad.op == "log" and bad.source.endswith("r = np.sum(np.log(q) * q)")


# ---- output formats ----------------------------------------------------------------------------
def test_dot_snapshot() -> None:
    text = _example_graph().to_dot()
    assert text == _example_graph().to_dot()  # deterministic
    path = SNAPSHOTS / "graph_example.dot"
    if os.environ.get("PULLBACK_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        "the DOT text changed; if that is intended, rerun with PULLBACK_UPDATE_SNAPSHOTS=1"
    )


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's `dot` is not installed")
def test_render_svg_and_png_through_graphviz(tmp_path) -> None:
    g = _example_graph()
    svg = g.render(tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "sin" in svg
    assert g.render(tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in g._repr_svg_()


def test_render_svg_without_graphviz_says_how_to_fix(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphvizError, match=r"Graphviz.*graph\.html"):
        _example_graph().render(tmp_path / "g.svg")
    svg = _example_graph()._repr_svg_()  # Jupyter still gets a drawing: pullback's own
    assert svg.startswith("<svg")


def test_own_svg_is_well_formed_xml() -> None:
    root = ET.fromstring(_example_graph().to_svg())
    ns = "{http://www.w3.org/2000/svg}"
    groups = [e for e in root.iter(f"{ns}g") if e.get("class") == "node"]
    assert len(groups) == len(_example_graph().nodes)
    assert all(e.find(f"{ns}title") is not None for e in groups)


class _Checker(HTMLParser):
    """Collects tags and checks that every opened element (but void ones) is closed."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def test_html_page_is_valid_and_self_contained(tmp_path) -> None:
    g = _example_graph()
    text = g.render(tmp_path / "graph.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.errors and not checker.stack
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
    tags = [t for t, _ in checker.tags]
    assert "link" not in tags and "img" not in tags
    assert all("src" not in a for t, a in checker.tags if t == "script")
    summaries = [a["data-summary"] for t, a in checker.tags if "data-summary" in a]
    assert len(summaries) == len(g.nodes)
    sin = next(s for s in summaries if s.startswith("v2: sin"))
    assert "[0.841471, 0.909297]" in sin and "snapshot_example.py:3" in sin  # the full summary


# ---- the trace table and the command -----------------------------------------------------------
def test_trace_table_of_the_lecture_example() -> None:
    def f(x1, x2):
        return x1 * x2 + np.sin(x1)

    g = pb.graph(f, np.array(2.0), np.array(7.0), tangents=(np.array(1.0), np.array(0.0)))
    assert g.table() == (
        "node  operation         value   tangent  grad\n"
        "----  ----------------  ------  -------  -----\n"
        "v0    x1 (input)        2       1        6.584\n"
        "v1    x2 (input)        7       0        2\n"
        "v2    multiply(v0, v1)  14      7        1\n"
        "v3    sin(v0)           0.9093  -0.4161  1\n"
        "v4*   add(v2, v3)       14.91   6.584    1\n"
        "\n"
        "forward sweep: top to bottom (value, tangent)\n"
        "reverse sweep: bottom to top (grad = d output / d node);  * output  ! NaN/Inf\n"
    )
    assert str(g) == g.table()


def test_python_m_pullback_graph(tmp_path, capsys) -> None:
    argv = ["graph", "--out", str(tmp_path), "--example", "0", "--example", "5"]
    assert cli.main([*argv, "--format", "html", "--format", "dot", "--table"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 4 and {Path(w).suffix for w in written} == {".html", ".dot"}
    out = capsys.readouterr().out
    assert "quadratic form" in out and "forward sweep" in out
    assert cli.main(["graph", "--list"]) == 0
    assert "hessian of Rosenbrock" in capsys.readouterr().out


@pytest.mark.skipif(HAS_DOT, reason="checks the message printed when Graphviz is missing")
def test_python_m_pullback_graph_svg_without_graphviz(tmp_path, capsys) -> None:
    assert cli.main(["graph", "--out", str(tmp_path), "--format", "svg"]) == 2
    assert "Graphviz" in capsys.readouterr().err


# ---- the code blocks of docs/graph.md run, and its trace table is the real one ------------------
def _doc_text() -> str:
    return (Path(__file__).resolve().parents[2] / "docs" / "graph.md").read_text(encoding="utf-8")


def _doc_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", _doc_text(), flags=re.S | re.M)


def test_graph_docs_blocks_run_and_show_the_real_table(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = _doc_blocks()
    assert len(blocks) >= 3
    namespace = {"__name__": "doc_block"}
    for block in blocks:
        exec(compile(block, "<docs/graph.md>", "exec"), namespace)
    shown = re.search(r"prints the trace table.*?\n```\n(.*?)```", _doc_text(), flags=re.S)
    assert shown is not None
    first = capsys.readouterr().out
    assert first.startswith(shown.group(1))


def test_the_nan_example_finds_the_overflow(tmp_path, capsys) -> None:
    root = Path(__file__).resolve().parents[2]
    module = runpy.run_path(str(root / "examples" / "graph_nan.py"))
    fixed = module["main"](tmp_path)
    out = capsys.readouterr().out
    assert "first NaN/Inf: v1 exp at graph_nan.py:" in out and "e = np.exp(x)" in out
    assert (tmp_path / "logsumexp.html").exists() and not fixed.flagged
    np.testing.assert_allclose(fixed["v0"].cotangent, [1.0, 0.0], atol=1e-300)
