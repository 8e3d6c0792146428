"""Figure builders: tables (pandas) in, :class:`matplotlib.figure.Figure` out.

The builders do no file I/O; :func:`make_all` builds every figure the inputs allow and saves
it with :func:`save_figure` (PNG at 300 dpi and PDF, written atomically). No pyplot state is
used, so the module works headless without selecting a backend. :mod:`latticeml.plots.request`
is ``latticeml results plot`` as a library call (files in, figures out).
"""

# matplotlib is imported when a figure builder is first used, so that the command line (which
# reads latticeml.plots.request's options) starts without it
_LAZY = {
    **dict.fromkeys(("classifier_accuracy", "feature_maps"), "latticeml.plots.detector"),
    **dict.fromkeys(("GAUGE_FLOOR", "gauge_robustness", "training_curves"),
                    "latticeml.plots.diagnostics"),
    **dict.fromkeys(("best_replicas", "error_vs_size", "predicted_vs_true"),
                    "latticeml.plots.figures"),
    **dict.fromkeys(("FIGURE_STEMS", "SCALAR_FIGURE_STEMS", "make_all", "make_scalar_all"),
                    "latticeml.plots.make"),
    **dict.fromkeys(("error_vs_size_scalar", "extrapolation_panel", "observable_vs_mu",
                     "scalar_predicted_vs_true"), "latticeml.plots.scalar"),
    **dict.fromkeys(("DOUBLE_COLUMN", "SINGLE_COLUMN", "family_style", "paper_style",
                     "save_figure"), "latticeml.plots.style"),
    **dict.fromkeys(("EVALUATION_COLUMNS", "METRICS_COLUMNS", "PREDICTION_COLUMNS",
                     "check_table"), "latticeml.plots.tables"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latticeml.plots' has no attribute {name!r}")


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
