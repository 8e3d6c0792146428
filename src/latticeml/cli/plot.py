"""``latticeml plot``: figures (PNG + PDF) from the evaluation, prediction and training tables."""

from __future__ import annotations

import argparse
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


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plot`` command to ``sub``."""
    p = sub.add_parser(
        "plot",
        help="figures from evaluation, prediction and training tables (stage 5)",
        description="Draw error vs lattice size, predicted vs true, training curves and gauge "
        "robustness; each figure is written as <stem>.png (300 dpi) and <stem>.pdf.",
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
    p.add_argument("--force", action="store_true", help="overwrite existing figure files")
    p.set_defaults(func=_plot)


def _plot(args: argparse.Namespace) -> int:
    from latticeml.plots import (
        EVALUATION_COLUMNS,
        METRICS_COLUMNS,
        PREDICTION_COLUMNS,
        check_table,
        make_all,
    )

    out_dir = Path(args.out_dir)
    if not args.force:
        _refuse_existing(out_dir, _planned_stems(args))
    evaluation = check_table(
        _read_csv(args.evaluation, "--evaluation"), EVALUATION_COLUMNS, args.evaluation
    )
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
    _make_directory(out_dir)
    for path in make_all(evaluation, predictions, runs, out_dir):
        print(f"wrote {path}", file=sys.stderr)
    return 0


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
    """Read a CSV table; a missing or unreadable file is a one-line error."""
    import pandas as pd

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
