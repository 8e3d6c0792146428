"""Checkpoints of a running gauge generation: stop anywhere, resume, the same bytes.

A long chain (a SLURM job with a time limit, a killed laptop session) keeps its whole state in
one HDF5 file next to its output: the chain's state (:meth:`GaugeChain.state_dict`: links in
the internal layout, the counter of the counter-based random streams, acceptance counts and, for
hybrid Monte Carlo, the ``torch.Generator`` state), where the run stands
(:class:`latticeml.montecarlo.RunProgress`), the measurements so far and the configurations
already saved. :func:`latticeml.gauge.generate_ensemble` writes it every
:attr:`CheckpointParams.every` seconds and resumes from it when it exists; the resumed run gives
the same bytes as one that never stopped, whatever the moments of the checkpoints.

The file is written atomically (temporary file, then rename) and sealed with the same digests
as every other file of the package (:mod:`latticeml.data.checksum`); a checkpoint of other
parameters, a damaged one or one of another program is refused with the fix, never silently
restarted from scratch. Loading it executes no code: it is arrays and attributes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import latticeml
from latticeml.checks import check_float, check_int
from latticeml.data._h5 import open_h5
from latticeml.data.atomic import atomic_path
from latticeml.data.checksum import read_array, seal, verify_metadata
from latticeml.errors import FileFormatError, LatticeMLError, ParameterError
from latticeml.fields import option
from latticeml.gauge.params import GaugeParams
from latticeml.montecarlo import RunProgress

__all__ = ["CheckpointParams", "CHECKPOINT_KIND", "GenerationStoppedError", "write_checkpoint",
           "read_checkpoint", "checkpoint_fingerprint"]

#: ``kind`` attribute of a checkpoint file.
CHECKPOINT_KIND = "latticeml-gauge-checkpoint"
#: Version of the checkpoint layout (a resume refuses other versions).
CHECKPOINT_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class CheckpointParams:
    """When and where a generation keeps its state.

    Attributes
    ----------
    path : str or None
        The checkpoint file (``--checkpoint``). If it exists, the run resumes from it; it is
        removed once the ensemble is written. None: no checkpoints.
    every : float
        Seconds of wall-clock time between checkpoints, >= 0 (``--checkpoint-every``; 0: after
        every block of updates); the output does not depend on it.
    stop_after : int
        Stop with a checkpoint once this run (a resumed run counts from where it resumed) has
        made this many updates -- sweeps or trajectories (``--stop-after``; 0: run to the
        end). The stop falls on the first block boundary at or after that count: after a
        thermalisation update, or after the ``n_skip`` updates of a saved configuration. For
        splitting a chain into jobs of bounded length: the same command, run again,
        continues.
    """

    path: str | None = option(None, "checkpoint file: resume from it if it exists, write it "
                              "periodically, remove it when the ensemble is written",
                              flag="--checkpoint", metavar="F.h5")
    every: float = option(600.0, "seconds between checkpoints (the output does not depend "
                          "on it)", flag="--checkpoint-every")
    stop_after: int = option(0, "stop with a checkpoint and exit status 75 after this many "
                             "sweeps of this run; the same command continues; 0: run to the "
                             "end",
                             flag="--stop-after")

    def __post_init__(self) -> None:
        if self.path is not None:
            if not str(self.path):
                raise ParameterError("--checkpoint", "a file name", self.path)
            object.__setattr__(self, "path", str(self.path))
        object.__setattr__(self, "every", check_float(self.every, "--checkpoint-every", 0.0))
        object.__setattr__(self, "stop_after", check_int(self.stop_after, "--stop-after", 0))
        if self.path is None and self.stop_after:
            raise ParameterError("--stop-after", "a run with a --checkpoint file to continue "
                                 "from", f"--stop-after {self.stop_after} without one",
                                 "add --checkpoint F.h5")


class GenerationStoppedError(LatticeMLError):
    """A generation stopped on purpose (``stop_after``) with its state in a checkpoint.

    Attributes
    ----------
    path : str
        The checkpoint.
    done, total : int
        Updates run so far and in the whole run.
    """

    #: Exit status of the command line (``EX_TEMPFAIL``: run the same command again).
    exit_status = 75

    def __init__(self, path: str, done: int, total: int) -> None:
        self.path, self.done, self.total = path, done, total
        super().__init__(f"stopped after {done} of {total} sweeps with a checkpoint in {path}; "
                         "run the same command again to continue")


def checkpoint_fingerprint(params: GaugeParams, backend: str) -> str:
    """Return what must not change between a checkpoint and its resume, as canonical JSON.

    Every generation parameter but the thread count (the output does not depend on it), the
    resolved kernel backend (the backends round differently) and, for a model action, the
    SHA-256 of the model file (the same path with other weights is another chain).
    """
    record = {k: v for k, v in asdict(params).items() if k not in ("threads", "backend")}
    record["shape"] = list(record["shape"])
    record["backend"] = backend
    if params.hmc_action_model:
        from latticeml.data.provenance import sha256_file

        record["hmc_action_model_sha256"] = sha256_file(params.hmc_action_model)
    return json.dumps(record, sort_keys=True)


def write_checkpoint(path: str | os.PathLike, params: GaugeParams, backend: str,
                     state: dict[str, np.ndarray], progress: RunProgress,
                     saved: np.ndarray) -> Path:
    """Write (or replace) a checkpoint atomically.

    Parameters
    ----------
    path : path-like
        The checkpoint file.
    params : GaugeParams
        The generation's parameters.
    backend : str
        The kernel backend in use.
    state : dict of ndarray
        :meth:`latticeml.gauge.GaugeChain.state_dict`.
    progress : RunProgress
        Where the run stands.
    saved : ndarray
        The configurations saved so far, ``(progress.n_saved, *shape, D, N, N)``.

    Returns
    -------
    Path
        The written file.
    """
    with atomic_path(path, force=True) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["kind"] = CHECKPOINT_KIND
            f.attrs["format_version"] = CHECKPOINT_VERSION
            f.attrs["package_version"] = latticeml.__version__
            f.attrs["params"] = checkpoint_fingerprint(params, backend)
            f.attrs["done"] = progress.done
            f.attrs["n_saved"] = progress.n_saved
            f.attrs["value_names"] = json.dumps(sorted(progress.values))
            arrays: dict[str, Any] = {f"state/{k}": v for k, v in state.items()}
            for name, blocks in progress.values.items():
                arrays[f"values/{name}"] = np.concatenate(blocks) if blocks else np.empty(0)
            arrays["saved"] = saved[: progress.n_saved]
            for name, arr in arrays.items():
                arr = np.ascontiguousarray(arr)
                kwargs: dict[str, Any] = {"track_times": False}
                if arr.size:
                    kwargs.update(chunks=True, fletcher32=True)
                f.create_dataset(name, data=arr, **kwargs)
            seal(f)
    return Path(path)


def _names(f: h5py.File, group: str) -> list[str]:
    return sorted(f[group]) if group in f else []


def read_checkpoint(path: str | os.PathLike, params: GaugeParams, backend: str
                    ) -> tuple[dict[str, np.ndarray], RunProgress, np.ndarray]:
    """Read a checkpoint of this generation, every digest checked.

    Returns
    -------
    state : dict of ndarray
        For :meth:`latticeml.gauge.GaugeChain.load_state_dict`.
    progress : RunProgress
        Where the run stood.
    saved : ndarray
        The configurations saved before it.

    Raises
    ------
    FileFormatError
        If the file is not a checkpoint of this version, is damaged, or belongs to a
        generation with other parameters (the message names the difference and the fix).
    """
    fix = f"delete {path} to start afresh, or run with the parameters it was written with"
    try:
        with open_h5(path) as f:
            if f.attrs.get("kind") != CHECKPOINT_KIND:
                raise FileFormatError(path, f"not a gauge-generation checkpoint (kind "
                                      f"{f.attrs.get('kind')!r}); {fix}")
            if int(f.attrs.get("format_version", -1)) != CHECKPOINT_VERSION:
                raise FileFormatError(path, f"checkpoint version "
                                      f"{f.attrs.get('format_version')}, this version reads "
                                      f"{CHECKPOINT_VERSION}; {fix}")
            verify_metadata(f, path)
            stored = json.loads(str(f.attrs["params"]))
            wanted = json.loads(checkpoint_fingerprint(params, backend))
            diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
            if diff:
                detail = ", ".join(f"{k}: {stored.get(k)!r} there, {wanted.get(k)!r} now"
                                   for k in diff)
                raise FileFormatError(path, f"checkpoint of another generation ({detail}); "
                                      f"{fix}")
            state = {k: read_array(f, path, f"state/{k}") for k in _names(f, "state")}
            values = {k: [read_array(f, path, f"values/{k}")] for k in _names(f, "values")}
            saved = read_array(f, path, "saved")
            progress = RunProgress(int(f.attrs["done"]), int(f.attrs["n_saved"]), values)
    except FileFormatError as exc:
        if fix in exc.problem:
            raise
        raise FileFormatError(path, f"{exc.problem}; {fix}") from None
    except (OSError, KeyError, ValueError) as exc:
        text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]
        raise FileFormatError(path, f"cannot read the checkpoint ({text}); {fix}") from None
    if saved.shape[0] != progress.n_saved:
        raise FileFormatError(path, f"{saved.shape[0]} saved configurations, the checkpoint "
                              f"says {progress.n_saved}; {fix}")
    return state, progress, saved
