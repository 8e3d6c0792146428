"""``latticeml results summarize`` and ``latticeml model select`` as library calls.

:class:`SummarizeRequest` and :class:`SelectRequest` declare the options of the two commands
(:func:`latticeml.fields.option`); :func:`summarize_files` and :func:`select_files` check every
output path before any work, read the tables or model files and write the results atomically.
Nothing here needs torch or matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from latticeml.errors import ParameterError
from latticeml.fields import option

__all__ = ["SummarizeRequest", "summarize_files", "SelectRequest", "select_files",
           "check_outputs"]


@dataclass(frozen=True)
class SummarizeRequest:
    """What to summarise and where to write it (``latticeml results summarize``)."""

    evaluations: tuple[str, ...] = option(help="evaluation tables (`latticeml model evaluate "
                                          "--out`)", metavar="F.csv")
    out: str = option(help="summary table", metavar="F.csv")
    merged: str = option("", "also write the merged table", metavar="F.csv")
    predictions: tuple[str, ...] = option((), "per-configuration predictions (`latticeml "
                                          "model evaluate --predictions`)", metavar="F.csv")
    best_predictions: str = option("", "write the predictions of each experiment's best "
                                   "replica (lowest validation loss)", metavar="F.csv")
    failure_ratio: float = option(0.5, "a replica fails at this fraction of the trivial "
                                  "predictor's error ...")
    outlier_factor: float = option(100.0, "... or above this many times the median "
                                   "replica's")
    markdown: str = option("", "also write Markdown tables (median, best on validation and "
                           "worst of every metric per experiment and test lattice)",
                           metavar="F.md")
    min_accuracy: float = option(0.99, "scalar detectors: a replica fails below this pooled "
                                 "accuracy")
    mu_range: tuple[float, float] | None = option(
        None, "scalar regressors: the Markdown table's largest relative error is taken over "
        "these mu (none: all)", metavar=("LO", "HI"))
    force: bool = option(False, "overwrite existing outputs")


@dataclass(frozen=True)
class SelectRequest:
    """Which models to compare and where the winner goes (``latticeml model select``)."""

    models: tuple[str, ...] = option(help="model files trained on the same data and target",
                                     metavar="model.pt")
    out: str = option(help="the winner's spec", metavar="F.yaml")
    table: str = option("", "all candidates, ranked", metavar="F.csv")
    force: bool = option(False, "overwrite existing outputs")


def check_outputs(outs, inputs, force: bool) -> None:
    """Refuse an output named twice, one that exists (without ``force``) or an input."""
    from latticeml.data.atomic import check_output_path

    resolved = {Path(p).resolve() for p in inputs}
    seen = set()
    for o in outs:
        if Path(o).resolve() in seen:
            raise ParameterError("--out", "a different file for every output", o,
                                 "it is named twice")
        seen.add(Path(o).resolve())
    for o in outs:
        check_output_path(o, force=force)
        if Path(o).resolve() in resolved:
            raise ParameterError("--out", "a file that is not an input", o)


def select_files(req: SelectRequest) -> tuple[str, float, int]:
    """Write the best model's spec (and the ranked table); return (model, val loss, count)."""
    import yaml

    from latticeml.data.atomic import atomic_path
    from latticeml.evaluate.tables import write_csv
    from latticeml.train.select import select_best

    check_outputs([o for o in (req.out, req.table) if o], req.models, req.force)
    spec, table = select_best(req.models)
    with atomic_path(req.out, force=req.force) as tmp:
        tmp.write_text(yaml.safe_dump(spec, sort_keys=True))
    if req.table:
        write_csv(table, req.table)
    return str(table["model"].iloc[0]), float(table["val_loss"].iloc[0]), len(table)


def summarize_files(req: SummarizeRequest) -> int:
    """Merge the evaluation tables, write the summary (and extras); return its row count."""
    from latticeml.evaluate.scalar_summary import is_scalar_table
    from latticeml.evaluate.summary import check_outlier_factor
    from latticeml.evaluate.tables import read_csv_table

    outs = [o for o in (req.out, req.merged, req.best_predictions, req.markdown) if o]
    check_outputs(outs, [*req.evaluations, *req.predictions], req.force)
    check_outlier_factor(req.outlier_factor)
    if bool(req.predictions) != bool(req.best_predictions):
        raise ParameterError("--best-predictions", "given together with --predictions",
                             req.best_predictions or None)
    header = read_csv_table(req.evaluations[0], (), flag="--evaluations", kind="evaluation",
                            nrows=0)
    if is_scalar_table(header.columns):
        return _summarize_scalar(req)
    return _summarize_gauge(req)


def _summarize_gauge(req: SummarizeRequest) -> int:
    from latticeml.data.atomic import atomic_path
    from latticeml.evaluate.report import markdown_table
    from latticeml.evaluate.summary import (
        FAILURE_RULE,
        best_predictions,
        read_tables,
        summarize,
    )
    from latticeml.evaluate.tables import write_csv

    table = read_tables(req.evaluations)
    summary = summarize(table, failure_ratio=req.failure_ratio,
                        outlier_factor=req.outlier_factor)
    best = best_predictions(table, req.predictions) if req.predictions else None
    if req.merged:
        write_csv(table, req.merged)
    if best is not None:
        write_csv(best, req.best_predictions)
    write_csv(summary, req.out)
    if req.markdown:
        text = "\n".join(markdown_table(summary, metric, stat)
                         for metric in ("mse_mean", "mse_site", "nmse_site")
                         for stat in ("median", "best", "worst"))
        text += f"\nFailure rule ({req.failure_ratio:g}, {req.outlier_factor:g}): " \
                f"{FAILURE_RULE}.\n"
        with atomic_path(req.markdown, force=req.force) as tmp:
            tmp.write_text(text)
    return len(summary)


def _summarize_scalar(req: SummarizeRequest) -> int:
    from latticeml.data.atomic import atomic_path
    from latticeml.evaluate.scalar import SCALAR_PRED_COLUMNS
    from latticeml.evaluate.scalar_summary import (
        read_scalar_tables,
        scalar_markdown,
        summarize_scalar,
    )
    from latticeml.evaluate.summary import FAILURE_RULE
    from latticeml.evaluate.tables import concat_csv_tables, write_csv

    table = read_scalar_tables(req.evaluations)
    summary = summarize_scalar(table, failure_ratio=req.failure_ratio,
                               min_accuracy=req.min_accuracy,
                               outlier_factor=req.outlier_factor)
    if req.merged:
        write_csv(table, req.merged)
    if req.predictions:  # scalar prediction files hold the best replica already
        preds = concat_csv_tables(req.predictions, SCALAR_PRED_COLUMNS, flag="--predictions",
                                  kind="scalar prediction")
        write_csv(preds, req.best_predictions)
    write_csv(summary, req.out)
    if req.markdown:
        with atomic_path(req.markdown, force=req.force) as tmp:
            tmp.write_text(scalar_markdown(summary, req.mu_range)
                           + f"\nFailure rule ({req.failure_ratio:g}, {req.min_accuracy:g}, "
                           f"{req.outlier_factor:g}): {FAILURE_RULE}.\n")
    return len(summary)
