"""Column contracts of the tables the figures are drawn from, and their validation."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from latticeml.errors import ParameterError

__all__ = [
    "SIZE_COLUMNS",
    "GAUGE_COLUMNS",
    "EVALUATION_COLUMNS",
    "PREDICTION_COLUMNS",
    "METRICS_COLUMNS",
    "GAUGE_METRICS",
    "check_table",
]

SIZE_COLUMNS = (
    "experiment", "family", "arch", "replica", "target", "L", "beta", "metric", "value",
)
"""Columns of the evaluation table read by :func:`~latticeml.plots.error_vs_size`."""
GAUGE_COLUMNS = ("experiment", "family", "arch", "replica", "metric", "alpha", "value")
"""Columns of the evaluation table read by :func:`~latticeml.plots.gauge_robustness`."""
EVALUATION_COLUMNS = tuple(dict.fromkeys(SIZE_COLUMNS + GAUGE_COLUMNS))
"""Columns of the evaluation table read by any figure."""
PREDICTION_COLUMNS = (
    "experiment", "family", "arch", "target", "shape", "L", "true_mean", "pred_mean",
)
"""Columns of the predictions table read by :func:`~latticeml.plots.predicted_vs_true`."""
METRICS_COLUMNS = ("epoch", "train_loss", "val_loss")
"""Columns of a training-metrics table read by :func:`~latticeml.plots.training_curves`."""
GAUGE_METRICS = ("gauge_alpha", "gauge_haar", "gauge_adversarial")
"""Metrics of the evaluation table drawn by :func:`~latticeml.plots.gauge_robustness`."""

_NUMERIC = {
    "replica", "L", "beta", "alpha", "value", "true_mean", "pred_mean", "epoch", "train_loss",
    "val_loss",
}


def check_table(table: object, columns: Sequence[str], name: str) -> pd.DataFrame:
    """Check that ``table`` is a non-empty DataFrame with the given columns.

    Columns that must hold numbers (``L``, ``value``, ``epoch``, ...) are converted to floats or
    integers; text that is not a number is an error, empty cells become NaN.

    Parameters
    ----------
    table : object
        The table to check.
    columns : sequence of str
        Required columns.
    name : str
        What to call the table in error messages (file name or argument name).

    Returns
    -------
    pandas.DataFrame
        A copy with numeric columns converted.

    Raises
    ------
    ParameterError
        If ``table`` is not a DataFrame, has no rows, lacks a column or holds text in a
        numeric column.
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(name, "a pandas DataFrame", type(table).__name__)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(
            name,
            f"a table with the columns {', '.join(columns)}",
            f"a table without {', '.join(missing)}",
            hint="is it the right file?",
        )
    if table.empty:
        raise ParameterError(name, "a table with at least one row", "an empty table")
    out = table.copy()
    for column in columns:
        if column in _NUMERIC:
            out[column] = _numeric(out[column], f"{name} column {column!r}")
    return out


def _numeric(values: pd.Series, name: str) -> pd.Series:
    """Convert a column to numbers; empty cells become NaN, other text is an error."""
    converted = pd.to_numeric(values, errors="coerce")
    text = values.astype(str).str.strip().str.lower()
    bad = converted.isna() & values.notna() & ~text.isin(["", "nan"])
    if bad.any():
        raise ParameterError(name, "numbers", values[bad].iloc[0])
    return converted
