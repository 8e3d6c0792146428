"""Value checks of ensembles and datasets: finite numbers, SU(N) links, conserved flux.

The readers of ensemble files call :func:`check_gauge_ensemble` / :func:`check_scalar_ensemble`
on every read, so a dataset builder refuses a damaged or inconsistent source exactly as
``latticeml gauge|scalar inspect`` does; :func:`verify_dataset` reads a whole dataset file
(``latticeml dataset inspect``). Every failure is a :class:`~latticeml.errors.FileFormatError`
naming the file, the array and the problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import h5py
import numpy as np

from latticeml.data import layout as L
from latticeml.data._h5 import open_h5
from latticeml.data.checksum import FILE_DIGEST_ATTR, verify_file, verify_metadata
from latticeml.data.physics import check_gauge_rows, check_scalar_rows, sample_rows
from latticeml.data.validate import DatasetInfo, check_su_n, check_values, inspect_structure
from latticeml.errors import FileFormatError

__all__ = [
    "check_gauge_ensemble",
    "check_scalar_ensemble",
    "check_dual_fields",
    "verify_dataset",
    "read_dataset_info",
]

#: Samples read at once when a dataset file is verified.
BLOCK = 256


def _divergence(k: np.ndarray) -> np.ndarray:
    """Outflow divergence of ``k`` (..., N_t, N_x, 2), as :func:`latticeml.scalar.divergence`.

    (Repeated here so that reading a file does not import the Monte Carlo package.)
    """
    k = np.asarray(k, dtype=np.int64)
    kt, kx = k[..., 0], k[..., 1]
    return kt - np.roll(kt, 1, axis=-2) + kx - np.roll(kx, 1, axis=-1)


def check_dual_fields(
    path, k: np.ndarray, l: np.ndarray, open_worms: np.ndarray | None, *, names=("k", "l"),
    offset: int = 0, synthetic: np.ndarray | None = None,
) -> None:
    """Check integer link fields.

    ``l >= 0``, ``div k = 0`` on closed configurations, and exactly ``2 M`` unit defects on
    configurations with ``M`` open worms.

    Parameters
    ----------
    path : path-like
        File name, for messages.
    k, l : ndarray of int, shape (n, N_t, N_x, 2)
        Link fields.
    open_worms : ndarray of int, shape (n,), optional
        Open worms per configuration (all closed if omitted).
    names : tuple of str
        Names of ``k`` and ``l`` in the file, for messages.
    offset : int
        Index of the first configuration in the file, for messages.
    synthetic : ndarray of bool, shape (n,), optional
        Synthetic flux controls: their ``M`` counts strings, whose ends may meet, so an open
        one needs some ``div k != 0``, not exactly ``2 M`` unit defects.
    """
    k, l = np.asarray(k), np.asarray(l)
    if k.dtype.kind not in "iu" or l.dtype.kind not in "iu":
        raise FileFormatError(path, f"{names[0]}/{names[1]} must be integer arrays")
    if l.size and int(l.min()) < 0:
        i = int(np.flatnonzero((l < 0).reshape(l.shape[0], -1).any(axis=1))[0])
        raise FileFormatError(path, f"{names[1]} has negative entries (sample {offset + i})")
    m = np.zeros(k.shape[0], np.int64) if open_worms is None else np.asarray(open_worms)
    if m.size and int(m.min()) < 0:
        raise FileFormatError(path, "open_worms has negative entries")
    div = _divergence(k)
    defects = np.count_nonzero(div, axis=(-2, -1))
    unit = np.all(np.abs(div) <= 1, axis=(-2, -1))
    closed_bad = (m == 0) & (defects > 0)
    if closed_bad.any():
        i = int(np.flatnonzero(closed_bad)[0])
        raise FileFormatError(
            path,
            f"{names[0]}: flux is not conserved in closed configuration {offset + i} "
            f"({int(defects[i])} sites with div k != 0)",
        )
    exact = np.ones(k.shape[0], bool) if synthetic is None else ~np.asarray(synthetic, bool)
    open_bad = (m > 0) & ((exact & ((defects != 2 * m) | ~unit)) | (defects == 0))
    if open_bad.any():
        i = int(np.flatnonzero(open_bad)[0])
        raise FileFormatError(
            path,
            f"{names[0]}: configuration {offset + i} should hold {int(m[i])} open worms "
            f"(2 M = {2 * int(m[i])} unit defects), found {int(defects[i])} defect sites",
        )


def check_gauge_ensemble(path, arrays: Mapping[str, np.ndarray]) -> None:
    """Finite values everywhere, SU(N) links, plaquettes in [-1, 1]."""
    check_su_n(path, "links", arrays["links"])
    for name, arr in arrays.items():
        if name != "links" and np.asarray(arr).dtype.kind in "fc":
            check_values(path, name, np.atleast_1d(arr))
    plaq = np.asarray(arrays["plaquette"])
    if plaq.size and float(np.abs(plaq).max()) > 1 + 1e-12:
        raise FileFormatError(path, "plaquette has values outside [-1, 1]")


def check_scalar_ensemble(path, arrays: Mapping[str, np.ndarray]) -> None:
    """Check the values of a scalar ensemble.

    Integer fields with conserved flux (closed) or 2M defects (open worms), finite observables
    on closed configurations, labels consistent with the open-worm counts.
    """
    k = arrays["k"]
    m = arrays.get("open_worms")
    if "label" in arrays and m is not None:
        label = np.asarray(arrays["label"])
        if not np.array_equal(label.astype(bool), np.asarray(m) > 0):
            raise FileFormatError(path, "label and open_worms disagree")
    check_dual_fields(path, k, arrays["l"], m)
    closed = np.ones(k.shape[0], bool) if m is None else np.asarray(m) == 0
    for name, arr in arrays.items():
        arr = np.asarray(arr)
        if arr.dtype.kind not in "fc" or name.endswith("_history"):
            continue
        allow = ~closed if arr.shape[:1] == (k.shape[0],) else None
        check_values(path, name, np.atleast_1d(arr), allow_nan=allow)
    for name in ("n_history", "phi2_history"):
        if name in arrays:
            check_values(path, name, np.atleast_1d(arrays[name]))


def _synthetic_rows(path, blk: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """Rows of synthetic flux controls (``source_index == config_index == -1``), or None.

    Their ``n`` and ``|phi|^2`` are undefined (NaN); a row with only one of the two indices
    at -1 is refused.
    """
    src, cfg = blk.get(L.SOURCE_INDEX), blk.get(L.CONFIG_INDEX)
    if src is None or cfg is None or not src.size:
        return None
    s, c = np.asarray(src) == -1, np.asarray(cfg) == -1
    if not np.array_equal(s, c):
        i = int(np.flatnonzero(s != c)[0])
        raise FileFormatError(
            path, f"{L.SOURCE_INDEX} and {L.CONFIG_INDEX} disagree on synthetic row {i} of "
            "this block (a flux control has both at -1)"
        )
    return s


def read_dataset_info(path: str | os.PathLike, kind: str | None = None) -> DatasetInfo:
    """Structure of a dataset file, after checking its metadata digest (no arrays read)."""
    with open_h5(path) as f:
        try:
            info = inspect_structure(f, path, kind)
            if FILE_DIGEST_ATTR in f.attrs or info.attrs["format_version"] >= 2:
                verify_metadata(f, path)
        except FileFormatError:
            raise
        except Exception as exc:  # damaged headers: OSError, KeyError, UnicodeError, ...
            text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]
            raise FileFormatError(path, f"the file is damaged ({text})") from None
        return info


def _block(f: h5py.File, path, name: str, lo: int, hi: int) -> np.ndarray:
    try:
        return f[name][lo:hi]
    except Exception as exc:
        text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]
        raise FileFormatError(
            path, f"{name}: cannot read samples {lo}..{hi - 1}, the array is damaged ({text})"
        ) from None


def _check_physics(path, blk: Mapping[str, np.ndarray], scalar: bool, rows: np.ndarray,
                   offset: int) -> None:
    """Run the semantic checks of :mod:`latticeml.data.physics` on one block of rows."""
    prefix = f"{L.TARGETS}/"
    targets = {k[len(prefix):]: v for k, v in blk.items() if k.startswith(prefix)}
    if scalar:
        check_scalar_rows(path, targets, offset=offset)
    elif L.LINKS in blk and L.BETA in blk:
        check_gauge_rows(path, blk[L.LINKS], targets, blk[L.BETA], offset=offset, rows=rows)


def verify_dataset(path: str | os.PathLike) -> DatasetInfo:
    """Read and check every array of a dataset file.

    Structure and metadata digest, then for every array its Fletcher-32 chunks and SHA-256;
    then the values: finite inputs, targets and parameters, the physics of
    :mod:`latticeml.data.physics` (positive couplings, loops in [-1, 1] and recomputed from
    the links on a sample of rows, ``|phi|^2 >= 0``), (``n``/``phi2`` may be NaN where
    flux is violated), SU(N) link and loop matrices, for scalar inputs ``l >= 0`` and
    conserved flux on closed samples, labels consistent with the open-worm counts, indices
    in range.

    Returns
    -------
    DatasetInfo

    Raises
    ------
    FileFormatError
        Naming the file, the array and the problem.
    """
    info = read_dataset_info(path)
    with open_h5(path) as f:
        if FILE_DIGEST_ATTR in f.attrs:
            verify_file(f, path)
        n = info.n_samples
        scalar = info.kind == L.SCALAR_DATASET_KIND
        sample = sample_rows(n)
        n_sources = None
        if L.SOURCES in f:
            try:
                n_sources = int(f[L.SOURCES].shape[0])
            except Exception:
                raise FileFormatError(path, f"{L.SOURCES}: unreadable") from None
        for lo in range(0, n, BLOCK):
            hi = min(n, lo + BLOCK)
            blk = {}
            for group in (L.INPUTS, L.TARGETS, L.PARAMS):
                for key in f[group]:
                    blk[f"{group}/{key}"] = _block(f, path, f"{group}/{key}", lo, hi)
            violated = None
            if scalar:
                fv = blk.get(f"{L.TARGETS}/flux_violated")
                ow = blk.get(f"{L.TARGETS}/open_worms")
                if fv is not None and not np.isin(fv, (0, 1)).all():
                    raise FileFormatError(path, f"{L.TARGETS}/flux_violated is not 0 or 1")
                if fv is not None and ow is not None and not np.array_equal(
                    fv.astype(bool), ow > 0
                ):
                    raise FileFormatError(
                        path, f"{L.TARGETS}/flux_violated and {L.TARGETS}/open_worms disagree"
                    )
                violated = None if fv is None else fv.astype(bool)
                synthetic = _synthetic_rows(path, blk)
                kl = blk[L.KL]
                check_dual_fields(
                    path,
                    np.moveaxis(kl[:, :2], 1, -1),
                    np.moveaxis(kl[:, 2:], 1, -1),
                    ow,
                    names=(f"{L.KL} (k)", f"{L.KL} (l)"),
                    offset=lo,
                    synthetic=synthetic,
                )
            if scalar and synthetic is not None:
                violated = synthetic if violated is None else violated | synthetic
            for name, arr in blk.items():
                allow = violated if scalar and name.startswith(f"{L.TARGETS}/") else None
                check_values(path, name, arr, allow_nan=allow)
                if name in (L.PLAQUETTE_INPUT, L.POLYAKOV_INPUT):
                    check_su_n(path, name, arr)
            _check_physics(path, blk, scalar, sample[(sample >= lo) & (sample < hi)] - lo, lo)
            for name in (L.SOURCE_INDEX, L.CONFIG_INDEX):
                low = -1 if scalar else 0  # -1: a synthetic flux control (no source)
                if name in blk and blk[name].size and int(blk[name].min()) < low:
                    raise FileFormatError(path, f"{name} has entries below {low}")
            if n_sources is not None and L.SOURCE_INDEX in blk and blk[L.SOURCE_INDEX].size:
                if int(blk[L.SOURCE_INDEX].max()) >= n_sources:
                    raise FileFormatError(
                        path, f"{L.SOURCE_INDEX} refers to a source beyond {L.SOURCES}"
                    )
    return info
