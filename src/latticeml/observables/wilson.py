"""Wilson loops and plaquettes of gauge configurations.

Conventions (ARCHITECTURE.md §3): links have layout ``(..., *shape, D, N, N)`` with
``D = links.shape[-3]`` and any leading axes being batch axes. The ``a x b`` Wilson loop in the
plane ``mu < nu`` at site ``x`` is the ordered product

    ``[a steps +mu] [b steps +nu] [a steps -mu] [b steps -nu]``

starting and ending at ``x``; the ``1 x 1`` loop is the plaquette
``U_mu(x) U_nu(x+mu) U_mu(x+nu)^dagger U_nu(x)^dagger``. Planes come in lexicographic order
``(0,1), (0,2), ..., (D-2, D-1)``. All shifts are periodic; loops longer than the lattice
simply wrap around.

Implementation (Numba kernels, parallel over configurations and sites): for every direction
the straight line products ``L_mu^(a)(x) = U_mu(x) U_mu(x+mu) ... U_mu(x+(a-1)mu)`` are built
once and shared by all planes; a loop is then ``F S^dagger`` with
``F = L_mu^a(x) L_nu^b(x+a mu)`` and ``S = L_nu^b(x) L_mu^a(x+b nu)``, and its trace is one
contraction ``Re sum_ij F_ij conj(S_ij)``. Configurations are processed in chunks with a few
MB of reused scratch memory. The slow twin lives in ``tests/observables/reference.py``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from latticeml._numba import jit, pjit
from latticeml.errors import ParameterError
from latticeml.lattice import link_layout

__all__ = [
    "unitarity_violation",
    "plaquette_field",
    "wilson_loop_matrices",
    "wilson_loops",
    "validate_links",
]


def validate_links(links: object, name: str = "links") -> tuple[np.ndarray, int, int]:
    """Check that ``links`` is a complex ``(..., *shape, D, N, N)`` array.

    Parameters
    ----------
    links : array_like
        Candidate gauge links.
    name : str
        Name used in error messages.

    Returns
    -------
    links : ndarray
        The links as an array (no copy).
    D, N : int
        Number of lattice dimensions and of colours.

    Raises
    ------
    ParameterError
        If the layout or dtype is wrong.
    """
    if not isinstance(links, np.ndarray):
        raise ParameterError(
            name, "a numpy array of shape (..., *shape, D, N, N)", type(links).__name__
        )
    if not np.iscomplexobj(links):
        raise ParameterError(
            name,
            "a complex array (complex64 or complex128)",
            links.dtype,
            "gauge links are complex SU(N) matrices",
        )
    if links.ndim < 5:
        raise ParameterError(name, "at least 5 axes (*shape, D, N, N) with D >= 2", links.shape)
    d, n = link_layout(links.shape, name, min_dim=2)
    return links, d, n


def _check_extent(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(name, "an integer >= 1", value)
    return int(value)


def wilson_loop_matrices(links: np.ndarray, a: int, b: int) -> np.ndarray:
    """Untraced ``a x b`` Wilson loops, one per site and plane.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.
    a, b : int
        Extents (>= 1) of the loop along ``mu`` and ``nu``.

    Returns
    -------
    ndarray, complex, shape (..., n_planes, *shape, N, N)
        Loop matrices (complex64 for complex64 links, complex128 otherwise); they transform
        locally, ``W(x) -> Omega(x) W(x) Omega(x)^dagger``.
    """
    return _loops(links, a, b, traced=False)


def plaquette_field(links: np.ndarray) -> np.ndarray:
    """Plaquette matrices ``U_{x, mu nu}`` for all planes ``mu < nu``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.

    Returns
    -------
    ndarray, complex, shape (..., n_planes, *shape, N, N)
    """
    return wilson_loop_matrices(links, 1, 1)


def wilson_loops(links: np.ndarray, a: int, b: int) -> np.ndarray:
    """Traced ``a x b`` Wilson loops ``Re Tr W / N`` at every site and plane.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links (complex64 input is promoted to complex128).
    a, b : int
        Extents (>= 1) of the loop along ``mu`` and ``nu``.

    Returns
    -------
    ndarray of float64, shape (..., n_planes, *shape)
        Gauge-invariant loops, planes in lexicographic order.
    """
    return _loops(links, a, b, traced=True)


def site_strides(shape: tuple[int, ...]) -> np.ndarray:
    """Row-major strides of the flat site index, int64 array of length D."""
    strides = np.ones(len(shape), dtype=np.int64)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    return strides


def _loops(links: np.ndarray, a: int, b: int, traced: bool) -> np.ndarray:
    """Validate and run the line and loop kernels chunk by chunk."""
    links, d, n = validate_links(links)
    a = _check_extent(a, "a")
    b = _check_extent(b, "b")
    lattice = links.shape[-3 - d : -3]
    batch = links.shape[: -3 - d]
    shape = np.array(lattice, dtype=np.int64)
    strides = site_strides(lattice)
    v = int(np.prod(shape))
    n_planes = d * (d - 1) // 2
    u = np.ascontiguousarray(links, dtype=np.complex128).reshape(-1, v, d, n, n)
    if traced:
        out = np.empty((u.shape[0], n_planes, v), dtype=np.float64)
    else:
        out = np.empty((u.shape[0], n_planes, v, n, n), dtype=np.complex128)
    # configurations per kernel call: small, reused scratch arrays stay in cache
    chunk = max(1, min(u.shape[0], _SCRATCH_ELEMENTS // (v * d * n * n)))
    row = np.empty((chunk, v, n), dtype=np.complex128)
    line_a = np.empty((chunk, v, d, n, n), dtype=np.complex128)
    line_b = np.empty_like(line_a) if b != a else line_a
    fs = None if traced else np.empty((chunk, v, 2, n, n), dtype=np.complex128)
    for start in range(0, u.shape[0], chunk):
        uc = u[start : start + chunk]
        m = uc.shape[0]
        lines = {1: uc}  # a straight line of length 1 is the link itself
        for length, buf in ((a, line_a), (b, line_b)):
            if length not in lines:
                _build_lines(uc, shape, strides, length, buf[:m], row[:m])
                lines[length] = buf[:m]
        if traced:
            _plane_traces(lines[a], lines[b], shape, strides, a, b, out[start : start + m])
        else:
            _plane_matrices(
                lines[a], lines[b], shape, strides, a, b, fs[:m], out[start : start + m]
            )
    if traced:
        return out.reshape(*batch, n_planes, *lattice)
    dtype = np.complex64 if links.dtype == np.complex64 else np.complex128
    return out.reshape(*batch, n_planes, *lattice, n, n).astype(dtype, copy=False)


_SCRATCH_ELEMENTS = 2**18


@jit
def _shift(x, mu, k, shape, strides):
    """Flat index of ``x + k * mu_hat`` (row-major sites, periodic)."""
    c = (x // strides[mu]) % shape[mu]
    return x + (((c + k) % shape[mu]) - c) * strides[mu]


@pjit
def _build_lines(u, shape, strides, a, lines, row):
    """``lines[c, x, mu] = U_mu(x) U_mu(x+mu) ... U_mu(x+(a-1)mu)``; ``u`` is (B, V, D, N, N)."""
    B, V, D, N = u.shape[0], u.shape[1], u.shape[2], u.shape[3]
    for cx in prange(B * V):
        c = cx // V
        x = cx % V
        for mu in range(D):
            for i in range(N):
                for j in range(N):
                    lines[c, x, mu, i, j] = u[c, x, mu, i, j]
            for s in range(1, a):
                y = _shift(x, mu, s, shape, strides)
                for i in range(N):
                    for j in range(N):
                        acc = 0j
                        for k in range(N):
                            acc += lines[c, x, mu, i, k] * u[c, y, mu, k, j]
                        row[c, x, j] = acc
                    for j in range(N):
                        lines[c, x, mu, i, j] = row[c, x, j]


@pjit
def _plane_traces(la, lb, shape, strides, a, b, out):
    """Traced loops ``out[c, p, x] = Re Tr[F S^dagger] / N`` for the planes ``p = (mu, nu)``.

    ``F = L_mu^a(x) L_nu^b(x + a mu)`` and ``S = L_nu^b(x) L_mu^a(x + b nu)``, ``mu < nu``.
    """
    B, V, D, N = la.shape[0], la.shape[1], la.shape[2], la.shape[3]
    for cx in prange(B * V):
        c = cx // V
        x = cx % V
        p = 0
        for mu in range(D):
            xa = _shift(x, mu, a, shape, strides)
            for nu in range(mu + 1, D):
                xb = _shift(x, nu, b, shape, strides)
                acc = 0.0
                for i in range(N):
                    for j in range(N):
                        f = 0j
                        g = 0j
                        for k in range(N):
                            f += la[c, x, mu, i, k] * lb[c, xa, nu, k, j]
                            g += lb[c, x, nu, i, k] * la[c, xb, mu, k, j]
                        acc += f.real * g.real + f.imag * g.imag
                out[c, p, x] = acc / N
                p += 1


@pjit
def _plane_matrices(la, lb, shape, strides, a, b, fs, out):
    """Untraced loops ``out[c, p, x] = F S^dagger`` (see :func:`_plane_traces`).

    ``fs`` is (B, V, 2, N, N) scratch holding ``F`` and ``S`` of each site.
    """
    B, V, D, N = la.shape[0], la.shape[1], la.shape[2], la.shape[3]
    for cx in prange(B * V):
        c = cx // V
        x = cx % V
        p = 0
        for mu in range(D):
            xa = _shift(x, mu, a, shape, strides)
            for nu in range(mu + 1, D):
                xb = _shift(x, nu, b, shape, strides)
                for i in range(N):
                    for j in range(N):
                        f = 0j
                        g = 0j
                        for k in range(N):
                            f += la[c, x, mu, i, k] * lb[c, xa, nu, k, j]
                            g += lb[c, x, nu, i, k] * la[c, xb, mu, k, j]
                        fs[c, x, 0, i, j] = f
                        fs[c, x, 1, i, j] = g
                for i in range(N):
                    for j in range(N):
                        acc = 0j
                        for k in range(N):
                            acc += fs[c, x, 0, i, k] * np.conj(fs[c, x, 1, j, k])
                        out[c, p, x, i, j] = acc
                p += 1


def unitarity_violation(links: np.ndarray) -> tuple[float, float]:
    """Largest deviations from SU(N): ``max |U U^dagger - 1|`` and ``max |det U - 1|``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., N, N)
        Any stack of matrices.

    Returns
    -------
    (float, float)
        Max-norm of ``U U^dagger - 1`` over all elements and of ``det U - 1``.
    """
    u = np.asarray(links, dtype=np.complex128)
    N = u.shape[-1]
    uu = u @ np.conj(np.swapaxes(u, -1, -2))
    unit = float(np.max(np.abs(uu - np.eye(N)))) if u.size else 0.0
    det = float(np.max(np.abs(np.linalg.det(u) - 1.0))) if u.size else 0.0
    return unit, det
