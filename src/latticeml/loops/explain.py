"""Explain a loop expansion: group its terms by the trace identities of SU(N).

The traced loops of an expansion are not independent functions of the links.  For SU(2) every
trace is real (``Tr W^dagger = Tr W``) and the Mandelstam identity
``Tr A Tr B = Tr AB + Tr AB^dagger`` (equivalently Cayley--Hamilton, ``W^2 = Tr(W) W - 1`` with
``Tr 1 = 2``) relates single traces linearly whenever the products cancel, e.g. two
applications with the same product ``Tr A Tr BC`` give the four-term relation

    Tr ABC + Tr A C^dagger B^dagger = Tr ACB + Tr A B^dagger C^dagger .

A network therefore can, and does, carry part of its target in "reshuffled" loops.
:func:`reduce_by_identities` finds every linear identity among the expansion's own terms
numerically and rewrites the expansion in a basis chosen in a fixed order of preference --
the constant, the target loop, then the other terms from short to long -- so that a model
that computes its target exactly has reduced coefficient 1 on the target and 0 elsewhere:

1. evaluate every term ``(1/N) Re Tr l(x + b)`` (and ``(1/N) Im Tr`` for N > 2) on
   Haar-random configurations at ``S >= 3 M`` sample points (sites x configurations) of a
   lattice larger than every loop, so that no two distinct links coincide;
2. walk the terms in the order of preference and keep a term if it is not a linear
   combination of the kept ones (Gram--Schmidt with re-orthogonalisation, relative tolerance
   ``tol``); every dropped term is an identity ``f_j = sum_k alpha_jk f_k`` (exact up to
   rounding: polynomial identities that hold on random points hold everywhere);
3. the reduced coefficients are ``d = c_kept + alpha^T c_dropped``; the target's share in
   reshuffled loops is ``d_target - c_target``.

:func:`target_residual` compares the expansion with the target on Haar-random (``beta = 0``)
or thermalised configurations: a model that learned the target only within its training
distribution shows it here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from latticeml.errors import ParameterError
from latticeml.loops.evaluate import (
    ShiftedLinks,
    evaluate_expansion,
    haar_links,
    trace_word,
)
from latticeml.loops.expand import display_loop, parse_base, positioned_loop
from latticeml.loops.words import LETTERS, rectangle

__all__ = [
    "Explanation",
    "parse_target",
    "target_row",
    "loop_span",
    "lattice_for",
    "reduce_by_identities",
    "target_residual",
    "sample_links",
    "DEFAULT_MAX_TERMS",
]

#: Largest number of terms :func:`reduce_by_identities` accepts by default (memory ~ 24 M^2 B).
DEFAULT_MAX_TERMS = 3000


@dataclass(frozen=True)
class Explanation:
    """Result of :func:`reduce_by_identities` (coefficients of normalised traces).

    Attributes
    ----------
    target_word : str or None
        The target loop (at the output site), if a target was given.
    n_terms : int
        Functions of the expansion (Re and, for N > 2, Im parts; constant excluded).
    rank : int
        Linearly independent functions among constant, target and terms.
    n_identities : int
        Terms that are linear combinations of the kept ones.
    direct, reduced : float
        Coefficient of ``(1/N) Re Tr target`` in the expansion and after the reduction.
    constant_direct, constant_reduced : float
        The constant before and after the reduction.
    rest_rms : float
        RMS over the samples of the reduced expansion without target and constant.
    reduction_error : float
        ``max |F c - F_kept d| / max |F c|`` (consistency of the rewriting).
    contributions : pandas.DataFrame
        Dropped terms feeding the target coefficient: ``word``, ``base``, ``part``, ``length``,
        ``coefficient``, ``alpha`` (their identity's target coefficient), ``contribution``
        (= coefficient * alpha), ``identity`` (the identity as text), by |contribution|.
    reduced_table : pandas.DataFrame
        Kept functions with reduced coefficients (``word``, ``base``, ``part``, ``length``,
        ``direct``, ``reduced``), by |reduced|.
    max_imag : float
        Largest ``|Im Tr|`` of any term over the samples (rounding level for SU(2)).
    """

    target_word: str | None
    n_terms: int
    rank: int
    n_identities: int
    direct: float
    reduced: float
    constant_direct: float
    constant_reduced: float
    rest_rms: float
    reduction_error: float
    contributions: pd.DataFrame = field(repr=False)
    reduced_table: pd.DataFrame = field(repr=False)
    max_imag: float = 0.0

    @property
    def reshuffled(self) -> float:
        """Part of the target coefficient carried by other loops (``reduced - direct``)."""
        return self.reduced - self.direct


def parse_target(target: str, plane: int = 0, dim: int = 2) -> str:
    """Target name (``W_2x2``, ``2x2``) and plane index -> the loop's word at the site.

    Raises
    ------
    ParameterError
        If the name is not a rectangular Wilson loop or the plane does not exist.
    """
    m = re.fullmatch(r"\s*(?:W_?)?(\d+)x(\d+)\s*", str(target))
    if m is None:
        raise ParameterError("target", "a Wilson loop such as W_2x2", target)
    planes = [(i, j) for i in range(dim) for j in range(i + 1, dim)]
    if not 0 <= int(plane) < len(planes):
        raise ParameterError("plane", f"an index in [0, {len(planes)})", plane)
    mu, nu = planes[int(plane)]
    return rectangle(int(m.group(1)), int(m.group(2)), mu, nu)


def target_row(table: pd.DataFrame, word: str, dim: int) -> int | None:
    """Index of the row of ``table`` holding ``Re Tr word(x)`` (None if absent)."""
    key, base, _ = positioned_loop(word, dim)
    w, vertex = display_loop(key, base, dim)
    base_text = ",".join(str(v) for v in vertex)
    hit = table.index[(table["word"] == w) & (table["base"] == base_text)]
    return int(hit[0]) if len(hit) else None


def loop_span(table: pd.DataFrame, dim: int) -> int:
    """Largest coordinate range (over all axes) covered by the loops of a table."""
    lo, hi = np.zeros(dim, dtype=int), np.zeros(dim, dtype=int)
    for word, base in zip(table["word"], table["base"], strict=True):
        pos = np.array(parse_base(base, dim))
        lo, hi = np.minimum(lo, pos), np.maximum(hi, pos)
        for c in word if isinstance(word, str) else "":
            pos[LETTERS.index(c.lower())] += 1 if c.islower() else -1
            lo, hi = np.minimum(lo, pos), np.maximum(hi, pos)
    return int((hi - lo).max())


def lattice_for(table: pd.DataFrame, dim: int, minimum: int = 4) -> tuple[int, ...]:
    """Even periodic lattice on which no loop of the table wraps around."""
    side = max(minimum, loop_span(table, dim) + 2)
    return (side + side % 2,) * dim


def sample_links(
    n_colors: int, shape: tuple[int, ...], n_configs: int, seed: int = 0, beta: float | None = None
) -> np.ndarray:
    """Haar-random (``beta=None``) or thermalised (heat bath at ``beta``) configurations."""
    if beta is None:
        return haar_links(n_configs, shape, n_colors, seed)
    from latticeml.gauge import GaugeParams, generate_ensemble

    group = {2: "su2", 3: "su3"}.get(int(n_colors))
    if group is None:
        raise ParameterError("n_colors", "2 or 3 for thermalised configurations", n_colors)
    p = GaugeParams(group=group, shape=tuple(shape), beta=float(beta), n_configs=int(n_configs),
                    n_therm=200, n_skip=10, seed=int(seed), threads=1)  # fmt: skip
    return generate_ensemble(p).links


def _functions(table: pd.DataFrame, links, n: int) -> tuple[np.ndarray, list[tuple], float]:
    """Columns ``(1/N) Re Tr`` (and ``(1/N) Im Tr`` for N > 2) of the terms.

    Returns the ``(S, M)`` matrix, one ``(row label, part, coefficient)`` per column (the
    coefficient of the normalised trace) and the largest ``|Im Tr| / N`` seen.
    """
    s = ShiftedLinks(links)
    cols, labels, max_imag = [], [], 0.0
    for i, word, base, cr, ci in zip(
        table.index, table["word"], table["base"], table["re"], table["im"], strict=True
    ):
        tr = trace_word(s, word, parse_base(base, s.dim)).ravel() / n
        max_imag = max(max_imag, float(np.abs(tr.imag).max()))
        cols.append(tr.real)
        labels.append((i, "re", n * float(cr)))
        if n > 2:
            cols.append(tr.imag)
            labels.append((i, "im", n * float(ci)))
    n_points = s.u[..., 0, 0, 0, 0].size
    f = np.stack(cols, axis=1) if cols else np.zeros((n_points, 0))
    return f, labels, max_imag


def _greedy(a: np.ndarray, order: list[int], tol: float) -> list[int]:
    """Columns of ``a`` in ``order`` that are not combinations of earlier columns.

    Unpivoted Householder QR of the reordered columns: ``|R_jj|`` is the distance of column
    ``j`` from the span of the columns before it, so column ``j`` is kept if
    ``|R_jj| > tol * |a_j|``.
    """
    b = a[:, order]
    norms = np.linalg.norm(b, axis=0)
    r = np.linalg.qr(b, mode="r")
    diag = np.abs(np.diagonal(r))
    return [j for j, dj, nj in zip(order, diag, norms, strict=False) if nj > 0 and dj > tol * nj]


def _fmt(c: float, word: str, base: str, part: str) -> str:
    if not word:
        return f"{c:+.6g}"
    where = f"(x+{base})" if base.strip("0,") else "(x)"
    return f"{c:+.6g} {part.capitalize()}Tr[{word}]{where}"


def reduce_by_identities(
    table: pd.DataFrame,
    *,
    target: str | None = None,
    n_samples: int | None = None,
    seed: int = 0,
    tol: float = 1e-8,
    max_terms: int = DEFAULT_MAX_TERMS,
    top: int = 10,
) -> Explanation:
    """Rewrite an expansion modulo the linear trace identities among its terms.

    Parameters
    ----------
    table : pandas.DataFrame
        An expansion (:func:`latticeml.loops.expand.expand`), ``attrs`` with ``n_colors`` and
        ``dim``.
    target : str, optional
        The target loop as a word at the output site (see :func:`parse_target`).
    n_samples : int, optional
        Sample points (default ``max(3 M, 1024)`` for ``M`` functions).
    seed : int
        Seed of the Haar-random configurations.
    tol : float
        Relative residual below which a term counts as dependent.
    max_terms : int
        Refuse larger expansions (the sample matrix is ``S x M`` doubles).
    top : int
        Rows of :attr:`Explanation.contributions` to keep.

    Returns
    -------
    Explanation
    """
    n, dim = int(table.attrs["n_colors"]), int(table.attrs["dim"])
    body = table[table["word"].map(lambda w: isinstance(w, str) and bool(w))]
    const_rows = table.index.difference(body.index)
    const = float(n * table.loc[const_rows, "re"].sum())
    m = len(body) * (2 if n > 2 else 1)
    if m > max_terms:
        raise ParameterError(
            "expansion",
            f"at most {max_terms} terms for the identity reduction",
            m,
            "raise max_terms (memory grows as S x M)",
        )
    shape = lattice_for(table, dim)
    v = math.prod(shape)
    s = max(3 * (m + 2), 1024) if n_samples is None else int(n_samples)
    links = haar_links(-(-s // v), shape, n, seed)
    f, labels, max_imag = _functions(body, links, n)
    ones = np.ones((f.shape[0], 1))
    t_row = target_row(table, target, dim) if target else None
    if target:
        tcol = (trace_word(links, target).real.ravel() / n)[:, None]
    else:
        tcol = np.zeros((f.shape[0], 0))
    a = np.concatenate([ones, tcol, f], axis=1)
    n_lead = 1 + tcol.shape[1]
    c = np.concatenate([[const], [0.0] * tcol.shape[1], [lab[2] for lab in labels]])
    direct = 0.0
    if t_row is not None:  # the target's own row becomes the target column
        j = n_lead + next(k for k, lab in enumerate(labels) if lab[:2] == (t_row, "re"))
        direct = c[j]
        c[1], c[j] = c[j], 0.0
    order_terms = sorted(
        range(len(labels)),
        key=lambda k: (len(body.at[labels[k][0], "word"]), -abs(labels[k][2]), k),
    )
    order = list(range(n_lead)) + [n_lead + k for k in order_terms]
    keep = _greedy(a, order, tol)
    kept = set(keep)
    dep = [j for j in order if j not in kept]
    q, r = np.linalg.qr(a[:, keep])  # a[:, keep] = Q R: alpha solves R alpha = Q^T a[:, dep]
    alpha = np.linalg.solve(r, q.T @ a[:, dep]) if dep else np.zeros((len(keep), 0))
    d = c[keep] + alpha @ c[dep]
    full = a @ c
    err = float(np.abs(full - a[:, keep] @ d).max() / max(np.abs(full).max(), 1e-300))

    words, bases = body["word"].to_dict(), body["base"].to_dict()
    zero = ",".join("0" * dim)

    def label(j: int) -> tuple[str, str, str, int]:
        if j == 0:
            return "", zero, "re", 0
        if j < n_lead:
            return target, zero, "re", len(target)
        i, part, _ = labels[j - n_lead]
        return words[i], bases[i], part, len(words[i])

    pos = {j: k for k, j in enumerate(keep)}
    d_target = float(d[pos[1]]) if target and 1 in pos else 0.0
    rest = [k for k, j in enumerate(keep) if j >= n_lead]
    rest_rms = (
        float(np.sqrt(np.mean((a[:, [keep[k] for k in rest]] @ d[rest]) ** 2))) if rest else 0.0
    )
    contrib = []
    if target and 1 in pos:
        for k, j in enumerate(dep):
            if c[j] == 0.0 or abs(alpha[pos[1], k]) < 1e-9:
                continue
            w, b, part, length = label(j)
            terms = [
                _fmt(alpha[r, k], *label(keep[r])[:2], label(keep[r])[2])
                for r in np.flatnonzero(np.abs(alpha[:, k]) > 1e-9)
            ]
            contrib.append(
                (
                    w,
                    b,
                    part,
                    length,
                    c[j],
                    alpha[pos[1], k],
                    c[j] * alpha[pos[1], k],
                    f"{part.capitalize()}Tr[{w}] = " + " ".join(terms),
                )
            )
    cols = ["word", "base", "part", "length", "coefficient", "alpha", "contribution", "identity"]
    contributions = pd.DataFrame(contrib, columns=cols)
    if len(contributions):
        contributions = contributions.reindex(
            contributions["contribution"].abs().sort_values(ascending=False).index
        )
    contributions = contributions.head(top).reset_index(drop=True)
    red = pd.DataFrame(
        [(*label(j)[:3], label(j)[3], c[j], d[k]) for k, j in enumerate(keep)],
        columns=["word", "base", "part", "length", "direct", "reduced"],
    )
    red = red.reindex(red["reduced"].abs().sort_values(ascending=False).index)
    return Explanation(
        target,
        len(labels),
        len(keep),
        len(dep) - (1 if t_row is not None else 0),
        direct,
        d_target,
        const,
        float(d[pos[0]]) if 0 in pos else 0.0,
        rest_rms,
        err,
        contributions,
        red.reset_index(drop=True),
        max_imag,
    )


def target_residual(table: pd.DataFrame, target: str, links) -> dict[str, float]:
    """Compare an expansion with ``(1/N) Re Tr target`` on configurations.

    Returns
    -------
    dict
        ``max_abs``, ``rms`` and ``relative`` (``max |y - t| / max |t|``) of the difference,
        and ``rms_target`` for scale.
    """
    n = int(table.attrs["n_colors"])
    y = evaluate_expansion(table, links)
    t = trace_word(links, target).real / n
    diff = y - t
    return {
        "max_abs": float(np.abs(diff).max()),
        "rms": float(np.sqrt(np.mean(diff**2))),
        "relative": float(np.abs(diff).max() / max(np.abs(t).max(), 1e-300)),
        "rms_target": float(np.sqrt(np.mean(t**2))),
    }
