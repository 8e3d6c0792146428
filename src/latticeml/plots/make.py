"""Build and save every figure that the given tables allow."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from latticeml.errors import OutputDirectoryError
from latticeml.plots.diagnostics import gauge_robustness, training_curves
from latticeml.plots.figures import (
    DEFAULT_METRICS,
    best_replicas,
    error_vs_size,
    predicted_vs_true,
)
from latticeml.plots.style import save_figure
from latticeml.plots.tables import (
    EVALUATION_COLUMNS,
    GAUGE_METRICS,
    METRICS_COLUMNS,
    PREDICTION_COLUMNS,
    check_table,
)

__all__ = ["FIGURE_STEMS", "make_all"]

FIGURE_STEMS = ("error_vs_size", "predicted_vs_true", "training_curves", "gauge_robustness")
"""File stems of the figures, in the order :func:`make_all` writes them."""


def make_all(
    evaluation: pd.DataFrame | None,
    predictions: pd.DataFrame | None,
    runs: Mapping[str, pd.DataFrame] | None,
    out_dir: str | os.PathLike,
) -> list[Path]:
    """Build the figures the inputs allow and save each as PNG and PDF.

    A figure is skipped if its input is None or empty, or if the evaluation table holds no
    row it could draw (no pooled ``mse_*`` rows, no gauge-robustness rows). All inputs are
    validated before the first figure is built. Existing files are replaced.

    Parameters
    ----------
    evaluation : pandas.DataFrame or None
        Evaluation table, source of ``error_vs_size`` and ``gauge_robustness``.
    predictions : pandas.DataFrame or None
        Predictions table, source of ``predicted_vs_true``; per experiment only the replica
        chosen by :func:`~latticeml.plots.figures.best_replicas` (lowest validation loss in
        ``evaluation``) is drawn.
    runs : mapping of str to pandas.DataFrame, or None
        Training metrics per run label, source of ``training_curves``.
    out_dir : path-like
        Existing directory for the files ``<stem>.png`` and ``<stem>.pdf``.

    Returns
    -------
    list of Path
        The files written, PNG before PDF, in the order of :data:`FIGURE_STEMS`.

    Raises
    ------
    OutputDirectoryError
        If ``out_dir`` is not a directory.
    ParameterError
        If an input lacks a column or holds text in a numeric column.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputDirectoryError(out_dir)
    builders = _builders(evaluation, predictions, runs)
    written: list[Path] = []
    for stem in FIGURE_STEMS:
        if stem in builders:
            written += save_figure(builders[stem](), out_dir / stem)
    return written


def _given(table: object) -> bool:
    return table is not None and not (isinstance(table, pd.DataFrame) and table.empty)


def _builders(evaluation, predictions, runs) -> dict[str, Callable[[], Figure]]:
    """Validate the inputs and return the figure builders they allow, keyed by stem."""
    builders: dict[str, Callable[[], Figure]] = {}
    if _given(evaluation):
        table = check_table(evaluation, EVALUATION_COLUMNS, "evaluation")
        pooled = table["beta"].isna() & table["metric"].isin(DEFAULT_METRICS)
        if pooled.any():
            builders["error_vs_size"] = lambda: error_vs_size(table)
        if table["metric"].isin(GAUGE_METRICS).any():
            builders["gauge_robustness"] = lambda: gauge_robustness(table)
    if _given(predictions):
        pred = check_table(predictions, PREDICTION_COLUMNS, "predictions")
        pred = best_replicas(pred, evaluation if _given(evaluation) else None)
        builders["predicted_vs_true"] = lambda: predicted_vs_true(pred)
    if runs:
        for label, metrics in runs.items():
            check_table(metrics, METRICS_COLUMNS, f"training metrics {label!r}")
        builders["training_curves"] = lambda: training_curves(runs)
    return builders
