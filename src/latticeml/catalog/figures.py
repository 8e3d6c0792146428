"""The figures of a study, declared once: file stem, field, group, report caption and labels.

``latticeml results plot`` writes them (:mod:`latticeml.plots.make`), the workflow's plot rules list
them as outputs and report entries, and the workflow's target list asks for the groups a
study's experiments support. A group is drawn by one rule: ``gauge`` (every gauge study),
``regression``, ``training``, ``extrapolation`` and ``detector`` (scalar studies).

Pure Python (no numpy, no torch): the Snakemake workflow imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIGURES", "FigureEntry", "figure_stems", "figures"]


@dataclass(frozen=True)
class FigureEntry:
    """One figure of a study.

    Attributes
    ----------
    stem : str
        File stem (``<stem>.png`` and ``<stem>.pdf`` in the study's plot folder).
    field : {'gauge', 'scalar'}
        Studies it belongs to.
    group : str
        The plot rule that draws it.
    caption : str
        Stem of its report caption (``workflow/report/<caption>.rst``).
    subcategory : str
        Report subcategory.
    label : str
        Report label.
    """

    stem: str
    field: str
    group: str
    caption: str
    subcategory: str
    label: str


#: Every study figure, in the order ``latticeml results plot`` writes them.
FIGURES: tuple[FigureEntry, ...] = (
    FigureEntry("error_vs_size", "gauge", "gauge", "gauge_error_vs_size", "Generalisation",
                "error vs L"),
    FigureEntry("predicted_vs_true", "gauge", "gauge", "gauge_predicted_vs_true",
                "Generalisation", "predicted vs true"),
    FigureEntry("training_curves", "gauge", "gauge", "training_curves", "Training",
                "training curves"),
    FigureEntry("gauge_robustness", "gauge", "gauge", "gauge_robustness", "Gauge robustness",
                "gauge robustness"),
    FigureEntry("observable_vs_mu", "scalar", "regression", "scalar_observable_vs_mu",
                "Generalisation", "observable vs mu"),
    FigureEntry("error_vs_size", "scalar", "regression", "scalar_error_vs_size",
                "Generalisation", "error vs V"),
    FigureEntry("predicted_vs_true", "scalar", "regression", "scalar_predicted_vs_true",
                "Generalisation", "predicted vs true"),
    FigureEntry("extrapolation", "scalar", "extrapolation", "scalar_extrapolation",
                "Generalisation", "extrapolation"),
    FigureEntry("classifier_accuracy", "scalar", "detector", "classifier_accuracy",
                "Flux-violation detector", "detector error rate"),
    FigureEntry("feature_maps", "scalar", "detector", "feature_maps", "Flux-violation detector",
                "feature maps"),
    FigureEntry("training_curves", "scalar", "training", "training_curves", "Training",
                "training curves"),
)


def figures(field: str, group: str | None = None) -> tuple[FigureEntry, ...]:
    """Return the figures of one field (and group, if given), in writing order."""
    return tuple(f for f in FIGURES if f.field == field and group in (None, f.group))


def figure_stems(field: str, group: str | None = None) -> tuple[str, ...]:
    """Return the file stems of :func:`figures`."""
    return tuple(f.stem for f in figures(field, group))
