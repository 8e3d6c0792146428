"""Diagnostic figures: training curves and gauge robustness of the trained models."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from latticeml.errors import ParameterError
from latticeml.plots._labels import Series, experiment_series, figure_legend
from latticeml.plots.style import DOUBLE_COLUMN, family_rank, family_style, with_paper_style
from latticeml.plots.tables import GAUGE_COLUMNS, GAUGE_METRICS, METRICS_COLUMNS, check_table

__all__ = ["training_curves", "gauge_robustness", "GAUGE_FLOOR"]

MAX_LEGEND_RUNS = 10
GAUGE_FLOOR = 1e-17
"""Relative changes below this value (exact zeros) are drawn at this value."""
_FLOORED = rf"relative change (floor $10^{{{np.log10(GAUGE_FLOOR):.0f}}}$)"
_REL_CHANGE = _FLOORED + "\n" + r"$\mathrm{rms}[f(\Omega U) - f(U)]\,/\,\mathrm{rms}[f(U)]$"
_GAUGE_KINDS = {  # metric -> (legend label, marker, x offset)
    "gauge_haar": (r"Haar-random $\Omega$", "o", -0.15),
    "gauge_adversarial": (r"adversarial $\Omega$", "^", 0.15),
}


@with_paper_style
def training_curves(runs: Mapping[str, pd.DataFrame],
                    targets: Mapping[str, str] | None = None) -> Figure:
    """Plot training and validation loss against the epoch.

    Without ``targets``: one colour per run, two axes. With ``targets`` (experiment ->
    target, e.g. from the evaluation table): one row of (training, validation) axes per
    target, one colour per experiment (its replicas share it), a legend of the experiments
    beside each row, so that every curve is named however many runs there are.

    Parameters
    ----------
    runs : mapping of str to pandas.DataFrame
        Training-metrics table of every run (columns ``epoch``, ``train_loss``,
        ``val_loss``), keyed by a label such as ``"W2x2_W2x2-small/r0"`` (experiment, then
        ``/`` and the replica).
    targets : mapping of str to str, optional
        Target of each experiment; runs of experiments not in it go to a row "other".

    Returns
    -------
    matplotlib.figure.Figure
        Axes sharing a logarithmic y axis per row (linear if a loss is not positive);
        without ``targets`` a legend below them if there are at most 10 runs.

    Raises
    ------
    ParameterError
        If ``runs`` is empty or a table lacks a column or rows.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ParameterError("runs", "a non-empty mapping {label: DataFrame}", runs)
    tables = {
        str(label): check_table(table, METRICS_COLUMNS, f"training metrics {label!r}")
        for label, table in runs.items()
    }
    if targets is not None:
        return _curves_per_target(tables, targets)
    legend = len(tables) <= MAX_LEGEND_RUNS
    rows_of_legend = -(-len(tables) // 3) if legend else 0
    fig = Figure(figsize=(DOUBLE_COLUMN, 2.3 + 0.16 * rows_of_legend), layout="constrained")
    ax_train, ax_val = fig.subplots(1, 2, sharey=True)
    handles = {}
    for (label, table), color in zip(tables.items(), _run_colors(len(tables)), strict=True):
        table = table.sort_values("epoch")
        for ax, column in ((ax_train, "train_loss"), (ax_val, "val_loss")):
            rows = table[["epoch", column]].dropna()
            (handles[label],) = ax.plot(rows["epoch"], rows[column], color=color, label=label)
    losses = np.concatenate(
        [t[["train_loss", "val_loss"]].to_numpy(dtype=float).ravel() for t in tables.values()]
    )
    if (losses[~np.isnan(losses)] > 0).all():
        ax_train.set_yscale("log")
    for ax, what in ((ax_train, "training"), (ax_val, "validation")):
        ax.set_title(what)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(f"{what} loss")
    if legend:
        figure_legend(fig, handles, ncol_max=3)
    else:
        fig.suptitle(f"{len(tables)} runs (legend omitted)", fontsize="small")
    return fig


def _curves_per_target(tables: dict[str, pd.DataFrame], targets: Mapping[str, str]) -> Figure:
    """One row per target; one colour per experiment, shared by its replicas."""
    by_target: dict[str, dict[str, list[pd.DataFrame]]] = {}
    for label, table in tables.items():
        experiment = label.rsplit("/", 1)[0]
        target = str(targets.get(experiment, "other"))
        by_target.setdefault(target, {}).setdefault(experiment, []).append(table)
    names = sorted(by_target, key=lambda t: (t == "other", _target_key(t)))
    fig = Figure(figsize=(DOUBLE_COLUMN, 0.4 + 1.9 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 2, squeeze=False)
    for row, target in enumerate(names):
        ax_train, ax_val = axes[row]
        ax_val.sharey(ax_train)
        experiments = by_target[target]
        colors = _experiment_colors(len(experiments))
        handles = {}
        positive = True
        for (experiment, runs), color in zip(experiments.items(), colors, strict=True):
            for table in runs:
                table = table.sort_values("epoch")
                for ax, column, ls in ((ax_train, "train_loss", "-"), (ax_val, "val_loss", "-")):
                    rows = table[["epoch", column]].dropna()
                    positive &= bool((rows[column] > 0).all())
                    (line,) = ax.plot(rows["epoch"], rows[column], color=color, ls=ls, lw=1.0,
                                      label=experiment, gid=experiment)
                handles[f"{experiment} ({len(runs)})"] = line
        if positive:
            ax_train.set_yscale("log")
        for ax, what in ((ax_train, "training"), (ax_val, "validation")):
            ax.set_xlabel("epoch" if row == len(names) - 1 else "")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(f"{what} loss")
        ax_train.set_title(f"{_target_title(target)}: training", fontsize="small")
        ax_val.set_title(f"{_target_title(target)}: validation", fontsize="small")
        ax_val.legend(list(handles.values()), list(handles), loc="upper left",
                      bbox_to_anchor=(1.02, 1.0), fontsize="x-small", frameon=False,
                      title="experiment (runs)", title_fontsize="x-small")
    return fig


def _target_key(target: str):
    from latticeml.plots._labels import target_sort_key

    return target_sort_key(target)


def _target_title(target: str) -> str:
    from latticeml.plots._labels import target_label

    return "other" if target == "other" else target_label(target)


def _experiment_colors(n: int) -> list:
    base = list(mpl.colormaps["tab10"].colors)
    if n <= len(base):
        return base[:n]
    return list(mpl.colormaps["tab20"](np.linspace(0.0, 1.0, n)))


def _run_colors(n: int) -> list:
    if n <= MAX_LEGEND_RUNS:
        return list(mpl.colormaps["tab10"].colors[:n])
    return list(mpl.colormaps["viridis"](np.linspace(0.0, 0.95, n)))


@with_paper_style
def gauge_robustness(evaluation: pd.DataFrame) -> Figure:
    """Plot how much the predictions change under gauge transformations.

    The relative change is ``rms(f(ΩU) - f(U)) / rms(f(U))``; values below
    :data:`GAUGE_FLOOR` (exact zeros of invariant models) are drawn at :data:`GAUGE_FLOOR`.
    Left: ``gauge_alpha`` against the transformation strength alpha (log-log), per family
    the median with a min-to-max band over experiments, replicas, targets and test sets.
    Right: ``gauge_haar`` and ``gauge_adversarial`` per experiment, median with min-to-max
    error bars over replicas, targets and test sets.

    Parameters
    ----------
    evaluation : pandas.DataFrame
        The evaluation table (columns :data:`~latticeml.plots.tables.GAUGE_COLUMNS` at
        least); rows of other metrics are ignored.

    Returns
    -------
    matplotlib.figure.Figure
        Figure with two axes.

    Raises
    ------
    ParameterError
        If a column is missing, the table is empty or has no gauge-robustness rows.
    """
    table = check_table(evaluation, GAUGE_COLUMNS, "evaluation")
    gauge = table[table["metric"].isin(GAUGE_METRICS)].dropna(subset=["value"])
    if gauge.empty:
        raise ParameterError(
            "evaluation", f"rows with metric {', '.join(GAUGE_METRICS)}", "none"
        )
    gauge = gauge.assign(value=gauge["value"].clip(lower=GAUGE_FLOOR))
    fig = Figure(figsize=(DOUBLE_COLUMN, 2.9), layout="constrained")
    ax_alpha, ax_kind = fig.subplots(1, 2, width_ratios=(1.0, 1.15))
    handles = _alpha_panel(ax_alpha, gauge[gauge["metric"] == "gauge_alpha"])
    handles.update(_kind_panel(ax_kind, gauge[gauge["metric"].isin(tuple(_GAUGE_KINDS))]))
    figure_legend(fig, handles, ncol_max=5)
    return fig


def _alpha_panel(ax: Axes, rows: pd.DataFrame) -> dict[str, Line2D]:
    """Relative change against alpha, one median line and min-max band per family."""
    rows = rows[rows["alpha"] > 0]
    handles = {}
    families = sorted(rows["family"].dropna().unique(), key=lambda f: (family_rank(f), f))
    for family in families:
        stats = rows[rows["family"] == family].groupby("alpha")["value"]
        stats = stats.agg(["median", "min", "max"]).sort_index()
        style = family_style(family)
        x = stats.index.to_numpy(dtype=float)
        (handles[family],) = ax.plot(x, stats["median"], label=family, gid=family, **style)
        ax.fill_between(x, stats["min"], stats["max"], color=style["color"], alpha=0.2, lw=0)
    if rows.empty:
        ax.text(0.5, 0.5, "no gauge_alpha rows", transform=ax.transAxes, ha="center")
    else:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_title(r"strength scan")
    ax.set_xlabel(r"gauge-transformation strength $\alpha$")
    ax.set_ylabel(_REL_CHANGE)
    return handles


def _kind_panel(ax: Axes, rows: pd.DataFrame) -> dict[str, Line2D]:
    """Haar-random and adversarial relative change per experiment (median, min-max bars)."""
    series = experiment_series(rows) if not rows.empty else {}
    for x, (experiment, s) in enumerate(series.items()):
        for metric, (_, marker, offset) in _GAUGE_KINDS.items():
            values = rows.loc[
                (rows["experiment"] == experiment) & (rows["metric"] == metric), "value"
            ]
            if not values.empty:
                _error_marker(ax, x + offset, values, s, marker, gid=f"{experiment}:{metric}")
    labels = [s.label for s in series.values()]
    ticks = [
        experiment if labels.count(label) > 1 else label
        for experiment, label in zip(series, labels, strict=True)
    ]
    ax.set_xticks(range(len(series)), ticks)
    ax.tick_params(axis="x", labelrotation=25)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
    if rows.empty:
        ax.text(0.5, 0.5, "no Haar/adversarial rows", transform=ax.transAxes, ha="center")
    else:
        ax.set_yscale("log")
        ax.set_xlim(-0.6, len(series) - 0.4)
    ax.set_title(r"Haar-random and adversarial $\Omega$")
    ax.set_xlabel("experiment")
    ax.set_ylabel(_FLOORED)
    if rows.empty:
        return {}
    return {
        label: Line2D([], [], color="0.35", marker=marker, linestyle="none")
        for label, marker, _ in _GAUGE_KINDS.values()
    }


def _error_marker(
    ax: Axes, x: float, values: pd.Series, s: Series, marker: str, gid: str
) -> None:
    med, lo, hi = values.median(), values.min(), values.max()
    ax.errorbar(
        [x], [med], yerr=[[med - lo], [hi - med]], fmt=marker, color=s.style["color"],
        capsize=2, elinewidth=0.8, markersize=4, gid=gid,
    )
