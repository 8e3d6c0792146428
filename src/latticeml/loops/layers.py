"""The L-CNN layers acting on formal sums of paths (symbolic, no weights).

A layer output channel of an L-CNN without ``L-Act`` is a formal sum ``sum_w c_w w(x)`` of
paths (closed words, see :mod:`latticeml.loops.words`) with real coefficients that are
polynomials in the weights.  Every coefficient is a sum of products of weights with positive
integer multiplicities, so for generic weights no term cancels, and every output channel of a
mixing layer contains the same words (all channels see all inputs).  A layer's output is
therefore described by :class:`Terms`: the set of distinct words, the number of channels and
the number of *formal terms* per channel (products counted before equal words are merged, as
in the diagrams of the seed talk).

The layers follow :mod:`latticeml.nn.gauge_layers` exactly:

* ``lconv``: ``T = [W (if local), G_p W(x+p) G_p^dagger for every offset p, 1 (if unit)]``;
* ``lbilin``: ``A B`` with both factors enlarged to ``[W, W^dagger (if conjugates), 1 (if unit)]``;
* ``lcb`` (fused L-CB): ``A T`` with ``A = [W, W^dagger, 1]`` and ``T = [transported W (with
  the local term if local), their ^dagger, 1]``, each part optional as in ``LConvBilin``;
* ``trace``: the traced loops (:func:`~latticeml.loops.words.canonical_loop`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from latticeml.errors import ParameterError
from latticeml.lattice import transport_offsets
from latticeml.loops.words import canonical_loop, inverse, multiply, plaquette, transport

__all__ = [
    "Terms",
    "TooManyTermsError",
    "offsets_of",
    "plaq",
    "lconv",
    "lbilin",
    "lcb",
    "trace",
    "unoriented",
    "counts_by_length",
]

#: Default bound on the number of products one layer may form (protects against runaway work).
DEFAULT_MAX_PRODUCTS = 20_000_000


class TooManyTermsError(ParameterError):
    """The symbolic expansion would need more products than allowed."""

    def __init__(self, layer: str, needed: int, limit: int) -> None:
        super().__init__(f"{layer} (products)", f"at most {limit:,}", needed,
                         "the architecture is too deep/wide to expand completely; raise "
                         "max_products or use can_express, which prunes by length")


@dataclass(frozen=True)
class Terms:
    """Symbolic output of a layer: the distinct paths of its channels.

    Attributes
    ----------
    words : frozenset of str
        Distinct reduced closed words with a (generically) non-zero coefficient.
    channels : int
        Number of channels.
    multiplicity : int
        Formal terms per channel, counted before merging equal words.
    """

    words: frozenset[str]
    channels: int = 1
    multiplicity: int = 1

    @property
    def n_distinct(self) -> int:
        """Number of distinct words."""
        return len(self.words)

    def closed_under_dagger(self) -> frozenset[str]:
        """Return the words together with their inverses."""
        return self.words | {inverse(w) for w in self.words}

    def max_length(self) -> int:
        """Length of the longest word."""
        return max((len(w) for w in self.words), default=0)


#: Transport offsets ``(axis, s)`` exactly as ``latticeml.nn.gauge_layers.make_offsets``.
offsets_of = transport_offsets


Keep = Callable[[str], bool] | None


def _filter(words: Iterable[str], keep: Keep) -> frozenset[str]:
    if keep is None:
        return frozenset(words)
    return frozenset(w for w in words if keep(w))


def plaq(dim: int = 2, planes: Sequence[tuple[int, int]] | None = None, *,
         conjugates: bool = False) -> Terms:
    """Plaquette channels ``U_{x, mu nu}`` (one per plane; with their conjugates if asked)."""
    if int(dim) < 2:
        raise ParameterError("dim", "an integer >= 2", dim)
    if planes is None:
        planes = [(m, n) for m in range(dim) for n in range(m + 1, dim)]
    words = [plaquette(m, n) for m, n in planes]
    if conjugates:
        words += [inverse(w) for w in words]
    return Terms(frozenset(words), channels=len(words), multiplicity=1)


def _transported(words: Iterable[str], offs: Sequence[tuple[int, int]], local: bool) -> set[str]:
    words = list(words)
    out = set(words) if local else set()
    for axis, s in offs:
        out.update(transport(w, axis, s) for w in words)
    return out


def lconv(w: Terms, kernel_size: int, *, dim: int, out_channels: int = 1, dilation: int = 1,
          offsets: str = "forward", local: bool = True, unit: bool = False,
          keep: Keep = None) -> Terms:
    """Symbolic ``LConv``: ``sum_{c,p} w_{o,c,p} G_p W_c(x+p) G_p^dagger`` (+ unit).

    Parameters
    ----------
    w : Terms
        Input channels.
    kernel_size, dim, out_channels, dilation, offsets, local, unit
        As for ``latticeml.nn.gauge_layers.LConv`` (same defaults).
    keep : callable, optional
        Keep only words ``w`` with ``keep(w)`` (pruned search; the result is then a subset).

    Returns
    -------
    Terms
    """
    offs = offsets_of(dim, kernel_size, dilation, offsets, local=local)
    words = _transported(w.words, offs, local)
    if unit:
        words.add("")
    mult = w.channels * w.multiplicity * (len(offs) + int(local)) + int(unit)
    return Terms(_filter(words, keep), int(out_channels), mult)


def _products(left: frozenset[str], right: frozenset[str], layer: str, max_products: int,
              keep: Keep) -> frozenset[str]:
    n = len(left) * len(right)
    if n > max_products:
        raise TooManyTermsError(layer, n, max_products)
    out: set[str] = set()
    add = out.add
    if keep is None:
        for u in left:
            for v in right:
                add(multiply(u, v))
    else:
        for u in left:
            for v in right:
                p = multiply(u, v)
                if keep(p):
                    add(p)
    return frozenset(out)


def _enlarge(w: Terms, conjugates: bool, unit: bool) -> tuple[frozenset[str], int]:
    words = set(w.closed_under_dagger() if conjugates else w.words)
    if unit:
        words.add("")
    f = 2 if conjugates else 1
    return frozenset(words), f * w.channels * w.multiplicity + int(unit)


def lbilin(w1: Terms, w2: Terms, *, out_channels: int = 1, unit: bool = True,
           conjugates: bool = True, max_products: int = DEFAULT_MAX_PRODUCTS,
           keep: Keep = None) -> Terms:
    """Symbolic ``LBilin``: ``sum_{a,b} w_{o,a,b} A_a B_b`` with enlarged factors.

    Parameters
    ----------
    w1, w2 : Terms
        The two inputs (the same object for a product of a layer with itself).
    out_channels, unit, conjugates
        As for ``latticeml.nn.gauge_layers.LBilin``.
    max_products : int
        Refuse to form more products (:class:`TooManyTermsError`).
    keep : callable, optional
        Keep only words ``w`` with ``keep(w)`` (pruned search; the result is then a subset).

    Returns
    -------
    Terms
    """
    a, ma = _enlarge(w1, conjugates, unit)
    b, mb = _enlarge(w2, conjugates, unit)
    words = _products(a, b, "lbilin", max_products, keep)
    return Terms(words, int(out_channels), ma * mb)


def lcb(w: Terms, kernel_size: int, *, dim: int, out_channels: int = 1, dilation: int = 1,
        offsets: str = "forward", local: bool = False, unit: bool = True,
        conjugates: bool = True, max_products: int = DEFAULT_MAX_PRODUCTS,
        keep: Keep = None) -> Terms:
    """Symbolic fused L-CB layer (``LConvBilin``): ``sum_{a,b} w_{o,a,b} A_a(x) T_b(x)``.

    ``A = [W, W^dagger (if conjugates), 1 (if unit)]`` and ``T = [transported W (with the
    local term if local), their ^dagger (if conjugates), 1 (if unit)]``.  Input conjugates
    (``[W, W^dagger]`` channels, ``paired_input``) change the channel count, not the words.

    Parameters
    ----------
    w : Terms
        Input channels.
    kernel_size, dim, out_channels, dilation, offsets, local, unit, conjugates
        As for ``latticeml.nn.gauge_layers.LConvBilin`` (same defaults).
    max_products : int
        Refuse to form more products (:class:`TooManyTermsError`).
    keep : callable, optional
        Keep only words ``w`` with ``keep(w)`` (pruned search; the result is then a subset).

    Returns
    -------
    Terms
    """
    offs = offsets_of(dim, kernel_size, dilation, offsets, local=local)
    a, ma = _enlarge(w, conjugates, unit)
    base = Terms(frozenset(_transported(w.words, offs, local)), 1, 1)
    t = set(base.closed_under_dagger() if conjugates else base.words)
    if unit:
        t.add("")
    f = 2 if conjugates else 1
    mt = f * w.channels * w.multiplicity * (len(offs) + int(local)) + int(unit)
    words = _products(a, _filter(t, keep), "lcb", max_products, keep)
    return Terms(words, int(out_channels), ma * mt)


def trace(w: Terms) -> frozenset[str]:
    """Distinct traced loops ``Tr w`` of all words (canonical forms)."""
    return frozenset(canonical_loop(x) for x in w.words)


def unoriented(loops: Iterable[str]) -> frozenset[str]:
    """Traced loops up to orientation: one representative of ``{l, l^dagger}`` each."""
    return frozenset(min(x, canonical_loop(inverse(x))) for x in loops)


def counts_by_length(loops: Iterable[str]) -> dict[int, int]:
    """Histogram ``{length: number of traced loops}`` sorted by length."""
    c = Counter(len(x) for x in loops)
    return dict(sorted(c.items()))
