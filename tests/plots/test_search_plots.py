"""The comparison figure of several architecture searches (latticeml.plots.search.families)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from latticeml.errors import ParameterError
from latticeml.plots.search import families


def _trials(seed: int, n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    states = np.where(np.arange(n) % 3 == 2, "PRUNED", "COMPLETE")
    return pd.DataFrame({"number": np.arange(n), "state": states,
                         "value": rng.uniform(0.1, 1.0, n),
                         "n_params": rng.integers(100, 10**6, n)})


def test_one_series_per_study_with_its_best_marked():
    a, b = _trials(0), _trials(1)
    fig = families({"CNN": a, "L-CNN": b}, title="W_2x2")
    ax = fig.axes[0]
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"]
    stars = [ln for ln in ax.lines if ln.get_marker() == "*"]
    assert [ln.get_label() for ln in dots] == ["CNN (8 complete)", "L-CNN (8 complete)"]
    for trials, dot, star in zip((a, b), dots, stars, strict=True):
        comp = trials[trials.state == "COMPLETE"]
        np.testing.assert_array_equal(dot.get_xdata(), comp.n_params)  # pruned trials left out
        best = comp.loc[comp.value.idxmin()]
        assert star.get_xdata()[0] == best.n_params and star.get_ydata()[0] == best.value
        assert star.get_color() == dot.get_color()
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_title() == "W_2x2"


def test_a_study_without_complete_trials_is_skipped():
    empty = _trials(2).assign(state="PRUNED")
    fig = families({"CNN": empty, "L-CNN": _trials(3)})
    assert [ln.get_label() for ln in fig.axes[0].lines if ln.get_marker() == "o"] == [
        "L-CNN (8 complete)"]


@pytest.mark.parametrize("bad", [{}, [("CNN", None)], {"CNN": _trials(0).drop(columns="n_params")},
                                 {"CNN": "trials.csv"}])
def test_bad_input_is_a_parameter_error(bad):
    with pytest.raises(ParameterError):
        families(bad)


def test_baselines_are_dashed_horizontal_lines_and_must_be_positive():
    fig = families({"CNN": _trials(0)}, baselines={"E[W | β]": 0.95})
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_label() == "E[W | β]"]
    np.testing.assert_array_equal(line.get_ydata(), [0.95, 0.95])
    with pytest.raises(ParameterError, match="baselines"):
        families({"CNN": _trials(0)}, baselines={"mean": 0.0})


def test_history_draws_diverged_pruned_trials_at_the_edge():
    from latticeml.plots.search import history

    t = _trials(4)
    t.loc[2, "value"] = 1e4  # a pruned trial that diverged
    ax = history(t).axes[0]
    bottom, top = ax.get_ylim()
    assert top == pytest.approx(3.15 * t[t.state == "COMPLETE"].value.max())
    assert bottom < t.value.min()  # every other trial is inside the axes
    (off,) = [ln for ln in ax.lines if ln.get_marker() == "^"]
    np.testing.assert_array_equal(off.get_xdata(), [2])
    assert off.get_ydata()[0] < top
    (cross,) = [ln for ln in ax.lines if ln.get_marker() == "x"]
    assert 2 not in cross.get_xdata() and len(cross.get_xdata()) == 3
    # without an outlier the axis is left to matplotlib and nothing is drawn off scale
    ax = history(_trials(4)).axes[0]
    assert not [ln for ln in ax.lines if ln.get_marker() == "^"]
