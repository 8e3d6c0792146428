"""Parameters of one search worker: a frozen dataclass, validated before any work."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass

from latticeml.checks import check_int_fields
from latticeml.errors import ParameterError
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
    train: str
    val: str
    target: str
    out: str
    storage: str = ""
    study_name: str = "search"
    n_trials: int = 20
    timeout: float = 0.0
    seeds: int = 1
    seed: int = 0
    worker: int = 0
    plane: int = 0
    epochs: int = 20
    batch_size: int = 25
    lr: float = 1e-2
    patience: int = 5
    loss: str = "site"
    schedule: str = "none"
    dtype: str = "float32"
    threads: int = 0
    train_limit: int = 0
    pruner: str = "median"
    device: str = "auto"
    stale_after: float = 600.0
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
