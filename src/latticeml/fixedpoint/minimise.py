"""The fixed-point equation: values and exact derivatives from one minimisation.

In the classical limit the fixed-point action satisfies (Hasenfratz and Niedermayer 1994)

``A[V] = min_U { A[U] + T[U, V] }``

(in ``D`` dimensions the fine action carries the weight ``2^(4 - D)`` of :func:`fine_scale`:
the 2D test bed has ``A[V] = min_U {4 A[U] + T[U, V]}``),

``U`` running over the configurations of the fine lattice that blocks onto the coarse ``V``
(:mod:`latticeml.fixedpoint.blocking`). Given an action for the fine level -- the Wilson action
to start with, then a better parametrisation, as in the published iterative scheme --
:func:`fixed_point_value` finds the minimiser ``U*`` and returns the value and its derivative
with respect to ``V``: at ``U*`` the derivative of the bracket with respect to ``U`` vanishes,
so ``dA/dV = dT[U*, V]/dV``, in closed form, ``-(kappa / N) TA(V Q*^dagger)`` per link.

Derivatives on the group: along ``V -> exp(X) V`` (``X`` in su(N)), ``dA = Tr(X D)`` with
``D = TA(V G^dagger)``, ``G`` the gradient PyTorch computes for a real function of complex links
(``dA = Re sum Tr(G^dagger dV)``): :func:`algebra_gradient`. ``D`` is what the datasets store and
what an L-CNN action is trained to reproduce.

The minimisation runs on the group manifold: ``U = exp(X) U_0`` with ``X = sum_a x_a T_a``,
full-batch L-BFGS (strong Wolfe) in the coordinates ``x``, re-based on the new ``U_0`` when
the coordinates grow beyond 1, until the largest ``|D|`` over the fine links is below ``tol``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from latticeml.checks import check_float, check_int
from latticeml.errors import ParameterError
from latticeml.fixedpoint.blocking import Blocking, blocked_links, kernel
from latticeml.hmc.algebra import generators, reunitarize, traceless_antihermitian

__all__ = ["MinimiseParams", "FixedPointValue", "algebra_gradient", "unblock",
           "fixed_point_value", "wilson_units", "fine_scale"]


def fine_scale(dim: int) -> float:
    """Return ``2^(4 - D)``: the fine action's weight in ``A[V] = min {2^(4-D) A[U] + T}``.

    ``S = beta A`` with ``beta = 2N / (g^2 a^(4-D))``: halving ``a`` multiplies ``beta`` by
    ``2^(4-D)``; the coupling is marginal in 4D (weight 1), relevant in 2D (weight 4).
    """
    return float(2 ** (4 - dim))


def wilson_units(links: torch.Tensor) -> torch.Tensor:
    """Return the Wilson action in fixed-point units, ``A_W = sum_p (1 - Re Tr U_p / N)``."""
    from latticeml.hmc.actions import plaquette_traces

    return (1.0 - plaquette_traces(links)).sum()


@dataclass(frozen=True)
class MinimiseParams:
    """How the fine configuration is minimised.

    Attributes
    ----------
    tol : float
        Stop when the largest norm ``sqrt(-2 Tr D^2)`` of the algebra gradient over the fine
        links is below this, > 0.
    max_rounds : int
        L-BFGS rounds (each re-based on the current configuration), >= 1.
    iterations : int
        L-BFGS iterations per round, >= 1 (the optimiser keeps its history between rounds;
        it restarts from the current configuration when a coordinate exceeds 1).
    """

    tol: float = 1e-7
    max_rounds: int = 30
    iterations: int = 40

    def __post_init__(self) -> None:
        tol = check_float(self.tol, "tol")
        if tol <= 0:
            raise ParameterError("tol", "a number > 0", self.tol)
        object.__setattr__(self, "tol", tol)
        object.__setattr__(self, "max_rounds", check_int(self.max_rounds, "max_rounds", 1))
        object.__setattr__(self, "iterations", check_int(self.iterations, "iterations", 1))


@dataclass(frozen=True)
class FixedPointValue:
    """The outcome of one minimisation.

    Attributes
    ----------
    value : float
        ``A[V] = w A_fine[U*] + T[U*, V]`` (``w`` = :func:`fine_scale`).
    derivative : torch.Tensor
        ``D = TA(V G^dagger)`` of ``A`` with respect to the coarse links, ``(*coarse, D, N, N)``.
    fine : torch.Tensor
        The minimiser ``U*``.
    fine_action, kernel : float
        The two terms of ``value`` (the first with its weight ``w``).
    grad_norm : float
        Largest norm of the algebra gradient over the fine links at the end.
    rounds : int
        L-BFGS rounds run.
    converged : bool
        Whether ``grad_norm < tol``.
    """

    value: float
    derivative: torch.Tensor
    fine: torch.Tensor
    fine_action: float
    kernel: float
    grad_norm: float
    rounds: int
    converged: bool


def algebra_gradient(fn: Callable[[torch.Tensor], torch.Tensor],
                     links: torch.Tensor) -> torch.Tensor:
    """Return ``D = TA(U G^dagger)``: ``d fn = Tr(X D)`` along ``U -> exp(X) U``."""
    u = links.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(u), u)
    return traceless_antihermitian(u.detach() @ g.mH)


def _norms(d: torch.Tensor) -> torch.Tensor:
    """``sqrt(-2 Tr D^2)`` per link: the Euclidean norm of the coordinates ``x_a``."""
    return torch.sqrt((-2.0 * torch.einsum("...ij,...ji->...", d, d).real).clamp_min(0.0))


def _su_sqrt(v: torch.Tensor) -> torch.Tensor:
    """Return a square root of each SU(N) matrix in SU(N): ``R @ R = V``, ``det R = 1``.

    Principal eigen-angles ``theta_i`` sum to ``2 pi m``; shifting the largest (``m > 0``) or
    smallest (``m < 0``) angles by ``2 pi`` makes the sum zero, so half of them give ``det 1``.
    """
    lam, p = torch.linalg.eig(v)
    theta = torch.angle(lam)
    m = torch.round(theta.sum(-1) / (2 * torch.pi)).to(torch.int64)
    order = torch.argsort(theta, dim=-1)
    n = theta.shape[-1]
    for k in range(1, n):  # at most n - 1 angles need a shift
        top = order[..., n - k]
        bottom = order[..., k - 1]
        sel_top = (m >= k).unsqueeze(-1) & (torch.arange(n) == top.unsqueeze(-1))
        sel_bot = (m <= -k).unsqueeze(-1) & (torch.arange(n) == bottom.unsqueeze(-1))
        theta = theta - 2 * torch.pi * sel_top + 2 * torch.pi * sel_bot
    half = torch.diag_embed(torch.exp(0.5j * theta).to(v.dtype))
    r = p @ half @ torch.linalg.inv(p)
    for _ in range(2):  # Newton steps R <- (R + V R^-1) / 2: eig is inexact near degeneracy
        r = reunitarize(0.5 * (r + v @ r.mH))
    return r


def _moved(base: torch.Tensor, x: torch.Tensor, t_a: torch.Tensor, *,
           grad: bool = False) -> torch.Tensor:
    """``exp(sum_a x_a T_a) base`` (re-unitarised when no gradient is needed)."""
    if grad:
        return torch.linalg.matrix_exp(torch.einsum("...a,aij->...ij", x.to(base.dtype), t_a)) \
            @ base
    with torch.no_grad():
        return reunitarize(torch.linalg.matrix_exp(
            torch.einsum("...a,aij->...ij", x.detach().to(base.dtype), t_a)) @ base)


def unblock(coarse: torch.Tensor) -> torch.Tensor:
    """Return a fine configuration that blocks onto about ``coarse`` (the minimiser's start).

    Every fine link along ``mu`` inside the block of ``x_B`` is the square root of
    ``V_mu(x_B)``, so that the product of two is ``V`` (exactly, for ``c = 0``).
    """
    d = coarse.shape[-3]
    half = _su_sqrt(coarse)
    fine = half
    for axis in range(d):
        fine = fine.repeat_interleave(2, dim=axis)
    return fine.contiguous()


def fixed_point_value(coarse: torch.Tensor, fine_action: Callable[[torch.Tensor], torch.Tensor],
                      blocking: Blocking, params: MinimiseParams | None = None, *,
                      start: torch.Tensor | None = None) -> FixedPointValue:
    """Solve ``min_U { A_fine[U] + T[U, V] }`` for the coarse configuration ``V``.

    Parameters
    ----------
    coarse : torch.Tensor
        ``V``, complex128 ``(*shape, D, N, N)``.
    fine_action : callable
        ``links -> real 0-d tensor`` on the fine lattice, in fixed-point units
        (:func:`wilson_units`, or a trained action).
    blocking : Blocking
        The blocking and its kernel.
    params : MinimiseParams, optional
        Tolerance and iteration limits.
    start : torch.Tensor, optional
        The fine configuration to start from (default :func:`unblock` of ``V``).

    Returns
    -------
    FixedPointValue
    """
    params = params or MinimiseParams()
    v = coarse.detach()
    n = v.shape[-1]
    u0 = (unblock(v) if start is None else start.detach()).clone()
    t_a = generators(n, dtype=v.dtype, device=v.device)

    scale = fine_scale(v.shape[-3])
    warm: dict = {}

    def objective(u: torch.Tensor) -> torch.Tensor:
        return scale * fine_action(u) + kernel(u, v, blocking, warm=warm)

    rounds, grad_norm = 0, float(_norms(algebra_gradient(objective, u0)).max())
    x = opt = None
    while grad_norm >= params.tol and rounds < params.max_rounds:
        if x is None or float(x.detach().abs().max()) > 1.0:  # re-base: keep exp(X) small
            if x is not None:
                u0 = _moved(u0, x, t_a)
            x = torch.zeros(*u0.shape[:-2], n * n - 1, dtype=torch.float64, device=v.device,
                            requires_grad=True)
            opt = torch.optim.LBFGS([x], lr=1.0, max_iter=params.iterations, history_size=50,
                                    tolerance_grad=0.0, tolerance_change=0.0,
                                    line_search_fn="strong_wolfe")
        base = u0

        def closure(base=base, x=x, opt=opt):
            opt.zero_grad()
            f = objective(_moved(base, x, t_a, grad=True))
            f.backward()
            return f

        opt.step(closure)
        rounds += 1
        grad_norm = float(_norms(algebra_gradient(objective, _moved(u0, x, t_a))).max())
    if x is not None:
        u0 = _moved(u0, x, t_a)
    with torch.no_grad():
        a_fine = scale * float(fine_action(u0))
        t = float(kernel(u0, v, blocking))
        q = blocked_links(u0, blocking.c)
        derivative = -(blocking.kappa / n) * traceless_antihermitian(v @ q.mH)
    return FixedPointValue(value=a_fine + t, derivative=derivative, fine=u0, fine_action=a_fine,
                           kernel=t, grad_norm=grad_norm, rounds=rounds,
                           converged=grad_norm < params.tol)
