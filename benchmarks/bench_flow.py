"""Wilson-flow speed: the parallel Numba kernels beside their torch twin (not collected by pytest).

Usage::

    python benchmarks/bench_flow.py [--threads 2]

For each lattice: RK3 steps per second of :class:`latticeml.hmc.NumbaFlow` (Numba threads as
given) and of :func:`latticeml.hmc.flow_step` (torch, the same threads), and link updates per
second of the Numba flow (3 force and exponential stages per step). Best of 3 repeats; the
load average is printed before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np
import torch

from latticeml.hmc import NumbaFlow, flow_step
from latticeml.io._layout import project_su_n

LATTICES = [("su2", (8, 8, 8, 8)), ("su3", (8, 8, 8, 8)), ("su2", (16, 16, 16, 16)),
            ("su3", (16, 16, 16, 16))]


def _best(func, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, load {os.getloadavg()[0]:.2f}")
    print(f"{'lattice':<16}{'Numba steps/s':>14}{'torch steps/s':>14}{'speed-up':>9}"
          f"{'Mlinks/s':>9}")
    for group, shape in LATTICES:
        n = 2 if group == "su2" else 3
        rng = np.random.default_rng(0)
        z = rng.normal(size=(*shape, 4, n, n)) + 1j * rng.normal(size=(*shape, 4, n, n))
        u = project_su_n(np.eye(n) + 0.4 * z)
        flow = NumbaFlow(shape, n)
        flow.step(u, 0.02)  # compile
        t_numba = _best(lambda flow=flow, u=u: flow.step(u, 0.02))
        v = torch.from_numpy(u)
        t_torch = _best(lambda v=v: flow_step(v, 0.02), repeats=1 if shape[0] > 8 else 3)
        links = np.prod(shape) * 4 * 3
        print(f"{group + ' ' + 'x'.join(map(str, shape)):<16}{1 / t_numba:>14.2f}"
              f"{1 / t_torch:>14.3f}{t_torch / t_numba:>9.1f}{links / t_numba / 1e6:>9.2f}",
              flush=True)
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
