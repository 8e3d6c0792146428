"""Flux conservation of dual configurations and flux-violation (open-worm) labels.

A closed configuration has ``div k = 0`` at every site, where the divergence is the outflow
``div k (x) = sum_nu [k_{x,nu} - k_{x - nu_hat, nu}]``; then the net temporal flux through
every time slice is the same integer (the temporal winding number) and equals ``n * N_x``.
Each open worm leaves exactly two sites with ``div = +-1`` (its head and tail); a
flux-violation ensemble contains closed configurations (label 0, "conserved") and
configurations with ``M`` open worms (label 1, "violated") in equal numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latticeml.errors import ParameterError

__all__ = [
    "divergence",
    "slice_flux",
    "n_defects",
    "FluxCheck",
    "check_flux",
    "balanced_labels",
]


def divergence(k: np.ndarray) -> np.ndarray:
    """Outflow divergence of ``k`` with shape ``(..., N_t, N_x, 2)``.

    Returns
    -------
    ndarray of int64, shape (..., N_t, N_x)
    """
    k = np.asarray(k, dtype=np.int64)
    kt, kx = k[..., 0], k[..., 1]
    return kt - np.roll(kt, 1, axis=-2) + kx - np.roll(kx, 1, axis=-1)


def slice_flux(k: np.ndarray) -> np.ndarray:
    """Net temporal flux ``sum_x k_{(t,x),0}`` through every time slice, shape (..., N_t)."""
    return np.asarray(k, dtype=np.int64)[..., 0].sum(axis=-1)


def n_defects(k: np.ndarray) -> np.ndarray:
    """Count the sites with non-zero divergence per configuration, shape (...)."""
    return np.count_nonzero(divergence(k), axis=(-2, -1))


@dataclass(frozen=True)
class FluxCheck:
    """Result of :func:`check_flux`.

    Attributes
    ----------
    ok : bool
        Every check passed.
    n_closed, n_open : int
        Configurations expected closed / with open worms.
    max_div_closed : int
        Largest ``|div k|`` over closed configurations (0 if flux is conserved).
    bad_defects : int
        Open-worm configurations whose number of defect sites differs from ``2 M`` or whose
        divergence is not ``+-1`` there.
    winding_ok : bool
        For closed configurations: the flux through every time slice equals ``n * N_x``.
    f_even : bool
        For closed configurations: every ``f_x`` is even (only checked if ``l`` is given).
    """

    ok: bool
    n_closed: int
    n_open: int
    max_div_closed: int
    bad_defects: int
    winding_ok: bool
    f_even: bool

    def __str__(self) -> str:
        s = "OK" if self.ok else "FAILED"
        return (
            f"{s}: {self.n_closed} closed (max |div| = {self.max_div_closed}, "
            f"slice flux = n N_x: {self.winding_ok}, f even: {self.f_even}), "
            f"{self.n_open} with open worms ({self.bad_defects} with wrong defects)"
        )


def check_flux(
    k: np.ndarray,
    open_worms: np.ndarray | None = None,
    *,
    n: np.ndarray | None = None,
    l: np.ndarray | None = None,
) -> FluxCheck:
    """Check flux conservation (closed) and defect counts (open worms).

    Parameters
    ----------
    k : ndarray of int, shape (n_cfg, N_t, N_x, 2)
        Configurations.
    open_worms : ndarray of int, shape (n_cfg,), optional
        Open worms per configuration (0 = closed); all closed if omitted.
    n : ndarray of float, shape (n_cfg,), optional
        Stored charge densities, compared with the slice fluxes of closed configurations.
    l : ndarray of int, shape (n_cfg, N_t, N_x, 2), optional
        If given, ``f_x`` of closed configurations is checked to be even.

    Returns
    -------
    FluxCheck
    """
    k = np.asarray(k)
    m = np.zeros(k.shape[0], dtype=np.int64) if open_worms is None else np.asarray(open_worms)
    div = divergence(k)
    closed = m == 0
    max_div = int(np.abs(div[closed]).max()) if closed.any() else 0
    nonzero = np.count_nonzero(div, axis=(-2, -1))
    unit = np.all((div == 0) | (np.abs(div) == 1), axis=(-2, -1))
    bad = int(np.count_nonzero(~closed & ((nonzero != 2 * m) | ~unit)))
    winding_ok = True
    if closed.any():
        sf = slice_flux(k[closed])
        winding_ok = bool(np.all(sf == sf[:, :1]))
        if n is not None:
            nx = k.shape[-2]
            winding_ok &= bool(np.allclose(np.asarray(n)[closed] * nx, sf[:, 0], atol=1e-9))
    f_even = True
    if l is not None and closed.any():
        from latticeml.observables.scalar import site_flux

        f_even = bool(np.all(site_flux(k[closed], np.asarray(l)[closed]) % 2 == 0))
    ok = max_div == 0 and bad == 0 and winding_ok and f_even
    return FluxCheck(ok, int(closed.sum()), int((~closed).sum()), max_div, bad, winding_ok, f_even)


def balanced_labels(n_configs: int, seed: int) -> np.ndarray:
    """Random balanced labels: ``n_configs // 2`` ones (violated), the rest zeros.

    Parameters
    ----------
    n_configs : int
        Number of configurations (>= 2).
    seed : int
        Seed of the permutation (numpy ``default_rng([seed, 0x5CA1A])``).

    Returns
    -------
    ndarray of int8, shape (n_configs,)
    """
    if n_configs < 2:
        raise ParameterError(
            "--n-configs", "at least 2 for a flux-violation ensemble", n_configs,
            "balanced classes need one conserved and one violated configuration",
        )
    labels = np.zeros(n_configs, dtype=np.int8)
    labels[: n_configs // 2] = 1
    return np.random.default_rng([int(seed), 0x5CA1A]).permutation(labels)
