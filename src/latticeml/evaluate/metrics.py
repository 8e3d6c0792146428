"""Error metrics of per-site predictions, and the conditional-mean predictor E[y | beta].

All functions take NumPy arrays ``pred``, ``true`` of shape ``(n, *shape)`` (per-site values)
and ``beta`` of shape ``(n,)``.

========== =================================================================================
metric     definition
========== =================================================================================
mse_mean   the published metric: mean over configurations of
           ``(mean_x pred - mean_x true)^2`` (falls like 1/V for any predictor of <W>(beta))
mse_site   mean over configurations and sites of ``(pred - true)^2``
nmse_site  ``sum (pred - true)^2 / sum (true - mean_beta(true))^2``: per-site MSE in units of
           the conditional variance Var(true | beta) of the same set (1 = no better than the
           exact conditional mean, 0 = perfect)
r2_site    ``1 - sum (pred - true)^2 / sum (true - mean(true))^2``
========== =================================================================================
"""

from __future__ import annotations

import numpy as np

from latticeml.errors import ParameterError

__all__ = ["METRICS", "compute_metrics", "metric_table", "ConditionalMean"]

METRICS = ("mse_mean", "mse_site", "nmse_site", "r2_site")


def _flat(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(a.shape[0], -1)


def _conditional_ss(true: np.ndarray, beta: np.ndarray) -> float:
    ss = 0.0
    for b in np.unique(beta):
        t = true[beta == b]
        ss += float(np.sum((t - t.mean()) ** 2))
    return ss


def compute_metrics(pred: np.ndarray, true: np.ndarray, beta: np.ndarray) -> dict[str, float]:
    """Compute the four metrics of the module docstring for one set of predictions.

    Parameters
    ----------
    pred, true : numpy.ndarray
        ``(n, *shape)`` per-site predictions and truth.
    beta : numpy.ndarray
        ``(n,)`` coupling of every configuration.

    Returns
    -------
    dict
        Metric name -> value.
    """
    p, t = _flat(pred), _flat(true)
    beta = np.asarray(beta, dtype=np.float64)
    if p.shape != t.shape or beta.shape != (p.shape[0],):
        raise ParameterError("predictions", f"shape {t.shape} and beta ({t.shape[0]},)",
                             f"{p.shape} and {beta.shape}")
    res = float(np.sum((p - t) ** 2))
    cond = _conditional_ss(t, beta)
    tot = float(np.sum((t - t.mean()) ** 2))
    return {
        "mse_mean": float(np.mean((p.mean(1) - t.mean(1)) ** 2)),
        "mse_site": res / t.size,
        "nmse_site": res / cond if cond > 0 else float("nan"),
        "r2_site": 1.0 - res / tot if tot > 0 else float("nan"),
    }


def metric_table(pred: np.ndarray, true: np.ndarray, beta: np.ndarray) -> list[dict]:
    """Metrics pooled over all beta (``beta`` = NaN) and per beta, as rows.

    Returns
    -------
    list of dict
        Rows ``{"beta": b, "metric": name, "value": v}``.
    """
    beta = np.asarray(beta, dtype=np.float64)
    rows = [{"beta": float("nan"), "metric": k, "value": v}
            for k, v in compute_metrics(pred, true, beta).items()]
    for b in np.unique(beta):
        m = beta == b
        rows += [{"beta": float(b), "metric": k, "value": v}
                 for k, v in compute_metrics(pred[m], true[m], beta[m]).items()]
    return rows


class ConditionalMean:
    """The predictor ``E[y | beta]`` fitted on a training set: the trivial solution.

    Every site of a configuration at coupling beta gets the training mean of the target at that
    beta; couplings between training values are interpolated linearly, outside they are
    clamped to the nearest.

    Parameters
    ----------
    beta : numpy.ndarray
        ``(n,)`` couplings of the training set.
    target : numpy.ndarray
        ``(n, *shape)`` training targets.
    """

    def __init__(self, beta: np.ndarray, target: np.ndarray):
        beta = np.asarray(beta, dtype=np.float64)
        t = _flat(target)
        self.betas = np.unique(beta)
        self.means = np.array([t[beta == b].mean() for b in self.betas])

    def __call__(self, beta: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Predictions ``(n, *shape)`` for configurations at couplings ``beta``."""
        v = np.interp(np.asarray(beta, dtype=np.float64), self.betas, self.means)
        return np.broadcast_to(v.reshape(-1, *([1] * len(shape))), (len(v), *shape)).copy()
