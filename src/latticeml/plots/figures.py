"""Generalization figures: error versus lattice size, predicted versus true lattice means."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from latticeml.errors import ParameterError
from latticeml.plots._labels import (
    Series,
    experiment_series,
    figure_legend,
    log2_ticks,
    metric_label,
    target_label,
    target_sort_key,
)
from latticeml.plots.style import DOUBLE_COLUMN, SINGLE_COLUMN, with_paper_style
from latticeml.plots.tables import PREDICTION_COLUMNS, SIZE_COLUMNS, check_table

__all__ = ["error_vs_size", "predicted_vs_true", "best_replicas"]

BAND_ALPHA = 0.2
DEFAULT_METRICS = ("mse_mean", "mse_site", "nmse_site")


#: Marker of each published model kind (open symbols, black: not one of our experiments).
_PUBLISHED_MARKERS = {"L-CNN": "o", "L-CNN small": "o", "L-CNN medium": "s", "CNN": "^"}


@with_paper_style
def error_vs_size(
    evaluation: pd.DataFrame, metrics: Sequence[str] = DEFAULT_METRICS,
    published: str | None = None,
) -> Figure:
    """Plot test errors against the lattice size, one line per experiment.

    Rows are metrics, columns are targets (ordered by loop size). Each line is the median
    over replicas, the shaded band spans the best and the worst replica (min to max). The
    conditional-mean baseline is a dotted line without band. Only rows with ``beta`` NaN
    (all couplings pooled) are used. The x axis is the extent ``L`` for 1+1D lattices and
    the volume (sites) when a test lattice has more than two dimensions, so that lattices of
    the same extent (4x8^3, 6x8^3) stay separate points; rows that share the x value are
    pooled into one point. ``published`` draws a published set
    (:data:`~latticeml.plots.published.PUBLISHED_SETS`) as open black markers in the
    ``mse_mean`` row, one legend entry per model and source.

    Parameters
    ----------
    evaluation : pandas.DataFrame
        The evaluation table (columns :data:`~latticeml.plots.tables.SIZE_COLUMNS` at least).
    metrics : sequence of str
        Metrics to show, one row each; metrics absent from the table are left out. A row is
        drawn with a logarithmic y axis if all its values are positive.
    published : str, optional
        Name of a published set to draw beside the lines (e.g. ``prl-2d``).

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``len(rows) * len(targets)`` axes.

    Raises
    ------
    ParameterError
        If a column is missing, the table is empty or holds no pooled row of ``metrics``.
    """
    table = check_table(evaluation, SIZE_COLUMNS, "evaluation")
    metrics = tuple(metrics)
    pooled = table[table["beta"].isna() & table["metric"].isin(metrics)]
    pooled = pooled.dropna(subset=["L", "value"])
    if pooled.empty:
        raise ParameterError(
            "evaluation",
            f"rows with beta empty (all betas pooled) and metric in {', '.join(metrics)}",
            "none",
        )
    marks = None
    if published is not None:
        from latticeml.plots.published import published_points

        marks = published_points(published)
    x = _x_column(pooled)
    pooled = pooled.assign(_x=pooled[x].astype(float))
    rows = [m for m in metrics if (pooled["metric"] == m).any()]
    targets = sorted(pooled["target"].unique(), key=target_sort_key)
    series = experiment_series(pooled)
    width = SINGLE_COLUMN if len(targets) == 1 else DOUBLE_COLUMN
    fig = Figure(figsize=(width, 1.7 * len(rows) + 0.6), layout="constrained")
    axes = fig.subplots(len(rows), len(targets), sharex=True, squeeze=False)
    handles: dict[str, Line2D] = {}
    ticks = pooled["_x"].to_numpy()
    for i, metric in enumerate(rows):
        for j, target in enumerate(targets):
            panel = pooled[(pooled["metric"] == metric) & (pooled["target"] == target)]
            handles.update(_size_panel(axes[i, j], panel, series))
            if marks is not None:
                handles.update(_published_marks(axes[i, j], marks, metric, target, x))
            log2_ticks(axes[i, j], ticks)
    _label_grid(axes, rows, targets, x)
    ordered = {s.label: handles[s.label] for s in series.values() if s.label in handles}
    ordered.update({k: v for k, v in handles.items() if k.startswith("published ")})
    ncol = 1 if len(targets) == 1 else (2 if marks is not None else 4)
    figure_legend(fig, ordered, ncol_max=ncol)
    return fig


def _x_column(pooled: pd.DataFrame) -> str:
    """``volume`` when a lattice has more than two dimensions (and the column exists)."""
    if "shape" in pooled and "volume" in pooled:
        dims = pooled["shape"].astype(str).str.count("x") + 1
        if (dims > 2).any():
            return "volume"
    return "L"


def _published_marks(ax: Axes, marks: pd.DataFrame, metric: str, target: str,
                     x: str) -> dict[str, Line2D]:
    """Draw the published points of one panel; return their legend handles."""
    handles = {}
    rows = marks[(marks["metric"] == metric) & (marks["target"] == target)]
    for (model, source), g in rows.groupby(["model", "source"], sort=False):
        filled = "best" in source
        label = f"published {model} ({source})"
        (line,) = ax.plot(g[x].to_numpy(), g["value"].to_numpy(), ls="none",
                          marker=_PUBLISHED_MARKERS.get(model, "D"), ms=5, color="black",
                          mfc="black" if filled else "none", label=label, gid="published")
        handles[label] = line
    return handles


def _size_panel(ax: Axes, panel: pd.DataFrame, series: dict[str, Series]) -> dict[str, Line2D]:
    """Draw every experiment of one (metric, target) panel; return its legend handles."""
    handles = {}
    for experiment, s in series.items():
        rows = panel[panel["experiment"] == experiment]
        if not rows.empty:
            handles[s.label] = _replica_spread(ax, rows, s, gid=experiment)
    if panel.empty:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
    elif (panel["value"] > 0).all():
        ax.set_yscale("log")
    return handles


def _replica_spread(ax: Axes, rows: pd.DataFrame, s: Series, gid: str) -> Line2D:
    """Plot the median over replicas against L and shade min to max (not for baselines)."""
    stats = rows.groupby("_x")["value"].agg(["median", "min", "max"]).sort_index()
    x = stats.index.to_numpy(dtype=float)
    style = dict(s.style)
    if len(x) == 1 and not style["marker"]:
        style.update(marker="_", markersize=8)  # a lone point needs a marker to be seen
    (line,) = ax.plot(x, stats["median"].to_numpy(), label=s.label, gid=gid, **style)
    if s.family == "conditional mean":
        return line
    lo, hi = stats["min"].to_numpy(), stats["max"].to_numpy()
    if len(x) > 1:
        ax.fill_between(x, lo, hi, color=style["color"], alpha=BAND_ALPHA, lw=0, gid=gid)
    else:
        ax.vlines(x, lo, hi, color=style["color"], alpha=2 * BAND_ALPHA, lw=4, gid=gid)
    return line


def _label_grid(axes: np.ndarray, rows: list[str], targets: list[str], x: str = "L") -> None:
    """Titles on the top row, metric labels on the left column, L or V on the bottom row."""
    for j, target in enumerate(targets):
        axes[0, j].set_title(target_label(target))
        axes[-1, j].set_xlabel(r"lattice extent $L$" if x == "L" else r"volume $V$ (sites)")
    for i, metric in enumerate(rows):
        axes[i, 0].set_ylabel(metric_label(metric))


@with_paper_style
def predicted_vs_true(predictions: pd.DataFrame, replica: int | str = "best") -> Figure:
    """Scatter the predicted against the true lattice mean of every test configuration.

    Columns are test lattices (ordered by ``L``), rows are targets; each panel shows all
    experiments with their family style, the diagonal ``y = x`` and equal axes (shared
    along a row, so that the spread can be compared across lattice sizes).

    Parameters
    ----------
    predictions : pandas.DataFrame
        The predictions table (columns :data:`~latticeml.plots.tables.PREDICTION_COLUMNS`).
    replica : int or "best"
        ``"best"``: the table holds the replica to show of every experiment already (the
        caller selects it) and all rows are drawn. An integer keeps only the rows of that
        replica (needs the ``replica`` column).

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``n_targets * n_lattices`` axes.

    Raises
    ------
    ParameterError
        If a column is missing, the table is empty or ``replica`` selects no row.
    """
    table = _select_replica(check_table(predictions, PREDICTION_COLUMNS, "predictions"), replica)
    table = table.dropna(subset=["true_mean", "pred_mean", "L"])
    targets = sorted(table["target"].unique(), key=target_sort_key)
    lattices = table[["L", "shape"]].drop_duplicates().sort_values(["L", "shape"])
    lattices = list(lattices.itertuples(index=False, name=None))
    series = experiment_series(table)
    panel = min(2.0, (DOUBLE_COLUMN - 0.5) / len(lattices))
    width = max(SINGLE_COLUMN, panel * len(lattices) + 0.5)
    fig = Figure(figsize=(width, panel * len(targets) + 0.7), layout="constrained")
    axes = fig.subplots(len(targets), len(lattices), squeeze=False)
    handles: dict[str, Line2D] = {}
    for i, target in enumerate(targets):
        rows = table[table["target"] == target]
        limits = _equal_limits(rows)
        for j, (L, shape) in enumerate(lattices):
            cell = rows[(rows["L"] == L) & (rows["shape"] == shape)]
            handles.update(_scatter_panel(axes[i, j], cell, series, limits))
        axes[i, 0].set_ylabel(f"{target_label(target)}\npredicted lattice mean")
    for j, (L, shape) in enumerate(lattices):
        axes[0, j].set_title(f"{str(shape).replace('x', '×')} ($L = {L:g}$)")
        axes[-1, j].set_xlabel("true lattice mean")
    ordered = {s.label: handles[s.label] for s in series.values() if s.label in handles}
    ordered["$y = x$"] = Line2D([], [], color="0.5", lw=0.8)
    figure_legend(fig, ordered)
    return fig


def _select_replica(table: pd.DataFrame, replica: int | str) -> pd.DataFrame:
    if isinstance(replica, str) and replica == "best":
        return table
    if isinstance(replica, bool) or not isinstance(replica, int | np.integer):
        raise ParameterError("replica", '"best" or a replica index', replica)
    if "replica" not in table.columns:
        raise ParameterError("predictions", "a column 'replica'", "a table without it")
    selected = table[table["replica"] == replica]
    if selected.empty:
        raise ParameterError(
            "replica", f"one of {sorted(table['replica'].unique().tolist())}", replica
        )
    return selected


def _equal_limits(rows: pd.DataFrame) -> tuple[float, float]:
    values = np.concatenate([rows["true_mean"].to_numpy(), rows["pred_mean"].to_numpy()])
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    return lo - pad, hi + pad


def _scatter_panel(
    ax: Axes, cell: pd.DataFrame, series: dict[str, Series], limits: tuple[float, float]
) -> dict[str, Line2D]:
    """Scatter every experiment (baselines first, so the models are drawn on top)."""
    handles = {}
    ax.plot(limits, limits, color="0.5", lw=0.8, zorder=1)
    for experiment, s in reversed(series.items()):
        rows = cell[cell["experiment"] == experiment]
        if rows.empty:
            continue
        marker = s.style["marker"] or "x"
        ax.scatter(
            rows["true_mean"], rows["pred_mean"], s=5, marker=marker, color=s.style["color"],
            alpha=0.6, linewidths=0.5, rasterized=True, zorder=2, gid=experiment,
        )
        handles[s.label] = Line2D(
            [], [], color=s.style["color"], marker=marker, linestyle="none", markersize=4
        )
    if cell.empty:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    ax.set_aspect("equal", adjustable="box")
    return handles


def best_replicas(
    predictions: pd.DataFrame, evaluation: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Keep the rows of one replica per experiment: the best on the validation set.

    The best replica is the one with the lowest ``val_loss`` in ``evaluation`` (a model
    selection that does not look at the test sets). Experiments without a known validation
    loss, or whose best replica has no predictions, keep their lowest replica index.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Predictions table with columns ``experiment`` and ``replica``; without ``replica``
        it is returned unchanged.
    evaluation : pandas.DataFrame, optional
        Evaluation table with columns ``experiment``, ``replica`` and ``val_loss``.

    Returns
    -------
    pandas.DataFrame
        The selected rows.
    """
    if "replica" not in predictions.columns or predictions.empty:
        return predictions
    chosen: dict[str, float] = {}
    if evaluation is not None and {"experiment", "replica", "val_loss"} <= set(evaluation):
        losses = evaluation[["experiment", "replica", "val_loss"]].dropna()
        losses = losses.sort_values(["val_loss", "replica"]).drop_duplicates("experiment")
        chosen = dict(zip(losses["experiment"], losses["replica"], strict=True))
    available = predictions.groupby("experiment")["replica"].agg(set)
    keep = {
        experiment: chosen[experiment] if chosen.get(experiment) in replicas else min(replicas)
        for experiment, replicas in available.items()
    }
    return predictions[predictions["replica"] == predictions["experiment"].map(keep)]
