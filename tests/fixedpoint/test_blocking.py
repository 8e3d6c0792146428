"""The RG machinery of the fixed-point action: blocking, kernel T, the minimisation (issue 28).

Every symmetry statement is tested on random float64 configurations beside a negative control
that must fail; the derivative from the minimiser is checked against finite differences of
re-minimised values.
"""

from __future__ import annotations

import math

import pytest
import torch

from latticeml.errors import ParameterError
from latticeml.fixedpoint.blocking import Blocking, blocked_links, fat_links, group_max, kernel
from latticeml.fixedpoint.minimise import (
    MinimiseParams,
    fine_scale,
    fixed_point_value,
    unblock,
    wilson_units,
)
from latticeml.gauge.transform_torch import haar_su_n
from latticeml.hmc.algebra import generators, traceless_antihermitian
from latticeml.testing import gauge_transform_links, random_gauge_transformation, random_links

CASES = [(2, (4, 4)), (3, (4, 4)), (2, (4, 4, 4, 4)), (3, (4, 4, 4, 4))]
IDS = ["su2-2d", "su3-2d", "su2-4d", "su3-4d"]


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _coarse_transform(omega, d):
    return omega[(slice(None),) + (slice(None, None, 2),) * d]


def _near_unit(shape, n, eps, g):
    """Links exp(X) with X = eps * Gaussian in su(N): rough but not Haar-random."""
    t = generators(n)
    x = torch.randn(*shape, len(shape), n * n - 1, dtype=torch.float64, generator=g) * eps
    return torch.linalg.matrix_exp(torch.einsum("...a,aij->...ij", x.to(torch.complex128), t))


@pytest.mark.parametrize("n, shape", CASES, ids=IDS)
def test_blocked_links_are_gauge_covariant(n, shape):
    g = _gen(1)
    u = random_links(1, shape, n, generator=g)
    omega = random_gauge_transformation(1, shape, n, generator=g)
    got = blocked_links(gauge_transform_links(u, omega)[0], 0.1)
    want = gauge_transform_links(blocked_links(u[0], 0.1)[None],
                                 _coarse_transform(omega, len(shape)))[0]
    assert (got - want).abs().max() < 1e-13


def test_covariance_negative_control():
    """A fat link with a staple of the wrong orientation is not covariant: the test sees it."""
    g = _gen(2)
    shape, n = (4, 4), 2
    u = random_links(1, shape, n, generator=g)
    omega = random_gauge_transformation(1, shape, n, generator=g)

    def broken(links):
        w = fat_links(links, 0.1).clone()
        w[..., 0, :, :] = w[..., 0, :, :] + 0.1 * links[..., 1, :, :]  # not a path x -> x+mu
        even = (slice(None, None, 2),) * 2
        return torch.stack([w[..., mu, :, :][even] @ torch.roll(w[..., mu, :, :], -1, mu)[even]
                            for mu in range(2)], dim=-3)

    got = broken(gauge_transform_links(u, omega)[0])
    want = gauge_transform_links(broken(u[0])[None], _coarse_transform(omega, 2))[0]
    assert (got - want).abs().max() > 1e-2


@pytest.mark.parametrize("n, shape", CASES, ids=IDS)
def test_pure_gauge_fields_block_to_pure_gauge_fields(n, shape):
    """Fat-link weights sum to one: for U = g(x) g(x+mu)^+ every W is U, Q is the coarse one."""
    g = _gen(3)
    omega = random_gauge_transformation(1, shape, n, generator=g)
    unit = torch.eye(n, dtype=torch.complex128).expand(1, *shape, len(shape), n, n)
    u = gauge_transform_links(unit.contiguous(), omega)
    q = blocked_links(u[0], 0.2)
    want = gauge_transform_links(unit[(slice(None),) + (slice(None, None, 2),) * len(shape)]
                                 .contiguous(), _coarse_transform(omega, len(shape)))[0]
    assert (q - want).abs().max() < 1e-13


@pytest.mark.parametrize("n", [2, 3])
def test_group_max_is_the_maximum(n):
    g = _gen(4)
    u = random_links(1, (4, 4, 4, 4), n, generator=g)[0]
    q = blocked_links(u, 0.15).reshape(-1, n, n)
    w, value = group_max(q)
    # in SU(N) and stationary: TA(W Q^+) = 0 (no su(N) direction raises Re Tr)
    eye = torch.eye(n, dtype=q.dtype)
    assert (w @ w.mH - eye).abs().max() < 1e-13
    assert (torch.linalg.det(w) - 1).abs().max() < 1e-13
    assert traceless_antihermitian(w @ q.mH).abs().max() < 1e-10
    # no Haar sample and no small step away does better
    samples = haar_su_n((4000,), n, generator=g)
    tries = torch.einsum("kij,lij->kl", samples, q.conj()).real
    assert bool((tries.max(0).values <= value + 1e-12).all())
    t = generators(n)
    step = torch.linalg.matrix_exp(0.05 * torch.einsum(
        "...a,aij->...ij", torch.randn(q.shape[0], n * n - 1, dtype=torch.float64,
                                       generator=g).to(q.dtype), t))
    moved = torch.einsum("...ij,...ij->...", step @ w, q.conj()).real
    assert bool((moved <= value + 1e-12).all())
    if n == 2:  # a real combination of SU(2) matrices: the maximum is 2 sqrt(det Q)
        assert (value - 2 * torch.linalg.det(q).real.sqrt()).abs().max() < 1e-12


@pytest.mark.parametrize("n, shape", CASES, ids=IDS)
def test_kernel_is_non_negative_zero_at_the_projection_and_gauge_invariant(n, shape):
    g = _gen(5)
    b = Blocking(c=0.1, kappa=2.0)
    coarse_shape = tuple(s // 2 for s in shape)
    u = random_links(1, shape, n, generator=g)
    v = random_links(1, coarse_shape, n, generator=g)
    t = kernel(u[0], v[0], b)
    assert float(t) > 0
    w, _ = group_max(blocked_links(u[0], b.c))
    assert abs(float(kernel(u[0], w, b))) < 1e-12
    omega = random_gauge_transformation(1, shape, n, generator=g)
    t_g = kernel(gauge_transform_links(u, omega)[0],
                 gauge_transform_links(v, _coarse_transform(omega, len(shape)))[0], b)
    assert float(t_g) == pytest.approx(float(t), rel=1e-12)
    # negative control: transforming V with another g_B changes T
    other = random_gauge_transformation(1, coarse_shape, n, generator=g)
    assert abs(float(kernel(gauge_transform_links(u, omega)[0],
                            gauge_transform_links(v, other)[0], b)) - float(t)) > 1e-3


def test_bad_parameters_and_shapes_are_refused():
    with pytest.raises(ParameterError, match="kappa"):
        Blocking(kappa=0)
    with pytest.raises(ParameterError, match="c"):
        Blocking(c=float("nan"))
    with pytest.raises(ParameterError, match="tol"):
        MinimiseParams(tol=0)
    u = random_links(1, (6, 4), 2, generator=_gen())[0]
    with pytest.raises(ParameterError, match="even extents >= 4"):
        blocked_links(random_links(1, (2, 4), 2, generator=_gen())[0], 0.1)
    with pytest.raises(ParameterError, match="half the fine lattice"):
        kernel(u, random_links(1, (2, 2), 2, generator=_gen())[0], Blocking())


def test_unblock_blocks_back_exactly_without_staples():
    v = random_links(1, (2, 2, 2, 2), 3, generator=_gen(6))[0]
    assert (blocked_links(unblock(v), 0.0) - v).abs().max() < 1e-12


# ---- the minimisation ------------------------------------------------------------------------
MIN = MinimiseParams(tol=1e-7)


@pytest.mark.slow  # ~50 s: SU(3) on 4^4
def test_pure_gauge_coarse_fields_have_zero_action():
    n, coarse = 3, (2, 2, 2, 2)
    omega = random_gauge_transformation(1, coarse, n, generator=_gen(7))
    unit = torch.eye(n, dtype=torch.complex128).expand(1, *coarse, 4, n, n).contiguous()
    v = gauge_transform_links(unit, omega)[0]
    r = fixed_point_value(v, wilson_units, Blocking(0.05, 2.0), MIN)
    assert r.converged and abs(r.value) < 1e-10
    assert r.derivative.abs().max() < 1e-6


@pytest.mark.parametrize("n, coarse", [
    (2, (4, 4)), (3, (2, 2)), pytest.param(2, (2, 2, 2, 2), marks=pytest.mark.slow)],
    ids=["su2-2d", "su3-2d", "su2-4d"])
def test_value_is_positive_gauge_invariant_and_its_derivative_is_exact(n, coarse):
    g = _gen(8)
    b = Blocking(0.05, 2.0)
    v = _near_unit(coarse, n, 0.3, g)
    r = fixed_point_value(v, wilson_units, b, MIN)
    assert r.converged and r.value > 0
    assert r.value == pytest.approx(r.fine_action + r.kernel)
    # gauge invariance of the value, covariance of the derivative
    omega = random_gauge_transformation(1, coarse, n, generator=g)
    vg = gauge_transform_links(v[None], omega)[0]
    rg = fixed_point_value(vg, wilson_units, b, MIN)
    assert rg.value == pytest.approx(r.value, rel=1e-9)
    om = omega[0].unsqueeze(-3)
    assert (rg.derivative - om @ r.derivative @ om.mH).abs().max() < 1e-6
    # the derivative along a random direction against central differences of minimised values
    t = generators(n)
    x = torch.einsum("...a,aij->...ij", torch.randn(*v.shape[:-2], n * n - 1,
                     dtype=torch.float64, generator=g).to(v.dtype), t)
    eps = 1e-4
    plus = fixed_point_value(torch.linalg.matrix_exp(eps * x) @ v, wilson_units, b, MIN,
                             start=r.fine).value
    minus = fixed_point_value(torch.linalg.matrix_exp(-eps * x) @ v, wilson_units, b, MIN,
                              start=r.fine).value
    fd = (plus - minus) / (2 * eps)
    exact = float(torch.einsum("...ij,...ji->", x, r.derivative).real)
    assert fd == pytest.approx(exact, rel=1e-5, abs=1e-9)
    # negative control: the derivative of another configuration does not pass
    other = fixed_point_value(_near_unit(coarse, n, 0.3, g), wilson_units, b, MIN)
    wrong = float(torch.einsum("...ij,...ji->", x, other.derivative).real)
    assert abs(fd - wrong) > 1e-3 * abs(fd)


def _wave(length, eps):
    """An abelian SU(2) plane wave in 2D: U_1(x) = exp(i eps sin(2 pi x_0 / L) sigma_3)."""
    a1 = eps * torch.sin(2 * math.pi * torch.arange(length, dtype=torch.float64) / length)
    links = torch.zeros(length, length, 2, 2, 2, dtype=torch.complex128)
    links[..., 0, 0, 0] = links[..., 0, 1, 1] = 1
    links[..., 1, 0, 0] = torch.exp(1j * a1)[:, None]
    links[..., 1, 1, 1] = torch.exp(-1j * a1)[:, None]
    return links


def test_pure_gauge_coarse_fields_have_zero_action_2d():
    n, coarse = 3, (2, 2)
    omega = random_gauge_transformation(1, coarse, n, generator=_gen(7))
    unit = torch.eye(n, dtype=torch.complex128).expand(1, *coarse, 2, n, n).contiguous()
    r = fixed_point_value(gauge_transform_links(unit, omega)[0], wilson_units,
                          Blocking(0.05, 2.0), MIN)
    assert r.converged and abs(r.value) < 1e-10 and r.derivative.abs().max() < 1e-6


def test_smooth_fields_approach_the_continuum_action():
    """A = S_cont (1 - O(k^2)): the deviation falls fourfold when the wavelength doubles."""
    eps = 0.05
    s_cont = eps**2 * math.pi**2  # (1/2) integral of F_01^2 for the wave, in lattice units
    dev = {}
    for length in (16, 32):
        r = fixed_point_value(_wave(length, eps), wilson_units, Blocking(0.05, 4.0), MIN)
        assert r.converged
        dev[length] = 1 - r.value / s_cont
        assert 0 < dev[length] < 0.1
    assert 3.0 < dev[16] / dev[32] < 5.0


def test_fine_scale_is_the_marginal_weight():
    assert fine_scale(4) == 1.0 and fine_scale(2) == 4.0
