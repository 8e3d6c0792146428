"""Error vs lattice size of the scalar-study regressions (one panel per target and metric).

Re-exported by :mod:`latticeml.plots.scalar`; see there for the tables and family styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from latticeml.errors import ParameterError
from latticeml.plots._labels import Series, figure_legend
from latticeml.plots._scalar_common import (
    _check_range,
    _config_label,
    _lattice,
    _note,
    _ok,
    _regression,
    _select_sets,
    _series,
    _target_key,
    _volume_ticks,
)
from latticeml.plots.style import DOUBLE_COLUMN, SINGLE_COLUMN, with_paper_style

__all__ = ["error_vs_size_scalar"]


@with_paper_style
def error_vs_size_scalar(
    evaluation: pd.DataFrame,
    mu_range: tuple[float, float] | None = None,
    *,
    test_sets: Sequence[str] | None = None,
) -> Figure:
    r"""Plot the errors of the scalar regressors against the lattice volume.

    Top row: the relative error of the predicted ensemble average,
    :math:`|\langle y\rangle_\mathrm{pred} - \langle y\rangle| / |\langle y\rangle|`
    (``rel_err_mean``), largest over the values of mu in ``mu_range``; bottom row: the pooled
    normalised MSE per configuration (``nmse_config``, ``mu`` NaN). Columns are targets. Per
    experiment the median over replicas is a line, min to max a shaded band; test sets of the
    same volume are pooled. The grey dotted line is the relative Monte Carlo error of the
    measured average (largest over mu): errors below it are not resolved. Families that are
    "not applicable" on some lattices say so in the legend.

    Parameters
    ----------
    evaluation : pandas.DataFrame
        Scalar evaluation table (columns :data:`SCALAR_EVALUATION_COLUMNS`).
    mu_range : (float, float), optional
        Range of mu for the largest relative error (default: every mu of the test set).
    test_sets : sequence of str, optional
        Test sets to use (default: all; leave extrapolation sets out).

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``2 * n_targets`` axes (one row if only one of the metrics has rows).

    Raises
    ------
    ParameterError
        If a column is missing, there is no regression row, ``mu_range`` is not an ordered pair
        or no ``rel_err_mean`` / pooled ``nmse_config`` row with status ok is left.
    """
    reg = _regression(evaluation)
    sets = _select_sets(reg, test_sets, "test_sets")
    reg = reg[reg["test_set"].isin([s[0] for s in sets])]
    mu_range = _check_range(mu_range, "mu_range")
    ok = reg[_ok(reg)]
    rel = ok[(ok["metric"] == "rel_err_mean") & ok["mu"].notna()]
    if mu_range is not None:
        rel = rel[(rel["mu"] >= mu_range[0] - 1e-9) & (rel["mu"] <= mu_range[1] + 1e-9)]
    keys = ["experiment", "replica", "target", "test_set", "volume"]
    rel = rel.groupby(keys, dropna=False).agg(value=("value", "max"), mc=("mc_error", "max"))
    rel = rel.reset_index().dropna(subset=["value"])
    nmse = ok[(ok["metric"] == "nmse_config") & ok["mu"].isna()].dropna(subset=["value"])
    where = "" if mu_range is None else "\n" + rf"($\mu \in [{mu_range[0]:g}, {mu_range[1]:g}]$)"
    rows = [(rel, r"max$_\mu$ relative error of $\langle y\rangle$" + where),
            (nmse, "nMSE per configuration\n" + r"(MSE / Var$(y\,|\,\mu)$)")]
    rows = [(t, label) for t, label in rows if not t.empty]
    if not rows:
        raise ParameterError("evaluation", "rows of metric rel_err_mean (in mu_range) or pooled "
                             "nmse_config with status ok", "none")
    targets = sorted(pd.concat([t["target"] for t, _ in rows]).astype(str).unique(),
                     key=_target_key)
    series = _series(reg)
    suffix = _na_suffix(reg, series)
    width = SINGLE_COLUMN if len(targets) == 1 else DOUBLE_COLUMN
    fig = Figure(figsize=(width, 1.75 * len(rows) + 0.85), layout="constrained")
    axes = fig.subplots(len(rows), len(targets), squeeze=False, sharex=True)
    volumes = reg[["volume", "shape"]].drop_duplicates()
    handles: dict[str, Any] = {}
    for i, (table, ylabel) in enumerate(rows):
        for j, target in enumerate(targets):
            ax = axes[i, j]
            panel = table[table["target"] == target]
            for experiment, s in series.items():
                line = _spread_line(ax, panel[panel["experiment"] == experiment], s, experiment)
                if line is not None:
                    handles[s.label + suffix.get(s.label, "")] = line
            if "mc" in panel and panel["mc"].notna().any():
                mc = panel.groupby("volume")["mc"].max().sort_index()
                (handles["MC relative error of measured ⟨y⟩"],) = ax.plot(
                    mc.index, mc.to_numpy(), color="0.45", ls=":", lw=1.0, zorder=1)
            values = panel["value"].to_numpy(float)
            if panel.empty:
                _note(ax, "no data")
            elif (values > 0).all():
                ax.set_yscale("log")
            _volume_ticks(ax, volumes)
            if i == 0:
                ax.set_title(f"target {_config_label(target)}")
            if i == len(rows) - 1:
                ax.set_xlabel(r"lattice volume $V = N_t N_x$")
        axes[i, 0].set_ylabel(ylabel)
    order = [s.label + suffix.get(s.label, "") for s in series.values()]
    order = list(dict.fromkeys(order)) + ["MC relative error of measured ⟨y⟩"]
    figure_legend(fig, {k: handles[k] for k in order if k in handles},
                  ncol_max=2 if len(targets) == 1 else 4)
    return fig


def _na_suffix(table: pd.DataFrame, series: dict[str, Series]) -> dict[str, str]:
    """Per legend label: ``" (not applicable on 24×6)"`` for lattices without results."""
    out: dict[str, str] = {}
    na = table[~_ok(table)]
    for label in dict.fromkeys(s.label for s in series.values()):
        experiments = [e for e, s in series.items() if s.label == label]
        rows = na[na["experiment"].isin(experiments)]
        shapes = sorted(set(map(str, rows["shape"])), key=lambda t: (len(t), t))
        if shapes:
            out[label] = f" (not applicable on {', '.join(map(_lattice, shapes))})"
    return out


def _spread_line(ax: Axes, rows: pd.DataFrame, s: Series, gid: str) -> Line2D | None:
    """Median over replicas against the volume, min to max shaded (a bar for one point)."""
    if rows.empty:
        return None
    stats = rows.groupby("volume")["value"].agg(["median", "min", "max"]).sort_index()
    x = stats.index.to_numpy(float)
    (line,) = ax.plot(x, stats["median"].to_numpy(), gid=gid, zorder=3, **s.style)
    if len(x) > 1:
        ax.fill_between(x, stats["min"], stats["max"], color=s.style["color"], alpha=0.2, lw=0,
                        gid=gid, zorder=2)
    else:
        ax.vlines(x, stats["min"], stats["max"], color=s.style["color"], alpha=0.4, lw=4,
                  gid=gid, zorder=2)
    return line
