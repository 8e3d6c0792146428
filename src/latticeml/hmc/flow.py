"""The gradient (Wilson) flow and the scales measured with it.

``dV/dt = Z(V) V`` with ``Z = -g_0^2 dS_w`` the gradient of the Wilson action in su(N)
(Lüscher, JHEP 08 (2010) 071): in this package's normalisation ``Z = N F_1(V)`` with ``F_1``
the molecular-dynamics force of the Wilson action at beta = 1
(:func:`latticeml.hmc.integrators.force`). Integrated with Lüscher's third-order Runge-Kutta
scheme. Measured along the flow: ``E(t)`` from the plaquette, ``2 sum_p Re Tr(1 - U_p)`` per
site, and (4D) from the clover field strength, ``sum_{mu<nu} Tr F_mu_nu^2``; ``t^2 E``; the
scales ``t_0`` (``t^2 E = 0.3``) and ``w_0`` (``t d(t^2 E)/dt = 0.3``); the clover topological
charge of the flowed field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from latticeml.hmc.actions import WilsonAction, plaquette_traces
from latticeml.hmc.algebra import exp_algebra
from latticeml.hmc.integrators import force

__all__ = ["flow_step", "energy_plaquette", "energy_clover", "FlowResult", "wilson_flow",
           "scale_t0", "scale_w0", "flow_ensemble"]

_WILSON_1 = WilsonAction(1.0)


def _z(v: torch.Tensor) -> torch.Tensor:
    return v.shape[-1] * force(_WILSON_1, v)


def flow_step(v: torch.Tensor, eps: float) -> torch.Tensor:
    """One step of Lüscher's RK3 scheme of size ``eps``."""
    z0 = eps * _z(v)
    w1 = exp_algebra(0.25 * z0) @ v
    z1 = eps * _z(w1)
    w2 = exp_algebra(8.0 / 9.0 * z1 - 17.0 / 36.0 * z0) @ w1
    z2 = eps * _z(w2)
    return exp_algebra(0.75 * z2 - 8.0 / 9.0 * z1 + 17.0 / 36.0 * z0) @ w2


def energy_plaquette(v: torch.Tensor) -> float:
    """``E = 2 sum_{mu<nu} Re Tr(1 - U_mu_nu)`` per site (``N (1 - Re Tr U_p / N)`` per plane)."""
    n = v.shape[-1]
    return float(2 * n * (1.0 - plaquette_traces(v)).sum(0).mean())


def energy_clover(v: torch.Tensor) -> float:
    """``E = sum_{mu<nu} Tr(F_mu_nu^2)`` per site from the clover field strength (4D)."""
    from latticeml.observables.topology import clover_field_strength

    f = clover_field_strength(v.detach().numpy())
    return float(np.einsum("p...ij,p...ji->...", f, f).real.mean())


@dataclass(frozen=True)
class FlowResult:
    """Observables along the flow, one entry per measured flow time.

    Attributes
    ----------
    t : ndarray
        Flow times.
    e_plaquette, e_clover : ndarray
        ``E(t)`` (the clover one NaN in D != 4).
    charge : ndarray
        Clover topological charge of the flowed field (NaN in D != 4).
    links : torch.Tensor
        The field at the last time.
    """

    t: np.ndarray
    e_plaquette: np.ndarray
    e_clover: np.ndarray
    charge: np.ndarray
    links: torch.Tensor


def wilson_flow(links: torch.Tensor, t_max: float, eps: float = 0.01, *,
                every: int = 1) -> FlowResult:
    """Flow ``links`` to ``t_max`` in steps of ``eps``, measuring every ``every`` steps."""
    from latticeml.observables.topology import topological_charge

    v = links.detach().clone()
    four = v.shape[-3] == 4 and v.dim() == 7
    steps = int(round(t_max / eps))
    rows = []

    def measure(t: float) -> None:
        e_c = energy_clover(v) if four else math.nan
        q = float(topological_charge(v.numpy())) if four else math.nan
        rows.append((t, energy_plaquette(v), e_c, q))

    measure(0.0)
    for k in range(1, steps + 1):
        v = flow_step(v, eps)
        if k % every == 0 or k == steps:
            measure(k * eps)
    arr = np.array(rows)
    return FlowResult(t=arr[:, 0], e_plaquette=arr[:, 1], e_clover=arr[:, 2],
                      charge=arr[:, 3], links=v)


def _crossing(t: np.ndarray, y: np.ndarray, level: float) -> float:
    above = np.flatnonzero(y >= level)
    if above.size == 0 or above[0] == 0:
        return math.nan
    i = above[0]
    return float(t[i - 1] + (level - y[i - 1]) * (t[i] - t[i - 1]) / (y[i] - y[i - 1]))


def scale_t0(t: np.ndarray, e: np.ndarray, level: float = 0.3) -> float:
    """``t_0``: where ``t^2 E(t)`` first reaches ``level`` (linear interpolation; NaN: never)."""
    return _crossing(t, t * t * e, level)


def scale_w0(t: np.ndarray, e: np.ndarray, level: float = 0.3) -> float:
    """``w_0``: the square root of where ``t d(t^2 E)/dt`` first reaches ``level``."""
    w = t * np.gradient(t * t * e, t)
    t_w = _crossing(t, w, level)
    return math.sqrt(t_w) if t_w == t_w else math.nan


def flow_ensemble(path, t_max: float, eps: float = 0.01, *, every: int = 10,
                  progress: bool = False):
    """Flow every configuration of a stage-1 gauge ensemble; return a tidy table.

    One row per configuration and measured flow time: ``config``, ``t``, ``e_plaquette``,
    ``e_clover``, ``t2e_plaquette``, ``t2e_clover``, ``charge``; the scales ``t0`` and ``w0``
    of each configuration (from the clover ``E`` in 4D, else the plaquette ``E``) are repeated
    on its rows.
    """
    import pandas as pd

    from latticeml.data import read_gauge_ensemble
    from latticeml.errors import ParameterError
    from latticeml.progress import progress_bar

    if not (math.isfinite(t_max) and t_max > 0):
        raise ParameterError("--t-max", "a positive flow time", t_max)
    if not (math.isfinite(eps) and 0 < eps <= t_max):
        raise ParameterError("--eps", "a step in (0, t_max]", eps)
    if every < 1:
        raise ParameterError("--every", "an integer >= 1", every)
    arrays, _ = read_gauge_ensemble(path)
    rows = []
    with progress_bar(len(arrays["links"]), "flow", enabled=progress, unit="config") as bar:
        for c, links in enumerate(arrays["links"]):
            r = wilson_flow(torch.from_numpy(np.ascontiguousarray(links)), t_max, eps,
                            every=every)
            e = r.e_clover if np.isfinite(r.e_clover).all() else r.e_plaquette
            t0, w0 = scale_t0(r.t, e), scale_w0(r.t, e)
            for k in range(len(r.t)):
                rows.append({"config": c, "t": r.t[k], "e_plaquette": r.e_plaquette[k],
                             "e_clover": r.e_clover[k],
                             "t2e_plaquette": r.t[k] ** 2 * r.e_plaquette[k],
                             "t2e_clover": r.t[k] ** 2 * r.e_clover[k], "charge": r.charge[k],
                             "t0": t0, "w0": w0})
            bar.update(1)
    return pd.DataFrame(rows)
