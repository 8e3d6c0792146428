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

from latticeml.evaluate.metrics import METRICS, ConditionalMean, compute_metrics, metric_table
from latticeml.evaluate.report import markdown_table
from latticeml.evaluate.robustness import (
    adversarial_change,
    alpha_change,
    haar_change,
    hermitian_traceless,
    relative_change,
)
from latticeml.evaluate.run import (
    EVAL_COLUMNS,
    PRED_COLUMNS,
    EvaluateParams,
    evaluate,
    family_of,
    write_csv,
)
from latticeml.evaluate.scalar import (
    SCALAR_EVAL_COLUMNS,
    SCALAR_PRED_COLUMNS,
    ScalarEvaluateParams,
    evaluate_scalar,
)
from latticeml.evaluate.scalar_summary import (
    SCALAR_SUMMARY_COLUMNS,
    scalar_markdown,
    summarize_scalar,
)
from latticeml.evaluate.summary import SUMMARY_COLUMNS, failures, summarize

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
