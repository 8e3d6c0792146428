"""Markdown tables of a summary: one row per experiment, one column per test lattice."""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeml.errors import ParameterError

__all__ = ["markdown_table"]

_LABELS = {
    "mse_mean": "MSE of lattice averages (published metric)",
    "mse_site": "per-site MSE",
    "nmse_site": "per-site MSE / Var(W | beta)",
    "r2_site": "per-site R^2",
}


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "—"
    return f"{v:.2g}" if abs(v) < 1e-3 or abs(v) >= 1e4 else f"{v:.3g}"


def markdown_table(summary: pd.DataFrame, metric: str = "mse_mean",
                   statistic: str = "median") -> str:
    """Median (or best/worst) of a metric per experiment and test lattice, as Markdown.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`latticeml.evaluate.summarize`.
    metric : str
        ``mse_mean``, ``mse_site``, ``nmse_site`` or ``r2_site``.
    statistic : str
        ``median``, ``best`` (best replica on validation), ``worst``, ``min`` or ``max``.

    Returns
    -------
    str
        A Markdown table; rows sorted by target, then family; the last column gives the
        failed replicas on the first test lattice.
    """
    if metric not in _LABELS:
        raise ParameterError("metric", f"one of {sorted(_LABELS)}", metric)
    if statistic not in ("median", "best", "worst", "min", "max"):
        raise ParameterError("statistic", "median, best, worst, min or max", statistic)
    rows = summary[(summary["metric"] == metric) & summary["beta"].isna()]
    if rows.empty:
        raise ParameterError("summary", f"rows of metric {metric}", "none")
    shapes = (rows[["L", "shape"]].drop_duplicates().sort_values("L")["shape"].tolist())
    head = ["target", "model", "replicas", *shapes, "failed"]
    lines = [f"{statistic} of {_LABELS[metric]}", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    order = rows.assign(_fam=rows["family"].map({"L-CNN": 0, "CNN": 1}).fillna(2))
    # several experiments of one target with the same "family arch" label (e.g. explicit CNN
    # specs, all of arch "cnn") are told apart by their experiment names
    names = order.assign(_label=order["family"].astype(str) + " " + order["arch"].astype(str))
    names = names[["target", "experiment", "_label"]].drop_duplicates()
    shared = names.groupby(["target", "_label"])["experiment"].transform("nunique") > 1
    ambiguous = set(zip(names["target"][shared], names["experiment"][shared], strict=True))
    for (target, _, _), g in order.groupby(["target", "_fam", "experiment"], sort=True):
        by_shape = dict(zip(g["shape"], g[statistic], strict=True))
        first = g.sort_values("L").iloc[0]
        failed = ("—" if not np.isfinite(first["n_failed"])
                  else f"{int(first['n_failed'])}/{int(first['n_replicas'])}")
        label = f"{first['family']} {first['arch']}".strip()
        if (target, first["experiment"]) in ambiguous:
            label += f" ({first['experiment']})"
        label = label.replace("|", "\\|")
        cells = [target, label, str(int(first["n_replicas"])),
                 *[_fmt(by_shape.get(s, np.nan)) for s in shapes], failed]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
