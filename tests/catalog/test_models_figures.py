"""Model kinds and study figures in the catalogue agree with the code that uses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from latticeml.catalog import figures as fig_catalog
from latticeml.catalog import models as model_catalog
from latticeml.errors import ParameterError
from latticeml.nn import MODEL_KINDS, build_model

ROOT = Path(__file__).resolve().parents[2]


def test_kinds_are_the_classes_of_build_model():
    import torch

    assert set(model_catalog.MODEL_KINDS) == set(MODEL_KINDS)
    for kind, m in model_catalog.MODEL_KINDS.items():  # the class each entry names
        assert issubclass(MODEL_KINDS[kind], torch.nn.Module)
        assert f"{MODEL_KINDS[kind].__module__}:{MODEL_KINDS[kind].__name__}" == m.impl
    with pytest.raises(ParameterError, match="model.kind"):
        build_model({"kind": "nope"})
    # the field of a kind is the field its class reads: gauge kinds take a group
    for kind in model_catalog.kinds("scalar"):
        with pytest.raises(ParameterError, match="model.group"):
            build_model({"kind": kind, "group": "su2"})


def test_kind_resolution_and_families():
    assert model_catalog.kind_of("W2x2-small") == "lcnn"
    assert model_catalog.kind_of({"preset": "W1x1", "dim": 4}) == "lcnn"
    assert model_catalog.kind_of({"kind": "EQ"}) == "eq"
    assert [model_catalog.family_of({"kind": k}) for k in model_catalog.MODEL_KINDS] == [
        "L-CNN", "L-CNN", "CNN", "L-CNN action", "EQ", "ST", "FL", "EQ-max"]
    assert model_catalog.family_of({"kind": "new"}) == "new"
    assert model_catalog.model_kind({"kind": "new"}) is None
    assert model_catalog.kinds(explainable=True) == ("lcnn", "gauge_net")
    assert model_catalog.kinds("scalar", feature_maps=True) == ("eq", "st", "flux")
    assert model_catalog.kinds("scalar", per_config=True) == ("eq", "st", "fl")


def test_figures_have_captions_and_unique_files():
    for field in ("gauge", "scalar"):
        stems = fig_catalog.figure_stems(field)
        assert len(stems) == len(set(stems)), field
    for f in fig_catalog.FIGURES:
        assert (ROOT / "workflow/report" / f"{f.caption}.rst").is_file(), f.caption
    assert fig_catalog.figure_stems("scalar", "detector") == ("classifier_accuracy",
                                                              "feature_maps")
    assert fig_catalog.figure_stems("gauge") == (
        "error_vs_size", "predicted_vs_true", "training_curves", "gauge_robustness")


def test_plot_writers_list_the_catalogue():
    from latticeml.plots import FIGURE_STEMS, SCALAR_FIGURE_STEMS

    assert FIGURE_STEMS == fig_catalog.figure_stems("gauge")
    assert SCALAR_FIGURE_STEMS == fig_catalog.figure_stems("scalar")
    rules = (ROOT / "workflow/rules/plots.smk").read_text()
    for group in {f.group for f in fig_catalog.FIGURES}:
        assert f'"{group}")' in rules, group  # every group has its plot rule
    # no figure spelled in the rules any more: outputs and --figures come from the catalogue
    assert "study_figure(" not in rules and 'figures="' not in rules
