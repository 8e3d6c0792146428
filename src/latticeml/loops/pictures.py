"""Pictures of traced loops: loops on the lattice, a model's top loops, loop-count histograms.

Figure builders only (data in, :class:`matplotlib.figure.Figure` out, no pyplot state, no
file I/O); save with :func:`latticeml.plots.style.save_figure` (PNG + PDF, atomic).

A loop is drawn in the plane of its first two axes: lattice sites as grey dots, every link
step as an arrow (a link walked several times gets parallel arrows side by side), the base
site (where the word starts) as a filled circle, the output site ``x`` as an open square.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from latticeml.errors import ParameterError
from latticeml.loops.words import LETTERS
from latticeml.plots.style import DOUBLE_COLUMN, SINGLE_COLUMN, with_paper_style

__all__ = ["loop_vertices", "draw_loop", "loop_figure", "top_loops_figure",
           "loop_histogram_figure", "reduction_figure"]

_LOOP_COLOR = "#08306b"
_BASE_COLOR = "#d95f02"


def loop_vertices(word: str, base: Sequence[int] = (0, 0), axes: tuple[int, int] = (0, 1)
                  ) -> np.ndarray:
    """Positions visited by ``word`` from ``base``, projected on ``axes``: ``(len+1, 2)``."""
    pos = np.array(list(base) + [0] * (max(axes) + 1 - len(base)), dtype=float)
    out = [pos[list(axes)].copy()]
    for c in word:
        i = LETTERS.index(c.lower())
        if i >= len(pos):
            pos = np.concatenate([pos, np.zeros(i + 1 - len(pos))])
        pos[i] += 1 if c.islower() else -1
        out.append(pos[list(axes)].copy())
    return np.array(out)


def draw_loop(ax: Axes, word: str, base: Sequence[int] = (0, 0), *, color: str = _LOOP_COLOR,
              show_site: bool = True, margin: float = 0.6) -> None:
    """Draw one loop on ``ax`` (axis 0 horizontal, axis 1 vertical).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes (its limits, aspect and ticks are set).
    word : str
        The loop (letters as in :mod:`latticeml.loops.words`); ``""`` draws only the site.
    base : sequence of int
        Start of the word relative to the output site.
    color : str
        Arrow colour.
    show_site : bool
        Mark the output site ``x`` (the origin).
    margin : float
        Space around the loop in lattice units.
    """
    v = loop_vertices(word, base)
    pts = np.vstack([v, [[0.0, 0.0]]]) if show_site else v
    lo, hi = np.floor(pts.min(0)) - 1, np.ceil(pts.max(0)) + 1
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1))
    ax.plot(gx.ravel(), gy.ravel(), ".", color="0.75", ms=2, zorder=1)
    seen: dict[tuple, int] = {}
    for p, q in zip(v[:-1], v[1:], strict=True):
        key = tuple(sorted([tuple(p), tuple(q)]))
        k = seen.get(key, 0)
        seen[key] = k + 1
        d = q - p
        normal = np.array([-d[1], d[0]])
        shift = normal * 0.09 * ((k + 1) // 2) * (1 if k % 2 else -1) if k else 0.0
        a, b = p + 0.12 * d + shift, q - 0.12 * d + shift
        ax.annotate("", xy=b, xytext=a, zorder=3,
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.0,
                                "shrinkA": 0, "shrinkB": 0, "mutation_scale": 7})
    if show_site:
        ax.plot([0], [0], "s", mfc="none", mec="0.2", ms=5, mew=0.8, zorder=4)
    ax.plot([v[0, 0]], [v[0, 1]], "o", color=_BASE_COLOR, ms=3.5, zorder=5)
    ax.set_xlim(lo[0] - margin + 0.5, hi[0] + margin - 0.5)
    ax.set_ylim(lo[1] - margin + 0.5, hi[1] + margin - 0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)


@with_paper_style
def loop_figure(word: str, base: Sequence[int] = (0, 0), title: str | None = None) -> Figure:
    """One loop on the lattice (see :func:`draw_loop`)."""
    fig = Figure(figsize=(SINGLE_COLUMN / 2, SINGLE_COLUMN / 2), layout="constrained")
    ax = fig.add_subplot()
    draw_loop(ax, word, base)
    ax.set_title(title if title is not None else (word or "Tr 1"), fontsize=7)
    return fig


def _base_tuple(text) -> tuple[int, ...]:
    return tuple(int(v) for v in str(text).split(","))


@with_paper_style
def top_loops_figure(table: pd.DataFrame, k: int = 12, *, ncols: int = 4,
                     title: str | None = None) -> Figure:
    """Draw the ``k`` loops with the largest coefficients of an expansion, one panel each.

    Panels are titled with the coefficient of the normalised trace (``re_n``), the base site
    and the length; the constant is left out.

    Raises
    ------
    ParameterError
        If the table has no loop rows or lacks the expansion columns.
    """
    need = {"word", "base", "re_n", "length"}
    if not need <= set(table.columns):
        raise ParameterError("table", f"columns {sorted(need)}", sorted(table.columns))
    body = table[table["word"].map(lambda w: isinstance(w, str) and bool(w))]
    body = body.reindex(body["re_n"].abs().sort_values(ascending=False).index).head(int(k))
    if body.empty:
        raise ParameterError("table", "at least one loop term", "only a constant")
    n = len(body)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    width = DOUBLE_COLUMN if ncols > 2 else SINGLE_COLUMN
    fig = Figure(figsize=(width, width / ncols * 1.08 * nrows + (0.3 if title else 0)),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, (_, row) in zip(axes.ravel(), body.iterrows(), strict=False):
        base = _base_tuple(row["base"])
        draw_loop(ax, row["word"], base)
        where = "x" if not any(base) else f"x+({row['base']})"
        ax.set_title(f"{row['re_n']:+.4f}  at {where}\nlength {int(row['length'])}",
                     fontsize=6.5)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=8)
    return fig


@with_paper_style
def loop_histogram_figure(counts: Mapping[str, Mapping[int, int]],
                          maximum: Mapping[int, int] | None = None) -> Figure:
    """Traced loops per length of architectures against all loops of that length (Max).

    Parameters
    ----------
    counts : mapping
        ``{label: {length: count}}`` (e.g. from :func:`latticeml.loops.count_loops`).
    maximum : mapping, optional
        ``{length: count}`` of all loops (:func:`latticeml.loops.max_loop_counts`), drawn as
        a step line over its lengths.
    """
    if not counts:
        raise ParameterError("counts", "at least one architecture", counts)
    lengths = sorted({n for c in counts.values() for n in c if n > 0})
    fig = Figure(figsize=(SINGLE_COLUMN, 2.3), layout="constrained")
    ax = fig.add_subplot()
    width = 1.6 / max(len(counts), 1)
    palette = ("#08306b", "#2171b5", "#4eb3d3", "#0b6e4f", "#7570b3")
    for i, (label, c) in enumerate(counts.items()):
        x = np.array([n for n in lengths if c.get(n, 0) > 0], dtype=float)
        y = [c[int(n)] for n in x]
        ax.bar(x - 0.8 + width * (i + 0.5), y, width=width, color=palette[i % len(palette)],
               label=label)
    if maximum:
        m = sorted((n, v) for n, v in maximum.items() if n > 0 and v > 0)
        ax.step([n for n, _ in m], [v for _, v in m], where="mid", color="k", ls=":",
                label="Max (all loops)")
    ax.set_yscale("log")
    step = 2 if len(lengths) <= 12 else 4
    ax.set_xticks([n for n in lengths if n % step == 0] or lengths)
    ax.set_xlabel("loop length")
    ax.set_ylabel("distinct traced loops")
    ax.legend(loc="upper left")
    return fig


@with_paper_style
def reduction_figure(explanation, table: pd.DataFrame, k: int = 10) -> Figure:
    """Direct vs reduced coefficients: the target before and after the trace identities.

    Bars for the target loop, the constant and the ``k - 2`` loops with the largest direct
    coefficients; their reduced coefficients (after :func:`reduce_by_identities`) beside.
    """
    from latticeml.loops.explain import target_row

    red = explanation.reduced_table
    t_row = (target_row(table, explanation.target_word, int(table.attrs.get("dim", 2)))
             if explanation.target_word else None)
    lookup = {(w, b, p): r for w, b, p, r in zip(red["word"], red["base"], red["part"],
                                                  red["reduced"], strict=True)}
    body = table[table["word"].map(lambda w: isinstance(w, str) and bool(w))]
    body = body.reindex(body["re_n"].abs().sort_values(ascending=False).index)
    labels, direct, reduced = ["target"], [explanation.direct], [explanation.reduced]
    for _, row in body.iterrows():
        if len(labels) >= k:
            break
        if row.name == t_row:
            continue
        labels.append(f"{row['word']}@{row['base']}")
        direct.append(row["re_n"])
        reduced.append(lookup.get((row["word"], row["base"], "re"), 0.0))
    y = np.arange(len(labels))[::-1]
    fig = Figure(figsize=(SINGLE_COLUMN, 0.22 * len(labels) + 0.8), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(y + 0.2, direct, height=0.38, color="#9ecae1", label="in the expansion")
    ax.barh(y - 0.2, reduced, height=0.38, color="#08306b", label="after SU(N) identities")
    ax.set_yticks(y, labels, fontsize=5.5, family="monospace")
    ax.axvline(0, color="0.3", lw=0.6)
    ax.set_xlabel("coefficient of (1/N) Re Tr")
    ax.legend(loc="lower right", fontsize=6)
    return fig
