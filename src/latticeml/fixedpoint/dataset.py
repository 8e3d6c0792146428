"""Fixed-point targets of a gauge dataset: the action, its derivative, the minimiser's residual.

``latticeml dataset build --fixed-point`` stores, for every configuration ``V`` of its sources,
the three targets of the catalogue's fixed-point families (``fixed_point_action``,
``fixed_point_derivative``, ``fixed_point_grad_norm``), computed here by one minimisation each
(:func:`latticeml.fixedpoint.fixed_point_value`). The fine level's action is the Wilson action
(the first step of the published iterative scheme) or a trained action model (the next steps:
train on one step's dataset, build the next with that model on the fine level). The blocking,
the minimiser's settings and the fine model are the dataset's parameters (its ``params``
attribute).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from latticeml.errors import ParameterError
from latticeml.fixedpoint.blocking import Blocking
from latticeml.fixedpoint.minimise import MinimiseParams, fixed_point_value, wilson_units

__all__ = ["fixed_point_targets", "fine_action_of"]


def fine_action_of(path: str | os.PathLike):
    """Return the action of an action model file as a fine-level action ``links -> A``.

    Raises
    ------
    ParameterError
        If the file holds no action model (kind ``action``).
    """
    from latticeml.nn import load_model

    model = load_model(path)
    if getattr(model, "task", "") != "action":
        raise ParameterError("--fp-fine-model", "an action model (model.pt of kind action, "
                             "trained on fixed_point_action)", f"{path}, a {model.task} model")
    for p in model.parameters():
        p.requires_grad_(False)
    dtype = next(model.parameters()).dtype
    if dtype != torch.float64:
        model = model.double()

    def action(u: torch.Tensor) -> torch.Tensor:
        return model(u.unsqueeze(0)).sum()

    return action


def fixed_point_targets(links: np.ndarray, c: float, kappa: float, tol: float, *,
                        fine_model: str | os.PathLike | None = None
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
    fine_model : path-like, optional
        An action model file whose action is the fine level's (default: the Wilson action).

    Returns
    -------
    action : ndarray, float64, (B,)
    derivative : ndarray, complex128, (B, *shape, D, N, N)
    grad_norm : ndarray, float64, (B,)
        The largest algebra-gradient norm over the fine links at the end (``< tol`` when the
        minimisation converged).
    """
    blocking = Blocking(c=c, kappa=kappa)
    fine = wilson_units if fine_model is None else fine_action_of(fine_model)
    params = MinimiseParams(tol=tol)
    b = links.shape[0]
    action = np.empty(b)
    derivative = np.empty(links.shape, dtype=np.complex128)
    grad_norm = np.empty(b)
    for i in range(b):
        v = torch.from_numpy(np.ascontiguousarray(links[i], dtype=np.complex128))
        r = fixed_point_value(v, fine, blocking, params)
        action[i] = r.value
        derivative[i] = r.derivative.numpy()
        grad_norm[i] = r.grad_norm
    return action, derivative, grad_norm
