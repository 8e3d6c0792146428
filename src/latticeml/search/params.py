"""Parameters of one search worker: a frozen dataclass, validated before any work."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass

from latticeml.checks import check_int_fields
from latticeml.errors import ParameterError
from latticeml.fields import option
from latticeml.search.space import SearchSpace, spec_from_params
from latticeml.train.params import DTYPES, LOSSES, SCHEDULES

__all__ = ["SearchParams", "PRUNERS"]

PRUNERS = ("median", "none")


@dataclass(frozen=True)
class SearchParams:
    """One worker of an architecture search.

    Attributes
    ----------
    space : SearchSpace
        What is searched (:func:`~latticeml.search.space.parse_space`).
    train, val : str
        Dataset files.
    target : str
        Dataset target (``W_2x2``, ``n``, ...).
    out : str
        Study directory: ``trials.csv``, ``best.yaml``, ``best_model.yaml``, the default
        storage ``study.log`` and scratch directories of running trials.
    storage : str
        ``''`` (a journal file ``OUT/study.log``), a journal file path (``*.log``), an SQLite
        file (``*.db``) or an Optuna storage URL (``sqlite:///...``, ``postgresql://...``,
        ``mysql://...``).
    study_name : str
        Name of the study in the storage (workers on one study share it).
    n_trials : int
        Finished trials (complete or pruned) the study should hold; the workers together stop
        there.
    timeout : float
        This worker starts no new trial after this many seconds (0: no limit).
    seeds : int
        Replicas per trial; the objective is their mean best validation loss. Every trial uses
        the same seeds ``seed, seed+1, ...`` (common random numbers).
    seed : int
        Seed of the replicas and (with ``worker``) of the TPE sampler.
    worker : int
        Index of this worker (decorrelates the samplers of parallel workers).
    plane, epochs, batch_size, lr, patience, loss, schedule, dtype, threads, train_limit
        Training defaults for every trial (the space may override ``lr``, ``batch_size``,
        ``weight_decay``, ``schedule``).
    pruner : {'median', 'none'}
        Median pruning on the per-epoch validation loss of the first replica.
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    stale_after : float
        A running trial whose worker sent no heartbeat for this many seconds (or whose process
        on this host is gone) is failed and queued again.
    enqueue : tuple of dict
        Parameter sets (as the study names them: ``layers``, ``channels_0``, ``lr``, ...) run
        first, once per study: reference architectures such as a preset, measured under the
        same budget as the searched ones.
    """

    space: SearchSpace
    train: str = option(help="training dataset", metavar="F.h5")
    val: str = option(help="validation dataset", metavar="F.h5")
    target: str = option(help="target, e.g. W_2x2 or n")
    out: str
    storage: str = option("", "journal file (*.log), SQLite file (*.db) or Optuna storage URL "
                          "(none: DIR/study.log)")
    study_name: str = option("search", "study name")
    n_trials: int = option(20, "finished trials the study should hold")
    timeout: float = option(0.0, "start no trial after this many seconds (0 = no limit)")
    seeds: int = option(1, "replicas per trial")
    seed: int = option(0, "replica seeds start here")
    worker: int = option(0, "index of this worker (decorrelates parallel samplers)")
    plane: int = option(0, "plane of Wilson loops")
    epochs: int = option(10, "epochs per trial")
    batch_size: int = option(20, "batch size when the space does not search it")
    lr: float = option(1e-2, "learning rate when the space does not search it")
    patience: int = option(3, "early stopping")
    loss: str = option("site", "training loss", choices=LOSSES)
    schedule: str = option("none", "learning-rate schedule", choices=SCHEDULES)
    dtype: str = option("float32", "training precision", choices=DTYPES)
    threads: int = option(0, "torch CPU threads (0: torch's choice)")
    train_limit: int = option(0, "train each trial on this many evenly spaced training "
                              "samples (0 = all)", metavar="N")
    pruner: str = option("median", "pruning of trials on the first replica's validation curve",
                         choices=PRUNERS)
    device: str = option("auto", "torch device: auto (CUDA when available), cpu or cuda")
    stale_after: float = option(600.0, "seconds without heartbeat after which another "
                                "worker's running trial is queued again")
    enqueue: tuple = ()

    def __post_init__(self) -> None:
        check_int_fields(self, {**dict.fromkeys(("n_trials", "seeds", "epochs", "batch_size"), 1),
                                **dict.fromkeys(("seed", "worker", "plane", "patience",
                                                 "threads", "train_limit"), 0)})
        for key in ("timeout", "stale_after", "lr"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or v < 0 or (key != "timeout" and v == 0):
                raise ParameterError(f"--{key.replace('_', '-')}", "a finite number "
                                     + (">= 0" if key == "timeout" else "> 0"), v)
        for key, choices in (("pruner", PRUNERS), ("loss", LOSSES), ("schedule", SCHEDULES),
                             ("dtype", DTYPES)):
            if getattr(self, key) not in choices:
                raise ParameterError(f"--{key}", f"one of {', '.join(choices)}",
                                     getattr(self, key))
        for i, ref in enumerate(self.enqueue):
            if not isinstance(ref, dict) or not ref:
                raise ParameterError("--enqueue", "a mapping of parameter names to values",
                                     ref, f"entry {i}")
            try:
                spec_from_params(self.space, ref)
            except (ValueError, KeyError, TypeError) as exc:
                raise ParameterError("--enqueue", "parameters inside the space", ref,
                                     str(exc).splitlines()[0] if str(exc) else "") from None
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", self.study_name):
            raise ParameterError("--study-name", "letters, digits, '_', '-' and '.'",
                                 self.study_name)

    def definition(self) -> dict:
        """Return what defines the study (space, data, target, budget): workers must agree on it."""
        return {"space": self.space.source, "target": self.target, "plane": self.plane,
                "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                "patience": self.patience, "loss": self.loss, "schedule": self.schedule,
                "dtype": self.dtype, "train_limit": self.train_limit, "seeds": self.seeds,
                "seed": self.seed, "pruner": self.pruner}

    def definition_hash(self) -> str:
        """SHA-256 of :meth:`definition` (stored in the study's attributes)."""
        text = json.dumps(self.definition(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()
