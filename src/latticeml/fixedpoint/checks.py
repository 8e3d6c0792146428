"""Checks a learned fixed-point action must pass, each able to fail (issue 28, item 3).

Every check takes an action ``links -> A`` in fixed-point units (``A_W = sum_p (1 - Re Tr U_p
/ N)`` for the Wilson action, :func:`latticeml.fixedpoint.wilson_units`), for one configuration
without a batch axis; :func:`model_action` and :func:`model_density` turn an action model
(:class:`latticeml.nn.ActionLCNN`, or its model file) into one.

* :func:`fixed_point_residual` -- ``A[V] - min_U {w A[U] + T[U, V]}``: zero for the fixed-point
  action, of the order of its lattice artefacts for any other (the Wilson action's is ~10 % on
  rough fields, O(a^2) on smooth ones).
* :func:`pure_gauge_action` and :func:`smallest_action` -- ``A = 0`` on gauge transforms of the
  unit configuration, ``A >= 0`` on the configurations given.
* :func:`instanton_action` -- the action of a discretised BPST instanton inside a ball, over
  ``8 pi^2`` times the continuum fraction in that ball: 1 for a classically perfect action down
  to ``rho / a ~ 1.5``, ``1 - (a/rho)^2 / 5 - ...`` for the Wilson action.
* :func:`force_check` -- the derivative by automatic differentiation against central
  differences of the action along random algebra directions.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from latticeml.errors import ParameterError
from latticeml.fixedpoint.blocking import Blocking
from latticeml.fixedpoint.instanton import continuum_fraction, instanton_links
from latticeml.fixedpoint.minimise import MinimiseParams, algebra_gradient, fixed_point_value
from latticeml.hmc.algebra import exp_algebra, generators

__all__ = ["Residual", "ForceCheck", "fixed_point_residual", "pure_gauge_action",
           "smallest_action", "instanton_action", "force_check", "model_action",
           "model_density"]

Action = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Residual:
    """The fixed-point equation on one coarse configuration.

    Attributes
    ----------
    action : float
        ``A[V]``.
    minimum : float
        ``min_U {w A[U] + T[U, V]}`` (``w`` = :func:`latticeml.fixedpoint.fine_scale`).
    converged : bool
        Whether the minimisation reached its tolerance.
    """

    action: float
    minimum: float
    converged: bool

    @property
    def residual(self) -> float:
        """``A[V] - min_U {w A[U] + T[U, V]}``."""
        return self.action - self.minimum

    @property
    def relative(self) -> float:
        """The residual over ``|A[V]|`` (0 when both vanish)."""
        if self.action == 0.0:
            return 0.0 if self.minimum == 0.0 else math.inf
        return self.residual / abs(self.action)


def fixed_point_residual(action: Action, coarse: torch.Tensor, blocking: Blocking,
                         params: MinimiseParams | None = None) -> Residual:
    """Return how far ``action`` is from solving the fixed-point equation at ``coarse``.

    Parameters
    ----------
    action : callable
        ``links -> A`` (0-d real tensor), differentiable, in fixed-point units.
    coarse : torch.Tensor
        ``V``, complex128 ``(*shape, D, N, N)``, even extents.
    blocking : Blocking
        The blocking whose fixed point is tested (the one the action was trained on).
    params : MinimiseParams, optional
        The minimiser's tolerance and limits.
    """
    v = coarse.detach().to(torch.complex128)
    with torch.no_grad():
        a = float(action(v))
    r = fixed_point_value(v, action, blocking, params)
    return Residual(action=a, minimum=r.value, converged=r.converged)


def _random_unit_transform(shape: tuple[int, ...], d: int, n: int,
                           generator: torch.Generator) -> torch.Tensor:
    """Return a random gauge transform of the unit: ``Omega(x) Omega(x + mu)^dagger``."""
    from latticeml.gauge.transform_torch import haar_su_n

    omega = haar_su_n((*shape,), n, generator=generator, dtype=torch.complex128)
    links = torch.empty(*shape, d, n, n, dtype=torch.complex128)
    for mu in range(d):
        links[..., mu, :, :] = omega @ torch.roll(omega, -1, dims=mu).mH
    return links


def pure_gauge_action(action: Action, shape: tuple[int, ...], n_colors: int, *,
                      samples: int = 4, seed: int = 0) -> float:
    """Return the largest ``|A|`` over random gauge transforms of the unit configuration.

    A fixed-point action vanishes exactly there (and an :class:`~latticeml.nn.ActionLCNN` by
    construction, to rounding); the scale to compare with is ``A`` of a rough configuration.
    """
    if samples < 1:
        raise ParameterError("samples", "an integer >= 1", samples)
    g = torch.Generator().manual_seed(int(seed))
    worst = 0.0
    with torch.no_grad():
        for _ in range(samples):
            u = _random_unit_transform(tuple(shape), len(shape), n_colors, g)
            worst = max(worst, abs(float(action(u))))
    return worst


def smallest_action(action: Action, links: torch.Tensor) -> float:
    """Return the smallest ``A`` over a batch of configurations ``(B, *shape, D, N, N)``."""
    with torch.no_grad():
        return min(float(action(u)) for u in links)


def instanton_action(density: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, ...],
                     rho: float, *, n_colors: int = 2, radius: float | None = None,
                     substeps: int = 16) -> float:
    """Return a discretised instanton's action in a ball over the continuum's in that ball.

    Parameters
    ----------
    density : callable
        ``links -> (*shape)`` per-site action (:func:`model_density`), summing to ``A``.
        The value at site ``x`` is placed at ``x + (1/2, ..., 1/2)``, the centre of the
        hypercube whose loops it is made of.
    shape : tuple of four int
        The lattice (periodic; its boundary adds action of its own, hence the ball).
    rho : float
        The instanton size in lattice units.
    n_colors : {2, 3}
        SU(2), or SU(2) embedded in SU(3).
    radius : float, optional
        Radius of the ball around the centre (default: 0.4 times the smallest extent).
    substeps : int
        Midpoint factors per link of the path-ordered exponential.

    Returns
    -------
    float
        ``2N A_ball / (8 pi^2 f)`` (``2N A = g^2 S``), ``f`` the continuum fraction of the
        ball (:func:`latticeml.fixedpoint.continuum_fraction`): 1 for a classically perfect
        action.
    """
    shape = tuple(int(s) for s in shape)
    radius = 0.4 * min(shape) if radius is None else float(radius)
    links = torch.from_numpy(instanton_links(shape, rho, n_colors=n_colors, substeps=substeps))
    with torch.no_grad():
        dens = density(links).detach().numpy()
    centre = np.array([s / 2 - 0.5 for s in shape])
    x = np.indices(shape, dtype=float).reshape(len(shape), -1).T + 0.5 - centre
    inside = np.sqrt((x * x).sum(axis=1)) < radius
    total = float(dens.reshape(-1)[inside].sum())
    n = links.shape[-1]  # g^2 S = beta g^2 A = 2N A
    return 2 * n * total / (8 * math.pi**2 * continuum_fraction(radius, rho))


@dataclass(frozen=True)
class ForceCheck:
    """Autograd derivatives against central differences.

    Attributes
    ----------
    worst : float
        Largest ``|autograd - finite difference|`` over the directions tried.
    scale : float
        Largest ``|finite difference|`` (to judge ``worst`` against).
    """

    worst: float
    scale: float


def force_check(action: Action, links: torch.Tensor, *, directions: int = 4, eps: float = 1e-5,
                seed: int = 0) -> ForceCheck:
    """Compare ``dA`` along ``U(x, mu) -> exp(t X) U(x, mu)`` with central differences.

    ``directions`` random links and algebra directions ``X``; the autograd value is
    ``Tr(X D)`` with ``D`` of :func:`latticeml.fixedpoint.algebra_gradient`. The difference
    quotient has error ``O(eps^2)`` plus rounding ``~1e-16 |A| / eps``.
    """
    u = links.detach().to(torch.complex128)
    n = u.shape[-1]
    d = algebra_gradient(action, u)
    t_a = generators(n, dtype=u.dtype)
    rng = np.random.default_rng(seed)
    worst = scale = 0.0
    site_shape = u.shape[:-2]
    with torch.no_grad():
        for _ in range(directions):
            idx = tuple(int(rng.integers(s)) for s in site_shape)
            x = torch.einsum("a,aij->ij", torch.from_numpy(rng.normal(size=n * n - 1)).to(
                u.dtype), t_a)

            def moved(t, idx=idx, x=x):
                w = u.clone()
                w[idx] = exp_algebra(t * x) @ u[idx]
                return float(action(w))

            fd = (moved(eps) - moved(-eps)) / (2 * eps)
            ad = float(torch.einsum("ij,ji->", x, d[idx]).real)
            worst, scale = max(worst, abs(fd - ad)), max(scale, abs(fd))
    return ForceCheck(worst=worst, scale=scale)


def _load(model):
    if isinstance(model, (str, os.PathLike)):
        from latticeml.fixedpoint.dataset import fine_action_of  # checks it is an action model
        from latticeml.nn import load_model

        fine_action_of(model)
        model = load_model(model).double()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def model_action(model) -> Action:
    """Return ``links -> A`` of an action model (module or model file), in float64."""
    net = _load(model)

    def action(u: torch.Tensor) -> torch.Tensor:
        return net(u.unsqueeze(0)).sum()

    return action


def model_density(model) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return ``links -> (*shape)``: an action model's per-site action (vacuum subtracted).

    ``model`` is an :class:`~latticeml.nn.ActionLCNN`, a model file of one, or the
    :class:`~latticeml.nn.modelfile.Regressor` that :func:`latticeml.nn.load_model` returns
    (its output scale applied).
    """
    net = _load(model)
    inner = getattr(net, "net", net)
    std = float(getattr(net, "std", 1.0))
    if not hasattr(inner, "density"):
        raise ParameterError("model", "an action model (kind action)", type(inner).__name__)

    def density(u: torch.Tensor) -> torch.Tensor:
        n, d = u.shape[-1], u.shape[-3]
        unit = torch.eye(n, dtype=u.dtype).expand(1, *u.shape[:d], d, n, n)
        per_site = inner.density(u.unsqueeze(0))[0] - inner.density(unit)[0]
        return std * per_site

    return density
