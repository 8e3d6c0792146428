"""``latticeml plot``: figures (PNG + PDF) from the evaluation, prediction and training tables."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from latticeml.errors import FileFormatError, OutputExistsError, ParameterError

__all__ = ["register"]

# Which figures each input flag feeds (stems as in latticeml.plots.FIGURE_STEMS).
_STEMS_OF_FLAG = {
    "evaluation": ("error_vs_size", "gauge_robustness"),
    "predictions": ("predicted_vs_true",),
    "metrics": ("training_curves",),
}
# The same for a scalar evaluation table (stems as in latticeml.plots.SCALAR_FIGURE_STEMS).
_SCALAR_STEMS_OF_FLAG = {
    "predictions": ("predicted_vs_true",),
    "extrapolation_sets": ("extrapolation",),
    "feature_models": ("feature_maps",),
    "metrics": ("training_curves",),
}
_SCALAR_FLAGS = ("extrapolation_sets", "mu_range", "feature_models", "feature_data", "figures")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plot`` command to ``sub``."""
    p = sub.add_parser(
        "plot",
        help="figures from evaluation, prediction and training tables (stage 5)",
        description="Draw error vs lattice size, predicted vs true, training curves and gauge "
        "robustness; each figure is written as <stem>.png (300 dpi) and <stem>.pdf. A scalar "
        "evaluation table (columns mu and task) gives the scalar-study figures instead: "
        "observable_vs_mu, error_vs_size, predicted_vs_true, extrapolation (with "
        "--extrapolation-sets), classifier_accuracy (if it has classification rows), "
        "feature_maps (with --feature-models) and training_curves.",
    )
    p.add_argument("--evaluation", required=True, metavar="CSV", help="evaluation table")
    p.add_argument("--predictions", metavar="CSV", help="predictions table (one replica each)")
    p.add_argument(
        "--metrics",
        nargs="+",
        metavar="CSV",
        help="training-metrics tables; each is labelled <experiment>/<run> after the last two "
        "components of its directory",
    )
    p.add_argument(
        "--out-dir", required=True, metavar="DIR", help="output directory (created if missing)"
    )
    p.add_argument("--published", default=None, metavar="SET",
                   help="gauge tables: draw a published set on error_vs_size (prl-2d, "
                   "notebook-4d-plane12)")
    p.add_argument("--force", action="store_true", help="overwrite existing figure files")
    scalar = p.add_argument_group("scalar evaluation tables only")
    scalar.add_argument(
        "--extrapolation-sets",
        nargs="+",
        metavar="LABEL",
        help="test sets with mu beyond the training range: drawn in extrapolation.png, left "
        "out of observable_vs_mu and error_vs_size",
    )
    scalar.add_argument(
        "--mu-range",
        nargs=2,
        type=float,
        metavar=("LO", "HI"),
        help="range of mu over which error_vs_size takes the largest relative error of the "
        "ensemble average (default: every mu of the test set)",
    )
    scalar.add_argument(
        "--feature-models",
        nargs="+",
        metavar="MODEL.pt",
        help="models whose convolution activations are drawn in feature_maps.png (needs "
        "--feature-data)",
    )
    scalar.add_argument(
        "--feature-data",
        metavar="TEST.h5",
        help="scalar dataset file; its first flux-violating configuration "
        "(targets/flux_violated == 1) is the input of feature_maps",
    )
    scalar.add_argument(
        "--figures",
        type=_stem_list,
        metavar="STEM[,STEM...]",
        help="draw only these figures (comma-separated stems, e.g. "
        "classifier_accuracy,feature_maps); each must be producible from the given inputs",
    )
    p.set_defaults(func=_plot)


def _stem_list(text: str) -> list[str]:
    """Argparse type of ``--figures a,b`` (names are checked against the inputs later)."""
    stems = [s.strip() for s in text.split(",") if s.strip()]
    if not stems:
        raise argparse.ArgumentTypeError("expected comma-separated figure stems")
    return stems


def _plot(args: argparse.Namespace) -> int:
    from latticeml.evaluate.scalar_summary import is_scalar_table
    from latticeml.plots import (
        EVALUATION_COLUMNS,
        METRICS_COLUMNS,
        PREDICTION_COLUMNS,
        check_table,
        make_all,
    )

    out_dir = Path(args.out_dir)
    raw = _read_csv(args.evaluation, "--evaluation")
    if is_scalar_table(raw.columns):
        if args.published is not None:
            raise ParameterError("--published", "a gauge evaluation table", args.evaluation)
        return _plot_scalar(args, raw, out_dir)
    for flag in _SCALAR_FLAGS:
        if getattr(args, flag) is not None:
            raise ParameterError(
                f"--{flag.replace('_', '-')}",
                "a scalar evaluation table (with columns mu and task)",
                args.evaluation,
            )
    if args.published is not None:
        from latticeml.plots.published import published_points

        published_points(args.published)  # one line and no work for an unknown set
    if not args.force:
        _refuse_existing(out_dir, _planned_stems(args))
    evaluation = check_table(raw, EVALUATION_COLUMNS, args.evaluation)
    predictions = None
    if args.predictions is not None:
        predictions = check_table(
            _read_csv(args.predictions, "--predictions"), PREDICTION_COLUMNS, args.predictions
        )
    runs = None
    if args.metrics:
        runs = {
            label: check_table(_read_csv(path, "--metrics"), METRICS_COLUMNS, path)
            for label, path in _run_labels(args.metrics).items()
        }
    with _new_directory(out_dir):
        for path in make_all(evaluation, predictions, runs, out_dir, args.published):
            print(f"wrote {path}", file=sys.stderr)
    return 0


def _plot_scalar(args: argparse.Namespace, raw, out_dir: Path) -> int:
    """``latticeml plot`` for a scalar evaluation table."""
    from latticeml.plots import METRICS_COLUMNS, check_table
    from latticeml.plots.make import make_scalar_all
    from latticeml.plots.scalar import (
        SCALAR_EVALUATION_COLUMNS,
        SCALAR_PREDICTION_COLUMNS,
        check_scalar_table,
    )

    evaluation = check_scalar_table(raw, SCALAR_EVALUATION_COLUMNS, args.evaluation)
    _check_scalar_flags(args, evaluation)
    planned = _planned_scalar_stems(args, evaluation)
    if args.figures is not None:
        missing = [stem for stem in args.figures if stem not in planned]
        if missing:
            raise ParameterError(
                "--figures", f"figures these inputs can produce ({', '.join(planned)})",
                missing, hint="extrapolation needs --extrapolation-sets, feature_maps "
                "--feature-models, predicted_vs_true --predictions, training_curves --metrics",
            )
        planned = [stem for stem in planned if stem in args.figures]
    if not args.force:
        _refuse_existing(out_dir, planned)
    predictions = None
    if args.predictions is not None:
        predictions = check_scalar_table(
            _read_csv(args.predictions, "--predictions"), SCALAR_PREDICTION_COLUMNS,
            args.predictions,
        )
    runs = None
    if args.metrics:
        runs = {
            label: check_table(_read_csv(path, "--metrics"), METRICS_COLUMNS, path)
            for label, path in _run_labels(args.metrics).items()
        }
    models = config = None
    if args.feature_models and "feature_maps" in planned:
        config = _first_violated(args.feature_data)
        models = _load_models(args.feature_models)
    with _new_directory(out_dir):
        paths = make_scalar_all(
            evaluation, predictions, runs, out_dir, models=models, config=config,
            mu_range=tuple(args.mu_range) if args.mu_range else None,
            extrapolation_sets=args.extrapolation_sets, figures=planned,
        )
        for path in paths:
            print(f"wrote {path}", file=sys.stderr)
        if args.figures is not None:
            drawn = {path.stem for path in paths}
            undrawn = [stem for stem in planned if stem not in drawn]
            if undrawn:
                raise ParameterError(
                    "--figures", "figures the tables hold usable rows for", undrawn,
                    hint="every row they need is 'not applicable' or missing",
                )
    return 0


def _check_scalar_flags(args: argparse.Namespace, evaluation) -> None:
    """Check the scalar-only flags against each other and the evaluation table."""
    if (args.feature_models is None) != (args.feature_data is None):
        raise ParameterError(
            "--feature-models/--feature-data", "both flags or neither",
            "only --feature-models" if args.feature_data is None else "only --feature-data",
        )
    if args.mu_range is not None:
        lo, hi = args.mu_range
        if not lo <= hi:
            raise ParameterError("--mu-range", "LO <= HI", args.mu_range)
    known = sorted(set(evaluation["test_set"].astype(str)))
    unknown = [label for label in args.extrapolation_sets or () if label not in known]
    if unknown:
        raise ParameterError(
            "--extrapolation-sets", f"test sets of {args.evaluation} ({', '.join(known)})",
            unknown,
        )


def _planned_scalar_stems(args: argparse.Namespace, evaluation) -> list[str]:
    """Stems of the scalar figures the flags and the evaluation table can produce."""
    stems: list[str] = []
    if (evaluation["task"] == "regression").any():
        stems += ["observable_vs_mu", "error_vs_size"]
    if (evaluation["task"] == "classification").any():
        stems.append("classifier_accuracy")
    for flag, flag_stems in _SCALAR_STEMS_OF_FLAG.items():
        if getattr(args, flag):
            stems += flag_stems
    return stems


def _first_violated(path: str):
    """Return the first configuration with ``targets/flux_violated == 1``, shape (4, N_t, N_x)."""
    import numpy as np

    from latticeml.data.splits import read_split
    from latticeml.errors import FileFormatError

    labels = read_split(path, "flux_violated", inputs=False, role="--feature-data")
    if labels.kind != "scalar":
        raise FileFormatError(path, "expected a scalar dataset (flux_violated labels)")
    violated = np.flatnonzero(labels.target == 1)
    if violated.size == 0:
        raise ParameterError(
            "--feature-data", "a scalar dataset with a flux-violating configuration "
            "(targets/flux_violated == 1)", path,
            hint="make it with a flux-violation ensemble (open worms)",
        )
    return read_split(path, "flux_violated", rows=violated[:1], role="--feature-data").inputs[0]


def _load_models(paths: list[str]) -> dict:
    """Load models for the feature maps, labelled ``<family> <experiment>/r<replica>``.

    Of several replicas of one experiment only the one with the lowest validation loss is
    shown (the model one would pick without looking at test data).
    """
    import math

    from latticeml.evaluate.scalar import scalar_family
    from latticeml.nn import load_model

    if len({Path(p).resolve() for p in paths}) != len(paths):
        raise ParameterError("--feature-models", "distinct model files", paths)
    best: dict = {}
    for path in paths:
        model = load_model(path)
        info = getattr(model, "info", {}) or {}
        experiment = info.get("experiment", Path(path).parent.name)
        val = float(info.get("best_val_loss", math.inf))
        key = (val, int(info.get("replica", 0)))
        if experiment not in best or key < best[experiment][0]:
            best[experiment] = (key, path, model)
    models: dict = {}
    for experiment, (_, path, model) in best.items():
        info = getattr(model, "info", {}) or {}
        label = (f"{scalar_family(getattr(model, 'spec', {}))} "
                 f"{experiment}/r{info.get('replica', 0)}")
        models[label if label not in models else str(path)] = model
    return models


def _planned_stems(args: argparse.Namespace) -> list[str]:
    """Stems of the figures the given flags can produce."""
    stems: list[str] = []
    for flag, flag_stems in _STEMS_OF_FLAG.items():
        if getattr(args, flag):
            stems += flag_stems
    return stems


def _refuse_existing(out_dir: Path, stems: list[str]) -> None:
    for stem in stems:
        for suffix in (".png", ".pdf"):
            path = out_dir / f"{stem}{suffix}"
            if path.exists():
                raise OutputExistsError(path)


def _read_csv(path: str, flag: str):
    """Read a CSV table; a missing, unreadable, non-regular or cut-short file is one line."""
    import pandas as pd

    from latticeml.evaluate.tables import check_csv_file

    check_csv_file(path, flag)
    try:
        return pd.read_csv(path)
    except OSError as exc:
        raise ParameterError(
            flag, "a readable CSV file", path, hint=exc.strerror or type(exc).__name__
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise FileFormatError(path, f"expected a CSV table, {first_line}") from None


def _run_labels(paths: list[str]) -> dict[str, str]:
    """Label each metrics file ``<experiment>/<run>`` after its directory."""
    labels: dict[str, str] = {}
    for path in paths:
        label = "/".join(Path(path).resolve().parent.parts[-2:])
        if label in labels:
            raise ParameterError(
                "--metrics",
                "one metrics file per run directory <experiment>/<run>",
                [labels[label], path],
            )
        labels[label] = path
    return labels


@contextlib.contextmanager
def _new_directory(out_dir: Path):
    """Create ``out_dir`` for the figures; if the body fails and it is still empty, remove it.

    A refused run leaves no empty folder behind (it leaves a folder that existed before).
    """
    existed = out_dir.is_dir()
    _make_directory(out_dir)
    try:
        yield
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if empty
        raise


def _make_directory(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(
            "--out-dir",
            "a directory that exists or can be created",
            str(out_dir),
            hint=exc.strerror or type(exc).__name__,
        ) from None
