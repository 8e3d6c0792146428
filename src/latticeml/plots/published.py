"""Published L-CNN and CNN errors, per source, for markers on the error-versus-size figures.

Lattice-averaged MSE (``mse_mean``) as published; each set names its source, because the
sources disagree (the Letter's figure shows the best model, its tables the median):

* ``prl-2d`` -- Favoni, Ipp, Müller, Schuh, PRL 128 (2022) 032003, 1+1D SU(2), plane (0, 1),
  train 8x8: the authors' tables (median of 10 models) on 8x8 and 64x64, and the Letter's
  Fig. 3 (best model) on 8x8.
* ``notebook-4d-plane12`` -- the official notebook of the same work, 3+1D SU(2), train 4x8^3,
  target W2x2 in the spatial plane (1, 2) (``plane: 3`` here), W4x4 likewise: median of 5
  models, L-CNN small (1449 parameters) and medium (7393 parameters).
"""

from __future__ import annotations

import pandas as pd

from latticeml.errors import ParameterError

__all__ = ["PUBLISHED_SETS", "published_points"]

_COLUMNS = ("target", "shape", "model", "source", "value")

_PRL_2D = [
    # target, shape, model, source, value
    *[(t, s, "L-CNN", "PRL tables, median of 10", v) for t, s, v in (
        ("W_1x1", "8x8", 2.7e-14), ("W_1x1", "64x64", 2.4e-14),
        ("W_1x2", "8x8", 1.5e-8), ("W_1x2", "64x64", 1.4e-8),
        ("W_2x2", "8x8", 4.9e-8), ("W_2x2", "64x64", 3.4e-8),
        ("W_4x4", "8x8", 4.1e-7), ("W_4x4", "64x64", 1.3e-8))],
    *[(t, s, "CNN", "PRL tables, median of 10", v) for t, s, v in (
        ("W_1x1", "8x8", 1.5e-6), ("W_1x1", "64x64", 1.7e-7),
        ("W_1x2", "8x8", 2.9e-3), ("W_1x2", "64x64", 3.7e-4),
        ("W_2x2", "8x8", 4.8e-3), ("W_2x2", "64x64", 2.5e-4),
        ("W_4x4", "8x8", 4.6e-3), ("W_4x4", "64x64", 1.0e-4))],
    *[(t, "8x8", "L-CNN", "PRL Fig. 3, best model", v) for t, v in (
        ("W_1x1", 2.2e-11), ("W_1x2", 2.1e-9), ("W_2x2", 1.1e-8), ("W_4x4", 1.4e-7))],
    *[(t, "8x8", "CNN", "PRL Fig. 3, best model", v) for t, v in (
        ("W_1x1", 1.0e-9), ("W_1x2", 2.0e-3), ("W_2x2", 4.0e-3), ("W_4x4", 4.2e-3))],
]

_NOTEBOOK_4D = [
    *[("W_2x2", s, "L-CNN small", "official notebook, median of 5", v) for s, v in (
        ("4x8x8x8", 5.89e-8), ("6x8x8x8", 5.84e-8), ("8x16x16x16", 5.57e-8))],
    *[("W_2x2", s, "L-CNN medium", "official notebook, median of 5", v) for s, v in (
        ("4x8x8x8", 8.09e-8), ("6x8x8x8", 6.18e-8), ("8x16x16x16", 3.79e-8))],
    *[("W_4x4", s, "L-CNN small", "official notebook, median of 5", v) for s, v in (
        ("4x8x8x8", 4.0e-7), ("6x8x8x8", 4.2e-7))],
]

#: Names of the published sets.
PUBLISHED_SETS = {"prl-2d": _PRL_2D, "notebook-4d-plane12": _NOTEBOOK_4D}


def published_points(name: str) -> pd.DataFrame:
    """Return one published set as a table.

    Parameters
    ----------
    name : str
        A key of :data:`PUBLISHED_SETS`.

    Returns
    -------
    pandas.DataFrame
        Columns ``target, shape, model, source, value, L, volume, metric`` (``metric`` is
        ``mse_mean``; ``L`` the largest extent, ``volume`` the number of sites).

    Raises
    ------
    ParameterError
        For an unknown name.
    """
    if name not in PUBLISHED_SETS:
        raise ParameterError("--published", f"one of {', '.join(sorted(PUBLISHED_SETS))}",
                             name)
    table = pd.DataFrame(PUBLISHED_SETS[name], columns=list(_COLUMNS))
    extents = table["shape"].str.split("x").map(lambda e: [int(v) for v in e])
    table["L"] = extents.map(max).astype(float)
    table["volume"] = extents.map(lambda e: float(pd.Series(e).prod()))
    table["metric"] = "mse_mean"
    return table
