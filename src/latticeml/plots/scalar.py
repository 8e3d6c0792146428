"""Figures of the scalar-field study (dual complex phi^4, Bulusu et al., PRD 104 (2021) 074504).

Tables in, :class:`~matplotlib.figure.Figure` out, no file I/O. The tables are those of
:func:`latticeml.evaluate.scalar.evaluate_scalar`: the evaluation table (all replicas of all
experiments, regression and classification rows, one row per model, test set, ``mu``,
``open_worms`` and metric) and the predictions table (per configuration, one replica per
experiment). Rows whose ``status`` is not ``"ok"`` (``"not applicable: ..."``, e.g. an FL model
on another lattice) are never dropped silently: the panels or legend entries they concern say
so.

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
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from latticeml.errors import ParameterError
from latticeml.plots._labels import Series, figure_legend
from latticeml.plots.style import DOUBLE_COLUMN, FONT_SIZE, SINGLE_COLUMN, with_paper_style
from latticeml.plots.tables import _numeric, check_table

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

SCALAR_EVALUATION_COLUMNS = (
    "experiment", "family", "arch", "replica", "target", "task", "test_set", "shape", "volume",
    "mu", "open_worms", "metric", "value", "mc_error", "status",
)
"""Columns of the scalar evaluation table read by the figure builders."""
SCALAR_PREDICTION_COLUMNS = (
    "experiment", "family", "arch", "target", "task", "test_set", "shape", "volume", "mu",
    "true", "pred",
)
"""Columns of the scalar predictions table read by :func:`scalar_predicted_vs_true`."""
GOAL_ACCURACY = 0.999
"""Accuracy the flux-violation detectors should reach (drawn as a line)."""

_NUMERIC = ("replica", "volume", "mu", "open_worms", "value", "mc_error", "true", "pred")
_NA_PREFIX = "not applicable: "
_BAND = dict(color="0.55", alpha=0.4, lw=0)
_SMALL = FONT_SIZE - 2
_FAMILIES: dict[str, dict[str, Any]] = {
    "EQ": {"colors": ("#08306b", "#2171b5", "#6baed6"), "markers": ("o", "^", "v"),
           "linestyle": "-"},
    "ST": {"colors": ("#d95f02", "#a63603", "#fdae6b"), "markers": ("s", "P", "X"),
           "linestyle": "--"},
    "FL": {"colors": ("#238b45", "#00441b", "#74c476"), "markers": ("D", "d", "p"),
           "linestyle": "-."},
    "EQ-max": {"colors": ("#54278f", "#3f007d", "#9e9ac8"), "markers": ("o", "s", "^"),
               "linestyle": "-"},
}
_OTHER = {"colors": ("#7570b3", "#e7298a", "#a6761d"), "markers": ("h", "*", "p"),
          "linestyle": ":"}
_TARGETS = {"n": "n", "phi2": r"|\phi|^2"}
_LEVEL_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")


# ----------------------------------------------------------------------------- helpers


def check_scalar_table(table: object, columns: Sequence[str], name: str) -> pd.DataFrame:
    """Check a scalar evaluation or predictions table and convert its numeric columns.

    Parameters
    ----------
    table : object
        The table.
    columns : sequence of str
        Required columns (:data:`SCALAR_EVALUATION_COLUMNS` or
        :data:`SCALAR_PREDICTION_COLUMNS`).
    name : str
        What to call the table in error messages.

    Returns
    -------
    pandas.DataFrame
        A copy; ``replica``, ``volume``, ``mu``, ``open_worms``, ``value``, ``mc_error``,
        ``true`` and ``pred`` as numbers (empty cells NaN), ``status`` as stripped text (an
        empty status counts as ``"ok"``).

    Raises
    ------
    ParameterError
        If ``table`` is not a non-empty DataFrame with ``columns`` or a numeric column holds
        text.
    """
    out = check_table(table, columns, name)
    for column in columns:
        if column in _NUMERIC:
            out[column] = _numeric(out[column], f"{name} column {column!r}")
    if "status" in out:
        out["status"] = out["status"].fillna("ok").astype(str).str.strip()
    return out


def scalar_family_style(family: str, index: int = 0) -> dict[str, Any]:
    """Return ``color``, ``linestyle`` and ``marker`` of the ``index``-th experiment of a family.

    Parameters
    ----------
    family : str
        ``"EQ"``, ``"ST"``, ``"FL"`` or ``"EQ-max"``; other names get a fallback style.
    index : int
        Position of the experiment within its family (shade and marker cycle with it).
    """
    spec = _FAMILIES.get(family, _OTHER)
    return {
        "color": spec["colors"][index % len(spec["colors"])],
        "linestyle": spec["linestyle"],
        "marker": spec["markers"][index % len(spec["markers"])],
    }


def _family_key(family: str) -> tuple:
    order = tuple(_FAMILIES)
    return (order.index(family) if family in order else len(order), family)


def _series(table: pd.DataFrame) -> dict[str, Series]:
    """Label and style of every experiment (its family; plus its name on a clash).

    Experiments of one family share label and style unless two of them have the same target.
    """
    rows = table[["experiment", "family", "target"]].drop_duplicates().astype(str)
    out: dict[str, Series] = {}
    for family in sorted(rows["family"].unique(), key=_family_key):
        group = rows[rows["family"] == family]
        experiments = sorted(group["experiment"].unique())
        clash = bool(group.drop_duplicates(["experiment", "target"])["target"].duplicated().any())
        members = [[e] for e in experiments] if clash else [experiments]
        for index, names in enumerate(members):
            label = f"{family} ({names[0]})" if clash else family
            out.update(dict.fromkeys(names, Series(label, scalar_family_style(family, index),
                                                   family)))
    return out


def _ok(table: pd.DataFrame) -> pd.Series:
    return table["status"] == "ok"


def _reason(status: str) -> str:
    return status[len(_NA_PREFIX):] if status.startswith(_NA_PREFIX) else status


def _target_key(target: str) -> tuple:
    order = tuple(_TARGETS)
    return (order.index(target) if target in order else len(order), target)


def _mean_label(target: str) -> str:
    inner = _TARGETS.get(target, rf"\mathrm{{{target}}}".replace("_", r"\_"))
    return rf"$\langle {inner} \rangle$"


def _config_label(target: str) -> str:
    inner = _TARGETS.get(target)
    return f"${inner}$" if inner else target


def _lattice(shape: object) -> str:
    return str(shape).replace("x", "×")


def _test_sets(table: pd.DataFrame) -> list[tuple[str, str, float]]:
    """Test sets ``(label, shape, volume)`` ordered by volume, then label."""
    sets = table[["test_set", "shape", "volume"]].drop_duplicates("test_set")
    sets = sets.sort_values(["volume", "test_set"])
    return [(str(t), str(s), float(v)) for t, s, v in sets.itertuples(index=False, name=None)]


def _select_sets(table: pd.DataFrame, labels: Sequence[str] | None, name: str) -> list:
    sets = _test_sets(table)
    if labels is None:
        return sets
    if isinstance(labels, str):
        labels = [labels]
    known = [s[0] for s in sets]
    unknown = [label for label in labels if label not in known]
    if unknown or not labels:
        raise ParameterError(name, f"test sets of the table ({', '.join(known)})",
                             list(labels))
    return [s for s in sets if s[0] in set(labels)]


def _regression(evaluation: object) -> pd.DataFrame:
    table = check_scalar_table(evaluation, SCALAR_EVALUATION_COLUMNS, "evaluation")
    reg = table[table["task"] == "regression"]
    if reg.empty:
        raise ParameterError("evaluation", "rows with task 'regression'", "none")
    return reg


def _check_range(mu_range: object, name: str) -> tuple[float, float] | None:
    if mu_range is None:
        return None
    try:
        lo, hi = (float(v) for v in mu_range)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ParameterError(name, "two numbers (lo, hi)", mu_range) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
        raise ParameterError(name, "finite numbers with lo <= hi", mu_range)
    return lo, hi


def _volume_ticks(ax: Axes, sets: pd.DataFrame) -> None:
    """Logarithmic x axis with one tick per volume, labelled ``V`` and the lattice shape."""
    shapes = sets.groupby("volume")["shape"].agg(lambda s: ", ".join(sorted(set(map(str, s)))))
    volumes = shapes.index.to_numpy(dtype=float)
    text = {v: f"{v:g}\n{_lattice(s)}" for v, s in shapes.items()}
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(volumes))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: text.get(v, f"{v:g}")))
    ax.xaxis.set_minor_locator(NullLocator())
    lo, hi = volumes.min(), volumes.max()
    pad = 1.35 if hi > lo else 1.6
    ax.set_xlim(lo / pad, hi * pad)


def _note(ax: Axes, text: str, loc: str = "upper left") -> None:
    x, ha = (0.03, "left") if "left" in loc else (0.97, "right")
    y, va = (0.96, "top") if "upper" in loc else (0.04, "bottom")
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=_SMALL, zorder=10,
            bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.7", lw=0.4, alpha=0.9))


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


# ----------------------------------------------------------------------------- error vs size


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


# ----------------------------------------------------------------------------- detectors
