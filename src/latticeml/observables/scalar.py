r"""Per-configuration observables of the dual complex scalar field (numpy).

Conventions of ARCHITECTURE.md §3: ``k``, ``l`` have shape ``(..., N_t, N_x, 2)`` with
``nu = 0`` time and ``nu = 1`` space, link ``(x, nu)`` joins ``x`` to ``x + nu_hat``.

* ``f_x = sum_{links b touching x} (|k_b| + 2 l_b)`` (4 links; for ``N_x = 2`` the two
  x-links of a site are distinct links even though they join the same neighbour),
* ``n = (1/V) sum_x k_{x,0}`` (charge density),
* ``|phi|^2 = (1/V) sum_x W(f_x + 2) / W(f_x)``, ``|phi|^4 = (1/V) sum_x W(f_x + 4) / W(f_x)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["site_flux", "charge_density", "phi2", "phi4", "scalar_observables"]


def site_flux(k: np.ndarray, l: np.ndarray) -> np.ndarray:
    """Site flux ``f_x`` of configurations ``(..., N_t, N_x, 2)``.

    Returns
    -------
    ndarray of int64, shape (..., N_t, N_x)
    """
    a = np.abs(np.asarray(k, dtype=np.int64)) + 2 * np.asarray(l, dtype=np.int64)
    out = a[..., 0] + a[..., 1]  # links leaving x
    out = out + np.roll(a[..., 0], 1, axis=-2)  # temporal link arriving from x - 0_hat
    out = out + np.roll(a[..., 1], 1, axis=-1)  # spatial link arriving from x - 1_hat
    return out


def charge_density(k: np.ndarray) -> np.ndarray:
    """``n = (1/V) sum_x k_{x,0}`` of configurations ``(..., N_t, N_x, 2)``, shape (...)."""
    k = np.asarray(k)
    return k[..., 0].sum(axis=(-2, -1), dtype=np.float64) / (k.shape[-3] * k.shape[-2])


def _moment(k: np.ndarray, l: np.ndarray, logw: np.ndarray, df: int) -> np.ndarray:
    f = site_flux(k, l)
    if f.size and int(f.max()) + df >= logw.shape[0]:
        from latticeml.errors import TableRangeError

        raise TableRangeError(
            f"site flux up to {int(f.max())} needs W(f + {df}) beyond the table "
            f"(f_max = {logw.shape[0] - 1}); build the table with a larger f_max"
        )
    r = np.exp(logw[f + df] - logw[f])
    return r.mean(axis=(-2, -1))


def phi2(k: np.ndarray, l: np.ndarray, logw: np.ndarray) -> np.ndarray:
    """``|phi|^2 = (1/V) sum_x W(f_x+2)/W(f_x)`` per configuration.

    Parameters
    ----------
    k, l : ndarray of int, shape (..., N_t, N_x, 2)
        Dual link variables.
    logw : ndarray of float64
        ``log W(f)``, ``f = 0 .. f_max`` (:attr:`latticeml.scalar.WeightTable.logw`).

    Returns
    -------
    ndarray of float64, shape (...)
    """
    return _moment(k, l, logw, 2)


def phi4(k: np.ndarray, l: np.ndarray, logw: np.ndarray) -> np.ndarray:
    """``|phi|^4 = (1/V) sum_x W(f_x+4)/W(f_x)`` per configuration (see :func:`phi2`)."""
    return _moment(k, l, logw, 4)


def scalar_observables(
    k: np.ndarray, l: np.ndarray, logw: np.ndarray
) -> dict[str, np.ndarray]:
    """Return ``{"n": ..., "phi2": ..., "phi4": ...}`` per configuration."""
    return {"n": charge_density(k), "phi2": phi2(k, l, logw), "phi4": phi4(k, l, logw)}
