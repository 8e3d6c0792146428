"""Training parameters: one frozen dataclass, validated before any work is done."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from latticeml.errors import ParameterError
from latticeml.fields import option

__all__ = ["TrainParams", "parse_model_spec", "LOSSES", "SCHEDULES", "DEVICES", "DTYPES"]

LOSSES = ("site", "mean")
SCHEDULES = ("none", "cosine", "plateau")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float32", "float64")


def parse_model_spec(text: str | Mapping) -> dict:
    """Turn ``--model`` into a ``build_model`` mapping.

    Parameters
    ----------
    text : str or Mapping
        A preset name (``W2x2-small``), an inline YAML/JSON mapping
        (``'{kind: cnn, channels: [8, 8]}'``), a path to a YAML file holding such a mapping,
        or a mapping.

    Returns
    -------
    dict
        The spec (a preset name becomes ``{"preset": name}``).

    Raises
    ------
    ParameterError
        If the text is none of these.
    """
    from latticeml.nn.presets import PRESETS

    if isinstance(text, Mapping):
        return dict(text)
    text = str(text).strip()
    if text in PRESETS:
        return {"preset": text}
    source = text
    if not text.startswith("{") and (text.endswith((".yaml", ".yml", ".json")) or os.sep in text):
        path = Path(text)
        if not path.is_file():
            raise ParameterError("--model", "a preset name, a mapping or an existing YAML file",
                                 text, f"no such file; presets: {', '.join(PRESETS)}")
        try:
            source = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError("--model", "a readable YAML file", text,
                                 type(exc).__name__) from None
    try:
        spec = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise ParameterError("--model", "valid YAML/JSON", text, first) from None
    if not isinstance(spec, Mapping):
        raise ParameterError("--model", "a preset name, a mapping or a YAML file with a mapping",
                             text, f"presets: {', '.join(PRESETS)}")
    return dict(spec)


def _positive(name: str, value, *, integer: bool = True, allow_zero: bool = False) -> None:
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        raise ParameterError(name, "an integer" if integer else "a finite number", value)
    if value < 0 or (value == 0 and not allow_zero):
        raise ParameterError(name, ">= 0" if allow_zero else "> 0", value)


# options added after models were published with this package: left out of a run's fingerprint
# at these values, so that earlier runs (and their checkpoints) keep their identity
_NEW_DEFAULTS = {"warmup_epochs": 0, "clip_grad_norm": 0.0, "stop_window": 0, "min_epochs": 0,
                 "stop_min_improvement": 0.01, "lbfgs_steps": 0, "lbfgs_max_iter": 20,
                 "lbfgs_samples": 0, "init_from": "", "derivative_weight": 0.5}


@dataclass(frozen=True)
class TrainParams:
    """Everything that defines one training run.

    Attributes
    ----------
    train, val : str
        Dataset files (``latticeml dataset build``) for training and validation.
    target : str
        Target name in the dataset, e.g. ``W_2x2``.
    model : dict
        ``build_model`` mapping (see :func:`parse_model_spec`).
    out : str
        Output directory (``model.pt``, ``checkpoint.pt``, ``metrics.csv``).
    plane : int
        Plane index of Wilson-loop targets (lexicographic ``(0,1), (0,2), ...``).
    epochs, batch_size : int
        Maximal number of epochs (0: no first stage, only with ``init_from`` and
        ``lbfgs_steps``: L-BFGS continues that model); samples per optimiser step (the last
        batch may be smaller).
    lr, weight_decay : float
        AdamW (amsgrad) learning rate and weight decay.
    patience : int
        Stop after this many epochs without a lower validation loss (0: never stop early).
    loss : {'site', 'mean'}
        MSE per site, or MSE of the lattice averages (the published protocol).
    schedule : {'none', 'cosine', 'plateau'}
        Learning-rate schedule: constant, cosine to ``min_lr`` over ``epochs``, or halving
        after ``plateau_patience`` epochs without improvement (down to ``min_lr``).
    seed : int
        Seed of the initial weights and of the shuffling.
    dtype : {'float32', 'float64'}
        Precision of the parameters (links complex64 / complex128).
    device : {'auto', 'cpu', 'cuda'}
        ``auto`` takes CUDA when available.
    threads : int
        CPU threads of torch (0: leave torch's default).
    name : str
        Experiment label stored in the model file (default: the name of ``out``).
    replica : int
        Replica label stored in the model file.
    train_limit : int
        Train on this many training samples, evenly spaced through the file so that every
        coupling keeps its share (0: all). Searches use it for a reduced budget.
    warmup_epochs : int
        Linear learning-rate warm-up over the optimiser steps of this many first epochs, on
        top of ``schedule`` (0: none).
    clip_grad_norm : float
        Clip the gradient's global 2-norm to this value before every AdamW step (0: no
        clipping; the norm is logged either way).
    min_epochs : int
        Neither ``patience`` nor the stop rule ends the first stage before this epoch (a
        network that starts on a plateau at the trivial predictor is not stopped there).
    stop_window, stop_min_improvement : int, float
        Stop rule on the validation curve: end the first stage when the best validation
        loss of the last ``stop_window`` epochs is less than ``stop_min_improvement``
        (relative) below the best before them (``stop_window`` 0: no such rule).
    time_budget : float
        Wall-clock seconds for the whole run, summed over resumed runs (0: none). The first
        stage ends at the epoch that crosses the budget -- half of it when ``lbfgs_steps`` is
        set, so that L-BFGS keeps the other half. A budget makes the result depend on the
        machine's speed; it is not part of the fingerprint (a resumed run may extend it).
    lbfgs_steps : int
        Second stage: this many outer steps of full-batch L-BFGS (strong Wolfe line search)
        from the best first-stage weights, each of at most ``lbfgs_max_iter`` iterations and
        followed by a validation and a checkpoint (0: no second stage). Meant for models of
        up to ~2e4 parameters and best with ``dtype`` float64.
    lbfgs_max_iter : int
        Iterations per outer L-BFGS step.
    lbfgs_samples : int
        Training samples of the full batch, evenly spaced through the training set (0: all).
    init_from : str
        A model file (``model.pt`` of an earlier run) whose weights start this run instead of
        a random initialisation (fine-tuning, curricula); its model spec must equal this
        run's. The file's content digest enters the fingerprint ("": random start).
    derivative_weight : float
        Action targets (``fixed_point_action``, task ``action``): the loss is ``(1 - w)`` times
        the MSE of the actions plus ``w`` times the MSE of the derivatives' su(N)
        coordinates, both in units of the actions' standard deviation.
    """

    train: str = option(help="training dataset", metavar="F.h5")
    val: str = option(help="validation dataset", metavar="F.h5")
    target: str = option(help="target, e.g. W_2x2")
    model: dict = field(default_factory=dict)
    out: str = "."
    plane: int = option(0, "plane of Wilson-loop targets for D > 2 (0 = (0,1))")
    epochs: int = option(100, "maximal epochs (0: no first stage; with --init-from and "
                         "--lbfgs-steps, L-BFGS continues the given model)")
    batch_size: int = option(25, "samples per optimiser step")
    lr: float = option(1e-2, "learning rate")
    weight_decay: float = option(0.0, "AdamW weight decay")
    patience: int = option(20, "stop after this many epochs without a lower validation loss "
                           "(0 = never)")
    loss: str = option("site", "MSE per site, or of lattice averages (the published protocol)",
                       choices=LOSSES)
    schedule: str = option("none", "learning-rate schedule", choices=SCHEDULES)
    min_lr: float = option(1e-6, "lowest learning rate of the schedules")
    plateau_patience: int = option(5, "epochs without improvement before 'plateau' halves the "
                                   "rate")
    seed: int = option(0, "seed of the weights and of the shuffling")
    dtype: str = option("float32", "precision of the parameters", choices=DTYPES)
    device: str = option("auto", "device (auto: CUDA when available)", choices=DEVICES)
    threads: int = option(0, "torch CPU threads (0 = torch's choice)")
    name: str = option("", "experiment label stored in the model file")
    replica: int = option(0, "replica label stored in the model file")
    train_limit: int = option(0, "train on N samples evenly spaced through --train (0 = all)",
                              metavar="N")
    warmup_epochs: int = option(0, "linear learning-rate warm-up over the steps of the first E "
                                "epochs", metavar="E")
    clip_grad_norm: float = option(0.0, "clip the gradient norm to C before each step (0 = off)",
                                   metavar="C")
    stop_window: int = option(0, "stop rule: end when the last W epochs lowered the best "
                              "validation loss by less than --stop-min-improvement (0 = off)",
                              metavar="W")
    stop_min_improvement: float = option(0.01, "relative improvement over --stop-window epochs "
                                         "that goes on", metavar="R")
    min_epochs: int = option(0, "neither --patience nor the stop rule ends the first stage "
                             "before epoch E", metavar="E")
    time_budget: float = option(0.0, "wall-clock budget of the run, resumed runs included "
                                "(0 = none; with --lbfgs-steps, half of it is L-BFGS's)",
                                metavar="SECONDS")
    lbfgs_steps: int = option(0, "second stage: K outer steps of full-batch L-BFGS (strong "
                              "Wolfe) from the best weights (0 = none)", metavar="K")
    lbfgs_max_iter: int = option(20, "iterations per outer L-BFGS step", metavar="I")
    lbfgs_samples: int = option(0, "full batch of L-BFGS: N training samples evenly spaced "
                                "(0 = all)", metavar="N")
    init_from: str = option("", "start from the weights of this model file (same model spec) "
                            "instead of a random initialisation: fine-tuning, curricula",
                            metavar="MODEL.pt")
    derivative_weight: float = option(0.5, "action targets (fixed_point_action): weight w of "
                                      "the derivatives in the loss (1 - w: the values)",
                                      metavar="W")

    def __post_init__(self) -> None:
        _positive("--batch-size", self.batch_size)
        _positive("--epochs", self.epochs, allow_zero=True)
        if self.epochs == 0 and not (self.init_from and self.lbfgs_steps):
            raise ParameterError("--epochs", "> 0 (0 only continues a model with L-BFGS: "
                                 "with --init-from and --lbfgs-steps)", self.epochs,
                                 "give --epochs >= 1, or --init-from MODEL.pt and "
                                 "--lbfgs-steps K")
        for key in ("patience", "plateau_patience", "threads", "seed", "replica", "plane",
                    "train_limit", "warmup_epochs", "stop_window", "min_epochs", "lbfgs_steps",
                    "lbfgs_samples"):
            _positive(f"--{key.replace('_', '-')}", getattr(self, key), allow_zero=True)
        _positive("--lbfgs-max-iter", self.lbfgs_max_iter)
        for key in ("clip_grad_norm", "stop_min_improvement", "time_budget"):
            _positive(f"--{key.replace('_', '-')}", getattr(self, key), integer=False,
                      allow_zero=True)
        _positive("--lr", self.lr, integer=False)
        if not 0.0 <= float(self.derivative_weight) <= 1.0:
            raise ParameterError("--derivative-weight", "a number in [0, 1]",
                                 self.derivative_weight)
        _positive("--min-lr", self.min_lr, integer=False, allow_zero=True)
        _positive("--weight-decay", self.weight_decay, integer=False, allow_zero=True)
        for key, choices in (("loss", LOSSES), ("schedule", SCHEDULES), ("device", DEVICES),
                             ("dtype", DTYPES)):
            if getattr(self, key) not in choices:
                raise ParameterError(f"--{key}", f"one of {', '.join(choices)}",
                                     getattr(self, key))
        if not isinstance(self.model, Mapping) or not self.model:
            raise ParameterError("--model", "a non-empty model spec", self.model)
        if not self.target:
            raise ParameterError("--target", "a target name such as W_2x2", self.target)
        if not isinstance(self.init_from, str):
            raise ParameterError("--init-from", "a model file path", self.init_from)
        if self.train and self.val and Path(self.train).resolve() == Path(self.val).resolve():
            raise ParameterError("--val", "a file other than --train", self.val,
                                 "early stopping on the training set would select nothing")

    @property
    def label(self) -> str:
        """Experiment label: ``name`` or the output directory's name."""
        return self.name or Path(self.out).resolve().name

    def model_spec(self) -> dict:
        """Return the model spec with this run's dtype."""
        return {**self.model, "dtype": self.dtype}

    def fingerprint_dict(self) -> dict[str, Any]:
        """Return the parameters that fix the trained weights (not paths, device, labels)."""
        d = asdict(self)
        for key in ("out", "device", "threads", "name", "replica", "train", "val"):
            d.pop(key)
        if self.init_from:  # the starting weights, not the path (the trainer adds the digest)
            d["init_from"] = "model file"
        d["model"] = self.model_spec()
        if not self.train_limit:  # fingerprints of runs on the whole set stay as they were
            d.pop("train_limit")
        d.pop("time_budget")  # when to stop, not what a step does: a resumed run may extend it
        for key, default in _NEW_DEFAULTS.items():  # runs without them keep their fingerprint
            if d[key] == default:
                d.pop(key)
        if not self.stop_window:
            d.pop("stop_min_improvement", None)
        if not self.lbfgs_steps:
            d.pop("lbfgs_max_iter", None)
            d.pop("lbfgs_samples", None)
        return json.loads(json.dumps(d, sort_keys=True, default=str))
