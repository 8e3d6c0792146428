"""Reusable symmetry checks: random SU(N) fields, gauge transformations, translations.

Used by the package's tests and shipped for users who build their own layers::

    from latticeml.testing import random_links, assert_gauge_invariant
    links = random_links(2, (8, 8), n=2)
    err = assert_gauge_invariant(model.double(), links)

All helpers are torch-based and device-agnostic (they follow the input's device).  Tolerances
are dtype-aware: relative error < 1e-10 in double precision, < 1e-4 in single precision.
Errors are *relative*: ``max |a - b| / max |b|``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

__all__ = [
    "haar_su_n",
    "random_links",
    "random_gauge_transformation",
    "gauge_transform_links",
    "gauge_transform_local",
    "default_rtol",
    "relative_error",
    "assert_gauge_equivariant",
    "assert_gauge_invariant",
    "assert_translation_equivariant",
]


def haar_su_n(size: Sequence[int], n: int, *, generator: torch.Generator | None = None,
              dtype: torch.dtype = torch.complex128,
              device: torch.device | str | None = None) -> torch.Tensor:
    """Haar-distributed SU(N) matrices (QR of a Ginibre matrix, phase fix, determinant fix).

    Parameters
    ----------
    size : sequence of int
        Batch shape.
    n : int
        ``N``.
    generator : torch.Generator, optional
        Source of randomness (seeded by the caller).
    dtype : torch.dtype
        complex64 or complex128 (sampled in complex128, then converted).
    device : torch.device or str, optional
        Device.

    Returns
    -------
    torch.Tensor
        ``(*size, n, n)``.
    """
    z = torch.randn(*size, n, n, dtype=torch.complex128, device=device, generator=generator)
    q, r = torch.linalg.qr(z)
    d = torch.diagonal(r, dim1=-2, dim2=-1)
    q = q * (d / d.abs()).unsqueeze(-2)
    det = torch.linalg.det(q)
    q = q * torch.exp(-1j * torch.angle(det) / n)[..., None, None]
    return q.to(dtype)


def random_links(batch: int, shape: Sequence[int], n: int, **kwargs) -> torch.Tensor:
    """Haar-random links ``(batch, *shape, D, n, n)`` (``D = len(shape)``); kwargs as haar_su_n."""
    return haar_su_n((batch, *shape, len(shape)), n, **kwargs)


def random_gauge_transformation(batch: int, shape: Sequence[int], n: int, **kwargs) -> torch.Tensor:
    """Haar-random ``Omega(x)``: ``(batch, *shape, n, n)``; kwargs as :func:`haar_su_n`."""
    return haar_su_n((batch, *shape), n, **kwargs)


def gauge_transform_links(links: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """``U_mu(x) -> Omega(x) U_mu(x) Omega(x+mu)^dagger`` for links ``(B, *shape, D, N, N)``."""
    D = links.shape[-3]
    shifted = torch.stack([torch.roll(omega, -1, dims=1 + mu) for mu in range(D)], dim=-3)
    return omega.unsqueeze(-3) @ links @ shifted.mH


def gauge_transform_local(w: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """``W(x) -> Omega(x) W(x) Omega(x)^dagger`` for channels ``(B, C, *shape, N, N)``."""
    om = omega.unsqueeze(1)
    return om @ w @ om.mH


def default_rtol(dtype: torch.dtype) -> float:
    """Relative tolerance for a dtype: 1e-10 (double), 1e-4 (single)."""
    return 1e-10 if dtype in (torch.float64, torch.complex128) else 1e-4


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max |a - b| / max |b|`` (absolute error if ``b`` vanishes)."""
    if a.shape != b.shape:
        raise AssertionError(f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    num = (a - b).abs().max().item() if a.numel() else 0.0
    den = b.abs().max().item() if b.numel() else 0.0
    return num / den if den > 0 else num


def _apply(fn, args):
    with torch.no_grad():
        return fn(*args)


def _check(err: float, rtol: float, what: str) -> float:
    if not err < rtol:
        raise AssertionError(f"{what}: relative error {err:.3e} >= tolerance {rtol:.1e}")
    return err


def assert_gauge_equivariant(fn: Callable, links: torch.Tensor, *ws: torch.Tensor,
                             output: str = "local", n_trials: int = 2,
                             generator: torch.Generator | None = None,
                             rtol: float | None = None) -> float:
    """Check ``fn(g.U, g.W...) == g.fn(U, W...)`` under random gauge transformations.

    Parameters
    ----------
    fn : callable
        ``fn(links, *ws)`` returning locally transforming channels ``(B, C, *shape, N, N)``
        (``output='local'``), new links (``output='links'``) or an invariant
        (``output='invariant'``).
    links : torch.Tensor
        ``(B, *shape, D, N, N)``.
    *ws : torch.Tensor
        Locally transforming inputs ``(B, C, *shape, N, N)``.
    output : {'local', 'links', 'invariant'}
        How the output transforms.
    n_trials : int
        Number of random transformations.
    generator : torch.Generator, optional
        Randomness.
    rtol : float, optional
        Tolerance; default from the dtype.

    Returns
    -------
    float
        The largest relative error seen.

    Raises
    ------
    AssertionError
        If the error reaches the tolerance.
    """
    B, shape, N = links.shape[0], tuple(links.shape[1:-3]), links.shape[-1]
    ref = _apply(fn, (links, *ws))
    rtol = default_rtol(links.dtype) if rtol is None else rtol
    worst = 0.0
    for _ in range(n_trials):
        om = random_gauge_transformation(B, shape, N, generator=generator, dtype=links.dtype,
                                         device=links.device)
        args = (gauge_transform_links(links, om), *(gauge_transform_local(w, om) for w in ws))
        got = _apply(fn, args)
        if output == "local":
            want = gauge_transform_local(ref, om)
        elif output == "links":
            want = gauge_transform_links(ref, om)
        elif output == "invariant":
            want = ref
        else:
            raise ValueError(f"output must be 'local', 'links' or 'invariant', got {output!r}")
        worst = max(worst, relative_error(got, want))
    return _check(worst, rtol, f"gauge {'invariance' if output == 'invariant' else 'equivariance'}")


def assert_gauge_invariant(fn: Callable, links: torch.Tensor, *ws: torch.Tensor,
                           n_trials: int = 2, generator: torch.Generator | None = None,
                           rtol: float | None = None) -> float:
    """Check ``fn(g.U, g.W...) == fn(U, W...)``; see :func:`assert_gauge_equivariant`."""
    return assert_gauge_equivariant(fn, links, *ws, output="invariant", n_trials=n_trials,
                                    generator=generator, rtol=rtol)


def assert_translation_equivariant(fn: Callable, inputs: torch.Tensor | Sequence[torch.Tensor],
                                   *, in_axes: Sequence[int] | Sequence[Sequence[int]],
                                   out_axes: Sequence[int] = (), step: int = 1,
                                   out_step: int | None = None, n_trials: int = 2,
                                   generator: torch.Generator | None = None,
                                   rtol: float | None = None) -> float:
    """Check ``fn(roll(x)) == roll(fn(x))`` for random periodic shifts of the lattice.

    Parameters
    ----------
    fn : callable
        ``fn(*inputs)`` returning one tensor.
    inputs : tensor or sequence of tensors
        Inputs with lattice axes.
    in_axes : sequence of int, or one such sequence per input
        Tensor axes that are lattice axes (in lattice order).
    out_axes : sequence of int
        Lattice axes of the output; empty for an invariant output.
    step : int
        Shifts are random multiples of ``step`` (strided models: the total stride).
    out_step : int, optional
        The output is shifted by ``shift * out_step / step`` (default: same shift).
    n_trials : int
        Number of random shifts.
    generator : torch.Generator, optional
        Randomness.
    rtol : float, optional
        Tolerance; default from the dtype of the first input.

    Returns
    -------
    float
        The largest relative error seen.
    """
    xs = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
    axes = [list(in_axes)] * len(xs) if isinstance(in_axes[0], int) else [list(a) for a in in_axes]
    ref = _apply(fn, xs)
    rtol = default_rtol(xs[0].dtype) if rtol is None else rtol
    ext = [xs[0].shape[a] for a in axes[0]]
    out_step = step if out_step is None else out_step
    worst = 0.0
    for _ in range(n_trials):
        k = [int(torch.randint(0, max(e // step, 1), (1,), generator=generator)) for e in ext]
        shifts = [ki * step for ki in k]
        rolled = [torch.roll(x, shifts, dims=a) for x, a in zip(xs, axes, strict=True)]
        got = _apply(fn, rolled)
        want = ref
        if out_axes:
            want = torch.roll(ref, [ki * out_step for ki in k], dims=list(out_axes))
        worst = max(worst, relative_error(got, want))
    return _check(worst, rtol, "translation equivariance")
