"""The code blocks of docs/optimize.md run, and every derivation page it links exists."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
TEXT = (DOCS / "optimize.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


def test_guide_has_code_blocks():
    assert len(BLOCKS) == 3


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_guide_code_block_runs(k):
    exec(compile(BLOCKS[k], f"<docs/optimize.md block {k}>", "exec"), {"__name__": "doc_block"})


def test_derivation_pages_exist():
    links = re.findall(r"\(derivations/(\w+)\.md\)", TEXT)
    assert sorted(set(links)) == [
        "fixed_point",
        "implicit",
        "least_squares",
        "minimize",
        "qp",
        "root",
    ]
    for name in links:
        assert (DOCS / "derivations" / f"{name}.md").is_file()
