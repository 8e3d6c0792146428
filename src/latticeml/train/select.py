"""Pick the best of several trained models on the validation loss (architecture grids)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence

import pandas as pd

from latticeml.errors import ParameterError
from latticeml.nn.modelfile import read_model_file

__all__ = ["select_best", "best_model_file"]


def select_best(models: Sequence[str | os.PathLike]) -> tuple[dict, pd.DataFrame]:
    """Return the model spec with the lowest validation loss and the table of all candidates.

    Parameters
    ----------
    models : sequence of path-like
        Model files trained on the same data and target (one per architecture).

    Returns
    -------
    (dict, pandas.DataFrame)
        The winner's ``build_model`` spec (without ``dtype``: the training run sets it) and
        one row per candidate (``model``, ``spec`` as JSON, ``n_params``, ``best_epoch``,
        ``val_loss``, ``selected``), sorted by validation loss.

    Raises
    ------
    ParameterError
        If no model is given, or the candidates differ in target or training data.
    """
    if not models:
        raise ParameterError("--models", "at least one model file", "none")
    rows, specs = [], {}
    for path in models:
        content = read_model_file(path)
        info = content["info"]
        rows.append({"model": str(path), "target": content["target"],
                     "train_sha256": info.get("train", {}).get("sha256", ""),
                     "spec": json.dumps(content["spec"], sort_keys=True),
                     "n_params": info.get("n_params", 0), "best_epoch": info.get("best_epoch", 0),
                     "val_loss": float(info.get("best_val_loss", float("nan")))})
        specs[str(path)] = content["spec"]
    table = pd.DataFrame(rows)
    for key in ("target", "train_sha256"):
        if table[key].nunique() != 1:
            raise ParameterError("--models", f"candidates with one {key}",
                                 sorted(table[key].unique()))
    table = table.sort_values(["val_loss", "model"], kind="stable").reset_index(drop=True)
    table["selected"] = [i == 0 for i in range(len(table))]
    spec = {k: v for k, v in specs[table["model"].iloc[0]].items() if k != "dtype"}
    return spec, table.drop(columns=["train_sha256"])


def best_model_file(models: Sequence[str | os.PathLike]) -> tuple[str, float]:
    """Return the model file with the lowest recorded validation loss, and that loss.

    The rule of every "best replica" in this package: lowest ``best_val_loss``, ties to the
    first file given. Unlike :func:`select_best`, the files may differ in target and data.

    Raises
    ------
    ParameterError
        If no file is given, or a file records no finite validation loss.
    """
    if not models:
        raise ParameterError("MODEL.pt", "at least one model file", "none")
    losses = []
    for path in models:
        loss = read_model_file(path)["info"].get("best_val_loss")
        if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not math.isfinite(loss):
            raise ParameterError("MODEL.pt", "model files that record a validation loss",
                                 str(path))
        losses.append(float(loss))
    best = min(range(len(losses)), key=lambda i: (losses[i], i))
    return str(models[best]), losses[best]
