"""Per-experiment summary over replicas: median, best on validation, worst, failure rate.

For every (experiment, test set, beta, metric, alpha) group of an evaluation table:

* ``median``, ``min``, ``max`` over replicas;
* ``best``: the value of the replica with the **lowest validation loss** (``best_replica``),
  i.e. the model one would pick without looking at the test set;
* ``worst``: the largest error (smallest R^2) over replicas;
* ``n_failed`` / ``failure_rate``: the failure rule, one sentence for every table
  (:data:`FAILURE_RULE`): a replica fails on a test set when its pooled per-site error is at
  least ``failure_ratio`` (0.5) of the trivial predictor's -- here the conditional mean
  ``E[y | beta]`` of the same target and test set -- or more than ``outlier_factor`` (100)
  times the median replica's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeml.errors import ParameterError
from latticeml.evaluate.tables import concat_csv_tables

__all__ = ["summarize", "SUMMARY_COLUMNS", "failures", "read_tables", "best_predictions",
           "best_replicas", "FAILURE_RULE", "outliers"]

#: The failure rule of every summary table, in one sentence.
FAILURE_RULE = ("a replica fails on a test set when its pooled per-site error is at least half "
                "the trivial predictor's (conditional mean E[y|beta]; for scalar regressors the "
                "variance at fixed mu, nMSE >= 0.5; for detectors accuracy < 99 %) or more than "
                "100 times the median replica's")

SUMMARY_COLUMNS = ("experiment", "family", "arch", "target", "test_set", "shape", "L", "beta",
                   "metric", "alpha", "n_replicas", "median", "best", "best_replica", "worst",
                   "min", "max", "n_failed", "failure_rate")
_KEYS = ["experiment", "family", "arch", "target", "test_set", "shape", "L", "beta", "metric",
         "alpha"]


def read_tables(paths) -> pd.DataFrame:
    """Read and concatenate evaluation CSVs; identical rows (shared baselines) appear once.

    Raises
    ------
    ParameterError
        If a file is missing, unreadable or lacks evaluation columns.
    """
    from latticeml.evaluate.run import EVAL_COLUMNS

    table = concat_csv_tables(paths, EVAL_COLUMNS, flag="--evaluations", kind="evaluation")
    return table.drop_duplicates(ignore_index=True)


def outliers(models: pd.DataFrame, values: str, factor: float) -> np.ndarray:
    """Flag replicas far above their median.

    Returns True where the error column ``values`` exceeds ``factor`` times its median over
    the replicas of the same (experiment, test set).
    """
    med = models.groupby(["experiment", "test_set"])[values].transform("median")
    return (models[values] > factor * med).to_numpy() & (med > 0).to_numpy()


def failures(table: pd.DataFrame, failure_ratio: float = 0.5,
             outlier_factor: float = 100.0) -> pd.DataFrame:
    """One row per (model replica, test set): ``failed`` True/False (NaN without a baseline)."""
    pooled = table[table["beta"].isna() & (table["metric"] == "mse_site")]
    base = pooled[pooled["family"] == "conditional mean"]
    counts = base.groupby(["target", "test_set"])["value"].nunique()
    if (counts > 1).any():
        raise ParameterError("evaluation table", "one conditional-mean baseline per target and "
                             "test set", f"several for {counts[counts > 1].index.tolist()}",
                             "summarize the experiments of one training ensemble at a time")
    base = base.drop_duplicates(["target", "test_set"]).set_index(["target", "test_set"])
    models = pooled[pooled["family"] != "conditional mean"].copy()
    ref = [base["value"].get((t, s), np.nan) for t, s in zip(models["target"],
                                                            models["test_set"], strict=True)]
    models["reference"] = ref
    trivial = models["value"] >= failure_ratio * models["reference"]
    models["failed"] = np.where(np.isnan(ref), np.nan,
                                trivial | outliers(models, "value", outlier_factor))
    return models[["experiment", "replica", "test_set", "value", "reference", "failed"]]


def summarize(table: pd.DataFrame, *, failure_ratio: float = 0.5,
              outlier_factor: float = 100.0) -> pd.DataFrame:
    """Summarise an evaluation table over replicas (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`latticeml.evaluate.evaluate` (columns ``EVAL_COLUMNS``).
    failure_ratio : float
        A replica fails when its per-site MSE is at least this fraction of the
        conditional-mean predictor's ...
    outlier_factor : float
        ... or more than this many times the median replica's.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`.
    """
    if not 0 < failure_ratio <= 1:
        raise ParameterError("--failure-ratio", "a number in (0, 1]", failure_ratio)
    check_outlier_factor(outlier_factor)
    if table.empty:
        raise ParameterError("evaluation table", "at least one row", "an empty table")
    fails = failures(table, failure_ratio, outlier_factor)
    fail_stats = (fails.dropna(subset=["failed"]).groupby(["experiment", "test_set"])["failed"]
                  .agg(["sum", "count"]))
    out = []
    t = table.copy()
    t["_beta"] = t["beta"].fillna(-1.0)
    t["_alpha"] = t["alpha"].fillna(-1.0)
    keys = [k if k not in ("beta", "alpha") else f"_{k}" for k in _KEYS]
    for _, g in t.groupby(keys, sort=True, dropna=False):
        first = g.iloc[0]
        values = g["value"].to_numpy(dtype=float)
        larger_is_worse = first["metric"] != "r2_site"
        vl = g["val_loss"].to_numpy(dtype=float)
        best_i = int(np.nanargmin(vl)) if np.isfinite(vl).any() else 0
        row = {k: first[k] for k in _KEYS}
        n_failed, n_fail_rep = np.nan, np.nan
        key = (first["experiment"], first["test_set"])
        if key in fail_stats.index:
            n_failed, n_fail_rep = fail_stats.loc[key, "sum"], fail_stats.loc[key, "count"]
        row.update(n_replicas=len(g), median=float(np.median(values)),
                   best=float(values[best_i]), best_replica=int(g["replica"].iloc[best_i]),
                   worst=float(values.max() if larger_is_worse else values.min()),
                   min=float(values.min()), max=float(values.max()),
                   n_failed=float(n_failed),
                   failure_rate=float(n_failed / n_fail_rep) if n_fail_rep else np.nan)
        out.append(row)
    return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))


def check_outlier_factor(value: float) -> None:
    """Refuse an outlier factor that is not a finite number > 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            1 < value < float("inf")):
        raise ParameterError("--outlier-factor", "a finite number > 1", value)


def best_replicas(table: pd.DataFrame) -> dict[str, int]:
    """Experiment -> replica with the lowest validation loss (models only)."""
    models = table[table["family"] != "conditional mean"]
    per = models.groupby(["experiment", "replica"])["val_loss"].first().reset_index()
    per = per.sort_values(["experiment", "val_loss", "replica"], kind="stable")
    return {e: int(g["replica"].iloc[0]) for e, g in per.groupby("experiment")}


def best_predictions(table: pd.DataFrame, paths) -> pd.DataFrame:
    """Rows of the prediction CSVs that belong to each experiment's best-on-validation replica."""
    from latticeml.evaluate.run import PRED_COLUMNS

    best = best_replicas(table)
    preds = concat_csv_tables(paths, PRED_COLUMNS, flag="--predictions", kind="prediction")
    keep = [best.get(e) == r for e, r in zip(preds["experiment"], preds["replica"], strict=True)]
    return preds.loc[keep].reset_index(drop=True)
