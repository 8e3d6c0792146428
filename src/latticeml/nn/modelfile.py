"""Model files (``model.pt``): plain data, verified on load, never code.

A model file is a ``torch.save`` of a dict of plain types and tensors, read with
``torch.load(weights_only=True)``:

========================  ======================================================================
key                       content
========================  ======================================================================
``format``                ``"latticeml-model"``
``format_version``        1
``package_version``       latticeml version that wrote it (must match the reader's)
``spec``                  the ``build_model`` mapping (incl. ``dtype``)
``state_dict``            weights of the model built from ``spec``
``target``, ``plane``     target name (e.g. ``W_2x2``) and plane index
``normalisation``         ``{"mean": m, "std": s}``: the network predicts ``(y - m) / s``
``task``                  ``"regression"`` or ``"classification"`` (the network gives logits;
                          optional, files without it are regressors)
``info``                  free-form plain data (training parameters, dataset checksums, epoch,
                          validation loss, experiment label, replica, parameter count)
``checksum``              SHA-256 over the canonical JSON of all other entries and the bytes of
                          every tensor, so a damaged file is refused
========================  ======================================================================

:func:`load_model` returns a module in eval mode whose output is in the target's own units:
a :class:`Regressor` (gauge links ``(B, *shape, D, N, N)`` -> per-site predictions
``(B, *shape)``; scalar channels ``(B, 4, N_t, N_x)`` -> ``(B,)``) or a :class:`Detector`
(``(B, 4, N_t, N_x)`` -> probabilities ``(B,)``).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

import latticeml
from latticeml.errors import FileFormatError, ParameterError

__all__ = ["MODEL_FORMAT", "Regressor", "Detector", "save_model_file", "read_model_file",
           "load_model", "model_checksum", "TASKS"]

TASKS = ("regression", "classification", "action")

MODEL_FORMAT = "latticeml-model"
MODEL_FORMAT_VERSION = 1
_REQUIRED = ("format", "format_version", "package_version", "spec", "state_dict", "target",
             "plane", "normalisation", "info", "checksum")


class Regressor(nn.Module):
    """A network and the normalisation of its target: output in the target's units.

    Parameters
    ----------
    net : torch.nn.Module
        Maps links ``(B, *shape, D, N, N)`` to normalised predictions ``(B, *shape)``, or
        scalar channels ``(B, 4, N_t, N_x)`` to ``(B,)``.
    mean, std : float
        The network predicts ``(y - mean) / std``.
    """

    task = "regression"

    def __init__(self, net: nn.Module, mean: float, std: float):
        super().__init__()
        self.net = net
        dtype = next(net.parameters()).dtype
        self.register_buffer("mean", torch.tensor(float(mean), dtype=dtype))
        self.register_buffer("std", torch.tensor(float(std), dtype=dtype))

    def forward(self, links: torch.Tensor) -> torch.Tensor:
        """Map inputs to predictions in target units (``(B, *shape)`` or ``(B,)``)."""
        return self.net(links) * self.std + self.mean


class Detector(nn.Module):
    """A classifier network (logits) whose output is the probability of the positive class.

    Parameters
    ----------
    net : torch.nn.Module
        Maps ``(B, 4, N_t, N_x)`` to logits ``(B,)``.
    """

    task = "classification"

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> probabilities ``(B,)`` (e.g. that flux is violated)."""
        return torch.sigmoid(self.net(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> logits ``(B,)``."""
        return self.net(x)


def _canonical(obj: Any, h: hashlib._Hash) -> None:
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, Mapping):
        h.update(b"{")
        for key in sorted(obj, key=str):
            h.update(json.dumps(str(key)).encode())
            _canonical(obj[key], h)
        h.update(b"}")
    elif isinstance(obj, (list, tuple)):
        h.update(b"[")
        for item in obj:
            _canonical(item, h)
        h.update(b"]")
    else:
        h.update(json.dumps(obj, sort_keys=True, default=str).encode())


def model_checksum(content: Mapping) -> str:
    """SHA-256 of a model file's content without its ``checksum`` entry."""
    h = hashlib.sha256()
    _canonical({k: v for k, v in content.items() if k != "checksum"}, h)
    return h.hexdigest()


def save_model_file(path: str | os.PathLike, *, spec: Mapping, state_dict: Mapping,
                    target: str, plane: int, mean: float, std: float,
                    info: Mapping | None = None, task: str = "regression") -> None:
    """Write a model file atomically (temporary file, then rename).

    Parameters
    ----------
    path : path-like
        Destination (replaced if it exists).
    spec : Mapping
        ``build_model`` mapping.
    state_dict : Mapping
        Weights of the model built from ``spec``.
    target : str
        Target name.
    plane : int
        Plane index of the target.
    mean, std : float
        Normalisation of the target.
    info : Mapping, optional
        Plain-data provenance (no objects).
    task : {'regression', 'classification'}
        What the network's output means (classification: logits).
    """
    if task not in TASKS:
        raise ParameterError("task", f"one of {TASKS}", task)
    content = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "package_version": latticeml.__version__,
        "spec": json.loads(json.dumps(dict(spec))),
        "state_dict": {k: v.detach().cpu().clone() for k, v in state_dict.items()},
        "target": str(target),
        "plane": int(plane),
        "normalisation": {"mean": float(mean), "std": float(std)},
        "info": json.loads(json.dumps(dict(info or {}), default=str)),
    }
    if task != "regression":  # files of regressors keep the layout of format version 1
        content["task"] = task
    content["checksum"] = model_checksum(content)
    atomic_torch_save(content, path)


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file in the same directory, then rename over ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        buf = io.BytesIO()
        torch.save(obj, buf)
        with open(tmp, "wb") as f:
            f.write(buf.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_model_file(path: str | os.PathLike, *, check_version: bool = True) -> dict:
    """Read and verify a model file (no code is executed).

    Parameters
    ----------
    path : path-like
        The file.
    check_version : bool
        Refuse files written by another latticeml version.

    Returns
    -------
    dict
        The verified content (see the module docstring).

    Raises
    ------
    FileFormatError
        If the file is missing, damaged, not a latticeml model file, fails its checksum or
        comes from another package version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(path, "no such model file; train one with `latticeml model train`")
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileFormatError(path, f"not a readable model file ({first[:160]})") from None
    except Exception as exc:  # unpickling of a non-weights object is refused by torch
        raise FileFormatError(path, f"refused: not plain data ({type(exc).__name__})") from None
    if not isinstance(content, dict) or content.get("format") != MODEL_FORMAT:
        raise FileFormatError(path, f"expected format {MODEL_FORMAT!r}; not a latticeml model "
                              "file (a checkpoint.pt? use the model.pt beside it)")
    missing = [k for k in _REQUIRED if k not in content]
    if missing:
        raise FileFormatError(path, f"model file lacks {missing}")
    if content["format_version"] != MODEL_FORMAT_VERSION:
        raise FileFormatError(path, f"format_version {content['format_version']}, this "
                              f"latticeml reads {MODEL_FORMAT_VERSION}")
    if content["checksum"] != model_checksum(content):
        raise FileFormatError(path, "checksum mismatch: the file is damaged")
    if content.get("task", "regression") not in TASKS:
        raise FileFormatError(path, f"unknown task {content.get('task')!r}; expected one of "
                              f"{TASKS}")
    _check_content(path, content)
    if check_version and content["package_version"] != latticeml.__version__:
        raise FileFormatError(path, f"written by latticeml {content['package_version']}, this is "
                              f"{latticeml.__version__}; retrain, or install that version")
    return content


def _check_content(path, content: Mapping) -> None:
    """Refuse what a checksum cannot: a file whose digest was recomputed over bad content.

    Weights must be finite tensors, the normalisation finite numbers (``std > 0``), ``spec``
    and ``info`` mappings: a NaN weight would otherwise evaluate to empty metrics and could be
    selected as the best replica.
    """
    for key in ("spec", "info", "state_dict"):
        if not isinstance(content[key], Mapping):
            raise FileFormatError(path, f"{key} is a {type(content[key]).__name__}, expected a "
                                  "mapping; the file was not written by latticeml model train")
    for name, value in content["state_dict"].items():
        if not isinstance(value, torch.Tensor):
            raise FileFormatError(path, f"weight {name!r} is a {type(value).__name__}, expected "
                                  "a tensor")
        if (value.is_floating_point() or value.is_complex()) and not bool(
                torch.isfinite(value).all()):
            raise FileFormatError(path, f"weight {name!r} holds NaN or infinite values; the "
                                  "training diverged or the file was altered: retrain")
    norm = content["normalisation"]
    if not isinstance(norm, Mapping) or set(norm) != {"mean", "std"}:
        raise FileFormatError(path, f"normalisation is {norm!r}, expected {{'mean': m, "
                              "'std': s}")
    for key in ("mean", "std"):
        v = norm[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise FileFormatError(path, f"normalisation {key} is {v!r}, expected a finite "
                                  "number")
    if norm["std"] <= 0:
        raise FileFormatError(path, f"normalisation std is {norm['std']!r}, expected > 0")


def load_model(path: str | os.PathLike, *, device: str | torch.device = "cpu",
               check_version: bool = True) -> Regressor | Detector:
    """Load a trained model: a :class:`Regressor` in eval mode, outputs in target units.

    Parameters
    ----------
    path : path-like
        A ``model.pt`` written by ``latticeml model train``.
    device : str or torch.device
        Where to put the weights.
    check_version : bool
        Refuse files written by another latticeml version.

    Returns
    -------
    Regressor or Detector
        Gauge regressors: links ``(B, *shape, D, N, N)`` -> ``(B, *shape)`` per-site
        predictions; scalar regressors: ``(B, 4, N_t, N_x)`` float -> ``(B,)``; detectors
        (``task == "classification"``): ``(B, 4, N_t, N_x)`` -> probabilities ``(B,)``;
        actions (``task == "action"``): links -> actions ``(B,)`` (a Regressor whose ``task``
        is ``action``; ``latticeml.hmc.ModelAction`` samples with it).
    """
    from latticeml.nn.build import build_model

    content = read_model_file(path, check_version=check_version)
    try:
        net = build_model(content["spec"])
        net.load_state_dict(content["state_dict"])
    except (ParameterError, RuntimeError, TypeError) as exc:
        first = str(exc).splitlines()[0]
        raise FileFormatError(path, f"weights do not fit the stored spec ({first[:160]})") from None
    norm = content["normalisation"]
    if content.get("task", "regression") == "classification":
        model = Detector(net).to(device)
    else:
        model = Regressor(net, norm["mean"], norm["std"]).to(device)
        if content.get("task") == "action":
            model.task = "action"
    model.eval()
    model.target = content["target"]
    model.plane = content["plane"]
    model.info = content["info"]
    model.spec = content["spec"]
    return model
