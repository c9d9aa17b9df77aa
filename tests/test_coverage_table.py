"""docs/coverage.md is generated from the rule registry by scripts/coverage.py (`make coverage`);
this test regenerates it in memory and fails when the file is stale."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
import scipy

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "coverage_script", ROOT / "scripts" / "coverage.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_table_is_up_to_date() -> None:
    text = (ROOT / "docs" / "coverage.md").read_text()
    versions = re.search(r"\(numpy ([^,]+), scipy ([^)]+)\)", text)
    assert versions, "docs/coverage.md lacks its numpy/scipy version line"
    if versions.groups() != (np.__version__, scipy.__version__):
        pytest.skip(
            f"docs/coverage.md was generated with numpy {versions[1]}, scipy {versions[2]}; "
            "the public functions differ between versions"
        )
    assert _script().render() == text, "docs/coverage.md is stale: run `make coverage`"


def test_coverage_table_classifies_by_the_registry() -> None:
    script = _script()
    assert script.status(np.sin, "numpy") == script.BOTH
    assert script.status(np.argmax, "numpy") == script.NONDIFF
    assert script.status(np.put_along_axis, "numpy") == script.BOTH  # a write (rules/writes.py)
    assert script.status(np.zeros, "numpy") == script.NO_DISPATCH
    assert script.status(np.polyfit, "numpy") == script.BOTH
    assert script.status(np.save, "numpy") == script.UNSUPPORTED
    names = script.public_callables("numpy")
    assert "sort" in names and "ndarray" not in names and "linalg" not in names
