"""Parameters of a gauge evaluation, declared once (the ``latticeml model evaluate`` options).

Light (no torch): the command line is built from these fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from latticeml.checks import check_int_fields
from latticeml.errors import ParameterError
from latticeml.fields import option

__all__ = ["EvaluateParams", "check_model_and_test_files"]

_DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class EvaluateParams:
    """One evaluation.

    Attributes
    ----------
    models : tuple of str
        Model files (``model.pt``).
    test_sets : tuple of str
        Gauge dataset files.
    train_set : str
        The models' training set (fits the conditional-mean predictor); empty: skip it.
    batch_size : int
        Configurations per forward pass (any test-set size works).
    gauge_configs : int
        Configurations of the robustness tests (0: none).
    gauge_sets : tuple of str
        Labels of the test sets that get robustness tests (default: the first one).
    alphas : tuple of float
        Sizes of ``exp(i alpha chi)``.
    adversarial_steps : int
        AdamW steps of the adversarial search (0: none).
    adversarial_lr : float
        Its learning rate.
    seed : int
        Seed of the random transformations.
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    threads : int
        Torch CPU threads (0: torch's default).
    """

    models: tuple[str, ...] = option(help="model files", metavar="model.pt")
    test_sets: tuple[str, ...] = option(help="test datasets", metavar="F.h5", flag="--test")
    train_set: str = option("", "the models' training set (fits the conditional-mean "
                            "predictor; gauge test sets)", metavar="F.h5")
    batch_size: int = option(32, "configurations per forward pass")
    gauge_configs: int = option(8, "configurations of the robustness tests (0 = none)")
    gauge_sets: tuple[str, ...] = option((), "test-set labels (directory names) with "
                                         "robustness tests (none: the first test set)",
                                         metavar="LABEL", flag="--gauge-on")
    alphas: tuple[float, ...] = option((1e-3, 1e-2, 1e-1, 1.0), "sizes of exp(i alpha chi)")
    adversarial_steps: int = option(50, "AdamW steps of the adversarial search (0 = none)")
    adversarial_lr: float = option(0.05, "learning rate of the adversarial search")
    seed: int = option(0, "seed of the transformations")
    device: str = option("auto", "device", choices=_DEVICES)
    threads: int = option(0, "torch CPU threads (0 = torch's choice)")

    def __post_init__(self) -> None:
        check_model_and_test_files(self.models, self.test_sets)
        check_int_fields(self, {"batch_size": 1, "gauge_configs": 0, "adversarial_steps": 0,
                                "seed": 0, "threads": 0})
        if not all(math.isfinite(a) and a >= 0 for a in self.alphas):
            raise ParameterError("--alphas", "finite numbers >= 0", self.alphas)
        if self.device not in _DEVICES:
            raise ParameterError("--device", f"one of {', '.join(_DEVICES)}", self.device)
        if not (math.isfinite(self.adversarial_lr) and self.adversarial_lr > 0):
            raise ParameterError("--adversarial-lr", "a positive number", self.adversarial_lr)


def check_model_and_test_files(models: tuple[str, ...], test_sets: tuple[str, ...]) -> None:
    """Check the file lists of an evaluation: at least one test set, distinct model files.

    Parameters
    ----------
    models : tuple of str
        Model files (``--models``).
    test_sets : tuple of str
        Test dataset files (``--test``).

    Raises
    ------
    ParameterError
        If a list is empty or two model paths name the same file.
    """
    if not models:
        raise ParameterError("--models", "at least one model file", "none")
    if not test_sets:
        raise ParameterError("--test", "at least one test dataset", "none")
    if len({Path(p).resolve() for p in models}) != len(models):
        raise ParameterError("--models", "distinct model files", models)
