"""``latticeml results plot``: figures (PNG + PDF) from evaluation, prediction, training tables."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_command

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
    from latticeml.cli._fields import add_options
    from latticeml.plots.request import PlotRequest

    # every option is declared once, on PlotRequest (latticeml.fields.option)
    add_options(p, PlotRequest)
    p.set_defaults(func=_plot)


def _plot(args: argparse.Namespace) -> int:
    from latticeml.cli._fields import given_options
    from latticeml.plots.request import PlotRequest, draw_figures

    values = given_options(args, PlotRequest)
    if values.get("figures") is not None:  # --figures a b, or the comma list a,b
        values["figures"] = tuple(x for w in values["figures"] for x in w.split(",") if x)
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    for path in draw_figures(PlotRequest(**values)):
        print(f"wrote {path}", file=sys.stderr)
    return 0
