"""``latticeml evaluate``: trained models x test sets -> tidy CSV tables (stage 4)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from latticeml.cli._common import float_arg, int_arg

__all__ = ["register"]


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers like 0.01,0.1,1, got {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` command to ``sub``."""
    p = sub.add_parser(
        "evaluate",
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
    p.add_argument("--models", nargs="+", required=True, metavar="model.pt")
    p.add_argument("--test", nargs="+", required=True, metavar="F.h5", help="test datasets")
    p.add_argument("--train-set", default="", metavar="F.h5",
                   help="the models' training set (fits the conditional-mean predictor)")
    p.add_argument("--out", required=True, metavar="F.csv", help="metrics table")
    p.add_argument("--predictions", default="", metavar="F.csv",
                   help="also write per-configuration lattice averages")
    p.add_argument("--summary", default="", metavar="F.csv",
                   help="also write the summary over replicas")
    p.add_argument("--failure-ratio", type=float_arg, default=0.5,
                   help="a replica fails when its per-site MSE is at least this fraction of "
                   "the conditional-mean predictor's (default 0.5)")
    p.add_argument("--batch-size", type=int_arg, default=32, help="default 32")
    p.add_argument("--gauge-configs", type=int_arg, default=8,
                   help="configurations of the robustness tests (default 8; 0 = none)")
    p.add_argument("--gauge-on", nargs="*", default=(), metavar="LABEL",
                   help="test-set labels (directory names) with robustness tests "
                   "(default: the first test set)")
    p.add_argument("--alphas", type=_floats, default=(1e-3, 1e-2, 1e-1, 1.0),
                   help="sizes of exp(i alpha chi) (default 0.001,0.01,0.1,1)")
    p.add_argument("--adversarial-steps", type=int_arg, default=50,
                   help="AdamW steps of the adversarial search (default 50; 0 = none)")
    p.add_argument("--adversarial-lr", type=float_arg, default=0.05, help="default 0.05")
    p.add_argument("--seed", type=int_arg, default=0, help="seed of the transformations")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto (default), cpu or cuda")
    p.add_argument("--threads", type=int_arg, default=0, help="torch CPU threads")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from latticeml.data.atomic import check_output_path
    from latticeml.errors import ParameterError
    from latticeml.evaluate import EvaluateParams, evaluate, summarize

    outs = [o for o in (args.out, args.predictions, args.summary) if o]
    inputs = {Path(p).resolve() for p in (*args.models, *args.test, args.train_set) if p}
    for o in outs:
        check_output_path(o, force=args.force)
        if Path(o).resolve() in inputs:
            raise ParameterError("--out", "a file that is not an input", o)
    if len({Path(o).resolve() for o in outs}) != len(outs):
        raise ParameterError("--out/--predictions/--summary", "three different files", outs)
    if not 0 < args.failure_ratio <= 1:
        raise ParameterError("--failure-ratio", "a number in (0, 1]", args.failure_ratio)
    from latticeml.train.data import dataset_kind

    kinds = {dataset_kind(p, "--test") for p in args.test}
    if len(kinds) > 1:
        raise ParameterError("--test", "test sets of one kind (gauge or scalar)", sorted(kinds))
    if kinds == {"scalar"}:
        return _evaluate_scalar(args)
    params = EvaluateParams(
        models=tuple(args.models), test_sets=tuple(args.test), train_set=args.train_set,
        batch_size=args.batch_size, gauge_configs=args.gauge_configs,
        gauge_sets=tuple(args.gauge_on), alphas=args.alphas,
        adversarial_steps=args.adversarial_steps, adversarial_lr=args.adversarial_lr,
        seed=args.seed, device=args.device, threads=args.threads,
    )
    table, preds = evaluate(params, progress=not args.no_progress)
    summary = summarize(table, failure_ratio=args.failure_ratio) if args.summary else None
    return _write_outputs(args, table, preds, summary)


def _evaluate_scalar(args: argparse.Namespace) -> int:
    from latticeml.errors import ParameterError
    from latticeml.evaluate import ScalarEvaluateParams, evaluate_scalar, summarize_scalar

    if args.train_set:
        raise ParameterError("--train-set", "no training set for scalar test sets (the "
                             "normalised MSE uses the variance at fixed mu of the test set)",
                             args.train_set)
    params = ScalarEvaluateParams(models=tuple(args.models), test_sets=tuple(args.test),
                                  batch_size=args.batch_size, device=args.device,
                                  threads=args.threads)
    table, preds = evaluate_scalar(params, progress=not args.no_progress)
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
