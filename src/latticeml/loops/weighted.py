"""The L-CNN layers on formal sums of paths *with* coefficients (actual weights, NumPy).

:mod:`latticeml.loops.layers` tracks which words exist; this module tracks how much of each:
a layer's output is a :class:`Sums` -- a list of distinct reduced closed words (paths at the
site ``x``, see :mod:`latticeml.loops.words`) and a real coefficient matrix ``(C, n_words)``,
channel ``c`` being ``W_c(x) = sum_w coef[c, w] w(x)``.  The coefficients are real because every
weight of an L-CNN is real and the inputs are products of link matrices.

The channel order of every layer is that of :mod:`latticeml.nn.gauge_layers` (used with the
weights of a trained model):

* ``lconv``: ``T = [W (local), (c, p) c-major transported, 1]``, ``out = weight @ T``;
* ``lbilin``: ``out_o = sum_{a,b} weight[o,a,b] A_a B_b``, ``A = [W1, W1^dagger, 1]``,
  ``B = [W2, W2^dagger, 1]`` (parts optional);
* ``lcb``: ``out_o = sum_{a,b} weight[o,a,b] A_a T_b``, ``A = [W, W^dagger, 1]``,
  ``T = [local W, (c, p) c-major transported, their ^dagger in the same order, 1]``.

Products are formed for every pair of distinct words of the two factors at once (a dense
``(O, |A words|, |T words|)`` coefficient block, then one scatter-add per output channel);
:class:`~latticeml.loops.layers.TooManyTermsError` refuses blocks above ``max_pairs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from latticeml.errors import ParameterError
from latticeml.loops.layers import TooManyTermsError, offsets_of
from latticeml.loops.words import inverse, multiply, plaquette, transport

__all__ = ["Sums", "DEFAULT_MAX_PAIRS", "plaq", "lconv", "lbilin", "lcb"]

#: Default bound on (output channels) x (distinct left words) x (distinct right words).
DEFAULT_MAX_PAIRS = 20_000_000


@dataclass(frozen=True)
class Sums:
    """Formal sums of paths, one per channel: ``W_c = sum_i coef[c, i] words[i]``.

    Attributes
    ----------
    words : tuple of str
        Distinct reduced closed words (``""`` is the unit matrix).
    coef : numpy.ndarray
        ``(channels, len(words))`` float64.
    """

    words: tuple[str, ...]
    coef: np.ndarray

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.coef.shape[0])

    def channel(self, c: int) -> dict[str, float]:
        """Non-zero terms of channel ``c`` as ``{word: coefficient}``."""
        row = self.coef[c]
        return {w: float(v) for w, v in zip(self.words, row, strict=True) if v != 0.0}


class _Vocab:
    """Distinct words with their indices; stacked rows of coefficients over them."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.rows: list[tuple[list[int], np.ndarray]] = []

    def add_row(self, words: Sequence[str], values: np.ndarray) -> None:
        idx = []
        for w in words:
            i = self.index.get(w)
            if i is None:
                i = self.index[w] = len(self.index)
            idx.append(i)
        self.rows.append((idx, np.asarray(values, dtype=np.float64)))

    def add_sums(self, s: Sums, words: Sequence[str] | None = None) -> None:
        """One row per channel of ``s`` (its words optionally replaced by ``words``)."""
        ws = s.words if words is None else words
        for c in range(s.channels):
            self.add_row(ws, s.coef[c])

    def add_unit(self) -> None:
        self.add_row([""], np.ones(1))

    def matrix(self) -> tuple[list[str], np.ndarray]:
        words = [""] * len(self.index)
        for w, i in self.index.items():
            words[i] = w
        m = np.zeros((len(self.rows), len(words)))
        for r, (idx, vals) in enumerate(self.rows):
            np.add.at(m[r], idx, vals)
        return words, m


def _check_weight(weight: np.ndarray, shape: tuple[int, ...], layer: str) -> np.ndarray:
    w = np.asarray(weight, dtype=np.float64)
    if w.shape[1:] != shape[1:]:
        raise ParameterError(f"{layer} weight", f"shape (O, {', '.join(map(str, shape[1:]))})",
                             tuple(w.shape), "the weights do not fit the layer's channels")
    return w


def _merge(words: list[str], coef: np.ndarray) -> Sums:
    """Merge equal words (after products) and drop words whose coefficients all vanish."""
    keep = np.any(coef != 0.0, axis=0)
    return Sums(tuple(w for w, k in zip(words, keep, strict=True) if k), coef[:, keep])


def plaq(dim: int = 2, planes: Sequence[tuple[int, int]] | None = None, *,
         conjugates: bool = False) -> Sums:
    """Plaquette channels (one per plane, then their conjugates if asked), coefficient 1."""
    if planes is None:
        planes = [(m, n) for m in range(dim) for n in range(m + 1, dim)]
    words = [plaquette(m, n) for m, n in planes]
    if conjugates:
        words += [inverse(w) for w in words]
    return Sums(tuple(words), np.eye(len(words)))


def _enlarge(vocab: _Vocab, s: Sums, conjugates: bool, unit: bool) -> None:
    vocab.add_sums(s)
    if conjugates:
        vocab.add_sums(s, [inverse(w) for w in s.words])
    if unit:
        vocab.add_unit()


def _base(vocab: _Vocab, s: Sums, offs: Sequence[tuple[int, int]], local: bool,
          dagger: bool) -> None:
    """Rows ``[local W_c], (c, p) c-major transported`` (or their conjugates)."""
    def maybe(ws):
        return [inverse(w) for w in ws] if dagger else ws

    if local:
        vocab.add_sums(s, maybe(list(s.words)))
    moved = {p: [transport(w, *p) for w in s.words] for p in offs}
    for c in range(s.channels):
        for p in offs:
            vocab.add_row(maybe(moved[p]), s.coef[c])


def _bilinear(left: _Vocab, right: _Vocab, weight: np.ndarray, layer: str,
              max_pairs: int) -> Sums:
    """``out_o = sum_{a,b} weight[o,a,b] L_a R_b`` for formal sums ``L``, ``R``."""
    lw, lm = left.matrix()
    rw, rm = right.matrix()
    w = _check_weight(weight, (0, lm.shape[0], rm.shape[0]), layer)
    n_out = w.shape[0]
    need = n_out * len(lw) * len(rw)
    if need > max_pairs:
        raise TooManyTermsError(layer, need, max_pairs)
    mix = np.einsum("oab,bv->oav", w, rm)  # (O, n_a, |R|)
    block = np.einsum("au,oav->ouv", lm, mix).reshape(n_out, -1)  # (O, |L| |R|)
    index: dict[str, int] = {}
    flat = np.empty(len(lw) * len(rw), dtype=np.int64)
    k = 0
    for u in lw:
        for v in rw:
            p = multiply(u, v)
            i = index.get(p)
            if i is None:
                i = index[p] = len(index)
            flat[k] = i
            k += 1
    coef = np.stack([np.bincount(flat, weights=block[o], minlength=len(index))
                     for o in range(n_out)])
    return _merge(list(index), coef)


def lconv(s: Sums, weight: np.ndarray, kernel_size: int, *, dim: int, dilation: int = 1,
          offsets: str = "forward", local: bool = True, unit: bool = False) -> Sums:
    """``LConv`` with weights ``(O, n_in)``: ``out_o = sum_b weight[o, b] T_b``."""
    offs = offsets_of(dim, kernel_size, dilation, offsets)
    vocab = _Vocab()
    _base(vocab, s, offs, local, dagger=False)
    if unit:
        vocab.add_unit()
    words, tm = vocab.matrix()
    w = _check_weight(weight, (0, tm.shape[0]), "lconv")
    return _merge(words, w @ tm)


def lbilin(s1: Sums, s2: Sums, weight: np.ndarray, *, unit: bool = True,
           conjugates: bool = True, max_pairs: int = DEFAULT_MAX_PAIRS) -> Sums:
    """``LBilin`` with weights ``(O, n_a, n_b)``."""
    left, right = _Vocab(), _Vocab()
    _enlarge(left, s1, conjugates, unit)
    _enlarge(right, s2, conjugates, unit)
    return _bilinear(left, right, weight, "lbilin", max_pairs)


def lcb(s: Sums, weight: np.ndarray, kernel_size: int, *, dim: int, dilation: int = 1,
        offsets: str = "forward", local: bool = False, unit: bool = True,
        conjugates: bool = True, max_pairs: int = DEFAULT_MAX_PAIRS) -> Sums:
    """Fused L-CB (``LConvBilin``) with weights ``(O, n_A, n_T)``."""
    offs = offsets_of(dim, kernel_size, dilation, offsets)
    left, right = _Vocab(), _Vocab()
    _enlarge(left, s, conjugates, unit)
    _base(right, s, offs, local, dagger=False)
    if conjugates:
        _base(right, s, offs, local, dagger=True)
    if unit:
        right.add_unit()
    return _bilinear(left, right, weight, "lcb", max_pairs)
