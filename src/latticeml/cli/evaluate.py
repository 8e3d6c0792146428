"""``latticeml model evaluate``: trained models x test sets -> tidy CSV tables (stage 4)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from latticeml.cli._common import add_command, add_switch, float_arg

__all__ = ["add"]


class _Every:
    """Every field: detect which flags were given (defaults come from the dataclasses)."""

    def __contains__(self, name: object) -> bool:
        return True


_EVERY = _Every()


def add(sub: argparse._SubParsersAction, name: str = "evaluate", *,
        replacement: str | None = None) -> None:
    """Add the evaluate command to ``sub`` (``replacement``: see :func:`add_command`)."""
    p = add_command(
        sub, name, replacement=replacement,
        help="evaluate trained models on test sets (stage 4)",
        description="Evaluate model files on gauge test sets: the published metric (MSE of "
        "lattice averages), per-site MSE, normalised MSE (per-site MSE / Var(target | beta)) "
        "and R^2, pooled and per beta; the conditional-mean predictor E[y | beta] fitted on "
        "--train-set; gauge robustness (Haar, exp(i alpha chi), adversarial). Writes a tidy "
        "CSV (one row per model, test set, beta and metric), optionally per-configuration "
        "predictions and a summary over replicas (median, best on validation, worst, failure "
        "rate). Scalar-field models (EQ/ST/FL, flux detectors) on scalar test sets get the "
        "scalar metrics instead: relative error of the ensemble averages per mu with their Monte "
        "Carlo error, per-configuration (normalised) MSE; accuracy, false-positive and "
        "false-negative rates and confusion counts per number of open worms; the gauge-only "
        "options do not apply to them.",
    )
    from latticeml.cli._fields import add_options
    from latticeml.evaluate.params import EvaluateParams

    # the evaluation's parameters are declared once, on EvaluateParams; scalar test sets take
    # the ones that apply to them, with ScalarEvaluateParams' defaults when not given
    add_options(p, EvaluateParams, detect=_EVERY)
    p.add_argument("--out", required=True, metavar="F.csv", help="metrics table")
    p.add_argument("--predictions", default="", metavar="F.csv",
                   help="also write per-configuration lattice averages")
    p.add_argument("--summary", default="", metavar="F.csv",
                   help="also write the summary over replicas")
    p.add_argument("--failure-ratio", type=float_arg, default=0.5,
                   help="a replica fails when its per-site MSE is at least this fraction of "
                   "the conditional-mean predictor's (default 0.5)")
    add_switch(p, "--force", "overwrite existing outputs")
    add_switch(p, "--progress", "show a progress bar", default=True)
    p.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from latticeml.cli._fields import UNSET, given_options
    from latticeml.data.atomic import check_output_path
    from latticeml.errors import ParameterError
    from latticeml.evaluate import EvaluateParams, evaluate, summarize

    for name in ("models", "test_sets"):  # required: argparse says so if missing
        if getattr(args, name) is UNSET:
            setattr(args, name, ())
    if args.train_set is UNSET:
        args.train_set = ""
    outs = [o for o in (args.out, args.predictions, args.summary) if o]
    inputs = {Path(p).resolve() for p in (*args.models, *args.test_sets, args.train_set) if p}
    for o in outs:
        check_output_path(o, force=args.force)
        if Path(o).resolve() in inputs:
            raise ParameterError("--out", "a file that is not an input", o)
    if len({Path(o).resolve() for o in outs}) != len(outs):
        raise ParameterError("--out/--predictions/--summary", "three different files", outs)
    if not 0 < args.failure_ratio <= 1:
        raise ParameterError("--failure-ratio", "a number in (0, 1]", args.failure_ratio)
    from latticeml.train.data import dataset_kind

    kinds = {dataset_kind(p, "--test") for p in args.test_sets}
    if len(kinds) > 1:
        raise ParameterError("--test", "test sets of one kind (gauge or scalar)", sorted(kinds))
    if kinds == {"scalar"}:
        return _evaluate_scalar(args)
    params = EvaluateParams(**given_options(args, EvaluateParams))
    table, preds = evaluate(params, progress=args.progress)
    summary = summarize(table, failure_ratio=args.failure_ratio) if args.summary else None
    return _write_outputs(args, table, preds, summary)


def _evaluate_scalar(args: argparse.Namespace) -> int:
    from latticeml.cli._fields import given_options
    from latticeml.errors import ParameterError
    from latticeml.evaluate import ScalarEvaluateParams, evaluate_scalar, summarize_scalar
    from latticeml.evaluate.params import EvaluateParams
    from latticeml.fields import cli_options

    given = given_options(args, EvaluateParams)
    shared = {"models", "test_sets", "batch_size", "device", "threads"}
    gauge_only = sorted(set(given) - shared - ({"train_set"} if not given.get("train_set")
                                               else set()))
    if gauge_only:
        flags = {o.name: o.flag for o in cli_options(EvaluateParams)}
        raise ParameterError(
            ", ".join(flags[k] for k in gauge_only), "no gauge-only option for scalar test sets",
            "given", "the conditional mean and the gauge robustness tests need gauge data")
    params = ScalarEvaluateParams(**{k: v for k, v in given.items() if k in shared})
    table, preds = evaluate_scalar(params, progress=args.progress)
    summary = (summarize_scalar(table, failure_ratio=args.failure_ratio) if args.summary
               else None)
    return _write_outputs(args, table, preds, summary)


def _write_outputs(args: argparse.Namespace, table, preds, summary) -> int:
    """Write the evaluation table, the predictions and the summary (when asked for).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``--out``, ``--predictions``, ``--summary``).
    table, preds : pandas.DataFrame
        The evaluation table and the per-sample predictions.
    summary : pandas.DataFrame or None
        The summary over replicas, ``None`` without ``--summary``.

    Returns
    -------
    int
        The exit status, 0.
    """
    from latticeml.evaluate import write_csv

    write_csv(table, args.out)
    print(f"wrote {args.out} ({len(table)} rows)", file=sys.stderr)
    if args.predictions:
        write_csv(preds, args.predictions)
        print(f"wrote {args.predictions}", file=sys.stderr)
    if summary is not None:
        write_csv(summary, args.summary)
        print(f"wrote {args.summary}", file=sys.stderr)
    return 0
