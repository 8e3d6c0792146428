"""Evaluation of scalar-field models (EQ / ST / FL regressors, flux-violation detectors).

``evaluate_scalar(params)`` returns two tidy tables.

Metrics (:data:`SCALAR_EVAL_COLUMNS`), one row per model, test set, ``mu`` (NaN: all values of
mu pooled), ``open_worms`` and metric:

Regression (targets ``n``, ``phi2``; closed configurations only; ``open_worms`` = 0):

* ``true_mean`` -- the measured ensemble average at this mu, ``mc_error`` its Monte Carlo error
  (Gamma method over the configurations in chain order);
* ``pred_mean`` -- the average of the model's predictions over the same configurations;
* ``abs_err_mean`` -- ``|pred_mean - true_mean|`` (``mc_error``: that of ``true_mean``);
* ``rel_err_mean`` -- ``|pred_mean - true_mean| / |true_mean|`` (``mc_error``: the relative
  Monte Carlo error of ``true_mean``; NaN where ``true_mean`` = 0);
* ``mse_config`` -- mean over configurations of ``(pred - true)^2``;
* ``nmse_config`` -- ``mse_config / Var(true)`` at this mu: the error relative to a model that
  knew ``<y>(mu)`` exactly (NaN where every configuration has the same value; pooled over mu it
  is normalised by the variance within each mu, averaged).

Classification (target ``flux_violated``), per number ``M`` of open worms in the positives
(``open_worms`` = M; NaN pools every M) over the closed configurations and those with M open
worms, at threshold 0.5 on the probability: ``accuracy``, ``fpr`` (false positives / closed),
``fnr`` (false negatives / violated), and the confusion counts ``tn``, ``fp``, ``fn``, ``tp``.

Positive control of detectors (``open_worms`` = 1, ``mu`` NaN): ``planted_detected``, the
fraction of single-link defects found when one unit of flux is added to one link of a closed
configuration (two violating sites, its ends), for every link of the lattice in turn, the
links that cross the periodic boundary included.

Flux controls of detectors (``mu`` and ``open_worms`` NaN), built from the divergence, not from
a chain (:func:`latticeml.observables.flux_controls.flux_controls` on the test set's lattice,
seed ``control_seed``, around the first 8 closed configurations of the test set): closed
windings, loops and curl superpositions (also with large ``|k|`` and random ``l``) as
negatives, the same with one or several open strings as positives. ``control_accuracy`` (all
controls), ``control_accuracy_closed`` (negatives), ``control_accuracy_open`` (positives),
``n_controls_closed``, ``n_controls_open``, and the worst probabilities
``control_max_p_closed`` (largest p(violated) of a negative) and ``control_min_p_open``
(smallest of a positive). A detector of flux violation gets 1, 1, 1, and p near 0 and 1;
a detector of the training distribution does not.

A model that cannot be applied to a test lattice (an FL model on another lattice size) gets one
row per metric with ``value`` NaN and ``status`` ``"not applicable: ..."``, never silence.

Predictions (:data:`SCALAR_PRED_COLUMNS`): per configuration ``true`` and ``pred`` (a
probability for detectors) of the replica with the lowest validation loss of each experiment.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from latticeml.catalog import models as model_catalog
from latticeml.checks import check_int_fields
from latticeml.data import layout as L
from latticeml.data.readers import dataset_info
from latticeml.data.splits import read_split
from latticeml.errors import ParameterError
from latticeml.evaluate.params import check_model_and_test_files
from latticeml.evaluate.run import evaluation_bar, label_test_sets
from latticeml.observables.autocorr import gamma_analysis
from latticeml.observables.flux import divergence
from latticeml.observables.flux_controls import CONTROL_SEED, FluxControls, flux_controls
from latticeml.train.fit import resolve_device

__all__ = ["ScalarEvaluateParams", "evaluate_scalar", "planted_violations", "planted_detection",
           "SCALAR_EVAL_COLUMNS",
           "SCALAR_PRED_COLUMNS", "REGRESSION_METRICS", "CLASSIFICATION_METRICS",
           "CONTROL_METRICS", "control_metrics",
           "scalar_family"]

SCALAR_EVAL_COLUMNS = ("experiment", "family", "arch", "replica", "model", "n_params", "target",
                       "task", "val_loss", "train_shape", "test_set", "shape", "volume", "mu",
                       "open_worms", "metric", "value", "mc_error", "status")
SCALAR_PRED_COLUMNS = ("experiment", "family", "arch", "replica", "target", "task", "test_set",
                       "shape", "volume", "sample", "mu", "open_worms", "true", "pred")
REGRESSION_METRICS = ("true_mean", "pred_mean", "abs_err_mean", "rel_err_mean", "mse_config",
                      "nmse_config")
CONTROL_METRICS = ("control_accuracy", "control_accuracy_closed", "control_accuracy_open",
                   "n_controls_closed", "n_controls_open", "control_max_p_closed",
                   "control_min_p_open")
CLASSIFICATION_METRICS = ("accuracy", "fpr", "fnr", "tn", "fp", "fn", "tp",
                          "planted_detected", *CONTROL_METRICS)
def scalar_family(spec: dict) -> str:
    """``EQ``, ``ST``, ``FL`` or ``EQ-max`` (the max-pooled detector) from a model spec."""
    return model_catalog.family_of(spec)


@dataclass(frozen=True)
class ScalarEvaluateParams:
    """One evaluation of scalar models.

    Attributes
    ----------
    models : tuple of str
        Model files (``model.pt``) of scalar models, all of one target.
    test_sets : tuple of str
        Scalar dataset files (any lattice sizes, any mu).
    batch_size : int
        Configurations per forward pass.
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    threads : int
        Torch CPU threads (0: torch's default).
    controls : bool
        Evaluate detectors on the flux controls (module docstring).
    control_seed : int
        Seed of the controls (default :data:`~latticeml.observables.flux_controls.CONTROL_SEED`).
    """

    models: tuple[str, ...]
    test_sets: tuple[str, ...]
    batch_size: int = 256
    device: str = "auto"
    threads: int = 0
    controls: bool = True
    control_seed: int = CONTROL_SEED

    def __post_init__(self) -> None:
        check_model_and_test_files(self.models, self.test_sets)
        check_int_fields(self, {"batch_size": 1, "threads": 0, "control_seed": 0})
        if not isinstance(self.controls, bool):
            raise ParameterError("controls", "true or false", self.controls)


class _ScalarModel:
    def __init__(self, path: str, device: torch.device):
        from latticeml.nn.modelfile import load_model

        self.path = path
        self.module = load_model(path, device=device)
        spec, info = self.module.spec, self.module.info
        if model_catalog.kind_of(spec) not in model_catalog.kinds("scalar"):
            raise ParameterError("--models", "scalar-field models (kind eq, st, fl or flux)",
                                 f"{path} of kind {spec.get('kind', spec.get('preset'))}")
        self.task = self.module.task
        self.target = self.module.target
        self.dtype = next(self.module.parameters()).dtype
        self.input_shape = tuple(spec["input_shape"]) if "input_shape" in spec else None
        train_shape = info.get("train", {}).get("shape", [])
        self.labels = {
            "experiment": info.get("experiment", Path(path).parent.name),
            "family": scalar_family(spec),
            "arch": str(spec.get("kind", "")).lower(),
            "replica": int(info.get("replica", 0)),
            "model": str(path),
            "n_params": int(info.get("n_params", 0)),
            "target": self.target,
            "task": self.task,
            "val_loss": float(info.get("best_val_loss", float("nan"))),
            "train_shape": "x".join(map(str, train_shape)),
        }

    def applicable(self, shape) -> str:
        if self.input_shape is not None and tuple(shape) != self.input_shape:
            return (f"not applicable: {self.labels['family']} is built for "
                    f"{'x'.join(map(str, self.input_shape))}")
        return "ok"


def _read_test_set(path: str, target: str) -> dict:
    s = read_split(path, target)  # every array read is checked against its SHA-256
    return {"kl": s.inputs, "y": s.target, "mu": s.param, "open_worms": s.open_worms}


def _predict(m: _ScalarModel, kl: np.ndarray, batch_size: int, device) -> np.ndarray:
    out = []
    with torch.no_grad():
        for lo in range(0, kl.shape[0], batch_size):
            x = torch.from_numpy(kl[lo:lo + batch_size]).to(device=device, dtype=m.dtype)
            out.append(m.module(x).double().cpu().numpy().reshape(-1))
    return np.concatenate(out) if out else np.zeros(0)


def _mc(series: np.ndarray) -> tuple[float, float]:
    if series.size >= 2 and np.ptp(series) > 0:
        g = gamma_analysis(series)
        return float(g.mean), float(g.error)
    return float(np.mean(series)), 0.0


def regression_metrics(pred: np.ndarray, true: np.ndarray, mu: np.ndarray) -> list[dict]:
    """Rows (``mu``, ``metric``, ``value``, ``mc_error``) per mu and pooled (``mu`` NaN).

    Parameters
    ----------
    pred, true : ndarray, shape (n,)
        Predicted and measured per-configuration values (chain order within each mu).
    mu : ndarray, shape (n,)
        Per-configuration chemical potential.
    """
    rows = []
    nmse_parts, weights = [], []
    for value in np.unique(mu):
        sel = mu == value
        t, p = true[sel], pred[sel]
        tm, err = _mc(t)
        pm = float(p.mean())
        mse = float(np.mean((p - t) ** 2))
        var = float(np.var(t))
        nmse = mse / var if var > 0 else math.nan
        if var > 0:
            nmse_parts.append(nmse)
            weights.append(sel.sum())
        diff = abs(pm - tm)
        rel = diff / abs(tm) if tm != 0 else math.nan
        rel_err = err / abs(tm) if tm != 0 else math.nan
        for metric, v, e in (("true_mean", tm, err), ("pred_mean", pm, math.nan),
                             ("abs_err_mean", diff, err), ("rel_err_mean", rel, rel_err),
                             ("mse_config", mse, math.nan), ("nmse_config", nmse, math.nan)):
            rows.append({"mu": float(value), "metric": metric, "value": v, "mc_error": e})
    pooled_nmse = (float(np.average(nmse_parts, weights=weights)) if nmse_parts
                   else math.nan)
    rows.append({"mu": math.nan, "metric": "mse_config",
                 "value": float(np.mean((pred - true) ** 2)), "mc_error": math.nan})
    rows.append({"mu": math.nan, "metric": "nmse_config", "value": pooled_nmse,
                 "mc_error": math.nan})
    return rows


def classification_metrics(prob: np.ndarray, label: np.ndarray,
                           open_worms: np.ndarray) -> list[dict]:
    """Rows (``open_worms``, ``metric``, ``value``) per M > 0 and pooled (``open_worms`` NaN)."""
    rows = []
    guess = prob >= 0.5
    truth = label > 0.5
    groups = [(float(mm), (open_worms == 0) | (open_worms == mm))
              for mm in np.unique(open_worms[open_worms > 0])]
    groups.append((math.nan, np.ones_like(truth)))
    for mm, sel in groups:
        g, t = guess[sel], truth[sel]
        tp, fp = int(np.sum(g & t)), int(np.sum(g & ~t))
        tn, fn = int(np.sum(~g & ~t)), int(np.sum(~g & t))
        n = tp + fp + tn + fn
        values = {"accuracy": (tp + tn) / n if n else math.nan,
                  "fpr": fp / (fp + tn) if fp + tn else math.nan,
                  "fnr": fn / (fn + tp) if fn + tp else math.nan,
                  "tn": tn, "fp": fp, "fn": fn, "tp": tp}
        rows += [{"open_worms": mm, "metric": k, "value": float(v), "mc_error": math.nan}
                 for k, v in values.items()]
    return rows


def planted_violations(kl: np.ndarray) -> np.ndarray:
    """Every single-link defect of one closed configuration.

    Parameters
    ----------
    kl : ndarray, shape (4, N_t, N_x)
        Channels ``(k_t, k_x, l_t, l_x)`` of a flux-conserving configuration.

    Returns
    -------
    ndarray, shape (2 * N_t * N_x, 4, N_t, N_x)
        Copies with ``k`` of one link (t, x, nu), in C order of (nu, t, x), raised by one: the
        divergence becomes +1 at the link's start and -1 at its end (across the periodic
        boundary for the last row and column).
    """
    kl = np.asarray(kl)
    n_t, n_x = kl.shape[1:]
    out = np.repeat(kl[None], 2 * n_t * n_x, axis=0)
    nu, t, x = np.unravel_index(np.arange(2 * n_t * n_x), (2, n_t, n_x))
    out[np.arange(out.shape[0]), nu, t, x] += 1
    return out


def planted_detection(m, kl: np.ndarray, batch_size: int, device) -> float:
    """Fraction of :func:`planted_violations` of ``kl`` that a detector flags (p >= 0.5)."""
    prob = _predict(m, planted_violations(kl), batch_size, device)
    return float(np.mean(prob >= 0.5))


def control_metrics(prob: np.ndarray, controls: FluxControls) -> list[dict]:
    """Rows (``metric``, ``value``) of a detector's probabilities on flux controls.

    Parameters
    ----------
    prob : ndarray, shape (n,)
        p(violated) of each control.
    controls : FluxControls
        The controls (labels from the divergence).
    """
    prob = np.asarray(prob, dtype=np.float64)
    if prob.shape != controls.label.shape:
        raise ParameterError("prob", f"one probability per control {controls.label.shape}",
                             prob.shape)
    closed, violated = controls.label == 0, controls.label == 1
    right = (prob >= 0.5) == violated

    def frac(sel):
        return float(np.mean(right[sel])) if sel.any() else math.nan

    values = {"control_accuracy": frac(np.ones_like(closed)),
              "control_accuracy_closed": frac(closed), "control_accuracy_open": frac(violated),
              "n_controls_closed": int(closed.sum()), "n_controls_open": int(violated.sum()),
              "control_max_p_closed": float(prob[closed].max()) if closed.any() else math.nan,
              "control_min_p_open": float(prob[violated].min()) if violated.any() else math.nan}
    return [{"open_worms": math.nan, "metric": k, "value": float(v), "mc_error": math.nan}
            for k, v in values.items()]


def _test_controls(kl: np.ndarray, y: np.ndarray, shape, seed: int) -> FluxControls:
    """Build controls on the lattice of a test set, around its first 8 closed ones."""
    closed = np.flatnonzero(y < 0.5)[:8]
    base_k = np.moveaxis(np.asarray(kl[closed, :2], dtype=np.int64), 1, -1)
    base_l = np.moveaxis(np.asarray(kl[closed, 2:], dtype=np.int64), 1, -1)
    if closed.size and (divergence(base_k) != 0).any():  # a mislabelled test set: no base
        base_k = base_l = None
    return flux_controls(shape, seed, base_k=base_k if closed.size else None,
                         base_l=base_l if closed.size else None)


def evaluate_scalar(params: ScalarEvaluateParams, *, progress: bool = True,
                    log: Callable[[str], None] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate scalar models on scalar test sets (see the module docstring).

    Parameters
    ----------
    params : ScalarEvaluateParams
        The evaluation.
    progress : bool
        Show a progress bar on stderr.
    log : callable, optional
        One-line messages (default: stderr).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Metrics (:data:`SCALAR_EVAL_COLUMNS`) and predictions of each experiment's
        best-on-validation replica (:data:`SCALAR_PRED_COLUMNS`).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    device = resolve_device(params.device)
    infos = {p: dataset_info(p, L.SCALAR_DATASET_KIND) for p in params.test_sets}
    models = [_ScalarModel(p, device) for p in params.models]
    targets = {m.target for m in models}
    for p, info in infos.items():
        for t in targets:
            if t not in info.targets:
                raise ParameterError("--test", f"scalar test sets with target {t}",
                                     f"{p} with targets {sorted(info.targets)}")
    labels = label_test_sets(params.test_sets)
    best = {}
    for m in models:
        e = m.labels["experiment"]
        key = (m.labels["val_loss"], m.labels["replica"])
        if e not in best or key < best[e][0]:
            best[e] = (key, m)
    best_models = {id(v[1]) for v in best.values()}
    rows, pred_frames = [], []
    with evaluation_bar(len(models) * len(infos), params.threads, progress) as bar:
        for (path, info), label in zip(infos.items(), labels, strict=True):
            shape = tuple(int(s) for s in info.shape)
            set_cols = {"test_set": label, "shape": "x".join(map(str, shape)),
                        "volume": int(np.prod(shape))}
            data = {t: _read_test_set(path, t) for t in sorted(targets)}
            controls = None
            for m in models:
                d = data[m.target]
                base = {**m.labels, **set_cols}
                status = m.applicable(shape)
                if status != "ok":
                    names = (REGRESSION_METRICS if m.task == "regression"
                             else CLASSIFICATION_METRICS)
                    rows += [{**base, "mu": math.nan, "open_worms": math.nan, "metric": k,
                              "value": math.nan, "mc_error": math.nan, "status": status}
                             for k in names]
                    bar.update(1)
                    continue
                keep = np.isfinite(d["y"])
                kl, y, mu, ow = d["kl"][keep], d["y"][keep], d["mu"][keep], d["open_worms"][keep]
                pred = _predict(m, kl, params.batch_size, device)
                if m.task == "regression":
                    extra = {"open_worms": 0.0}
                    new = regression_metrics(pred, y, mu)
                else:
                    extra = {"mu": math.nan}
                    new = classification_metrics(pred, y, ow)
                    closed = np.flatnonzero(y < 0.5)
                    if closed.size:
                        new.append({"open_worms": 1.0, "metric": "planted_detected",
                                    "mc_error": math.nan,
                                    "value": planted_detection(m, kl[closed[0]],
                                                               params.batch_size, device)})
                    if params.controls:
                        if controls is None:
                            controls = _test_controls(d["kl"], d["y"], shape,
                                                      params.control_seed)
                        new += control_metrics(
                            _predict(m, controls.kl, params.batch_size, device), controls)
                rows += [{**base, **extra, **r, "status": "ok"} for r in new]
                if id(m) in best_models:
                    pred_frames.append(pd.DataFrame({
                        **{k: m.labels[k] for k in ("experiment", "family", "arch", "replica",
                                                    "target", "task")},
                        **set_cols, "sample": np.flatnonzero(keep), "mu": mu,
                        "open_worms": ow, "true": y, "pred": pred}))
                bar.update(1)
    table = pd.DataFrame(rows, columns=list(SCALAR_EVAL_COLUMNS))
    preds = (pd.concat(pred_frames, ignore_index=True) if pred_frames
             else pd.DataFrame(columns=list(SCALAR_PRED_COLUMNS)))
    return table, preds[list(SCALAR_PRED_COLUMNS)]
