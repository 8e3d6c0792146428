"""Loop content of an architecture: which traced Wilson loops it can produce, by length."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from latticeml.loops import layers as L
from latticeml.loops.spec import Architecture, architecture, run_layers

__all__ = ["LoopContent", "loop_content", "count_loops"]


@dataclass(frozen=True)
class LoopContent:
    """The traced loops of an architecture and the size of every layer's formal sum.

    Attributes
    ----------
    architecture : Architecture
        The resolved network.
    loops : frozenset of str
        Canonical traced loops (:func:`~latticeml.loops.words.canonical_loop`).
    layer_terms : tuple of int
        Formal terms per channel after the input and after every layer (products counted
        before equal words are merged).
    layer_distinct : tuple of int
        Distinct paths (union over channels) after the input and after every layer.
    layer_channels : tuple of int
        Channels after the input and after every layer.
    """

    architecture: Architecture
    loops: frozenset[str]
    layer_terms: tuple[int, ...]
    layer_distinct: tuple[int, ...]
    layer_channels: tuple[int, ...]

    def counts(self, oriented: bool = True) -> dict[int, int]:
        """``{length: number of traced loops}``, lengths ascending.

        Parameters
        ----------
        oriented : bool
            Count ``Tr l`` and ``Tr l^dagger`` as two loops (default, as in the published
            table) or as one (``Re Tr l = Re Tr l^dagger``, as in the seed talk).
        """
        return L.counts_by_length(self.loops if oriented else L.unoriented(self.loops))

    @property
    def total(self) -> int:
        """Number of distinct traced loops (orientation kept)."""
        return len(self.loops)

    @property
    def total_unoriented(self) -> int:
        """Number of distinct traced loops up to orientation."""
        return len(L.unoriented(self.loops))

    @property
    def layer_total_terms(self) -> tuple[int, ...]:
        """Formal terms summed over channels (``channels * terms per channel``)."""
        return tuple(c * m for c, m in zip(self.layer_channels, self.layer_terms, strict=True))

    @property
    def max_length(self) -> int:
        """Length of the longest traced loop."""
        return max((len(x) for x in self.loops), default=0)


def loop_content(spec: Mapping | str | Architecture, *,
                 max_products: int = L.DEFAULT_MAX_PRODUCTS) -> LoopContent:
    """Expand an architecture symbolically and collect its traced loops.

    Parameters
    ----------
    spec : mapping, str or Architecture
        A preset name, a ``build_model`` mapping (``lcnn`` or ``gauge_net`` kind, no
        ``L-Act``), a ``symbolic`` mapping, or a resolved :class:`Architecture`.
    max_products : int
        Bound on the products one layer may form.

    Returns
    -------
    LoopContent

    Raises
    ------
    ParameterError
        Bad spec; :class:`~latticeml.loops.layers.TooManyTermsError` if a layer would exceed
        ``max_products``.

    Examples
    --------
    >>> loop_content("W1x2-small").counts()
    {0: 1, 4: 2, 6: 4, 8: 4}
    """
    arch = spec if isinstance(spec, Architecture) else architecture(spec)
    states = run_layers(arch, max_products=max_products)
    return LoopContent(arch, L.trace(states[-1]), tuple(s.multiplicity for s in states),
                       tuple(s.n_distinct for s in states), tuple(s.channels for s in states))


def count_loops(spec: Mapping | str | Architecture, **kwargs) -> dict[int, int]:
    """Return ``{length: number of distinct traced loops}`` (see :func:`loop_content`)."""
    return loop_content(spec, **kwargs).counts()
