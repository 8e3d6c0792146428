"""Fixed-point targets of a gauge dataset: the action, its derivative, the minimiser's residual.

``latticeml dataset build --fixed-point`` stores, for every configuration ``V`` of its sources,
the three targets of the catalogue's fixed-point families (``fixed_point_action``,
``fixed_point_derivative``, ``fixed_point_grad_norm``), computed here by one minimisation each
(:func:`latticeml.fixedpoint.fixed_point_value`, the Wilson action on the fine level: the first
step of the published iterative scheme). The blocking and the minimiser's settings are the
dataset's parameters (its ``params`` attribute).
"""

from __future__ import annotations

import numpy as np
import torch

from latticeml.fixedpoint.blocking import Blocking
from latticeml.fixedpoint.minimise import MinimiseParams, fixed_point_value, wilson_units

__all__ = ["fixed_point_targets"]


def fixed_point_targets(links: np.ndarray, c: float, kappa: float, tol: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(action, derivative, grad_norm)`` of every configuration in ``links``.

    Parameters
    ----------
    links : ndarray, complex, shape (B, *shape, D, N, N)
        Coarse configurations.
    c, kappa : float
        The blocking (:class:`latticeml.fixedpoint.Blocking`).
    tol : float
        The minimiser's tolerance (:class:`latticeml.fixedpoint.MinimiseParams`).

    Returns
    -------
    action : ndarray, float64, (B,)
    derivative : ndarray, complex128, (B, *shape, D, N, N)
    grad_norm : ndarray, float64, (B,)
        The largest algebra-gradient norm over the fine links at the end (``< tol`` when the
        minimisation converged).
    """
    blocking = Blocking(c=c, kappa=kappa)
    params = MinimiseParams(tol=tol)
    b = links.shape[0]
    action = np.empty(b)
    derivative = np.empty(links.shape, dtype=np.complex128)
    grad_norm = np.empty(b)
    for i in range(b):
        v = torch.from_numpy(np.ascontiguousarray(links[i], dtype=np.complex128))
        r = fixed_point_value(v, wilson_units, blocking, params)
        action[i] = r.value
        derivative[i] = r.derivative.numpy()
        grad_norm[i] = r.grad_norm
    return action, derivative, grad_norm
