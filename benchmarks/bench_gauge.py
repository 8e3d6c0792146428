"""Throughput of the SU(2)/SU(3) gauge updates, both kernel backends side by side.

Usage::

    python benchmarks/bench_gauge.py [--quick] [--threads 1] [--backends simd,scalar]
                                     [--repeat 3] [--omp-passive]

For every group, lattice (2D and 4D) and update (heat bath, overrelaxation, "mix" = 1 heat bath
+ 4 overrelaxation sweeps, 10-hit Metropolis) it prints, per backend, sweeps per second and
million link updates per second (a sweep of a lattice with V sites in D dimensions updates
V D links; a mix sweep counts 5 V D), and the ratio of the first backend to the second. Rates
are wall-clock, best of ``--repeat`` timings; ``cpu`` is the rate per CPU-second of the process
(OpenMP threads spinning at barriers count). JIT compile time (first call, or loading from
Numba's cache) is reported separately per backend.

``--threads`` runs every chain with that many Numba threads (results do not depend on it).
``--omp-passive`` sets ``OMP_WAIT_POLICY=PASSIVE`` before the first parallel kernel: with the
default (spinning) policy, several threads collapse to a fraction of one thread's throughput
when other processes occupy the cores (every checkerboard substep ends in a barrier).
"""

from __future__ import annotations

import argparse
import os
import platform
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


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def compile_times(backends, threads):
    """First call (compile or cache load) and a later call of each kernel, 4^4 lattice."""
    print("\nJIT compile / cache-load time (first call vs later call, 4^4 lattice)")
    for backend in backends:
        for group in ("su2", "su3"):
            t0 = time.perf_counter()
            chain = GaugeChain(group, (4, 4, 4, 4), BETA[group], 1, threads=threads,
                               backend=backend)  # fmt: skip
            setup = time.perf_counter() - t0
            for name, fn in (("heatbath", chain.heatbath), ("metropolis", chain.metropolis)):
                t0 = time.perf_counter()
                fn(1)
                first = time.perf_counter() - t0
                t0 = time.perf_counter()
                fn(1)
                later = time.perf_counter() - t0
                print(f"  {backend:<6} {group} {name:<10} first {first:8.3f} s   later "
                      f"{later * 1e3:8.3f} ms   (chain set-up {setup:.2f} s)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few sweeps, no 16^4 (a smoke test)")
    ap.add_argument("--threads", type=int, default=1, help="Numba threads per chain")
    ap.add_argument("--backends", default="simd,scalar", help="comma-separated backends")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--omp-passive", action="store_true", help="set OMP_WAIT_POLICY=PASSIVE")
    args = ap.parse_args()
    if args.omp_passive:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # read when the OpenMP pool starts
    backends = args.backends.split(",")
    repeat = 1 if args.quick else args.repeat
    print(f"cpu {_cpu_model()}, numba {numba.__version__}, threads {args.threads}, "
          f"cores {os.cpu_count()}, load average {os.getloadavg()}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'default')}")  # fmt: skip
    compile_times(backends, args.threads)

    cols = "".join(f" {b + ' sw/s':>12} {'M/s':>7} {'cpu':>7}" for b in backends)
    header = f"{'group':<5} {'lattice':<12} {'update':<10}{cols}"
    if len(backends) == 2:
        header += f" {backends[0] + '/' + backends[1]:>12}"
    print(f"\nSweeps per second (sw/s) and million link updates per second (M/s), wall clock, "
          f"best of {repeat}")  # fmt: skip
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
        n = max(1, int((2e4 if args.quick else 1e6) / work))
        chains = {b: GaugeChain(group, shape, BETA[group], 1, threads=args.threads,
                                n_overrelax=4, backend=b) for b in backends}  # fmt: skip
        for chain in chains.values():
            chain.sweep(1)
        for update in UPDATES:
            line = f"{group:<5} {'x'.join(map(str, shape)):<12} {update:<10}"
            rates = []
            for chain in chains.values():
                fn = {"heatbath": chain.heatbath, "overrelax": chain.overrelax,
                      "mix": chain.sweep, "metropolis": chain.metropolis}[update]  # fmt: skip
                k = n * (5 if update != "mix" else 1)
                wall, cpu = _time(fn, k, repeat)
                links = k * V * D * UPDATES[update]
                rates.append(k / wall)
                line += f" {k / wall:12.1f} {links / wall / 1e6:7.2f} {links / cpu / 1e6:7.2f}"
            if len(rates) == 2:
                line += f" {rates[0] / rates[1]:11.2f}x"
            print(line, flush=True)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
