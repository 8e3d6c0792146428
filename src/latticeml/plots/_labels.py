"""Labels, orderings and per-experiment styles shared by the figure builders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from latticeml.catalog import targets as catalog
from latticeml.plots.style import family_rank, family_style

METRIC_LABELS = {
    "mse_mean": "MSE of lattice mean",
    "mse_site": "per-site MSE",
    "nmse_site": "per-site MSE\n" r"/ Var(target$\,|\,\beta$)",
    "r2_site": r"per-site $R^2$",
}


def target_sort_key(target: str) -> tuple:
    """Order targets by family, Wilson loops by size (W_1x1 < W_1x2 < W_2x2 < W_4x4)."""
    return catalog.target_sort_key(target)


def target_label(target: str) -> str:
    r"""Return the mathtext label of a target (``W_2x2`` -> ``$W_{2\times 2}$``)."""
    return catalog.target_label(target)


def metric_label(metric: str) -> str:
    """Return the axis label of an evaluation metric."""
    return METRIC_LABELS.get(metric, metric)


@dataclass(frozen=True)
class Series:
    """How one experiment is drawn: legend label and keyword arguments of ``plot``."""

    label: str
    style: dict[str, Any]
    family: str


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def experiment_series(table: pd.DataFrame) -> dict[str, Series]:
    """Assign a label (family + arch) and a style to every experiment of ``table``.

    Experiments of the same family and arch (e.g. one per target) share label and style, so
    that the legend has one entry per architecture; only if two of them have rows of the same
    target are they told apart, by their name. Families are ordered L-CNN, CNN, conditional
    mean, others; the k-th architecture of a family gets its k-th shade and marker.
    """
    columns = ["experiment", "family", "arch"] + (["target"] if "target" in table else [])
    rows = table[columns].drop_duplicates()
    rows = rows.assign(family=rows["family"].map(_text), arch=rows["arch"].map(_text))
    out: dict[str, Series] = {}
    counts: dict[str, int] = {}
    groups = rows.groupby(["family", "arch"], sort=False)
    for family, arch in sorted(groups.groups, key=lambda k: (family_rank(k[0]), *k)):
        group = groups.get_group((family, arch))
        experiments = sorted(group["experiment"].unique())
        clash = _share_a_target(group)
        label = _base_label(family, arch)
        for members in [[e] for e in experiments] if clash else [experiments]:
            index = counts.get(family, 0)
            counts[family] = index + 1
            text = f"{label} ({members[0]})" if clash else label
            series = Series(text, family_style(family, index), family)
            out.update(dict.fromkeys(members, series))
    return out


def _share_a_target(group: pd.DataFrame) -> bool:
    """Whether two experiments of ``group`` have rows of the same target."""
    if "target" not in group:
        return False
    return bool(group.drop_duplicates(["experiment", "target"])["target"].duplicated().any())


def _base_label(family: str, arch: str) -> str:
    if not arch or arch == family:
        return family
    return f"{family} {arch}"


def log2_ticks(ax: Axes, values: np.ndarray) -> None:
    """Use a base-2 logarithmic x axis with one labelled tick at each of ``values``."""
    values = np.unique(np.asarray(values, dtype=float))
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(values))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    lo, hi = values.min(), values.max()
    pad = 2.0 ** (0.25 if hi > lo else 0.5)
    ax.set_xlim(lo / pad, hi * pad)


def figure_legend(fig, handles: dict[str, Any], ncol_max: int = 4) -> None:
    """Put one legend below all panels (outside the data area)."""
    if not handles:
        return
    ncol = min(ncol_max, len(handles))
    fig.legend(
        list(handles.values()), list(handles), loc="outside lower center", ncol=ncol,
        handlelength=2.4,
    )
