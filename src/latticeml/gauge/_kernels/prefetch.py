"""Software prefetch of the links that a staple reads (shared by the SU(2) and SU(3) kernels).

A checkerboard substep visits the sites of one parity in lexicographic order; on lattices whose
links do not fit in the L2 cache the hardware prefetcher does not keep up with the ~10 streams
of neighbour sites (x + mu, x +- nu, x + mu - nu). The sweep kernels therefore call
``prefetch_staple`` for the site a few positions ahead in the substep. A prefetch is a hint
only: it never changes results. With the primitives of :mod:`.scalar` (``prefetch`` does
nothing) the inlined code has no effect and LLVM removes it.
"""

from __future__ import annotations

import functools
import types

from latticeml._numba import jit_inline

__all__ = ["build"]

_LINE = 8  # float64 per 64-byte cache line


@functools.cache
def build(ops: types.ModuleType):
    """Return ``prefetch_staple(u, up, dn, i, mu, width)`` on the ``prefetch`` of ``ops``."""
    prefetch = ops.prefetch

    @jit_inline
    def prefetch_link(u, j, nu, width):
        """Prefetch link ``(j, nu)`` of ``u``, shape ``(V, D, width)`` with ``width`` 4 or 18.

        An SU(2) link (4 float64) is fetched through its first element (one line, or two if
        the array is only 16-byte aligned); an SU(3) link (18 float64, 144 bytes) spans at most
        three lines, reached from its first, ninth and last element. Callers pass ``width`` as
        a literal, so that the arithmetic and the branch fold away in the inlined code.
        """
        off = width * (j * u.shape[1] + nu)
        prefetch(u, off)
        if width > _LINE:
            prefetch(u, off + _LINE)
            prefetch(u, off + width - 1)

    @jit_inline
    def prefetch_staple(u, up, dn, i, mu, width):
        """Prefetch the links that the staple of link ``(i, mu)`` reads (``width = u.shape[2]``)."""
        D = u.shape[1]
        ip = up[i, mu]
        for nu in range(D):
            if nu == mu:
                continue
            prefetch_link(u, ip, nu, width)
            prefetch_link(u, up[i, nu], mu, width)
            prefetch_link(u, i, nu, width)
            m = dn[i, nu]
            prefetch_link(u, m, mu, width)
            prefetch_link(u, m, nu, width)
            prefetch_link(u, dn[ip, nu], nu, width)

    return prefetch_staple
