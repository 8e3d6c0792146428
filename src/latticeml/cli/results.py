"""``latticeml results`` (``summarize``, ``plot``) and ``latticeml model select``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from latticeml.cli._common import add_command, add_switch, float_arg

__all__ = ["register", "add_select", "add_summarize"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``results`` noun (``summarize``, ``plot``) to ``sub``."""
    from latticeml.cli import plot

    p = sub.add_parser("results", help="summarise evaluation tables and draw figures (stage 5)")
    rsub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    rsub.required = True
    add_summarize(rsub)
    plot.add(rsub)


def add_select(sub: argparse._SubParsersAction, name: str = "select", *,
               replacement: str | None = None) -> None:
    """Add the select command to ``sub`` (``replacement``: see :func:`add_command`)."""
    s = add_command(
        sub, name, replacement=replacement,
        help="pick the best trained model on validation loss; write its spec as YAML",
        description="Compare model files trained on the same data and target (e.g. a CNN "
        "architecture grid) by their best validation loss and write the winner's model spec "
        "(a YAML file that `latticeml model train --model` takes) and a CSV of all candidates.",
    )
    s.add_argument("--models", nargs="+", required=True, metavar="model.pt")
    s.add_argument("--out", required=True, metavar="F.yaml", help="the winner's spec")
    s.add_argument("--table", default="", metavar="F.csv", help="all candidates, ranked")
    add_switch(s, "--force", "overwrite existing outputs")
    s.set_defaults(func=_select)


def add_summarize(sub: argparse._SubParsersAction, name: str = "summarize", *,
                  replacement: str | None = None) -> None:
    """Add the summarize command to ``sub`` (``replacement``: see :func:`add_command`)."""
    m = add_command(
        sub, name, replacement=replacement,
        help="merge evaluation tables and summarise them over replicas",
        description="Concatenate evaluation CSVs (`latticeml model evaluate --out`), drop "
        "duplicate baseline rows and write the summary over replicas: median, best on "
        "validation, worst, failure rate.",
    )
    m.add_argument("--evaluations", nargs="+", required=True, metavar="F.csv")
    m.add_argument("--out", required=True, metavar="F.csv", help="summary table")
    m.add_argument("--merged", default="", metavar="F.csv", help="also write the merged table")
    m.add_argument("--predictions", nargs="*", default=(), metavar="F.csv",
                   help="per-configuration predictions (`latticeml model evaluate --predictions`)")
    m.add_argument("--best-predictions", default="", metavar="F.csv",
                   help="write the predictions of each experiment's best replica (lowest "
                   "validation loss)")
    m.add_argument("--failure-ratio", type=float_arg, default=0.5,
                   help="a replica fails at this fraction of the trivial predictor's error "
                   "(default 0.5) ...")
    m.add_argument("--outlier-factor", type=float_arg, default=100.0,
                   help="... or above this many times the median replica's (default 100)")
    m.add_argument("--markdown", default="", metavar="F.md",
                   help="also write Markdown tables (median, best on validation and worst of "
                   "every metric per experiment and test lattice)")
    m.add_argument("--min-accuracy", type=float_arg, default=0.99,
                   help="scalar detectors: a replica fails below this pooled accuracy "
                   "(default 0.99)")
    m.add_argument("--mu-range", type=float_arg, nargs=2, default=None, metavar=("LO", "HI"),
                   help="scalar regressors: the Markdown table's largest relative error is taken "
                   "over these mu (default: all)")
    add_switch(m, "--force", "overwrite existing outputs")
    m.set_defaults(func=_summarize)


def _check_outputs(outs, inputs, force):
    from latticeml.data.atomic import check_output_path
    from latticeml.errors import ParameterError

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


def _select(args: argparse.Namespace) -> int:
    import yaml

    from latticeml.data.atomic import atomic_path
    from latticeml.evaluate import write_csv
    from latticeml.train.select import select_best

    outs = [o for o in (args.out, args.table) if o]
    _check_outputs(outs, args.models, args.force)
    spec, table = select_best(args.models)
    with atomic_path(args.out, force=args.force) as tmp:
        tmp.write_text(yaml.safe_dump(spec, sort_keys=True))
    if args.table:
        write_csv(table, args.table)
    print(f"wrote {args.out}: {table['model'].iloc[0]} (val loss "
          f"{table['val_loss'].iloc[0]:.4e}) best of {len(table)}", file=sys.stderr)
    return 0


def _summarize(args: argparse.Namespace) -> int:
    from latticeml.errors import ParameterError
    from latticeml.evaluate import summarize, write_csv
    from latticeml.evaluate.summary import best_predictions, read_tables

    outs = [o for o in (args.out, args.merged, args.best_predictions, args.markdown) if o]
    _check_outputs(outs, [*args.evaluations, *args.predictions], args.force)
    from latticeml.evaluate.summary import check_outlier_factor

    check_outlier_factor(args.outlier_factor)
    if bool(args.predictions) != bool(args.best_predictions):
        raise ParameterError("--best-predictions", "given together with --predictions",
                             args.best_predictions or None)
    from latticeml.evaluate.scalar_summary import is_scalar_table
    from latticeml.evaluate.tables import read_csv_table

    header = read_csv_table(args.evaluations[0], (), flag="--evaluations", kind="evaluation",
                            nrows=0)
    if is_scalar_table(header.columns):
        return _summarize_scalar(args)
    table = read_tables(args.evaluations)
    summary = summarize(table, failure_ratio=args.failure_ratio,
                        outlier_factor=args.outlier_factor)
    best = best_predictions(table, args.predictions) if args.predictions else None
    if args.merged:
        write_csv(table, args.merged)
    if best is not None:
        write_csv(best, args.best_predictions)
    write_csv(summary, args.out)
    if args.markdown:
        from latticeml.data.atomic import atomic_path
        from latticeml.evaluate.report import markdown_table
        from latticeml.evaluate.summary import FAILURE_RULE

        text = "\n".join(markdown_table(summary, metric, stat)
                         for metric in ("mse_mean", "mse_site", "nmse_site")
                         for stat in ("median", "best", "worst"))
        text += f"\nFailure rule ({args.failure_ratio:g}, {args.outlier_factor:g}): " \
                f"{FAILURE_RULE}.\n"
        with atomic_path(args.markdown, force=args.force) as tmp:
            tmp.write_text(text)
    print(f"wrote {args.out} ({len(summary)} rows)", file=sys.stderr)
    return 0


def _summarize_scalar(args: argparse.Namespace) -> int:
    from latticeml.data.atomic import atomic_path
    from latticeml.evaluate import write_csv
    from latticeml.evaluate.scalar import SCALAR_PRED_COLUMNS
    from latticeml.evaluate.scalar_summary import (
        read_scalar_tables,
        scalar_markdown,
        summarize_scalar,
    )
    from latticeml.evaluate.tables import concat_csv_tables

    table = read_scalar_tables(args.evaluations)
    summary = summarize_scalar(table, failure_ratio=args.failure_ratio,
                               min_accuracy=args.min_accuracy,
                               outlier_factor=args.outlier_factor)
    if args.merged:
        write_csv(table, args.merged)
    if args.predictions:  # scalar prediction files hold the best replica already
        preds = concat_csv_tables(args.predictions, SCALAR_PRED_COLUMNS, flag="--predictions",
                                  kind="scalar prediction")
        write_csv(preds, args.best_predictions)
    write_csv(summary, args.out)
    if args.markdown:
        mu_range = tuple(args.mu_range) if args.mu_range else None
        with atomic_path(args.markdown, force=args.force) as tmp:
            from latticeml.evaluate.summary import FAILURE_RULE

            tmp.write_text(scalar_markdown(summary, mu_range)
                           + f"\nFailure rule ({args.failure_ratio:g}, {args.min_accuracy:g}, "
                           f"{args.outlier_factor:g}): {FAILURE_RULE}.\n")
    print(f"wrote {args.out} ({len(summary)} rows)", file=sys.stderr)
    return 0
