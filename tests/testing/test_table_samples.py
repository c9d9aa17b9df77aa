"""The cond samples' kink guard: it rejects each kind of kink, and a construction that breaks the
design fails when the table is built instead of producing a sample near a kink."""

from __future__ import annotations

import numpy as np
import pytest

from pullback.testing.table import linalg_solve as ls


@pytest.fixture
def usv(rng):
    """The SVD of a designed cond sample."""
    return np.linalg.svd(ls._cond_matrix(rng))


def _with_singular_values(usv, s) -> np.ndarray:
    u, _, vt = usv
    return (u * np.asarray(s)) @ vt


def test_designed_samples_are_clear(rng) -> None:
    for _ in range(20):
        assert ls._clear_of_kinks(ls._cond_matrix(rng))


def test_rejects_an_entry_near_zero(usv) -> None:
    a = _with_singular_values(usv, usv[1])
    a[1, 2] = 0.01 * np.max(np.abs(a))
    assert not ls._entries_and_sums_clear(a)
    assert not ls._clear_of_kinks(a)
    assert not ls._clear_of_kinks(np.linalg.inv(a))  # the same entry, now in A^-1


@pytest.mark.parametrize("axis", [0, 1], ids=["columns", "rows"])
def test_rejects_tied_abs_sums(usv, axis) -> None:
    a = _with_singular_values(usv, usv[1])
    a = np.swapaxes(a, 0, axis)
    a[:, 1] = -a[::-1, 0] * 1.001  # column 1: column 0's entries reversed, its abs sum tied
    a = np.swapaxes(a, 0, axis)
    assert not ls._entries_and_sums_clear(a)


@pytest.mark.parametrize(
    "s", [(3.2, 1.75, 1.7), (3.2, 1.7, 0.5), (3.4, 2.8, 1.0)], ids=["tie", "cond", "inv-tie"]
)
def test_rejects_close_singular_values_or_a_large_condition_number(usv, s) -> None:
    assert ls._spectrum_clear(_with_singular_values(usv, (3.2, 1.7, 1.0)))
    a = _with_singular_values(usv, s)
    assert not ls._spectrum_clear(a)
    assert not ls._clear_of_kinks(a)


def test_a_construction_that_breaks_the_design_fails_loudly(monkeypatch, rng) -> None:
    monkeypatch.setattr(ls, "_COND_SINGULAR_VALUES", np.array([(1.0, 1.1), (1.1, 1.2), (3, 3.4)]))
    with pytest.raises(AssertionError, match="near a kink"):
        ls._cond_samples(rng, np.float64)
