"""Throughput of the SU(2)/SU(3) gauge updates (link updates per second).

Usage::

    python benchmarks/bench_gauge.py [--quick] [--threads 1,2]

A link update is one heat-bath, overrelaxation or Metropolis update of one link; a "mix" sweep
(1 heat bath + 4 overrelaxation) of a lattice with V sites in D dimensions is 5 V D link
updates. Rates are wall-clock, best of ``--repeat`` timings; beside each, ``cpu`` is the rate
per CPU-second of the process (all threads; OpenMP threads spinning at barriers count). On a
machine loaded by other processes the wall-clock rates of several threads suffer first.
JIT compile time (first call, or loading from Numba's cache) is reported separately.

``--omp-passive`` sets ``OMP_WAIT_POLICY=PASSIVE`` before the first parallel kernel: with the
default (spinning) policy, several threads collapse to a fraction of one thread's throughput
when other processes occupy the cores (every checkerboard substep ends in a barrier).
"""

from __future__ import annotations

import argparse
import os
import time

import numba

from latticeml.gauge import GaugeChain

CASES = [
    ("su2", (64, 64)),
    ("su2", (8, 8, 8, 8)),
    ("su2", (16, 16, 16, 16)),
    ("su3", (64, 64)),
    ("su3", (8, 8, 8, 8)),
    ("su3", (16, 16, 16, 16)),
]
BETA = {"su2": 2.3, "su3": 6.0}
UPDATES = {"heatbath": 1, "overrelax": 1, "mix": 5, "metropolis": 1}


def _time(fn, n, repeat):
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(n)
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sweeps, skip 16^4")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--omp-passive", action="store_true", help="set OMP_WAIT_POLICY=PASSIVE")
    args = ap.parse_args()
    if args.omp_passive:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # read when the OpenMP pool starts
    thread_counts = [int(t) for t in args.threads.split(",")]
    print(f"numba {numba.__version__}, NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, "
          f"cores={os.cpu_count()}, load average={os.getloadavg()}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'default')}")  # fmt: skip

    print("\nJIT compile / cache-load time (first call vs later call, 4^4 lattice)")
    for group in ("su2", "su3"):
        chain = GaugeChain(group, (4, 4, 4, 4), BETA[group], 1, threads=1)
        plaq = chain.plaquette
        for name, fn in (("heatbath", chain.heatbath), ("plaquette", lambda _, p=plaq: p())):
            t0 = time.perf_counter()
            fn(1)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            fn(1)
            later = time.perf_counter() - t0
            print(f"  {group} {name:<10} first {first:8.3f} s   later {later * 1e3:8.3f} ms")
    print(f"  threading layer: {numba.threading_layer()}")

    header = f"{'group':<5} {'lattice':<12} {'update':<10}" + "".join(
        f" {f'{t} thr M/s':>11} {'cpu':>7}" for t in thread_counts
    )
    if len(thread_counts) > 1:
        header += f" {'speedup':>8}"
    print("\nLink updates per second (M/s), wall clock, best of", args.repeat)
    print(header)
    print("-" * len(header))
    for group, shape in CASES:
        if args.quick and shape[0] == 16:
            continue
        V = 1
        for s in shape:
            V *= s
        D = len(shape)
        work = 5 * V * D
        n = max(1, int((2e5 if args.quick else 1e6) / work))
        for update in ("heatbath", "overrelax", "mix", "metropolis"):
            rates = []
            line = f"{group:<5} {'x'.join(map(str, shape)):<12} {update:<10}"
            for t in thread_counts:
                chain = GaugeChain(group, shape, BETA[group], 1, threads=t, n_overrelax=4)
                chain.sweep(1)
                fn = {"heatbath": chain.heatbath, "overrelax": chain.overrelax,
                      "mix": chain.sweep, "metropolis": chain.metropolis}[update]  # fmt: skip
                k = n * (5 if update != "mix" else 1)
                wall, cpu = _time(fn, k, args.repeat)
                links = k * V * D * UPDATES[update]
                rates.append(links / wall / 1e6)
                line += f" {rates[-1]:11.2f} {links / cpu / 1e6:7.2f}"
            if len(rates) > 1:
                line += f" {rates[-1] / rates[0]:8.2f}"
            print(line, flush=True)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
