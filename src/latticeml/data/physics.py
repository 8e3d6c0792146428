"""Semantic validation: what digests cannot vouch for, checked on every read that matters.

A file whose content was changed and whose digests were recomputed (by a bug, another tool or
a hostile writer) passes every checksum. These checks ask whether the content is physics:

* gauge ensembles: the stored plaquettes are those of the links; ``beta`` is a positive finite
  number; where an exact reference exists (SU(2) in 1+1D on a torus, character expansion) the
  ensemble's mean plaquette agrees with the stored ``beta`` within its statistics
  (:func:`check_gauge_ensemble_physics`; ``gauge inspect`` and ``dataset gauge`` both call it,
  so a dataset is never built from an ensemble that inspect refuses);
* gauge datasets: ``beta`` positive and finite, Wilson-loop and Polyakov-loop targets within
  ``[-1, 1]``, and the targets of a deterministic sample of rows recomputed from the stored
  links (:func:`check_gauge_rows`; ``dataset inspect``, training and evaluation call it);
* scalar datasets: ``|phi|^2 >= 0`` (:func:`check_scalar_rows`).

Every error names the file, the array and the row. Not checked: 4D couplings (no exact
reference), SU(N >= 3) couplings on small 2D tori, and rows outside the sample (the range
checks cover every row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from latticeml.data import layout as L
from latticeml.errors import FileFormatError

__all__ = ["PLAQUETTE_TOL", "algebra_problem", "check_gauge_ensemble_physics", "check_gauge_rows",
           "check_scalar_rows", "exact_plaquette_su2_2d", "sample_rows"]

#: Largest accepted difference between stored and recomputed plaquettes.
PLAQUETTE_TOL = 1e-10
#: Standard errors (plus an absolute slack, below) a mean plaquette may lie from the exact one.
BETA_SIGMAS = 6.0
BETA_SLACK = 0.02


def exact_plaquette_su2_2d(beta: float, volume: int, nmax: int = 80) -> float:
    """SU(2) mean plaquette in 1+1D on a periodic torus of ``volume`` plaquettes.

    Character expansion of the Wilson action: ``u(beta) = I_2/I_1`` plus the torus term
    ``sum_n c_n^(V-1) dc_n / sum_n c_n^V`` with ``c_n = I_n(beta) / I_1(beta)``.
    """
    from scipy.special import ive

    n = np.arange(1, nmax + 1)
    i1 = ive(1, beta)  # exponentially scaled: the ratios are those of iv
    c = ive(n, beta) / i1

    def d_i(k):
        return 0.5 * (ive(k - 1, beta) + ive(k + 1, beta)) - ive(k, beta)  # d/dbeta, scaled

    dc = (d_i(n) * i1 - ive(n, beta) * d_i(1)) / i1**2
    u_inf = ive(2, beta) / i1
    return float(u_inf + np.sum(c ** (volume - 1) * dc) / np.sum(c**volume))


def check_gauge_ensemble_physics(path, arrays: Mapping[str, np.ndarray],
                                 attrs: Mapping) -> float:
    """Check that a gauge ensemble is the physics its labels say.

    Parameters
    ----------
    path : path-like
        For messages.
    arrays : Mapping
        ``links`` and ``plaquette`` as read (:func:`latticeml.data.read_gauge_ensemble`).
    attrs : Mapping
        Its attributes (``beta``, ``group``, ``shape``).

    Returns
    -------
    float
        The largest difference between stored and recomputed plaquettes.

    Raises
    ------
    FileFormatError
        Stored plaquettes that are not those of the links; a non-positive or non-finite
        ``beta``; a mean plaquette that the stored ``beta`` cannot produce (2D SU(2), Wilson
        action: ensembles of another action, attribute ``action``, skip this check).
    """
    from latticeml.observables.wilson import wilson_loops

    beta = float(attrs["beta"])
    if not math.isfinite(beta) or beta <= 0:
        raise FileFormatError(path, f"beta is {beta}, expected a positive finite coupling")
    links, plaq = arrays["links"], np.asarray(arrays["plaquette"])
    recomputed = np.empty(len(links))
    for i, u in enumerate(links):  # one configuration at a time: little memory
        loops = wilson_loops(u, 1, 1)  # (1/N) Re Tr of every plaquette
        recomputed[i] = math.fsum(loops.ravel()) / loops.size
    diff = np.abs(recomputed - plaq)
    worst = float(np.max(diff)) if diff.size else 0.0
    if not worst <= PLAQUETTE_TOL:
        row = int(np.argmax(diff))
        raise FileFormatError(
            path,
            f"plaquette: stored values differ from the plaquettes of the links by up to "
            f"{worst:.1e} (configuration {row}; tolerance {PLAQUETTE_TOL:.0e})",
        )
    shape = tuple(int(s) for s in attrs["shape"])
    group = str(attrs.get("group", ""))
    wilson = str(attrs.get("action", "wilson")) == "wilson"  # the exact value is Wilson's
    if len(shape) == 2 and group == "su2" and plaq.size >= 4 and wilson:
        _check_beta_2d_su2(path, beta, plaq, int(np.prod(shape)))
    return worst


def _check_beta_2d_su2(path, beta: float, plaq: np.ndarray, volume: int) -> None:
    from latticeml.observables.autocorr import gamma_analysis

    exact = exact_plaquette_su2_2d(beta, volume)
    try:
        stats = gamma_analysis(plaq)
        err = float(stats.error) if math.isfinite(stats.error) else float("inf")
        mean = float(stats.mean)
    except (ValueError, FloatingPointError):
        mean, err = float(np.mean(plaq)), float(np.std(plaq) / math.sqrt(plaq.size))
    if abs(mean - exact) > BETA_SIGMAS * err + BETA_SLACK:
        raise FileFormatError(
            path,
            f"beta = {beta:g} is not the coupling of these configurations: their mean "
            f"plaquette {mean:.4f} +- {err:.1g} lies far from the exact {exact:.4f} at that "
            "beta (1+1D SU(2) on this torus); the file was relabelled or altered",
        )


def sample_rows(n: int) -> np.ndarray:
    """Return the rows whose targets are recomputed: first, quartiles, last."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.array([0, n // 4, n // 2, (3 * n) // 4, n - 1], dtype=np.int64))


def check_gauge_rows(path, links: np.ndarray, targets: Mapping[str, np.ndarray],
                     beta: np.ndarray, *, offset: int = 0, rows: np.ndarray | None = None,
                     atol: float | None = None) -> None:
    """Check a gauge dataset's targets and couplings against its links.

    Parameters
    ----------
    path : path-like
        For messages.
    links : ndarray, complex, shape (n, *shape, D, N, N)
        The stored links (complex64 or complex128).
    targets : Mapping
        Target name -> array over the same rows (Wilson loops ``(n, n_planes, *shape)`` or
        one plane ``(n, *shape)``). Targets with bounds in the catalogue
        (:mod:`latticeml.catalog.targets`) are range-checked, those with a ``compute``
        function recomputed on ``rows``.
    beta : ndarray, shape (n,)
    offset : int
        Row number of ``links[0]`` in the file (for messages).
    rows : ndarray, optional
        Rows (indices into ``links``) to recompute (default :func:`sample_rows`).
    atol : float, optional
        Tolerance of the recomputed targets (default from the links' precision).

    Raises
    ------
    FileFormatError
        Naming the array and the first bad row.
    """
    from importlib import import_module

    from latticeml.catalog.targets import lookup

    beta = np.asarray(beta, dtype=np.float64)
    bad = ~np.isfinite(beta) | (beta <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FileFormatError(path, f"{L.BETA}: row {offset + i} holds beta = {beta[i]}, "
                              "expected a positive finite coupling")
    if atol is None:
        atol = 1e-9 if np.asarray(links).dtype == np.complex128 else 2e-5
    rows = sample_rows(links.shape[0]) if rows is None else np.asarray(rows)
    for name, y in targets.items():
        y = np.asarray(y)
        target = lookup(name)
        bounds = None if target is None else target.family.bounds
        if bounds is not None and y.size:
            lo, hi = bounds
            flat = y.reshape(y.shape[0], -1)
            if np.iscomplexobj(flat):  # traced loops: |z| <= 1
                over = np.abs(flat).max(axis=1) > hi + 1e-9
            else:
                over = (flat.max(axis=1) > hi + 1e-9) | (flat.min(axis=1) < lo - 1e-9)
            if over.any():
                i = int(np.flatnonzero(over)[0])
                raise FileFormatError(
                    path, f"{L.TARGETS}/{name}: row {offset + i} has values outside "
                    f"[{lo:g}, {hi:g}] (up to {float(np.abs(y[i]).max()):g}); not a "
                    f"{target.family.name.replace('_', ' ')} of SU(N) links")
        if target is not None and target.family.check is not None and y.size:
            module, function = target.family.check.split(":")
            found = getattr(import_module(module), function)(y)
            if found is not None:
                i, why = found
                raise FileFormatError(path, f"{L.TARGETS}/{name}: row {offset + i} {why}")
        if target is None or target.family.compute is None or not rows.size:
            continue
        module, function = target.family.compute.split(":")
        want = getattr(import_module(module), function)(np.asarray(links)[rows], *target.params)
        got = y[rows]
        if got.ndim == want.ndim - 1:  # one plane was selected: compare with every plane
            match = np.isclose(want, got[:, None], rtol=0, atol=atol).reshape(
                len(rows), want.shape[1], -1).all(axis=2).any(axis=1)
        else:
            match = np.isclose(want, got, rtol=0, atol=atol).reshape(len(rows), -1).all(axis=1)
        if not match.all():
            i = int(rows[np.flatnonzero(~match)[0]])
            raise FileFormatError(
                path, f"{L.TARGETS}/{name}: row {offset + i} is not the {target.noun} of the "
                "stored links (targets replaced, or links and targets out of step)")


def algebra_problem(y: np.ndarray, tol: float = 1e-9) -> tuple[int, str] | None:
    """Return the first row of ``y`` (``(n, ..., N, N)``) not in su(N), and why; else None.

    su(N): traceless anti-hermitian matrices, to ``tol`` relative to the largest entry of the
    row (at least 1).
    """
    y = np.asarray(y)
    if y.ndim < 3 or y.shape[-1] != y.shape[-2] or not np.iscomplexobj(y):
        return 0, f"has shape {y.shape} {y.dtype}, expected complex (..., N, N) matrices"
    flat = y.reshape(y.shape[0], -1, *y.shape[-2:])
    scale = np.maximum(1.0, np.abs(flat).reshape(y.shape[0], -1).max(axis=1))
    herm = np.abs(flat + np.swapaxes(flat.conj(), -1, -2)).reshape(y.shape[0], -1).max(axis=1)
    trace = np.abs(np.trace(flat, axis1=-2, axis2=-1)).max(axis=1)
    bad = (herm > tol * scale) | (trace > tol * scale)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        return i, (f"is not traceless anti-hermitian (|D + D^dagger| {herm[i]:.2g}, "
                   f"|Tr D| {trace[i]:.2g}): not an su(N) derivative")
    return None


def check_scalar_rows(path, targets: Mapping[str, np.ndarray], *, offset: int = 0) -> None:
    """Range checks of scalar targets: ``|phi|^2 >= 0`` where defined (NaN: undefined)."""
    phi2 = targets.get("phi2")
    if phi2 is not None:
        phi2 = np.asarray(phi2, dtype=np.float64)
        neg = phi2 < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise FileFormatError(path, f"{L.TARGETS}/phi2: row {offset + i} holds "
                                  f"{phi2[i]:g}, expected |phi|^2 >= 0")
