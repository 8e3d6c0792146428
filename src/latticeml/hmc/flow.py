"""The gradient (Wilson) flow and the scales measured with it.

``dV/dt = Z(V) V`` with ``Z = -g_0^2 dS_w`` the gradient of the Wilson action in su(N)
(Lüscher, JHEP 08 (2010) 071, ``g_0^2 S_w = 2 sum_{mu<nu} Re Tr(1 - U_mu_nu)``): in this
package's normalisation ``Z = 2 N F_1(V) = -TA(Omega)`` with ``F_1``
the molecular-dynamics force of the Wilson action at beta = 1
(:func:`latticeml.hmc.integrators.force`). Integrated with Lüscher's third-order Runge-Kutta
scheme. Measured along the flow: ``E(t)`` from the plaquette, ``2 sum_p Re Tr(1 - U_p)`` per
site, and (4D) from the clover field strength, ``sum_{mu<nu} Tr F_mu_nu^2``; ``t^2 E``; the
scales ``t_0`` (``t^2 E = 0.3``) and ``w_0`` (``t d(t^2 E)/dt = 0.3``); the clover topological
charge of the flowed field.

Two implementations of the same integrator: parallel Numba kernels
(:mod:`latticeml.hmc._flow_kernels`, the default, 10-15x faster on CPU) and torch
(:func:`flow_step`, their twin, which the tests compare).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from latticeml.hmc.actions import WilsonAction, plaquette_traces
from latticeml.hmc.algebra import exp_algebra
from latticeml.hmc.integrators import force

__all__ = ["flow_step", "energy_plaquette", "energy_clover", "FlowResult", "NumbaFlow",
           "wilson_flow", "scale_t0", "scale_w0", "flow_ensemble"]

_WILSON_1 = WilsonAction(1.0)


def _z(v: torch.Tensor) -> torch.Tensor:
    """Lüscher's ``Z``: twice ``N`` times the HMC force of the Wilson action at beta = 1.

    (For small fields the flow is then the heat equation ``dB/dt = D_nu G_nu_mu``: a transverse
    mode of lattice momentum ``k`` decays as ``exp(-khat^2 t)``; tests/hmc checks it.)
    """
    return 2 * v.shape[-1] * force(_WILSON_1, v)


def flow_step(v: torch.Tensor, eps: float) -> torch.Tensor:
    """One step of Lüscher's RK3 scheme of size ``eps``."""
    z0 = eps * _z(v)
    w1 = exp_algebra(0.25 * z0) @ v
    z1 = eps * _z(w1)
    w2 = exp_algebra(8.0 / 9.0 * z1 - 17.0 / 36.0 * z0) @ w1
    z2 = eps * _z(w2)
    return exp_algebra(0.75 * z2 - 8.0 / 9.0 * z1 + 17.0 / 36.0 * z0) @ w2


def energy_plaquette(v: torch.Tensor | np.ndarray) -> float:
    """``E = 2 sum_{mu<nu} Re Tr(1 - U_mu_nu)`` per site (``N (1 - Re Tr U_p / N)`` per plane)."""
    n = v.shape[-1]
    if isinstance(v, np.ndarray):
        from latticeml.observables.wilson import wilson_loops

        return float(2 * n * (1.0 - wilson_loops(v, 1, 1)).sum(0).mean())
    return float(2 * n * (1.0 - plaquette_traces(v)).sum(0).mean())


def energy_clover(v: torch.Tensor | np.ndarray) -> float:
    """``E = sum_{mu<nu} Tr(F_mu_nu^2)`` per site from the clover field strength (4D)."""
    from latticeml.observables.topology import clover_field_strength

    f = clover_field_strength(v if isinstance(v, np.ndarray) else v.detach().numpy())
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


class NumbaFlow:
    """Lüscher's RK3 flow of one lattice geometry with the Numba kernels (buffers reused).

    Parameters
    ----------
    shape : tuple of int
        Lattice extents.
    n : int
        Colours (2 or 3).
    """

    def __init__(self, shape: tuple[int, ...], n: int) -> None:
        from latticeml.hmc import _flow_kernels as K

        self._k = K
        self.shape, self.n = tuple(shape), int(n)
        self._fwd, self._bwd = K.neighbours(self.shape)
        flat = (int(np.prod(self.shape)), len(self.shape), self.n, self.n)
        self._z0, self._z1, self._w = (np.empty(flat, np.complex128) for _ in range(3))

    def step(self, v: np.ndarray, eps: float) -> np.ndarray:
        """Return the field one step of size ``eps`` later (a new array; ``v`` is kept)."""
        k, z0, z1, w = self._k, self._z0, self._z1, self._w
        eps = 2.0 * eps  # the kernel's generator is -(1/2) TA(Omega) = Z / 2
        u = np.ascontiguousarray(v, dtype=np.complex128).reshape(z0.shape)
        out = np.empty_like(u)
        k.flow_generator(u, self._fwd, self._bwd, z0)
        k.apply_exp(u, z0, 0.25 * eps, z0, 0.0, w)  # W1 = exp(Z0 / 4) V
        k.flow_generator(w, self._fwd, self._bwd, z1)
        z0 *= -17.0 / 36.0
        z0 += 8.0 / 9.0 * z1  # the combination of W2, reused in V'
        k.apply_exp(w, z0, eps, z0, 0.0, out)  # W2
        k.flow_generator(out, self._fwd, self._bwd, z1)
        k.apply_exp(out, z1, 0.75 * eps, z0, -eps, w)  # V' = exp(3/4 Z2 - Z') W2
        return w.reshape(v.shape).copy()


def wilson_flow(links: torch.Tensor | np.ndarray, t_max: float, eps: float = 0.01, *,
                every: int = 1, backend: str = "numba") -> FlowResult:
    """Flow ``links`` to ``t_max`` in steps of ``eps``, measuring every ``every`` steps.

    Parameters
    ----------
    links : torch.Tensor or ndarray, complex128, shape (*shape, D, N, N)
        The field at t = 0.
    t_max, eps : float
        Flow time and step.
    every : int
        Measure every ``every`` steps (and at the last).
    backend : {"numba", "torch"}
        The parallel Numba kernels or the torch twin (:func:`flow_step`).
    """
    from latticeml.observables.topology import topological_charge

    if backend not in ("numba", "torch"):
        raise ValueError(f"backend must be 'numba' or 'torch', not {backend!r}")
    arr = links.detach().numpy() if isinstance(links, torch.Tensor) else np.asarray(links)
    v = np.array(arr, dtype=np.complex128) if backend == "numba" else torch.tensor(arr)
    four = v.shape[-3] == 4 and v.ndim == 7
    steps = int(round(t_max / eps))
    flow = NumbaFlow(v.shape[:-3], v.shape[-1]) if backend == "numba" else None
    rows = []

    def measure(t: float) -> None:
        field = v if backend == "numba" else v.numpy()
        e_c = energy_clover(field) if four else math.nan
        q = float(topological_charge(field)) if four else math.nan
        rows.append((t, energy_plaquette(field), e_c, q))

    measure(0.0)
    for k in range(1, steps + 1):
        v = flow.step(v, eps) if flow is not None else flow_step(v, eps)
        if k % every == 0 or k == steps:
            measure(k * eps)
    table = np.array(rows)
    return FlowResult(t=table[:, 0], e_plaquette=table[:, 1], e_clover=table[:, 2],
                      charge=table[:, 3],
                      links=torch.from_numpy(v) if backend == "numba" else v)


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
    of each configuration (from the clover ``E`` in 4D, else the plaquette ``E``) and the
    ensemble's ``beta``, ``group``, ``shape`` (``"16x16x16x16"``), ``algorithm`` and
    ``n_skip`` are repeated on its rows (what :mod:`latticeml.evaluate.flow` summarises).
    Uses the Numba flow (:class:`NumbaFlow`).
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
    arrays, attrs = read_gauge_ensemble(path)
    meta = {"beta": float(attrs["beta"]), "group": str(attrs["group"]),
            "shape": "x".join(str(int(s)) for s in attrs["shape"]),
            "algorithm": str(attrs.get("algorithm", "")), "n_skip": int(attrs["n_skip"])}
    rows = []
    with progress_bar(len(arrays["links"]), "flow", enabled=progress, unit="config") as bar:
        for c, links in enumerate(arrays["links"]):
            r = wilson_flow(np.ascontiguousarray(links), t_max, eps, every=every)
            e = r.e_clover if np.isfinite(r.e_clover).all() else r.e_plaquette
            t0, w0 = scale_t0(r.t, e), scale_w0(r.t, e)
            for k in range(len(r.t)):
                rows.append({"config": c, "t": r.t[k], "e_plaquette": r.e_plaquette[k],
                             "e_clover": r.e_clover[k],
                             "t2e_plaquette": r.t[k] ** 2 * r.e_plaquette[k],
                             "t2e_clover": r.t[k] ** 2 * r.e_clover[k], "charge": r.charge[k],
                             "t0": t0, "w0": w0, **meta})
            bar.update(1)
    return pd.DataFrame(rows)
