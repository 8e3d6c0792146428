"""Shared pieces of the scalar-study figures: table checks, family styles, labels, helpers.

Used by :mod:`latticeml.plots.scalar` (regression figures) and :mod:`latticeml.plots.detector`
(flux-violation detectors); the public names are re-exported by :mod:`latticeml.plots.scalar`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from latticeml.catalog import targets as catalog
from latticeml.errors import ParameterError
from latticeml.plots._labels import Series
from latticeml.plots.style import FONT_SIZE
from latticeml.plots.tables import _numeric, check_table

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
    return catalog.target_sort_key(target)


def _inner(target: str) -> str | None:
    """Return the catalogue's mathtext label without its dollars, if it is mathtext."""
    label = catalog.target_label(target)
    return label[1:-1] if len(label) > 1 and label[0] == label[-1] == "$" else None


def _mean_label(target: str) -> str:
    inner = _inner(target) or rf"\mathrm{{{target}}}".replace("_", r"\_")
    return rf"$\langle {inner} \rangle$"


def _config_label(target: str) -> str:
    inner = _inner(target)
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
