"""The thread policy of gauge generation, declared once for the generator and the workflow.

Pure Python (no numpy, no numba): the Snakemake workflow imports it to reserve cores, the
generator (:func:`latticeml.gauge.chain.auto_threads`) to choose its Numba threads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["MIN_SITES_PER_THREAD", "gauge_job_threads", "gauge_threads"]

#: Sites per checkerboard substep below which a second thread costs more than it saves
#: (thread start and barrier per substep; measured: 8^4 and 64^2 gain ~1.7x, 8x8 loses).
MIN_SITES_PER_THREAD = 1024


def gauge_threads(n_sites: int, max_threads: int) -> int:
    """Return the threads for a lattice of ``n_sites`` sites.

    One per :data:`MIN_SITES_PER_THREAD` sites of a checkerboard substep (half the lattice),
    at least one, at most ``max_threads``. The ensemble does not depend on the choice.
    """
    return max(1, min(int(max_threads), (int(n_sites) // 2) // MIN_SITES_PER_THREAD))


def gauge_job_threads(shape: Sequence[int], max_threads: int) -> int:
    """Return the threads of a gauge generation job on the lattice ``shape``.

    As :func:`gauge_threads`.

    Small lattices do not hold cores they would leave idle.
    """
    return gauge_threads(math.prod(int(s) for s in shape), max_threads)
