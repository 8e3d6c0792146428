"""``evaluate(params)``: trained models x test sets -> one tidy table (and per-config predictions).

Rows (one per model, test set, beta and metric; beta = NaN pools all couplings): the columns of
:data:`EVAL_COLUMNS`.  The conditional-mean predictor ``E[y | beta]`` fitted on the training set
of the models is evaluated beside them as family ``conditional mean``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from latticeml.catalog import models as model_catalog
from latticeml.catalog import targets as catalog
from latticeml.data import layout as L
from latticeml.data.provenance import sha256_file
from latticeml.data.readers import GaugeDataset, dataset_info
from latticeml.data.splits import read_split
from latticeml.errors import ParameterError
from latticeml.evaluate.metrics import ConditionalMean, metric_table
from latticeml.evaluate.params import EvaluateParams
from latticeml.evaluate.robustness import adversarial_change, alpha_change, haar_change
from latticeml.evaluate.tables import write_csv
from latticeml.nn.modelfile import load_model
from latticeml.train.fit import resolve_device, torch_threads

__all__ = ["EvaluateParams", "evaluate", "EVAL_COLUMNS", "PRED_COLUMNS", "family_of",
           "write_csv"]

EVAL_COLUMNS = ("experiment", "family", "arch", "replica", "model", "n_params", "target",
                "val_loss", "test_set", "shape", "volume", "L", "beta", "metric", "alpha",
                "value")
PRED_COLUMNS = ("experiment", "family", "arch", "replica", "target", "test_set", "shape", "L",
                "sample", "beta", "true_mean", "pred_mean")
_COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}


#: ``L-CNN`` for gauge-equivariant models, ``CNN`` for the baselines (the catalogue's family).
family_of = model_catalog.family_of


def _test_label(path: str) -> str:
    p = Path(path).resolve()
    return p.parent.name if p.stem in ("test", "val", "train") else p.stem


def label_test_sets(paths: Sequence[str]) -> list[str]:
    """Labels of test sets in the tables: the file's stem, or its directory for ``test.h5``.

    If two test sets would get the same label, every label is the path without suffix.
    """
    labels = [_test_label(p) for p in paths]
    if len(set(labels)) != len(labels):
        labels = [str(Path(p).with_suffix("")) for p in paths]
    return labels


@contextlib.contextmanager
def evaluation_bar(total: int, threads: int, progress: bool) -> Iterator[tqdm]:
    """Progress bar over (model, test set) pairs, with ``threads`` torch threads meanwhile.

    Parameters
    ----------
    total : int
        Number of (model, test set) pairs.
    threads : int
        Torch CPU threads during the evaluation (0: torch's setting); restored afterwards.
    progress : bool
        Show the bar on stderr.

    Yields
    ------
    tqdm
        The bar; the body calls ``bar.update(1)`` per pair.
    """
    with torch_threads(threads):
        bar = tqdm(total=total, disable=not progress, desc="evaluate", unit="model-set",
                   file=sys.stderr, leave=False)
        try:
            yield bar
        finally:
            bar.close()


class _Model:
    """A loaded model and the labels of its rows."""

    def __init__(self, path: str, device: torch.device):
        self.path = path
        self.module = load_model(path, device=device)
        for p in self.module.parameters():
            p.requires_grad_(False)
        info, spec = self.module.info, self.module.spec
        self.target, self.plane = self.module.target, self.module.plane
        self.dtype = next(self.module.parameters()).dtype
        self.net = self.module.net
        self.labels = {
            "experiment": info.get("experiment", Path(path).parent.name),
            "family": family_of(spec),
            "arch": spec.get("preset", spec.get("kind", "")) if isinstance(spec, dict) else "",
            "replica": int(info.get("replica", 0)),
            "model": str(path),
            "n_params": int(info.get("n_params", 0)),
            "target": self.target,
            "val_loss": float(info.get("best_val_loss", float("nan"))),
        }


def _check_fits(m: _Model, info, path) -> None:
    shape = info.shape
    dim = getattr(m.net, "dim", len(shape))
    n_colors = getattr(m.net, "n_colors", None)
    N = int(info.inputs["links"][0][-1])
    if dim != len(shape) or (n_colors is not None and n_colors != N):
        raise ParameterError("--test", f"a test set of D = {dim}, SU({n_colors}) for {m.path}",
                             f"{path}: D = {len(shape)}, SU({N})")
    if m.target not in info.targets:
        raise ParameterError("--test", f"a test set with target {m.target} (model {m.path})",
                             f"{path} with targets {sorted(info.targets)}")


def _predict(m: _Model, ds: GaugeDataset, batch_size: int, device) -> np.ndarray:
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=False,
                                         collate_fn=lambda items: items)
    preds = []
    with torch.no_grad():
        for items in loader:
            x = torch.stack([a for a, _ in items]).to(device=device, dtype=_COMPLEX[m.dtype])
            preds.append(m.module(x).double().cpu().numpy())
    return np.concatenate(preds)


def evaluate(params: EvaluateParams, *, progress: bool = True,
             log: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate models on test sets.

    Parameters
    ----------
    params : EvaluateParams
        The evaluation.
    progress : bool
        Show a progress bar on stderr.
    log : callable, optional
        One-line messages (default: stderr).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The metrics table (:data:`EVAL_COLUMNS`) and the per-configuration lattice averages
        (:data:`PRED_COLUMNS`).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    device = resolve_device(params.device)
    infos = {p: dataset_info(p, L.GAUGE_DATASET_KIND) for p in params.test_sets}
    models = [_Model(p, device) for p in params.models]
    for m in models:
        if getattr(m.module, "task", "regression") == "action":
            raise ParameterError("--models", "per-site regression models (an action model is "
                                 "checked with latticeml.fixedpoint, not by its per-site "
                                 "predictions)", m.path)
        for p, info in infos.items():
            _check_fits(m, info, p)
    labels = label_test_sets(params.test_sets)
    gauge_sets = set(params.gauge_sets) if params.gauge_sets else {labels[0]}
    unknown = gauge_sets - set(labels)
    if unknown:
        raise ParameterError("--gauge-on", f"labels among {labels}", sorted(unknown))
    cond = _conditional_means(params.train_set, models) if params.train_set else {}
    rows, pred_rows = [], []
    with evaluation_bar(len(models) * len(infos), params.threads, progress) as bar:
        for (path, info), label in zip(infos.items(), labels, strict=True):
            shape = tuple(info.shape)
            set_cols = {"test_set": label, "shape": "x".join(map(str, shape)),
                        "volume": int(np.prod(shape)), "L": int(max(shape))}
            for key, cm in cond.items():
                target, plane = key
                if target not in info.targets:
                    continue
                true, beta = _targets(path, target, plane)
                pred = cm(beta, shape)
                name = f"conditional-mean_{target}_p{plane}_{_test_label(params.train_set)}"
                base = {"experiment": name,
                        "family": "conditional mean",
                        "arch": "E[y|beta]", "replica": 0, "model": "", "n_params": len(cm.betas),
                        "target": target, "val_loss": float("nan"), **set_cols, "alpha": np.nan}
                rows += [{**base, **r} for r in metric_table(pred, true, beta)]
            for m in models:
                ds = GaugeDataset(path, (m.target,), dtype=_COMPLEX[m.dtype],
                                  plane=_plane(m.target, m.plane), memory_budget_mb=1024)
                pred = _predict(m, ds, params.batch_size, device)
                true, beta = _targets(path, m.target, m.plane)  # float64 truth
                base = {**m.labels, **set_cols, "alpha": np.nan}
                rows += [{**base, **r} for r in metric_table(pred, true, beta)]
                pm = pred.reshape(len(pred), -1).mean(1)
                tm = true.reshape(len(true), -1).mean(1)
                pred_rows.append(pd.DataFrame({
                    **{k: m.labels[k] for k in ("experiment", "family", "arch", "replica",
                                                "target")},
                    "test_set": label, "shape": set_cols["shape"], "L": set_cols["L"],
                    "sample": np.arange(len(pm)), "beta": beta, "true_mean": tm, "pred_mean": pm}))
                if label in gauge_sets and params.gauge_configs:
                    rows += _robustness(m, ds, params, device, {**base, "beta": np.nan})
                ds.close()
                bar.update(1)
    table = pd.DataFrame(rows, columns=list(EVAL_COLUMNS))
    preds = (pd.concat(pred_rows, ignore_index=True) if pred_rows
             else pd.DataFrame(columns=list(PRED_COLUMNS)))
    return table, preds[list(PRED_COLUMNS)]


def _per_plane(target: str) -> bool:
    found = catalog.lookup(target)
    return found is not None and found.family.per_plane


def _plane(target: str, plane: int) -> int | None:
    return plane if _per_plane(target) else None


def _targets(path, target: str, plane: int) -> tuple[np.ndarray, np.ndarray]:
    split = read_split(path, target, plane=plane, inputs=False)  # digests checked
    y, beta = split.target, split.param
    if not np.all(np.isfinite(y)):
        raise ParameterError("--test", "finite targets", f"non-finite {target} in {path}")
    return np.asarray(y, dtype=np.float64), np.asarray(beta, dtype=np.float64)


def _conditional_means(train_set: str, models: list[_Model]) -> dict:
    info = dataset_info(train_set, L.GAUGE_DATASET_KIND)
    digest = None
    for m in models:
        if m.target not in info.targets:
            raise ParameterError("--train-set", f"the training set of {m.path} (target "
                                 f"{m.target})", f"{train_set} without that target")
        recorded = m.module.info.get("train", {}).get("sha256", "")
        if recorded:
            digest = digest or sha256_file(train_set)
            if digest != recorded:
                raise ParameterError("--train-set", f"the file {m.path} was trained on "
                                     f"({m.module.info['train'].get('path', '?')})", train_set,
                                     "its SHA-256 differs")
    out = {}
    for key in sorted({(m.target, m.plane) for m in models}):
        y, beta = _targets(train_set, *key)
        out[key] = ConditionalMean(beta, y)
    return out


def _robustness(m: _Model, ds: GaugeDataset, params: EvaluateParams, device, base) -> list[dict]:
    k = min(params.gauge_configs, len(ds))
    # an even spread over the set, so every beta is represented
    idx = np.unique(np.linspace(0, len(ds) - 1, k).round().astype(int))
    items = ds.__getitems__(idx.tolist())
    links = torch.stack([a for a, _ in items]).to(device=device, dtype=_COMPLEX[m.dtype])
    gen = torch.Generator().manual_seed(params.seed)
    rows = [{**base, "metric": "gauge_haar", "value": haar_change(m.module, links, gen)}]
    for a, v in zip(params.alphas, alpha_change(m.module, links, params.alphas, gen),
                    strict=True):
        rows.append({**base, "metric": "gauge_alpha", "alpha": float(a), "value": v})
    if params.adversarial_steps:
        v = adversarial_change(m.module, links, gen, steps=params.adversarial_steps,
                               lr=params.adversarial_lr)
        rows.append({**base, "metric": "gauge_adversarial", "value": v})
    return rows
