"""Model kinds and families, declared once.

A model spec (the ``build_model`` mapping, or a preset name) has a ``kind``; the kind decides
the field the model reads, the family it is listed under in tables and figures, and what the
tools downstream may do with it (explain it as Wilson loops, draw its feature maps), and the
class ``build_model`` (:mod:`latticeml.nn.build`) constructs: a new model family is its module
and one entry here.

Pure Python (no numpy, no torch): the Snakemake workflow imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["MODEL_KINDS", "ModelKind", "family_of", "kind_of", "kinds", "model_kind"]


@dataclass(frozen=True)
class ModelKind:
    """One model kind.

    Attributes
    ----------
    kind : str
        The spec's ``kind``.
    field : {'gauge', 'scalar'}
        What the model reads: gauge links or the dual scalar field.
    family : str
        Name in tables, legends and summaries (``L-CNN``, ``CNN``, ``EQ``, ...).
    explainable : bool
        A polynomial in the links that ``latticeml loops explain`` expands into Wilson loops.
    feature_maps : bool
        Convolutional features that the detector figure draws (scalar detectors).
    per_config : bool
        A scalar model that regresses one value per configuration (``complete_spec`` fills
        in ``out_features``).
    impl : str
        ``"module:Class"`` of the ``torch.nn.Module`` that ``build_model`` constructs.
    """

    kind: str
    field: str
    family: str
    impl: str
    explainable: bool = False
    feature_maps: bool = False
    per_config: bool = False


MODEL_KINDS: dict[str, ModelKind] = {m.kind: m for m in (
    ModelKind("lcnn", "gauge", "L-CNN", "latticeml.nn.models:LCNN", explainable=True),
    ModelKind("gauge_net", "gauge", "L-CNN", "latticeml.nn.gauge_net:GaugeNet",
              explainable=True),
    ModelKind("cnn", "gauge", "CNN", "latticeml.nn.baselines:BaselineCNN"),
    ModelKind("action", "gauge", "L-CNN action", "latticeml.nn.action:ActionLCNN"),
    ModelKind("eq", "scalar", "EQ", "latticeml.nn.scalar_cnn:EQ", feature_maps=True,
              per_config=True),
    ModelKind("st", "scalar", "ST", "latticeml.nn.scalar_cnn:ST", feature_maps=True,
              per_config=True),
    ModelKind("fl", "scalar", "FL", "latticeml.nn.scalar_cnn:FL", per_config=True),
    ModelKind("flux", "scalar", "EQ-max", "latticeml.nn.scalar_cnn:FluxClassifier",
              feature_maps=True),
)}


def kind_of(spec: Mapping | str) -> str:
    """Return the kind of a model spec: a preset (name or ``{"preset": ...}``) is ``lcnn``."""
    if isinstance(spec, str):
        return "lcnn"
    return str(spec.get("kind", "lcnn" if "preset" in spec else "")).lower()


def model_kind(spec: Mapping | str) -> ModelKind | None:
    """Return the :class:`ModelKind` of a spec, or ``None`` for an unknown kind."""
    return MODEL_KINDS.get(kind_of(spec))


def family_of(spec: Mapping | str) -> str:
    """``L-CNN``, ``CNN``, ``EQ``, ``ST``, ``FL`` or ``EQ-max``; an unknown kind as written."""
    found = model_kind(spec)
    return found.family if found is not None else kind_of(spec)


def kinds(field: str | None = None, **flags: bool) -> tuple[str, ...]:
    """Kinds of one field (``gauge``/``scalar``, ``None``: all) with the given flags set.

    ``kinds("scalar", feature_maps=True)`` gives ``("eq", "st", "flux")``.
    """
    return tuple(k for k, m in MODEL_KINDS.items()
                 if (field is None or m.field == field)
                 and all(getattr(m, name) == value for name, value in flags.items()))
