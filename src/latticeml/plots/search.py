"""Figures of an architecture search (tables in -> Figure out).

* :func:`history`: objective per trial (complete dots, pruned crosses at their last reported
  value) and the best so far;
* :func:`loss_vs_parameters`: objective against the number of parameters of complete trials;
* :func:`importances`: parameter importances as horizontal bars;
* :func:`families`: the objective against the parameter count of several studies on one axes
  (e.g. CNN and L-CNN on one target), each study's best marked.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from latticeml.errors import ParameterError
from latticeml.plots.style import SINGLE_COLUMN, with_paper_style

__all__ = ["history", "loss_vs_parameters", "importances", "families"]

_NEEDED = ("number", "state", "value")


def _check(trials: object) -> pd.DataFrame:
    if not isinstance(trials, pd.DataFrame) or any(c not in trials for c in _NEEDED):
        raise ParameterError("trials", f"a trials table with columns {list(_NEEDED)}",
                             type(trials).__name__, "use latticeml.search.trials_frame")
    return trials


def _finite_in_state(trials: pd.DataFrame, state: str) -> pd.DataFrame:
    """Trials in ``state`` (``COMPLETE``, ``PRUNED``) with a finite positive objective."""
    rows = trials[trials["state"] == state]
    v = pd.to_numeric(rows["value"], errors="coerce")
    return rows[np.isfinite(v) & (v > 0)]


def _trial_axes() -> tuple[Figure, Axes]:
    """Return a one-column figure with one axes, the size of the per-trial plots."""
    fig = Figure(figsize=(SINGLE_COLUMN, 2.4), layout="constrained")
    return fig, fig.add_subplot()


def _history_top(comp: pd.DataFrame, pruned: pd.DataFrame) -> float | None:
    """Upper y limit of the history plot, or None when no pruned trial is far off scale.

    Pruned trials report their last intermediate value, which can be a diverged loss orders of
    magnitude above every complete trial; those above 3x the largest complete objective (or the
    90th percentile of the pruned ones when nothing completed) are drawn at the upper edge.
    """
    if not len(pruned):
        return None
    pv = pruned["value"].astype(float).to_numpy()
    ref = float(comp["value"].astype(float).max()) if len(comp) else float(np.quantile(pv, 0.9))
    top = 3.0 * ref
    return top if (pv > top).any() else None


@with_paper_style
def history(trials: pd.DataFrame) -> Figure:
    """Objective (mean best validation loss) per trial and the best value so far."""
    trials = _check(trials)
    fig, ax = _trial_axes()
    comp, pruned = _finite_in_state(trials, "COMPLETE"), _finite_in_state(trials, "PRUNED")
    top = _history_top(comp, pruned)
    if top is not None:  # a few diverged trials would squash the rest: draw them at the edge
        off = pruned[pruned["value"].astype(float) > top]
        pruned = pruned[pruned["value"].astype(float) <= top]
        ax.plot(off["number"], np.full(len(off), top), "^", color="C3", ms=4, clip_on=False,
                label=f"pruned, off scale ({len(off)})")
    if len(pruned):
        ax.plot(pruned["number"], pruned["value"], "x", color="0.6", ms=3,
                label="pruned (last reported)")
    if len(comp):
        ax.plot(comp["number"], comp["value"], "o", color="C0", ms=2.5, label="complete")
        order = comp.sort_values("number")
        best = np.minimum.accumulate(order["value"].to_numpy(float))
        ax.step(order["number"], best, where="post", color="k", lw=1.0, label="best so far")
        ax.set_yscale("log")
    if top is not None:
        shown = pd.concat([comp["value"], pruned["value"]]).astype(float)
        ax.set_ylim(float(shown.min()) / 1.25 if len(shown) else None, top * 1.05)
    ax.set_xlabel("trial")
    ax.set_ylabel("validation loss (normalised)")
    if len(comp) or len(pruned):
        ax.legend(loc="upper right")
    else:
        ax.text(0.5, 0.5, "no finished trial", ha="center", va="center",
                transform=ax.transAxes)
    return fig


@with_paper_style
def loss_vs_parameters(trials: pd.DataFrame) -> Figure:
    """Objective of complete trials against their parameter count (log-log), best marked."""
    trials = _check(trials)
    fig, ax = _trial_axes()
    comp = _finite_in_state(trials, "COMPLETE")
    if "n_params" in comp:
        comp = comp[pd.to_numeric(comp["n_params"], errors="coerce") > 0]
    if len(comp) and "n_params" in comp:
        ax.plot(comp["n_params"], comp["value"], "o", color="C0", ms=2.5, label="trial")
        if "reference" in comp:
            ref = comp[comp["reference"].astype(bool)]
            if len(ref):
                ax.plot(ref["n_params"], ref["value"], "^", color="C3", ms=5,
                        label="reference (enqueued)")
        b = comp.loc[comp["value"].astype(float).idxmin()]
        ax.plot([b["n_params"]], [b["value"]], "*", color="k", ms=8,
                label=f"best (trial {int(b['number'])})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(loc="upper right")
    else:
        ax.text(0.5, 0.5, "no complete trial", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel("parameters")
    ax.set_ylabel("validation loss (normalised)")
    return fig


@with_paper_style
def importances(values: Mapping[str, float]) -> Figure:
    """Horizontal bars of parameter importances (largest on top)."""
    if not isinstance(values, Mapping):
        raise ParameterError("importances", "a mapping parameter -> importance",
                             type(values).__name__)
    items = sorted(values.items(), key=lambda kv: kv[1])
    fig = Figure(figsize=(SINGLE_COLUMN, 0.5 + 0.18 * max(len(items), 3)),
                 layout="constrained")
    ax = fig.add_subplot()
    if items:
        ax.barh([k for k, _ in items], [v for _, v in items], color="0.35")
        ax.set_xlabel("importance (fraction of explained variance)")
        ax.grid(axis="y", visible=False)
    else:
        ax.text(0.5, 0.5, "too few complete trials", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
    return fig


@with_paper_style
def families(studies: Mapping[str, pd.DataFrame], *, title: str | None = None,
             baselines: Mapping[str, float] | None = None) -> Figure:
    """Objective of the complete trials of several studies against their parameter count.

    Parameters
    ----------
    studies : mapping of str to pandas.DataFrame
        Label (e.g. ``"CNN"``, ``"L-CNN"``) -> trials table of a study on the same target and
        validation set (columns ``number``, ``state``, ``value``, ``n_params``), as written to
        ``trials.csv`` by ``latticeml search``.
    title : str, optional
        Axes title (e.g. the target).
    baselines : mapping of str to float, optional
        Label -> validation loss of a reference predictor on the same validation set (e.g. the
        conditional mean E[W | β]), drawn as dashed horizontal lines.

    Returns
    -------
    matplotlib.figure.Figure
        One log-log axes: every complete trial of a study as a dot in the study's colour, its
        best trial as a star.
    """
    if not isinstance(studies, Mapping) or not studies:
        raise ParameterError("studies", "a non-empty mapping label -> trials table",
                             repr(studies)[:60])
    fig, ax = _trial_axes()
    plotted = 0
    for i, (label, trials) in enumerate(studies.items()):
        trials = _check(trials)
        if "n_params" not in trials:
            raise ParameterError(f"studies[{label!r}]", "a trials table with column n_params",
                                 list(trials.columns), "use latticeml.search.trials_frame")
        comp = _finite_in_state(trials, "COMPLETE")
        comp = comp[pd.to_numeric(comp["n_params"], errors="coerce") > 0]
        if not len(comp):
            continue
        color = f"C{i % 10}"
        ax.plot(comp["n_params"], comp["value"], "o", color=color, ms=2.5, alpha=0.6,
                label=f"{label} ({len(comp)} complete)")
        b = comp.loc[comp["value"].astype(float).idxmin()]
        ax.plot([b["n_params"]], [b["value"]], "*", color=color, ms=9, mec="k", mew=0.5)
        plotted += 1
    for j, (label, value) in enumerate((baselines or {}).items()):
        if not (np.isfinite(value) and value > 0):
            raise ParameterError(f"baselines[{label!r}]", "a finite positive loss", value)
        ax.axhline(value, color="0.3", ls=("--", ":", "-.")[j % 3], lw=0.9, label=label)
    if plotted:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(loc="best")
    else:
        ax.text(0.5, 0.5, "no complete trial", ha="center", va="center", transform=ax.transAxes)
    if title:
        ax.set_title(title)
    ax.set_xlabel("parameters")
    ax.set_ylabel("validation loss (normalised)")
    return fig
