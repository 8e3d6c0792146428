"""Kinds of elementary link updates, shared by the SU(2) and SU(3) kernels and the chain.

An ``IntEnum``: the Numba kernels compare their integer ``kind`` argument with the members
(compile-time constants), Python passes ``int(kind)``.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["UpdateKind"]


class UpdateKind(IntEnum):
    """Elementary update of every link in one checkerboard sweep."""

    HEATBATH = 0
    OVERRELAX = 1
    METROPOLIS = 2
