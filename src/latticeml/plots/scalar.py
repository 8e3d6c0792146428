"""Figures of the scalar-field study (dual complex phi^4, Bulusu et al., PRD 104 (2021) 074504).

Tables in, :class:`~matplotlib.figure.Figure` out, no file I/O. The tables are those of
:func:`latticeml.evaluate.scalar.evaluate_scalar`: the evaluation table (all replicas of all
experiments, regression and classification rows, one row per model, test set, ``mu``,
``open_worms`` and metric) and the predictions table (per configuration, one replica per
experiment). Rows whose ``status`` is not ``"ok"`` (``"not applicable: ..."``, e.g. an FL model
on another lattice) are never dropped silently: the panels or legend entries they concern say
so.

Shared checks, styles and helpers live in :mod:`latticeml.plots._scalar_common`.

Families are drawn in grey-scale-safe styles: EQ dark and solid with circles, ST orange and
dashed with squares, FL green and dash-dotted with diamonds, the max-pooled detector (EQ-max)
purple and solid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from latticeml.errors import ParameterError
from latticeml.plots._labels import Series, figure_legend
from latticeml.plots._scalar_common import (
    _BAND,
    _LEVEL_MARKERS,
    _SMALL,
    GOAL_ACCURACY,
    SCALAR_EVALUATION_COLUMNS,
    SCALAR_PREDICTION_COLUMNS,
    _check_range,
    _config_label,
    _lattice,
    _mean_label,
    _note,
    _ok,
    _reason,
    _regression,
    _select_sets,
    _series,
    _target_key,
    _test_sets,
    check_scalar_table,
    scalar_family_style,
)
from latticeml.plots.scalar_error import error_vs_size_scalar
from latticeml.plots.style import DOUBLE_COLUMN, SINGLE_COLUMN, with_paper_style

__all__ = [
    "SCALAR_EVALUATION_COLUMNS",
    "SCALAR_PREDICTION_COLUMNS",
    "GOAL_ACCURACY",
    "check_scalar_table",
    "scalar_family_style",
    "observable_vs_mu",
    "error_vs_size_scalar",
    "scalar_predicted_vs_true",
    "extrapolation_panel",
]


# ----------------------------------------------------------------------------- <y>(mu)


@with_paper_style
def observable_vs_mu(evaluation: pd.DataFrame, test_sets: Sequence[str] | None = None) -> Figure:
    r"""Plot the measured and predicted ensemble averages against the chemical potential.

    Rows are regression targets (``n``, ``phi2``, others), columns test sets (ordered by
    volume). Each panel shows the measured :math:`\langle y\rangle(\mu)` (``true_mean``,
    black line) with its Monte Carlo error band (``± mc_error``, grey) and, per experiment,
    the average prediction (``pred_mean``): median over replicas as marker and line, min to
    max over replicas as error bar (slightly shifted in mu per family so that bars do not
    overlap). A family whose rows for a panel are "not applicable" is absent from it and named
    in a note inside the panel.

    Parameters
    ----------
    evaluation : pandas.DataFrame
        Scalar evaluation table (columns :data:`SCALAR_EVALUATION_COLUMNS`); classification
        rows are ignored.
    test_sets : sequence of str, optional
        Test-set labels to show (default: all).

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``n_targets * n_test_sets`` axes.

    Raises
    ------
    ParameterError
        If a column is missing, there is no regression row, a test set is unknown or no
        selected test set has a ``true_mean`` / ``pred_mean`` row.
    """
    reg = _regression(evaluation)
    sets = _select_sets(reg, test_sets, "test_sets")
    return _observable_figure(reg, sets, train_range=None)


@with_paper_style
def extrapolation_panel(
    evaluation: pd.DataFrame,
    test_sets: Sequence[str],
    train_mu: tuple[float, float] | None = None,
) -> Figure:
    r"""Plot :math:`\langle y\rangle(\mu)` on extrapolation test sets, training range shaded.

    Like :func:`observable_vs_mu`, restricted to ``test_sets`` (mu beyond the training range).
    The range of mu the models were trained on is shaded; the x axis covers it.

    Parameters
    ----------
    evaluation : pandas.DataFrame
        Scalar evaluation table (columns :data:`SCALAR_EVALUATION_COLUMNS`).
    test_sets : sequence of str
        Labels of the extrapolation test sets (at least one).
    train_mu : (float, float), optional
        Training range of mu. Default: the range of mu of the other test sets on the
        training lattice (rows whose ``shape`` equals ``train_shape``, if that column exists);
        if there are none, nothing is shaded and a note says so.

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``n_targets * len(test_sets)`` axes.

    Raises
    ------
    ParameterError
        As :func:`observable_vs_mu`; also if ``test_sets`` is empty or ``train_mu`` is not an
        ordered pair of numbers.
    """
    reg = _regression(evaluation)
    if test_sets is None:
        raise ParameterError("test_sets", "at least one extrapolation test set", test_sets)
    sets = _select_sets(reg, test_sets, "test_sets")
    train_range = _check_range(train_mu, "train_mu")
    if train_range is None:
        train_range = _training_mu(reg, [s[0] for s in sets])
    return _observable_figure(reg, sets, train_range=train_range if train_range else False)


def _training_mu(reg: pd.DataFrame, exclude: list[str]) -> tuple[float, float] | None:
    other = reg[_ok(reg) & ~reg["test_set"].isin(exclude) & reg["mu"].notna()]
    if "train_shape" in other.columns:
        other = other[other["shape"].astype(str) == other["train_shape"].astype(str)]
    if other.empty:
        return None
    return float(other["mu"].min()), float(other["mu"].max())


def _observable_figure(reg: pd.DataFrame, sets: list, train_range) -> Figure:
    """Grid targets x test sets; ``train_range`` None (no shading), False (unknown) or a pair."""
    reg = reg[reg["test_set"].isin([s[0] for s in sets])]
    drawable = reg[_ok(reg) & reg["metric"].isin(["true_mean", "pred_mean"])]
    if drawable.dropna(subset=["mu", "value"]).empty:
        raise ParameterError("evaluation", "rows of metric true_mean or pred_mean with status "
                             f"ok in the test sets {[s[0] for s in sets]}", "none")
    targets = sorted(reg["target"].astype(str).unique(), key=_target_key)
    series = _series(reg)
    panel = min(2.3, (DOUBLE_COLUMN - 0.5) / len(sets))
    width = max(SINGLE_COLUMN, panel * len(sets) + 0.5)
    fig = Figure(figsize=(width, 1.7 * len(targets) + 0.75), layout="constrained")
    axes = fig.subplots(len(targets), len(sets), squeeze=False, sharex="col")
    handles: dict[str, Any] = {}
    for i, target in enumerate(targets):
        for j, (label, shape, _) in enumerate(sets):
            cell = reg[(reg["target"] == target) & (reg["test_set"] == label)]
            handles.update(_observable_panel(axes[i, j], cell, series, train_range))
            if i == 0:
                axes[i, j].set_title(f"{label} ({_lattice(shape)})")
            if i == len(targets) - 1:
                axes[i, j].set_xlabel(r"chemical potential $\mu$")
        axes[i, 0].set_ylabel(_mean_label(target))
    if train_range is False:
        fig.suptitle("training range of μ unknown (not shaded)", fontsize=_SMALL)
    order = ["measured ± MC error", "training range of μ"]
    order += list(dict.fromkeys(s.label for s in series.values()))
    figure_legend(fig, {k: handles[k] for k in order if k in handles},
                  ncol_max=5 if width > SINGLE_COLUMN else 2)
    return fig


def _observable_panel(ax: Axes, cell: pd.DataFrame, series: dict[str, Series],
                      train_range) -> dict[str, Any]:
    handles: dict[str, Any] = {}
    ok = cell[_ok(cell)].dropna(subset=["mu", "value"])
    if train_range:
        lo, hi = train_range
        span = ax.axvspan(lo, hi, facecolor="none", edgecolor="0.72", hatch="////", lw=0,
                          zorder=0)
        handles["training range of μ"] = span
        mus = np.concatenate([ok["mu"].to_numpy(dtype=float), [lo, hi]])
        pad = 0.05 * (mus.max() - mus.min() or 1.0)
        ax.set_xlim(mus.min() - pad, mus.max() + pad)
    measured = ok[ok["metric"] == "true_mean"]
    if not measured.empty:
        m = measured.groupby("mu").agg(value=("value", "median"), err=("mc_error", "max"))
        x, y, err = m.index.to_numpy(float), m["value"].to_numpy(), m["err"].fillna(0).to_numpy()
        if len(x) > 1:
            ax.fill_between(x, y - err, y + err, zorder=1, **_BAND)
        else:
            ax.bar(x, 2 * err, bottom=y - err, width=0.02, zorder=1, **_BAND)
        (line,) = ax.plot(x, y, color="k", lw=0.8, marker="." if len(x) == 1 else "", zorder=2)
        handles["measured ± MC error"] = (Patch(**_BAND), line)
    predicted = ok[ok["metric"] == "pred_mean"]
    present = [e for e in series if (predicted["experiment"] == e).any()]
    mus = np.unique(ok["mu"].to_numpy(float))
    step = float(np.min(np.diff(mus))) if len(mus) > 1 else 0.05
    for k, experiment in enumerate(present):
        s = series[experiment]
        stats = predicted[predicted["experiment"] == experiment].groupby("mu")["value"]
        stats = stats.agg(["median", "min", "max"]).sort_index()
        x = stats.index.to_numpy(float) + (k - (len(present) - 1) / 2) * 0.035 * step
        med = stats["median"].to_numpy()
        yerr = np.vstack([med - stats["min"].to_numpy(), stats["max"].to_numpy() - med])
        ax.errorbar(x, med, yerr=yerr, color=s.style["color"], marker=s.style["marker"],
                    linestyle=s.style["linestyle"], capsize=1.5, elinewidth=0.7, lw=0.8,
                    markersize=3, zorder=3, gid=experiment)
        handles[s.label] = Line2D([], [], **s.style)
    missing = cell[~_ok(cell) & ~cell["experiment"].isin(present)]
    reasons = sorted(set(missing["status"].map(_reason)))
    if reasons:
        _note(ax, "not applicable:\n" + "\n".join(reasons))
    elif ok.empty:
        _note(ax, "no data")
    return handles


# ----------------------------------------------------------------------------- scatter


@with_paper_style
def scalar_predicted_vs_true(predictions: pd.DataFrame) -> Figure:
    """Scatter predicted against measured per-configuration values.

    Rows are regression targets, columns experiments (labelled by family); all test sets of
    an experiment share its panel, one marker per test set, coloured by mu. Each row has equal,
    shared axes and the diagonal ``y = x``. Classification rows are ignored.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Scalar predictions table (columns :data:`SCALAR_PREDICTION_COLUMNS`), normally one
        replica per experiment; all rows are drawn.

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``n_targets * n_experiment_labels`` axes plus one colour bar.

    Raises
    ------
    ParameterError
        If a column is missing or there is no regression row with ``true`` and ``pred``.
    """
    table = check_scalar_table(predictions, SCALAR_PREDICTION_COLUMNS, "predictions")
    reg = table[table["task"] == "regression"].dropna(subset=["true", "pred"])
    if reg.empty:
        raise ParameterError("predictions", "regression rows with true and pred", "none")
    targets = sorted(reg["target"].astype(str).unique(), key=_target_key)
    series = _series(reg)
    labels = list(dict.fromkeys(s.label for s in series.values()))
    sets = _test_sets(reg)
    markers = {label: _LEVEL_MARKERS[k % len(_LEVEL_MARKERS)]
               for k, (label, _, _) in enumerate(sets)}
    mu = reg["mu"].to_numpy(float)
    norm = Normalize(np.nanmin(mu), np.nanmax(mu) if np.nanmax(mu) > np.nanmin(mu)
                     else np.nanmin(mu) + 1e-9)
    cmap = ListedColormap(mpl.colormaps["viridis"](np.linspace(0.0, 0.85, 256)))  # no pale end
    panel = min(1.9, (DOUBLE_COLUMN - 0.9) / len(labels))
    width = max(SINGLE_COLUMN, panel * len(labels) + 0.9)
    fig = Figure(figsize=(width, panel * len(targets) + 0.75), layout="constrained")
    axes = fig.subplots(len(targets), len(labels), squeeze=False)
    for i, target in enumerate(targets):
        rows = reg[reg["target"] == target]
        values = np.concatenate([rows["true"].to_numpy(float), rows["pred"].to_numpy(float)])
        lo, hi = float(values.min()), float(values.max())
        pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
        limits = (lo - pad, hi + pad)
        for j, label in enumerate(labels):
            ax = axes[i, j]
            experiments = [e for e, s in series.items() if s.label == label]
            cell = rows[rows["experiment"].isin(experiments)]
            ax.plot(limits, limits, color="0.5", lw=0.8, zorder=1)
            for test_set, group in cell.groupby("test_set", sort=False):
                ax.scatter(group["true"], group["pred"], c=group["mu"], cmap=cmap, norm=norm,
                           s=5, marker=markers[test_set], alpha=0.6, linewidths=0,
                           rasterized=True, zorder=2, gid=f"{label}:{test_set}")
            if cell.empty:
                _note(ax, "no data")
            ax.set_xlim(limits)
            ax.set_ylim(limits)
            ax.set_aspect("equal", adjustable="box")
            if i == 0:
                ax.set_title(label)
            ax.set_xlabel(f"measured {_config_label(target)}")
        axes[i, 0].set_ylabel(f"predicted {_config_label(target)}")
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, label=r"$\mu$", shrink=0.9,
                 aspect=25)
    handles: dict[str, Any] = {
        f"{label} ({_lattice(shape)})": Line2D([], [], color="0.35", marker=markers[label],
                                               linestyle="none", markersize=4)
        for label, shape, _ in sets
    }
    handles["$y = x$"] = Line2D([], [], color="0.5", lw=0.8)
    figure_legend(fig, handles, ncol_max=4)
    return fig
