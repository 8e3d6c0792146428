"""Figure builders: tables (pandas) in, :class:`matplotlib.figure.Figure` out.

The builders do no file I/O; :func:`make_all` builds every figure the inputs allow and saves
it with :func:`save_figure` (PNG at 300 dpi and PDF, written atomically). No pyplot state is
used, so the module works headless without selecting a backend. :mod:`latticeml.plots.request`
is ``latticeml results plot`` as a library call (files in, figures out).
"""

from latticeml.plots.detector import classifier_accuracy, feature_maps
from latticeml.plots.diagnostics import GAUGE_FLOOR, gauge_robustness, training_curves
from latticeml.plots.figures import best_replicas, error_vs_size, predicted_vs_true
from latticeml.plots.make import FIGURE_STEMS, SCALAR_FIGURE_STEMS, make_all, make_scalar_all
from latticeml.plots.scalar import (
    error_vs_size_scalar,
    extrapolation_panel,
    observable_vs_mu,
    scalar_predicted_vs_true,
)
from latticeml.plots.style import (
    DOUBLE_COLUMN,
    SINGLE_COLUMN,
    family_style,
    paper_style,
    save_figure,
)
from latticeml.plots.tables import (
    EVALUATION_COLUMNS,
    METRICS_COLUMNS,
    PREDICTION_COLUMNS,
    check_table,
)

__all__ = [
    "DOUBLE_COLUMN",
    "EVALUATION_COLUMNS",
    "FIGURE_STEMS",
    "GAUGE_FLOOR",
    "METRICS_COLUMNS",
    "PREDICTION_COLUMNS",
    "SCALAR_FIGURE_STEMS",
    "SINGLE_COLUMN",
    "best_replicas",
    "check_table",
    "classifier_accuracy",
    "error_vs_size",
    "error_vs_size_scalar",
    "extrapolation_panel",
    "family_style",
    "feature_maps",
    "gauge_robustness",
    "make_all",
    "make_scalar_all",
    "observable_vs_mu",
    "paper_style",
    "predicted_vs_true",
    "save_figure",
    "scalar_predicted_vs_true",
    "training_curves",
]
