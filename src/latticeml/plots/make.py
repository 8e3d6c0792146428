"""Build and save every figure that the given tables allow."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from latticeml.catalog.figures import figure_stems
from latticeml.errors import OutputDirectoryError, ParameterError
from latticeml.plots._scalar_common import _check_range
from latticeml.plots.detector import _check_feature_inputs, classifier_accuracy, feature_maps
from latticeml.plots.diagnostics import gauge_robustness, training_curves
from latticeml.plots.figures import (
    DEFAULT_METRICS,
    best_replicas,
    error_vs_size,
    predicted_vs_true,
)
from latticeml.plots.scalar import (
    SCALAR_EVALUATION_COLUMNS,
    SCALAR_PREDICTION_COLUMNS,
    check_scalar_table,
    error_vs_size_scalar,
    extrapolation_panel,
    observable_vs_mu,
    scalar_predicted_vs_true,
)
from latticeml.plots.style import save_figure
from latticeml.plots.tables import (
    EVALUATION_COLUMNS,
    GAUGE_METRICS,
    METRICS_COLUMNS,
    PREDICTION_COLUMNS,
    check_table,
)

__all__ = ["FIGURE_STEMS", "SCALAR_FIGURE_STEMS", "make_all", "make_scalar_all"]

FIGURE_STEMS = figure_stems("gauge")
"""File stems of the figures, in the order :func:`make_all` writes them."""
SCALAR_FIGURE_STEMS = figure_stems("scalar")
"""File stems of the scalar-study figures, in the order :func:`make_scalar_all` writes them."""


def make_all(
    evaluation: pd.DataFrame | None,
    predictions: pd.DataFrame | None,
    runs: Mapping[str, pd.DataFrame] | None,
    out_dir: str | os.PathLike,
    published: str | None = None,
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
    published : str, optional
        Published set drawn on ``error_vs_size``
        (:data:`~latticeml.plots.published.PUBLISHED_SETS`).

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
    if published is not None:
        from latticeml.plots.published import published_points

        published_points(published)  # refuse an unknown set before any figure
    builders = _builders(evaluation, predictions, runs, published)
    written: list[Path] = []
    for stem in FIGURE_STEMS:
        if stem in builders:
            written += save_figure(builders[stem](), out_dir / stem)
    return written


def _given(table: object) -> bool:
    return table is not None and not (isinstance(table, pd.DataFrame) and table.empty)


def _builders(evaluation, predictions, runs, published=None) -> dict[str, Callable[[], Figure]]:
    """Validate the inputs and return the figure builders they allow, keyed by stem."""
    builders: dict[str, Callable[[], Figure]] = {}
    if _given(evaluation):
        table = check_table(evaluation, EVALUATION_COLUMNS, "evaluation")
        pooled = table["beta"].isna() & table["metric"].isin(DEFAULT_METRICS)
        if pooled.any():
            builders["error_vs_size"] = lambda: error_vs_size(table, published=published)
        if table["metric"].isin(GAUGE_METRICS).any():
            builders["gauge_robustness"] = lambda: gauge_robustness(table)
    if _given(predictions):
        pred = check_table(predictions, PREDICTION_COLUMNS, "predictions")
        pred = best_replicas(pred, evaluation if _given(evaluation) else None)
        builders["predicted_vs_true"] = lambda: predicted_vs_true(pred)
    if runs:
        for label, metrics in runs.items():
            check_table(metrics, METRICS_COLUMNS, f"training metrics {label!r}")
        targets = _experiment_targets(evaluation) if _given(evaluation) else None
        builders["training_curves"] = lambda: training_curves(runs, targets)
    return builders


def _experiment_targets(evaluation: pd.DataFrame) -> dict[str, str] | None:
    """Experiment -> target from an evaluation table (None without those columns)."""
    if "experiment" not in evaluation or "target" not in evaluation:
        return None
    pairs = evaluation[["experiment", "target"]].dropna().drop_duplicates("experiment")
    return dict(zip(pairs["experiment"].astype(str), pairs["target"].astype(str), strict=True))


def make_scalar_all(
    evaluation: pd.DataFrame | None,
    predictions: pd.DataFrame | None,
    runs: Mapping[str, pd.DataFrame] | None,
    out_dir: str | os.PathLike,
    models: Mapping[str, Any] | None = None,
    config: Any = None,
    mu_range: tuple[float, float] | None = None,
    *,
    extrapolation_sets: Sequence[str] | None = None,
    figures: Sequence[str] | None = None,
) -> list[Path]:
    """Build the figures of the scalar-field study that the inputs allow; save PNG and PDF.

    * ``observable_vs_mu`` and ``error_vs_size`` -- regression rows of ``evaluation``, test
      sets other than ``extrapolation_sets`` (all of them if no other is left);
    * ``predicted_vs_true`` -- regression rows of ``predictions`` (per experiment the replica
      with the lowest validation loss in ``evaluation``);
    * ``extrapolation`` -- only if ``extrapolation_sets`` is given;
    * ``classifier_accuracy`` -- only if ``evaluation`` has classification rows;
    * ``feature_maps`` -- only if ``models`` and ``config`` are given;
    * ``training_curves`` -- ``runs``.

    All inputs are validated before the first figure is built. Existing files are replaced.

    Parameters
    ----------
    evaluation : pandas.DataFrame or None
        Scalar evaluation table (:data:`~latticeml.plots.scalar.SCALAR_EVALUATION_COLUMNS`).
    predictions : pandas.DataFrame or None
        Scalar predictions table (:data:`~latticeml.plots.scalar.SCALAR_PREDICTION_COLUMNS`).
    runs : mapping of str to pandas.DataFrame, or None
        Training metrics per run label.
    out_dir : path-like
        Existing directory for the files ``<stem>.png`` and ``<stem>.pdf``.
    models : mapping of str to torch.nn.Module, optional
        Models for :func:`~latticeml.plots.scalar.feature_maps` (label -> loaded model).
    config : torch.Tensor or ndarray, shape (4, N_t, N_x), optional
        The configuration the feature maps are drawn for.
    mu_range : (float, float), optional
        Range of mu over which ``error_vs_size`` takes the largest relative error.
    extrapolation_sets : sequence of str, optional
        Labels of test sets with mu beyond the training range.
    figures : sequence of str, optional
        Build only these stems (default: every figure the inputs allow).

    Returns
    -------
    list of Path
        The files written, PNG before PDF, in the order of :data:`SCALAR_FIGURE_STEMS`.

    Raises
    ------
    OutputDirectoryError
        If ``out_dir`` is not a directory.
    ParameterError
        If an input lacks a column or holds text in a numeric column, an extrapolation set is
        not in ``evaluation``, ``mu_range`` is not an ordered pair, only one of ``models``
        and ``config`` is given, or ``figures`` names an unknown stem.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputDirectoryError(out_dir)
    wanted = SCALAR_FIGURE_STEMS if figures is None else tuple(figures)
    unknown = [stem for stem in wanted if stem not in SCALAR_FIGURE_STEMS]
    if unknown:
        raise ParameterError("figures", f"stems out of {', '.join(SCALAR_FIGURE_STEMS)}",
                             unknown)
    builders = _scalar_builders(evaluation, predictions, runs, models, config, mu_range,
                                tuple(extrapolation_sets or ()))
    written: list[Path] = []
    for stem in SCALAR_FIGURE_STEMS:
        if stem in builders and stem in wanted:
            written += save_figure(builders[stem](), out_dir / stem)
    return written


def _scalar_builders(evaluation, predictions, runs, models, config, mu_range,
                     extrapolation) -> dict[str, Callable[[], Figure]]:
    """Validate the scalar inputs and return the figure builders they allow, keyed by stem."""
    builders: dict[str, Callable[[], Figure]] = {}
    mu_range = _check_range(mu_range, "mu_range")
    table = None
    if _given(evaluation):
        table = check_scalar_table(evaluation, SCALAR_EVALUATION_COLUMNS, "evaluation")
        known = set(table["test_set"].astype(str))
        unknown = [label for label in extrapolation if label not in known]
        if unknown:
            raise ParameterError("extrapolation_sets",
                                 f"test sets of the evaluation table ({', '.join(sorted(known))})",
                                 unknown)
        builders.update(_evaluation_builders(table, mu_range, extrapolation))
    elif extrapolation:
        raise ParameterError("extrapolation_sets", "an evaluation table to draw them from",
                             list(extrapolation))
    if _given(predictions):
        pred = check_scalar_table(predictions, SCALAR_PREDICTION_COLUMNS, "predictions")
        if (pred["task"] == "regression").any():
            if "replica" in pred.columns:
                pred = best_replicas(pred, table)
            builders["predicted_vs_true"] = lambda: scalar_predicted_vs_true(pred)
    if (models is None) != (config is None):
        raise ParameterError("models, config", "both (feature maps) or neither",
                             "models only" if config is None else "config only")
    if models is not None:
        _check_feature_inputs(models, config)
        builders["feature_maps"] = lambda: feature_maps(models, config)
    if runs:
        for label, metrics in runs.items():
            check_table(metrics, METRICS_COLUMNS, f"training metrics {label!r}")
        targets = _experiment_targets(evaluation) if _given(evaluation) else None
        builders["training_curves"] = lambda: training_curves(runs, targets)
    return builders


def _evaluation_builders(table: pd.DataFrame, mu_range, extrapolation: tuple[str, ...]):
    builders: dict[str, Callable[[], Figure]] = {}
    ok = table[(table["status"] == "ok") & table["value"].notna()]
    reg = ok[ok["task"] == "regression"]
    inside = sorted(set(reg["test_set"].astype(str)) - set(extrapolation))
    sets = inside or None
    usable = reg if sets is None else reg[reg["test_set"].isin(inside)]
    if (usable["metric"].isin(["true_mean", "pred_mean"]) & usable["mu"].notna()).any():
        builders["observable_vs_mu"] = lambda: observable_vs_mu(table, test_sets=sets)
    if ((usable["metric"] == "rel_err_mean") | (usable["metric"] == "nmse_config")).any():
        builders["error_vs_size"] = lambda: error_vs_size_scalar(table, mu_range, test_sets=sets)
    if extrapolation and reg["test_set"].isin(extrapolation).any():
        builders["extrapolation"] = lambda: extrapolation_panel(table, list(extrapolation))
    if ((ok["task"] == "classification") & (ok["metric"] == "accuracy")).any():
        builders["classifier_accuracy"] = lambda: classifier_accuracy(table)
    return builders
