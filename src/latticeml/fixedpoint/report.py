"""Every check of a trained fixed-point action on held-out data, as one table.

``latticeml model check-action MODEL.pt --data TEST.h5 --out checks.csv`` (and the workflow's
``check_action`` job) runs :func:`check_action_model`: the action model against the
fixed-point targets of a dataset (``latticeml dataset build --fixed-point``) and the checks of
:mod:`latticeml.fixedpoint.checks`, with the dataset's own blocking. One row per check:
``check``, ``value``, ``goal`` (the bound it should meet, or empty), ``passed`` and a
``detail`` in words.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import torch

from latticeml.errors import ParameterError
from latticeml.fixedpoint.blocking import Blocking
from latticeml.fixedpoint.checks import (
    fixed_point_residual,
    force_check,
    instanton_action,
    model_action,
    model_density,
    pure_gauge_action,
)
from latticeml.fixedpoint.minimise import MinimiseParams, algebra_gradient
from latticeml.fixedpoint.params import CHECK_COLUMNS, ActionCheckParams

__all__ = ["ActionCheckParams", "check_action_model", "CHECK_COLUMNS"]

def _row(check: str, value: float, detail: str, goal: float | None = None,
         passed: bool | None = None) -> dict:
    return {"check": check, "value": float(value), "goal": "" if goal is None else goal,
            "passed": "" if passed is None else bool(passed), "detail": detail}


def _dataset_blocking(path: str | os.PathLike) -> tuple[Blocking, dict]:
    """Return the blocking of the dataset's targets (from its provenance parameters)."""
    from latticeml.data.readers import dataset_info

    info = dataset_info(path)
    params = json.loads(str(info.attrs.get("params", "{}")))
    if not params.get("fixed_point"):
        raise ParameterError("--data", "a dataset with fixed-point targets (latticeml dataset "
                             "build --fixed-point)", f"{path} without them")
    return Blocking(c=float(params["fp_c"]), kappa=float(params["fp_kappa"])), params


def check_action_model(model_path: str | os.PathLike, data: str | os.PathLike,
                       params: ActionCheckParams | None = None) -> list[dict]:
    """Run every check of a trained action on held-out fixed-point data.

    Parameters
    ----------
    model_path : path-like
        An action model file (kind ``action``).
    data : path-like
        A gauge dataset with the fixed-point targets (its test split).
    params : ActionCheckParams, optional
        Which checks and how many residuals.

    Returns
    -------
    list of dict
        Rows with :data:`CHECK_COLUMNS`.
    """
    from latticeml.data.readers import GaugeDataset
    from latticeml.train.data import action_coordinates

    params = params or ActionCheckParams()
    blocking, _ = _dataset_blocking(data)
    action = model_action(model_path)
    arrays = GaugeDataset(data, ("fixed_point_action", "fixed_point_derivative"),
                          dtype=torch.complex128, memory_budget_mb=float("inf")).read_all()
    links = torch.from_numpy(np.ascontiguousarray(arrays["links"], dtype=np.complex128))
    target = np.asarray(arrays["fixed_point_action"], dtype=np.float64)
    d_true = action_coordinates(torch.from_numpy(np.ascontiguousarray(
        arrays["fixed_point_derivative"], dtype=np.complex128)))
    n, dim, n_colors = links.shape[0], links.shape[-3], links.shape[-1]
    shape = tuple(links.shape[1:1 + dim])
    with torch.no_grad():
        pred = np.array([float(action(u)) for u in links])
    d_pred = torch.stack([action_coordinates(algebra_gradient(action, u)) for u in links])
    scale = float(np.mean(np.abs(target)))
    rows = [
        _row("action_rel_rmse", math.sqrt(np.mean((pred - target) ** 2)) / scale,
             f"RMS error of A over the mean |A| ({scale:.4g}) of {n} held-out configurations"),
        _row("action_rel_max", float(np.max(np.abs(pred - target) / np.abs(target))),
             "largest relative error of A on one configuration"),
        _row("derivative_rel_rmse", float(torch.sqrt(torch.mean((d_pred - d_true) ** 2))
                                          / torch.sqrt(torch.mean(d_true**2))),
             "RMS error of the su(N) coordinates of dA/dV over their RMS"),
        _row("min_action", float(pred.min()), "smallest A of the held-out configurations "
             "(a fixed-point action is >= 0)", 0.0, bool(pred.min() >= 0)),
    ]
    pure = pure_gauge_action(action, shape, n_colors)
    rows.append(_row("pure_gauge_rel", pure / scale, "largest |A| on gauge transforms of the "
                     "unit over the mean |A| (0 for a fixed-point action)", 1e-10,
                     pure / scale < 1e-10))
    forces = force_check(action, links[0])
    rows.append(_row("force_rel", forces.worst / max(forces.scale, 1e-300), "autograd "
                     "derivative against central differences (eps 1e-5), relative", 1e-6,
                     forces.worst <= 1e-6 * forces.scale))
    minimise = MinimiseParams(tol=params.tol)
    for i in range(min(params.residuals, n)):
        r = fixed_point_residual(action, links[i], blocking, minimise)
        rows.append(_row(f"fp_residual_rel[{i}]", r.relative,
                         f"(A[V] - min_U {{w A[U] + T}}) / A[V] on held-out configuration {i}"
                         f" ({'converged' if r.converged else 'NOT converged'}; A = "
                         f"{r.action:.5g})", params.goal, abs(r.relative) < params.goal))
    if dim == 4 and params.rho:
        density = model_density(model_path)
        size = (params.instanton_size,) * 4
        for rho in params.rho:
            ratio = instanton_action(density, size, rho, n_colors=n_colors, substeps=8)
            wilson = 1.0 - 0.2 / rho**2 - 1.0 / 70.0 / rho**4
            rows.append(_row(f"instanton_rho{rho:g}", ratio, f"action of a BPST instanton "
                             f"(rho = {rho:g} a, {params.instanton_size}^4) over 8 pi^2 in a "
                             f"ball (Wilson: {wilson:.4f})", params.goal,
                             abs(ratio - 1.0) < params.goal))
    return rows
