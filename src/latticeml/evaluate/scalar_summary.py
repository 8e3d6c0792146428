"""Summary of scalar-model evaluations over replicas, and their Markdown tables.

For every (experiment, test set, mu, open_worms, metric) group of a table made by
:func:`latticeml.evaluate.scalar.evaluate_scalar`:

* ``median``, ``min``, ``max`` over replicas; ``best``: the replica with the lowest validation
  loss (chosen without looking at the test set); ``worst``: the largest error (the smallest
  accuracy, the largest value of anything else);
* ``mc_error``: the Monte Carlo error of the measured value (same for every replica);
* ``n_failed`` / ``failure_rate`` per (experiment, test set), the rule of every table
  (:data:`latticeml.evaluate.summary.FAILURE_RULE`): a regressor fails when its pooled
  normalised MSE (``nmse_config``) is at least ``failure_ratio`` (it predicts the
  configurations no better than half the variance at fixed mu), a detector when its pooled
  accuracy is below ``min_accuracy``, and either when its error (nMSE, or 1 - accuracy) is
  more than ``outlier_factor`` times the median replica's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from latticeml.errors import ParameterError
from latticeml.evaluate.summary import check_outlier_factor, outliers
from latticeml.evaluate.tables import concat_csv_tables

__all__ = ["SCALAR_SUMMARY_COLUMNS", "summarize_scalar", "read_scalar_tables",
           "scalar_failures", "scalar_markdown", "is_scalar_table"]

SCALAR_SUMMARY_COLUMNS = ("experiment", "family", "arch", "target", "task", "train_shape",
                          "test_set", "shape", "volume", "mu", "open_worms", "metric", "status",
                          "n_replicas", "median", "best", "best_replica", "worst", "min",
                          "max", "mc_error", "n_failed", "failure_rate")
_KEYS = ["experiment", "family", "arch", "target", "task", "train_shape", "test_set", "shape",
         "volume", "mu", "open_worms", "metric", "status"]
_LARGER_IS_BETTER = ("accuracy", "tn", "tp", "planted_detected", "control_accuracy",
                     "control_accuracy_closed", "control_accuracy_open", "control_min_p_open")
_NEUTRAL = ("true_mean", "pred_mean", "n_controls_closed", "n_controls_open")


def is_scalar_table(columns) -> bool:
    """Return True for the columns of a scalar evaluation table (``mu`` and ``task``)."""
    return "mu" in columns and "task" in columns


def read_scalar_tables(paths) -> pd.DataFrame:
    """Read and concatenate scalar evaluation CSVs (ParameterError on a bad file)."""
    from latticeml.evaluate.scalar import SCALAR_EVAL_COLUMNS

    table = concat_csv_tables(paths, SCALAR_EVAL_COLUMNS, flag="--evaluations",
                              kind="scalar evaluation", keep_default_na=False, na_values=[""])
    return table.drop_duplicates(ignore_index=True)


def scalar_failures(table: pd.DataFrame, failure_ratio: float = 0.5,
                    min_accuracy: float = 0.99, outlier_factor: float = 100.0) -> pd.DataFrame:
    """One row per (experiment, replica, test set) with ``failed`` True/False."""
    ok = table[table["status"] == "ok"]
    reg = ok[(ok["task"] == "regression") & ok["mu"].isna() & (ok["metric"] == "nmse_config")]
    cls = ok[(ok["task"] == "classification") & ok["open_worms"].isna()
             & (ok["metric"] == "accuracy")]
    reg = reg.assign(failed=(reg["value"] >= failure_ratio)
                     | outliers(reg, "value", outlier_factor))
    cls = cls.assign(error=1.0 - cls["value"])
    cls = cls.assign(failed=(cls["value"] < min_accuracy) | outliers(cls, "error", outlier_factor))
    cols = ["experiment", "replica", "test_set", "metric", "value", "failed"]
    return pd.concat([reg[cols], cls[cols]], ignore_index=True)


def summarize_scalar(table: pd.DataFrame, *, failure_ratio: float = 0.5,
                     min_accuracy: float = 0.99, outlier_factor: float = 100.0) -> pd.DataFrame:
    """Summarise a scalar evaluation table over replicas (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCALAR_SUMMARY_COLUMNS`.
    """
    if not 0 < failure_ratio <= 1:
        raise ParameterError("--failure-ratio", "a number in (0, 1]", failure_ratio)
    if not 0 < min_accuracy <= 1:
        raise ParameterError("--min-accuracy", "a number in (0, 1]", min_accuracy)
    if table.empty:
        raise ParameterError("evaluation table", "at least one row", "an empty table")
    check_outlier_factor(outlier_factor)
    fails = scalar_failures(table, failure_ratio, min_accuracy, outlier_factor)
    stats = fails.groupby(["experiment", "test_set"])["failed"].agg(["sum", "count"])
    t = table.copy()
    t["_mu"] = t["mu"].fillna(-1e9)
    t["_ow"] = t["open_worms"].fillna(-1.0)
    keys = [{"mu": "_mu", "open_worms": "_ow"}.get(k, k) for k in _KEYS]
    out = []
    for _, g in t.groupby(keys, sort=True, dropna=False):
        first = g.iloc[0]
        values = g["value"].to_numpy(dtype=float)
        vl = g["val_loss"].to_numpy(dtype=float)
        best_i = int(np.nanargmin(vl)) if np.isfinite(vl).any() else 0
        finite = values[np.isfinite(values)]
        metric = first["metric"]
        if finite.size == 0:
            worst = lo = hi = med = math.nan
        else:
            lo, hi, med = float(finite.min()), float(finite.max()), float(np.median(finite))
            worst = lo if metric in _LARGER_IS_BETTER else hi
            if metric in _NEUTRAL:
                worst = math.nan
        key = (first["experiment"], first["test_set"])
        n_failed = float(stats.loc[key, "sum"]) if key in stats.index else math.nan
        n_rep = float(stats.loc[key, "count"]) if key in stats.index else math.nan
        row = {k: first[k] for k in _KEYS}
        row.update(n_replicas=len(g), median=med, best=float(values[best_i]),
                   best_replica=int(g["replica"].iloc[best_i]), worst=worst, min=lo, max=hi,
                   mc_error=float(np.nanmax(g["mc_error"])) if g["mc_error"].notna().any()
                   else math.nan,
                   n_failed=n_failed, failure_rate=n_failed / n_rep if n_rep else math.nan)
        out.append(row)
    return pd.DataFrame(out, columns=list(SCALAR_SUMMARY_COLUMNS))


def _fmt(v: float, pct: bool = False) -> str:
    if v is None or not np.isfinite(v):
        return "–"
    return f"{100 * v:.3g} %" if pct else f"{v:.3g}"


def _in_range(rows: pd.DataFrame, mu_range: tuple[float, float] | None) -> pd.DataFrame:
    if mu_range is None:
        return rows
    return rows[(rows["mu"] >= mu_range[0] - 1e-9) & (rows["mu"] <= mu_range[1] + 1e-9)]


def scalar_markdown(summary: pd.DataFrame, mu_range: tuple[float, float] | None = None) -> str:
    """Markdown tables of a scalar summary.

    Regression: per experiment and test lattice, over the values of mu in ``mu_range``
    (default: every mu of the test set), the largest relative error of the ensemble average
    (median and worst replica), the largest deviation of the median replica's average in units
    of the Monte Carlo error of the measured one (meaningful also where ⟨y⟩ is near zero and a
    relative error is not), the pooled normalised MSE per configuration and the failure rate.
    Classification: accuracy (median, worst replica) per lattice and number of open worms,
    and a row ``controls`` for the flux controls (FPR / FNR: the error rates on the closed /
    open controls).
    Rows that do not apply say so.
    """
    lines = []
    reg = summary[summary["task"] == "regression"]
    if not reg.empty:
        lines += ["| experiment | family | target | trained on | test set | lattice | "
                  "max rel. error of ⟨y⟩ over μ (median / worst replica) | "
                  "max MC rel. error | max abs. error / MC error (median) | "
                  "nMSE per config (median) | failed |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for key, g in reg.groupby(["experiment", "test_set"], sort=False):
            first = g.iloc[0]
            if first["status"] != "ok":
                lines.append(f"| {key[0]} | {first['family']} | {first['target']} | "
                             f"{first['train_shape']} | {key[1]} | {first['shape']} | "
                             f"{first['status']} | – | – | – | – |")
                continue
            rel = _in_range(g[(g["metric"] == "rel_err_mean") & g["mu"].notna()], mu_range)
            ab = _in_range(g[(g["metric"] == "abs_err_mean") & g["mu"].notna()], mu_range)
            ab = ab[ab["mc_error"] > 0]
            pull = (ab["median"] / ab["mc_error"]).max() if len(ab) else math.nan
            nm = g[(g["metric"] == "nmse_config") & g["mu"].isna()]
            fr = first["failure_rate"]
            failed = ("–" if not np.isfinite(fr)
                      else f"{int(first['n_failed'])}/{int(first['n_replicas'])}")
            lines.append(
                f"| {key[0]} | {first['family']} | {first['target']} | {first['train_shape']} "
                f"| {key[1]} | {first['shape']} | {_fmt(rel['median'].max(), True)} / "
                f"{_fmt(rel['worst'].max(), True)} | {_fmt(rel['mc_error'].max(), True)} | "
                f"{_fmt(pull)} | {_fmt(nm['median'].iloc[0] if len(nm) else math.nan)} | "
                f"{failed} |")
        lines.append("")
    cls = summary[summary["task"] == "classification"]
    if not cls.empty:
        lines += ["| experiment | family | test set | lattice | M | accuracy (median / worst) | "
                  "FPR (median) | FNR (median) |", "|---|---|---|---|---|---|---|---|"]
        for key, g in cls.groupby(["experiment", "test_set"], sort=False):
            first = g.iloc[0]
            if first["status"] != "ok":
                lines.append(f"| {key[0]} | {first['family']} | {key[1]} | {first['shape']} "
                             f"| – | {first['status']} | – | – |")
                continue
            for ow, h in g[g["open_worms"].notna()].groupby("open_worms"):
                acc = h[h["metric"] == "accuracy"].iloc[0]
                fpr = h[h["metric"] == "fpr"].iloc[0]
                fnr = h[h["metric"] == "fnr"].iloc[0]
                lines.append(f"| {key[0]} | {first['family']} | {key[1]} | {first['shape']} | "
                             f"{int(ow)} | {_fmt(acc['median'], True)} / "
                             f"{_fmt(acc['worst'], True)} | {_fmt(fpr['median'], True)} | "
                             f"{_fmt(fnr['median'], True)} |")
            ctl = g[g["open_worms"].isna()].set_index("metric")
            if "control_accuracy" in ctl.index:
                n = (ctl["median"].get("n_controls_closed", math.nan),
                     ctl["median"].get("n_controls_open", math.nan))
                lines.append(
                    f"| {key[0]} | {first['family']} | {key[1]} | {first['shape']} | "
                    f"controls ({_fmt(n[0])} closed + {_fmt(n[1])} open) | "
                    f"{_fmt(ctl.loc['control_accuracy', 'median'], True)} / "
                    f"{_fmt(ctl.loc['control_accuracy', 'worst'], True)} | "
                    f"{_fmt(1 - ctl['median'].get('control_accuracy_closed', math.nan), True)} | "
                    f"{_fmt(1 - ctl['median'].get('control_accuracy_open', math.nan), True)} |")
        lines.append("")
    return "\n".join(lines)
