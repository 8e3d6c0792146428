"""Stage 4: evaluation of trained models (metrics, conditional-mean baseline, gauge robustness).

::

    from latticeml.evaluate import EvaluateParams, evaluate, summarize
    table, predictions = evaluate(EvaluateParams(models=("run/model.pt",),
                                                 test_sets=("test_16x16.h5",),
                                                 train_set="train.h5"))
    summary = summarize(table)
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
from latticeml.evaluate.summary import SUMMARY_COLUMNS, failures, summarize

__all__ = [
    "EVAL_COLUMNS",
    "METRICS",
    "PRED_COLUMNS",
    "SUMMARY_COLUMNS",
    "ConditionalMean",
    "EvaluateParams",
    "adversarial_change",
    "alpha_change",
    "compute_metrics",
    "evaluate",
    "failures",
    "family_of",
    "haar_change",
    "hermitian_traceless",
    "markdown_table",
    "metric_table",
    "relative_change",
    "summarize",
    "write_csv",
]
