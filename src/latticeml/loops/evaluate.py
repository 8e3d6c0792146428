"""Numerical evaluation of words, traced loops and loop expansions on gauge configurations.

Deliberately simple and independent of :mod:`latticeml.nn`: a word is evaluated by walking it
step by step, multiplying ``U_mu(x + pos)`` for a forward step ``+mu`` and
``U_mu(x + pos - mu)^dagger`` for a backward step, with periodic shifts (``numpy.roll``) of
the link arrays, for all output sites ``x`` at once.

Links are ``(B, *shape, D, N, N)`` complex (NumPy or torch); outputs ``(B, *shape)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeml.errors import ParameterError
from latticeml.loops.words import LETTERS

__all__ = ["as_links", "ShiftedLinks", "path_product", "trace_word", "evaluate_expansion",
           "relative_residual", "haar_links"]


def as_links(links) -> np.ndarray:
    """Links as a complex128 NumPy array ``(B, *shape, D, N, N)`` (validated shape)."""
    if hasattr(links, "detach"):
        links = links.detach().cpu().numpy()
    u = np.asarray(links)
    if u.ndim < 5 or u.shape[-1] != u.shape[-2] or u.shape[-3] != u.ndim - 4:
        raise ParameterError("links", "an array (B, *shape, D, N, N) with D = len(shape)",
                             tuple(u.shape))
    if not np.iscomplexobj(u):
        raise ParameterError("links", "complex link matrices", str(u.dtype))
    return u.astype(np.complex128, copy=False)


class ShiftedLinks:
    """``U_mu(x + pos)`` for all sites ``x`` as ``(B, *shape, N, N)`` arrays (cached)."""

    def __init__(self, links) -> None:
        self.u = as_links(links)
        self.dim = self.u.shape[-3]
        self.n = self.u.shape[-1]
        self._cache: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}

    def link(self, mu: int, pos: tuple[int, ...]) -> np.ndarray:
        """``U_mu(x + pos)`` at every site ``x``."""
        key = (mu, pos)
        a = self._cache.get(key)
        if a is None:
            a = self.u[..., mu, :, :]
            if any(pos):
                a = np.roll(a, shift=[-p for p in pos], axis=tuple(range(1, 1 + self.dim)))
            a = np.ascontiguousarray(a)
            self._cache[key] = a
        return a

    def unit(self) -> np.ndarray:
        """Return the unit matrix at every site."""
        shape = self.u.shape[:-3]
        return np.broadcast_to(np.eye(self.n, dtype=np.complex128), (*shape, self.n, self.n))


def path_product(links, word: str, base: tuple[int, ...] | None = None) -> np.ndarray:
    """Product of the link matrices along ``word`` started at ``x + base``, for every ``x``.

    Parameters
    ----------
    links : array or ShiftedLinks
        ``(B, *shape, D, N, N)`` complex.
    word : str
        Letters ``a, b, ...`` (forward steps along axis 0, 1, ...) and ``A, B, ...`` (back).
    base : tuple of int, optional
        Start relative to ``x`` (default the origin).

    Returns
    -------
    numpy.ndarray
        ``(B, *shape, N, N)`` complex128.
    """
    s = links if isinstance(links, ShiftedLinks) else ShiftedLinks(links)
    pos = list(base) if base is not None else [0] * s.dim
    if len(pos) != s.dim:
        raise ParameterError("base", f"{s.dim} coordinates", tuple(pos))
    m = s.unit()
    for c in word:
        mu = LETTERS.index(c.lower())
        if mu >= s.dim:
            raise ParameterError("word", f"letters of the first {s.dim} axes", word)
        if c.islower():
            m = m @ s.link(mu, tuple(pos))
            pos[mu] += 1
        else:
            pos[mu] -= 1
            m = m @ np.conj(np.swapaxes(s.link(mu, tuple(pos)), -1, -2))
    return m


def trace_word(links, word: str, base: tuple[int, ...] | None = None) -> np.ndarray:
    """``Tr word(x + base)`` for every site: ``(B, *shape)`` complex128."""
    return np.trace(path_product(links, word, base), axis1=-2, axis2=-1)


def evaluate_expansion(table: pd.DataFrame, links) -> np.ndarray:
    """Evaluate a loop expansion (:func:`latticeml.loops.expand.expand`) on configurations.

    ``out(x) = sum_rows re Re Tr word(x + base) + im Im Tr word(x + base)`` (the constant row
    ``word == ""`` gives ``re * N``).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``word``, ``base``, ``re``, ``im`` (e.g. read back from the CSV).
    links : array
        ``(B, *shape, D, N, N)`` complex.

    Returns
    -------
    numpy.ndarray
        ``(B, *shape)`` float64, per site (a pooled model's output is the site average).
    """
    from latticeml.loops.expand import parse_base

    missing = sorted({"word", "base", "re", "im"} - set(table.columns))
    if missing:
        raise ParameterError("table", "columns word, base, re, im", sorted(table.columns),
                             f"missing {missing}")
    s = ShiftedLinks(links)
    out = np.zeros(s.u.shape[: 1 + s.dim])
    for word, base, re, im in zip(table["word"], table["base"], table["re"], table["im"],
                                  strict=True):
        word = "" if not isinstance(word, str) else word  # CSV reads "" as NaN
        tr = trace_word(s, word, parse_base(base, s.dim))
        out += float(re) * tr.real
        if im:
            out += float(im) * tr.imag
    return out


def relative_residual(a, b) -> float:
    """``max |a - b| / max |b|`` (absolute if ``b`` vanishes)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ParameterError("values", f"shape {b.shape}", a.shape)
    num = float(np.max(np.abs(a - b))) if a.size else 0.0
    den = float(np.max(np.abs(b))) if b.size else 0.0
    return num / den if den > 0 else num


def haar_links(batch: int, shape: tuple[int, ...], n: int, seed: int = 0) -> np.ndarray:
    """Haar-random SU(N) links ``(batch, *shape, D, N, N)`` complex128, seeded."""
    import torch

    from latticeml.gauge.transform_torch import random_links

    g = torch.Generator().manual_seed(int(seed))
    return random_links(int(batch), tuple(shape), int(n), generator=g).numpy()
