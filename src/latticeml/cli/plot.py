"""``latticeml results plot``: figures (PNG + PDF) from evaluation, prediction, training tables."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_command, add_switch

__all__ = ["add"]

def add(sub: argparse._SubParsersAction, name: str = "plot", *,
        replacement: str | None = None) -> None:
    """Add the plot command to ``sub`` (``replacement``: see :func:`add_command`)."""
    p = add_command(
        sub, name, replacement=replacement,
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
    add_switch(p, "--force", "overwrite existing figure files")
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
    from latticeml.plots.request import PlotRequest, draw_figures

    def seq(value):
        return tuple(value) if value is not None else None

    request = PlotRequest(
        evaluation=args.evaluation, out_dir=args.out_dir, predictions=args.predictions,
        metrics=seq(args.metrics), published=args.published, force=args.force,
        extrapolation_sets=seq(args.extrapolation_sets), mu_range=seq(args.mu_range),
        feature_models=seq(args.feature_models), feature_data=args.feature_data,
        figures=seq(args.figures))
    for path in draw_figures(request):
        print(f"wrote {path}", file=sys.stderr)
    return 0
