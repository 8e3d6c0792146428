"""What reading an external configuration gives: :class:`ExternalConfig`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ExternalConfig", "FORMATS", "GROUP_OF_N", "N_OF_GROUP"]

#: The file formats (readers and writers in the modules of the same names).
FORMATS = ("ildg", "nersc", "openqcd")

#: Gauge groups by number of colours, and back.
GROUP_OF_N = {2: "su2", 3: "su3"}
N_OF_GROUP = {v: k for k, v in GROUP_OF_N.items()}


@dataclass(frozen=True)
class ExternalConfig:
    """One gauge configuration read from an ILDG, NERSC or openQCD file.

    Attributes
    ----------
    path : str
        The file.
    format : str
        ``ildg``, ``nersc`` or ``openqcd``.
    links : ndarray, complex128, shape (L_t, L_x, L_y, L_z, 4, N, N)
        The links in this package's layout (axis 0 and direction 0 are time).
    group : str
        ``su2`` or ``su3``.
    precision : int
        Bits per real number in the file (32 or 64).
    plaquette : float
        ``<(1/N) Re Tr U_p>`` recomputed from the links (a property: formats whose header
        states a plaquette compute it while reading, to check it; for ILDG, whose files state
        none, it is computed on first use).
    header_plaquette : float or None
        The plaquette the file states (normalised to ``1/N``), if it states one.
    checksum : str
        What was verified: ``"scidac crc32 ok"``, ``"nersc sum ok"``, or why nothing was.
    unitarity : float
        ``max(|U U^dagger - 1|, |det U - 1|)`` of the links as stored.
    notes : tuple of str
        What the reader had to assume or repair (a missing format record, projection of
        single-precision links onto SU(N), ...).
    """

    path: str
    format: str
    links: np.ndarray
    group: str
    precision: int
    header_plaquette: float | None
    checksum: str
    unitarity: float
    notes: tuple[str, ...] = field(default=())
    _plaquette: float | None = field(default=None, repr=False, compare=False)

    @property
    def plaquette(self) -> float:
        """``<(1/N) Re Tr U_p>`` of the links, computed once."""
        if self._plaquette is None:
            from latticeml.io._layout import mean_plaquette

            object.__setattr__(self, "_plaquette", mean_plaquette(self.links))
        return self._plaquette

    @property
    def shape(self) -> tuple[int, ...]:
        """Lattice extents ``(L_t, L_x, L_y, L_z)``."""
        return tuple(self.links.shape[:4])
