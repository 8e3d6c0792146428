"""Paper-column figure style: sizes, fonts, per-family line styles and atomic saving.

The one place that knows how figures look. Colours, line styles and markers are chosen so that
the families stay distinguishable when the figure is printed in grey scale: the L-CNN is dark
and solid with circles, the CNN a mid-tone orange, dashed with squares, the conditional mean
black and dotted without markers.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = [
    "SINGLE_COLUMN",
    "DOUBLE_COLUMN",
    "FONT_SIZE",
    "DPI",
    "RC_PARAMS",
    "paper_style",
    "with_paper_style",
    "family_rank",
    "family_style",
    "save_figure",
]

SINGLE_COLUMN = 3.4
"""Width of a single-column figure in inches."""
DOUBLE_COLUMN = 7.0
"""Width of a double-column figure in inches."""
FONT_SIZE = 8.0
"""Base font size in points (tick labels and legends are one point smaller)."""
DPI = 300
"""Resolution of the PNG files."""

RC_PARAMS: dict[str, Any] = {
    "font.size": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
    "legend.fontsize": FONT_SIZE - 1,
    "legend.frameon": False,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.35,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "savefig.dpi": DPI,
    "pdf.fonttype": 42,  # embed TrueType fonts (editable text, accepted by journals)
    "ps.fonttype": 42,
}

# Per family: shades from dark to light (the first is the family's main colour), markers in
# the order they are handed to the experiments of that family, and the line style.
_FAMILIES: dict[str, dict[str, Any]] = {
    "L-CNN": {
        "colors": ("#08306b", "#2171b5", "#4eb3d3", "#0b6e4f"),
        "markers": ("o", "^", "D", "v"),
        "linestyle": "-",
    },
    "CNN": {
        "colors": ("#d95f02", "#a63603", "#fdae6b", "#e7298a"),
        "markers": ("s", "P", "X", "<"),
        "linestyle": "--",
    },
    "conditional mean": {
        "colors": ("#000000", "#636363"),
        "markers": ("",),
        "linestyle": ":",
    },
}
_OTHER = {
    "colors": ("#7570b3", "#66a61e", "#e6ab02", "#a6761d"),
    "markers": ("h", "*", "p", ">"),
    "linestyle": "-.",
}
_FAMILY_ORDER = tuple(_FAMILIES)


def family_rank(family: str) -> int:
    """Return the position of ``family`` in the legend order (unknown families last)."""
    return _FAMILY_ORDER.index(family) if family in _FAMILIES else len(_FAMILY_ORDER)


def family_style(family: str, index: int = 0) -> dict[str, Any]:
    """Return the line style of the ``index``-th experiment of a model family.

    Parameters
    ----------
    family : str
        ``"L-CNN"``, ``"CNN"`` or ``"conditional mean"``; other names get a fallback style.
    index : int
        Position of the experiment within its family; shade and marker cycle with it, the
        line style stays that of the family.

    Returns
    -------
    dict
        Keyword arguments for :meth:`matplotlib.axes.Axes.plot`: ``color``, ``linestyle``,
        ``marker``.
    """
    spec = _FAMILIES.get(family, _OTHER)
    return {
        "color": spec["colors"][index % len(spec["colors"])],
        "linestyle": spec["linestyle"],
        "marker": spec["markers"][index % len(spec["markers"])],
    }


def paper_style() -> contextlib.AbstractContextManager:
    """Return a context manager that applies :data:`RC_PARAMS` (fonts, line widths)."""
    return mpl.rc_context(RC_PARAMS)


P = ParamSpec("P")
R = TypeVar("R")


def with_paper_style(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a figure builder so that its artists are created in :func:`paper_style`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paper_style():
            return fn(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _temporary_sibling(path: Path) -> Iterator[Path]:
    """Yield a temporary file next to ``path``; remove it unless it was renamed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def save_figure(fig: Figure, stem: str | os.PathLike) -> list[Path]:
    """Write ``stem.png`` (300 dpi) and ``stem.pdf`` atomically.

    Both files are rendered to temporary files in the target directory first and renamed
    only when both renderings succeeded, so a failure leaves neither a partial nor a
    half-updated pair behind. Existing files are replaced.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    stem : path-like
        Output path without suffix, e.g. ``out/error_vs_size``; its directory must exist.

    Returns
    -------
    list of Path
        The PNG and the PDF path.
    """
    stem = Path(stem)
    targets = [stem.with_name(f"{stem.name}.png"), stem.with_name(f"{stem.name}.pdf")]
    umask = os.umask(0)
    os.umask(umask)
    with (
        paper_style(),
        _temporary_sibling(targets[0]) as tmp_png,
        _temporary_sibling(targets[1]) as tmp_pdf,
    ):
        fig.savefig(tmp_png, format="png", dpi=DPI)
        fig.savefig(tmp_pdf, format="pdf", metadata={"CreationDate": None})  # same bytes
        for tmp, target in ((tmp_png, targets[0]), (tmp_pdf, targets[1])):
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; use the usual permissions
            os.replace(tmp, target)
    return targets
