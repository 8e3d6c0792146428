"""Stage 4: evaluation of trained models (metrics, conditional-mean baseline, gauge robustness).

::

    from latticeml.evaluate import EvaluateParams, evaluate, summarize
    table, predictions = evaluate(EvaluateParams(models=("run/model.pt",),
                                                 test_sets=("test_16x16.h5",),
                                                 train_set="train.h5"))
    summary = summarize(table)

Scalar-field models (EQ / ST / FL regressors, flux-violation detectors)::

    from latticeml.evaluate import ScalarEvaluateParams, evaluate_scalar, summarize_scalar
    table, predictions = evaluate_scalar(ScalarEvaluateParams(models=("run/model.pt",),
                                                              test_sets=("test.h5",)))
    summary = summarize_scalar(table)
"""

from latticeml.evaluate.params import EvaluateParams

# torch is imported when one of these is first used, so that the parameters (and the command
# line built from them) load without it
_LAZY = {
    **dict.fromkeys(("METRICS", "ConditionalMean", "compute_metrics", "metric_table"),
                    "latticeml.evaluate.metrics"),
    "markdown_table": "latticeml.evaluate.report",
    **dict.fromkeys(("adversarial_change", "alpha_change", "haar_change",
                     "hermitian_traceless", "relative_change"), "latticeml.evaluate.robustness"),
    "write_csv": "latticeml.evaluate.tables",
    **dict.fromkeys(("EVAL_COLUMNS", "PRED_COLUMNS", "evaluate", "family_of"),
                    "latticeml.evaluate.run"),
    **dict.fromkeys(("SCALAR_EVAL_COLUMNS", "SCALAR_PRED_COLUMNS", "ScalarEvaluateParams",
                     "evaluate_scalar"), "latticeml.evaluate.scalar"),
    **dict.fromkeys(("SCALAR_SUMMARY_COLUMNS", "scalar_markdown", "summarize_scalar"),
                    "latticeml.evaluate.scalar_summary"),
    **dict.fromkeys(("SUMMARY_COLUMNS", "failures", "summarize"), "latticeml.evaluate.summary"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latticeml.evaluate' has no attribute {name!r}")


__all__ = [
    "EVAL_COLUMNS",
    "METRICS",
    "PRED_COLUMNS",
    "SCALAR_EVAL_COLUMNS",
    "SCALAR_PRED_COLUMNS",
    "SCALAR_SUMMARY_COLUMNS",
    "SUMMARY_COLUMNS",
    "ScalarEvaluateParams",
    "ConditionalMean",
    "EvaluateParams",
    "adversarial_change",
    "alpha_change",
    "compute_metrics",
    "evaluate",
    "evaluate_scalar",
    "failures",
    "family_of",
    "haar_change",
    "hermitian_traceless",
    "markdown_table",
    "metric_table",
    "relative_change",
    "scalar_markdown",
    "summarize",
    "summarize_scalar",
    "write_csv",
]
