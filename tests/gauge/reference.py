"""Slow, obviously correct numpy twins of the gauge kernels, and exact 1+1D formulas.

Links are complex arrays ``(*shape, D, N, N)`` as in ARCHITECTURE.md section 3.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import iv


def dag(m):
    return np.conj(np.swapaxes(m, -1, -2))


def shift(field, mu, step=1):
    """``field(x + step * mu_hat)`` for a field with the lattice axes first."""
    return np.roll(field, -step, axis=mu)


def plaquette_field(links):
    """``Re Tr U_{x,mu nu} / N``, shape ``(*shape, n_planes)``, planes mu<nu lexicographic."""
    D = links.shape[-3]
    N = links.shape[-1]
    out = []
    for mu, nu in itertools.combinations(range(D), 2):
        Um = links[..., mu, :, :]
        Un = links[..., nu, :, :]
        P = Um @ shift(Un, mu) @ dag(shift(Um, nu)) @ dag(Un)
        out.append(np.trace(P, axis1=-2, axis2=-1).real / N)
    return np.stack(out, axis=-1)


def plaquette(links):
    return float(plaquette_field(links).mean())


def action(links, beta):
    return float(beta * np.sum(1.0 - plaquette_field(links)))


def link(links, x, mu):
    """``U_mu(x)`` with periodic wrapping of the coordinate tuple ``x``."""
    shape = links.shape[:-3]
    return links[tuple(int(c) % s for c, s in zip(x, shape, strict=True))][mu]


def staple(links, x, mu):
    """Sum ``A`` of the 2(D-1) staples of ``U_mu(x)``: its action is ``-(beta/N) Re Tr(U A)``.

    Built from the definition: for each plaquette containing ``U_mu(x)``, the product of the
    other three links, ordered so that ``Re Tr(U_mu(x) A_p)`` is that plaquette's trace.
    """
    D = links.shape[-3]
    x = np.asarray(x)
    e = np.eye(D, dtype=int)
    A = np.zeros(links.shape[-2:], dtype=complex)
    for nu in range(D):
        if nu == mu:
            continue
        A += (
            link(links, x + e[mu], nu)
            @ dag(link(links, x + e[nu], mu))
            @ dag(link(links, x, nu))
        )
        A += (
            dag(link(links, x + e[mu] - e[nu], nu))
            @ dag(link(links, x - e[nu], mu))
            @ link(links, x - e[nu], nu)
        )
    return A


def su2_project(m):
    """``m = k V`` for a real multiple of an SU(2) matrix: return ``(k, V)``."""
    k = np.sqrt(np.linalg.det(m).real)
    return k, m / k


def overrelax_su2(U, A):
    """SU(2) overrelaxation of one link: ``V^+ U^+ V^+`` with ``V = A / |A|``."""
    _, V = su2_project(A)
    return dag(V) @ dag(U) @ dag(V)


SUBGROUPS = ((0, 1), (0, 2), (1, 2))


def embed(r, p, q, N=3):
    """Embed the 2x2 matrix ``r`` into rows/columns ``p, q`` of the N x N identity."""
    R = np.eye(N, dtype=complex)
    R[np.ix_([p, q], [p, q])] = r
    return R


def su2_part(w):
    """Projection of a complex 2x2 matrix onto real combinations of 1, i sigma_k."""
    a0 = 0.5 * (w[0, 0].real + w[1, 1].real)
    a3 = 0.5 * (w[0, 0].imag - w[1, 1].imag)
    a2 = 0.5 * (w[0, 1].real - w[1, 0].real)
    a1 = 0.5 * (w[0, 1].imag + w[1, 0].imag)
    return np.array([[a0 + 1j * a3, a2 + 1j * a1], [-a2 + 1j * a1, a0 - 1j * a3]])


def overrelax_su3(U, A):
    """Cabibbo-Marinari overrelaxation of one SU(3) link over the subgroups (0,1),(0,2),(1,2)."""
    U = U.copy()
    for p, q in SUBGROUPS:
        W = U @ A
        w = su2_part(W[np.ix_([p, q], [p, q])])
        _, V = su2_project(w)
        U = embed(dag(V) @ dag(V), p, q) @ U
    return U


def reunitarise_su3(m):
    a = m[0] / np.linalg.norm(m[0])
    b = m[1] - np.vdot(a, m[1]) * a
    b = b / np.linalg.norm(b)
    c = np.conj(np.cross(a, b))
    return np.array([a, b, c])


def wilson_loop(links, a, b):
    """Mean over sites and planes of ``Re Tr W^{(a x b)} / N`` (a steps mu, b steps nu)."""
    D = links.shape[-3]
    N = links.shape[-1]
    vals = []
    for mu, nu in itertools.combinations(range(D), 2):
        Um = links[..., mu, :, :]
        Un = links[..., nu, :, :]
        eye = np.broadcast_to(np.eye(N, dtype=complex), Um.shape)
        L = eye.copy()
        for s in range(a):
            L = L @ shift(Um, mu, s)
        for s in range(b):
            L = L @ shift(shift(Un, mu, a), nu, s)
        for s in range(a):
            L = L @ dag(shift(shift(Um, nu, b), mu, a - 1 - s))
        for s in range(b):
            L = L @ dag(shift(Un, nu, b - 1 - s))
        vals.append(np.trace(L, axis1=-2, axis2=-1).real / N)
    return float(np.mean(vals))


# ---------------------------------------------------------------- exact 1+1D results
def u_su2(beta):
    """SU(2) plaquette in 1+1D, infinite volume: ``I_2(beta) / I_1(beta)``."""
    return iv(2, beta) / iv(1, beta)


def A_lambda(lam, beta, N, qmax=40):
    """``A_lambda(beta) = sum_q det[I_{lambda_j - j + i + q}(beta/N)]_{i,j}``."""
    total = 0.0
    idx = np.arange(1, N + 1)
    for q in range(-qmax, qmax + 1):
        M = iv(np.asarray(lam)[None, :] - idx[None, :] + idx[:, None] + q, beta / N)
        total += np.linalg.det(M)
    return total


def u_sun(beta, N):
    """SU(N) plaquette in 1+1D: ``A_fund / (N A_0)``."""
    fund = [1] + [0] * (N - 1)
    return A_lambda(fund, beta, N) / (N * A_lambda([0] * N, beta, N))


def u_su2_torus(beta, V, nmax=60):
    """SU(2) plaquette on a periodic torus of V plaquettes (character expansion)."""
    n = np.arange(1, nmax + 1)
    I1 = iv(1, beta)
    c = iv(n, beta) / I1
    dI = lambda k: 0.5 * (iv(k - 1, beta) + iv(k + 1, beta))  # noqa: E731
    dc = (dI(n) * I1 - iv(n, beta) * dI(1)) / I1**2
    return u_su2(beta) + np.sum(c ** (V - 1) * dc) / np.sum(c**V)


def strong_coupling(beta, N, D):
    """Leading strong-coupling series ``u + 2 (D-2) K u^5 du/dbeta`` (K = 4 SU(2), 18 SU(3))."""
    K = {2: 4.0, 3: 18.0}[N]
    u = u_sun(beta, N)
    h = 1e-5
    du = (u_sun(beta + h, N) - u_sun(beta - h, N)) / (2 * h)
    return u + 2 * (D - 2) * K * u**5 * du


# ------------------------------------------------------------------ full sweeps
def _checkerboard(shape):
    """Yield ``(mu, parity, substep, sites)``: the kernels' order of link updates."""
    coords = np.indices(shape).reshape(len(shape), -1).T
    par = coords.sum(axis=1) % 2
    for mu in range(len(shape)):
        for p in range(2):
            yield mu, 2 * mu + p, [(i, tuple(coords[i])) for i in np.flatnonzero(par == p)]


def overrelax_sweep(links):
    """One overrelaxation sweep in checkerboard order (mu, then parity)."""
    links = links.copy()
    N = links.shape[-1]
    for mu, _, sites in _checkerboard(links.shape[:-3]):
        for _, x in sites:
            A = staple(links, x, mu)
            U = links[x][mu]
            links[x + (mu,)] = overrelax_su2(U, A) if N == 2 else overrelax_su3(U, A)
    return links


def heatbath_sweep(links, beta, seed, sweep, sampler, link_key, substep_key):
    """One heat-bath sweep with the kernels' random streams.

    ``sampler(a, key, n) -> (x0, x1, x2, x3, n)`` draws the SU(2) matrix ``X`` with density
    ``exp(a x0)``; keys are ``link_key(substep_key(seed, sweep, 2 mu + parity), site)``.
    """
    links = links.copy()
    N = links.shape[-1]
    for mu, sub, sites in _checkerboard(links.shape[:-3]):
        skey = np.uint64(substep_key(np.uint64(seed), np.uint64(sweep), np.uint64(sub)))
        for i, x in sites:
            key = np.uint64(link_key(skey, np.uint64(i)))
            A = staple(links, x, mu)
            U = links[x][mu]
            if N == 2:
                k, V = su2_project(A)
                x0, x1, x2, x3, _ = sampler(beta * k, key, np.uint64(0))
                X = np.array([[x0 + 1j * x3, x2 + 1j * x1], [-x2 + 1j * x1, x0 - 1j * x3]])
                links[x + (mu,)] = X @ dag(V)
                continue
            n = np.uint64(0)
            for p, q in SUBGROUPS:
                W = U @ A
                k, V = su2_project(su2_part(W[np.ix_([p, q], [p, q])]))
                x0, x1, x2, x3, n = sampler(2.0 * beta * k / 3.0, key, n)
                X = np.array([[x0 + 1j * x3, x2 + 1j * x1], [-x2 + 1j * x1, x0 - 1j * x3]])
                U = embed(X @ dag(V), p, q) @ U
            links[x + (mu,)] = reunitarise_su3(U)
    return links
