"""Reusable symmetry checks: random SU(N) fields, gauge transformations, translations.

Used by the package's tests and shipped for users who build their own layers::

    from latticeml.testing import random_links, assert_gauge_invariant
    links = random_links(2, (8, 8), n=2)
    err = assert_gauge_invariant(model.double(), links)

All helpers are torch-based and device-agnostic (they follow the input's device).  Tolerances
are dtype-aware: relative error < 1e-10 in double precision, < 1e-4 in single precision.
Errors are *relative*: ``max |a - b| / max |b|``.

The assertions cannot pass vacuously.  Each one also

* evaluates the function on an unrelated input (fresh Haar links and random channels for the
  gauge checks, the batch in reverse order for the translation check) and fails unless the
  output changes by at least ``SENSITIVITY`` times the tolerance: a constant function, or one
  that ignores its input, would otherwise pass every invariance test;
* fails on a non-finite output (``nan < tol`` is false, but say so plainly);
* for translations, draws only non-zero shifts that change the input (a lattice made of
  periodic copies is invariant under some shifts; a 2-site axis has one non-trivial shift).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

# the group action lives with the numpy one in latticeml.gauge (one home); re-exported here,
# where symmetry tests have always found it
from latticeml.gauge.transform_torch import (
    gauge_transform_links,
    gauge_transform_local,
    haar_su_n,
    random_gauge_transformation,
    random_links,
)

#: The output on an unrelated input must differ (relative error) from the reference output by
#: at least ``SENSITIVITY * rtol``; otherwise the symmetry test could not tell the function
#: from a constant and fails as vacuous.
SENSITIVITY = 10.0
_MAX_DRAWS = 100

__all__ = [
    "haar_su_n",
    "random_links",
    "random_gauge_transformation",
    "gauge_transform_links",
    "gauge_transform_local",
    "default_rtol",
    "relative_error",
    "SENSITIVITY",
    "assert_gauge_equivariant",
    "assert_gauge_invariant",
    "assert_translation_equivariant",
]


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


def _check_finite(out: torch.Tensor, what: str) -> None:
    if not torch.is_tensor(out):
        raise AssertionError(f"{what}: the function returned {type(out).__name__}, not a tensor")
    if out.numel() == 0:
        raise AssertionError(f"{what}: the function returned an empty tensor {tuple(out.shape)}")
    if not bool(torch.isfinite(out).all()):
        raise AssertionError(f"{what}: the output is not finite (nan or inf)")


def _check_sensitive(
    fn: Callable, alt_args: Sequence, ref: torch.Tensor, rtol: float, what: str
) -> float:
    """Fail unless ``fn`` gives a clearly different output on the unrelated input ``alt_args``."""
    change = relative_error(_apply(fn, alt_args), ref)
    if not change >= SENSITIVITY * rtol:
        raise AssertionError(
            f"{what} is vacuous: on an unrelated input the output changes by only {change:.1e} "
            f"(relative), less than {SENSITIVITY:g} x the tolerance {rtol:.1e}; a function that "
            "does not depend on its input passes any symmetry test"
        )
    return change


def _unrelated_gauge_inputs(
    links: torch.Tensor, ws: Sequence[torch.Tensor], generator: torch.Generator | None
) -> list[torch.Tensor]:
    """Fresh Haar links and random channels of the same shapes, dtypes and scales."""
    B, shape, N = links.shape[0], tuple(links.shape[1:-3]), links.shape[-1]
    out = [random_links(B, shape, N, generator=generator, dtype=links.dtype, device=links.device)]
    for w in ws:
        scale = w.abs().square().mean().sqrt() if w.numel() else torch.ones(())
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        z = torch.randn(w.shape, dtype=w.dtype, device=w.device, generator=generator)
        out.append(z * scale.to(w.device))
    return out


def assert_gauge_equivariant(
    fn: Callable,
    links: torch.Tensor,
    *ws: torch.Tensor,
    output: str = "local",
    n_trials: int = 2,
    generator: torch.Generator | None = None,
    rtol: float | None = None,
    alt_inputs: Sequence[torch.Tensor] | None = None,
) -> float:
    """Check ``fn(g.U, g.W...) == g.fn(U, W...)`` under random gauge transformations.

    The check is not vacuous: the output must be finite, and on an unrelated input
    (``alt_inputs``, default fresh Haar links and Gaussian channels of the same scale) it
    must differ from the reference output by at least ``SENSITIVITY * rtol``.

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
    alt_inputs : sequence of torch.Tensor, optional
        ``(links, *ws)`` unrelated to the given ones, for the sensitivity check.

    Returns
    -------
    float
        The largest relative error seen.

    Raises
    ------
    AssertionError
        If the error reaches the tolerance, the output is not finite, or the output does not
        depend on the input (vacuous test).
    ValueError
        On an unknown ``output`` or ``N < 2`` (every SU(1) transformation is trivial).
    """
    if output not in ("local", "links", "invariant"):
        raise ValueError(f"output must be 'local', 'links' or 'invariant', got {output!r}")
    B, shape, N = links.shape[0], tuple(links.shape[1:-3]), links.shape[-1]
    if N < 2:
        raise ValueError(f"gauge checks need N >= 2 (got N = {N}): SU(1) transformations are 1")
    what = f"gauge {'invariance' if output == 'invariant' else 'equivariance'}"
    ref = _apply(fn, (links, *ws))
    _check_finite(ref, what)
    rtol = default_rtol(links.dtype) if rtol is None else rtol
    worst = 0.0
    for _ in range(n_trials):
        om = random_gauge_transformation(
            B, shape, N, generator=generator, dtype=links.dtype, device=links.device
        )
        args = (gauge_transform_links(links, om), *(gauge_transform_local(w, om) for w in ws))
        got = _apply(fn, args)
        if output == "local":
            want = gauge_transform_local(ref, om)
        elif output == "links":
            want = gauge_transform_links(ref, om)
        else:
            want = ref
        worst = max(worst, relative_error(got, want))
    _check(worst, rtol, what)
    if alt_inputs is None:
        alt_inputs = _unrelated_gauge_inputs(links, ws, generator)
    _check_sensitive(fn, alt_inputs, ref, rtol, what)
    return worst


def assert_gauge_invariant(
    fn: Callable,
    links: torch.Tensor,
    *ws: torch.Tensor,
    n_trials: int = 2,
    generator: torch.Generator | None = None,
    rtol: float | None = None,
    alt_inputs: Sequence[torch.Tensor] | None = None,
) -> float:
    """Check ``fn(g.U, g.W...) == fn(U, W...)``; see :func:`assert_gauge_equivariant`.

    A constant function fails (vacuous test): the output must depend on the input.
    """
    return assert_gauge_equivariant(
        fn,
        links,
        *ws,
        output="invariant",
        n_trials=n_trials,
        generator=generator,
        rtol=rtol,
        alt_inputs=alt_inputs,
    )


def assert_translation_equivariant(
    fn: Callable,
    inputs: torch.Tensor | Sequence[torch.Tensor],
    *,
    in_axes: Sequence[int] | Sequence[Sequence[int]],
    out_axes: Sequence[int] = (),
    step: int = 1,
    out_step: int | None = None,
    n_trials: int = 2,
    generator: torch.Generator | None = None,
    rtol: float | None = None,
    alt_inputs: torch.Tensor | Sequence[torch.Tensor] | None = None,
) -> float:
    """Check ``fn(roll(x)) == roll(fn(x))`` for random periodic shifts of the lattice.

    Every trial shifts by a non-zero multiple of ``step`` that changes the input.  The check
    is not vacuous: the output must be finite, and on ``alt_inputs`` (default: the batch in
    reverse order, so at least two configurations with different outputs are needed) it must
    differ from the reference output by at least ``SENSITIVITY * rtol``.

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
    alt_inputs : tensor or sequence of tensors, optional
        Inputs unrelated to ``inputs`` (same shapes), for the sensitivity check; needed when
        the batch has one configuration or axis 0 is a lattice axis.

    Returns
    -------
    float
        The largest relative error seen.

    Raises
    ------
    AssertionError
        If the error reaches the tolerance, the output is not finite, no drawn shift changes
        the input, or the output does not depend on the input (vacuous test).
    ValueError
        If no non-zero multiple of ``step`` fits the lattice, or the default ``alt_inputs``
        cannot be formed.
    """
    what = "translation equivariance"
    xs = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
    axes = [list(in_axes)] * len(xs) if isinstance(in_axes[0], int) else [list(a) for a in in_axes]
    if alt_inputs is None:
        if any(0 in a for a in axes) or xs[0].shape[0] < 2:
            raise ValueError(
                "the sensitivity check compares the configurations of the batch (axis 0): pass "
                "at least two configurations, or pass alt_inputs"
            )
        alt = [x.flip(0) for x in xs]
    else:
        alt = [alt_inputs] if isinstance(alt_inputs, torch.Tensor) else list(alt_inputs)
    ref = _apply(fn, xs)
    _check_finite(ref, what)
    rtol = default_rtol(xs[0].dtype) if rtol is None else rtol
    ext = [xs[0].shape[a] for a in axes[0]]
    n_shifts = [max(e // step, 1) for e in ext]
    if all(n == 1 for n in n_shifts):
        raise ValueError(f"no non-zero multiple of step = {step} fits the lattice {tuple(ext)}")
    out_step = step if out_step is None else out_step
    worst = 0.0
    for _ in range(n_trials):
        for _draw in range(_MAX_DRAWS):
            k = [int(torch.randint(0, n, (1,), generator=generator)) for n in n_shifts]
            if not any(k):
                continue
            shifts = [ki * step for ki in k]
            rolled = [torch.roll(x, shifts, dims=a) for x, a in zip(xs, axes, strict=True)]
            if not all(torch.equal(r, x) for r, x in zip(rolled, xs, strict=True)):
                break
        else:
            raise AssertionError(
                f"{what} is vacuous: the input is invariant under every translation drawn "
                f"({_MAX_DRAWS} draws); use an input without this periodicity"
            )
        got = _apply(fn, rolled)
        want = ref
        if out_axes:
            want = torch.roll(ref, [ki * out_step for ki in k], dims=list(out_axes))
        worst = max(worst, relative_error(got, want))
    _check(worst, rtol, what)
    _check_sensitive(fn, alt, ref, rtol, what)
    return worst
