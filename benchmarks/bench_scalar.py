"""Throughput of the dual scalar worm sampler and an estimate of the PRD-scale ensemble set.

Run: ``.venv/bin/python benchmarks/bench_scalar.py [--quick] [--budget SECONDS]``

1. Rates on 60x4 and 200x10 at eta = 4.01, lambda = 1 (mu = 1.05): worm steps/s, sweeps/s,
   configurations/s (with n_skip = ceil(2 tau_int)).
2. Estimate of the full PRD set (Bulusu et al. 2021): mu = 0.910, 0.915, ..., 1.050 and
   1.1 ... 1.5; lattices (50,2), (60,4), (100,5), (125,8), (200,10); 4000 configurations each
   with n_skip = max(1, ceil(2 tau_int)) and n_therm = max(200, 20 tau_int) sweeps. A
   representative subset of mu is simulated per lattice (chain length set by a time budget)
   to measure the seconds per sweep and tau_int = max(tau_int(n), tau_int(|phi|^2)) in
   sweeps; the cost of the other mu is interpolated linearly in mu. The total is reported
   in core-seconds and as wall time on 2 cores (ensembles are independent jobs).

Rates are CPU seconds of this process (``time.process_time``), so that other jobs on the
machine do not distort them; the load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from latticeml.observables.autocorr import gamma_analysis
from latticeml.scalar import AUTO_MIN_SWEEPS, ScalarChain, ScalarParams

ETA, LAM = 4.01, 1.0
LATTICES = [(50, 2), (60, 4), (100, 5), (125, 8), (200, 10)]
MU_PRD = [round(0.910 + 0.005 * i, 3) for i in range(29)] + [1.1, 1.2, 1.3, 1.4, 1.5]
MU_SUBSET = [0.91, 0.93, 0.94, 0.95, 0.96, 0.98, 1.0, 1.05, 1.2, 1.5]
N_CONFIGS = 4000


def _chain(shape, mu, n_worms=None, seed=1):
    p = ScalarParams(
        shape=shape, mu=mu, eta=ETA, lam=LAM, n_configs=1, n_therm=0, n_skip=1, seed=seed,
        n_worms=n_worms,
    )
    return ScalarChain(p)


def measure(shape, mu, budget, n_worms=None):
    """Thermalise, then run for ``budget`` seconds; return rates and tau_int (sweeps)."""
    c = _chain(shape, mu, n_worms)
    if n_worms is None:  # the automatic choice of generate_scalar_ensemble
        c.tune_n_worms(AUTO_MIN_SWEEPS)
    t0 = time.process_time()
    c.sweep(20)
    t1 = time.process_time() - t0
    per = max(t1 / 20, 1e-7)
    n_therm = int(min(max(200, 0.15 * budget / per), 5000))
    c.sweep(n_therm)
    n_run = max(500, int(0.85 * budget / per))
    c.counters[:] = 0
    t0, w0 = time.process_time(), time.perf_counter()
    n, p2 = c.sweep(n_run)
    dt = time.process_time() - t0  # CPU seconds: robust against other jobs on the machine
    wall = time.perf_counter() - w0
    gn, gp = gamma_analysis(n), gamma_analysis(p2)
    tau = max(gn.tau_int, gp.tau_int)
    return {
        "sec_per_sweep": dt / n_run,
        "worm_steps_per_s": c.counters[1] / dt,
        "tau": tau,
        "n": gn,
        "phi2": gp,
        "n_sweeps": n_run,
        "n_worms": c.n_worms,
        "cpu_over_wall": dt / wall,
    }


def rates(budget):
    print("== rates at mu = 1.05, eta = 4.01, lambda = 1 (automatic n_worms) ==")
    for shape in [(60, 4), (200, 10)]:
        m = measure(shape, 1.05, budget)
        n_skip = max(1, math.ceil(2 * m["tau"]))
        print(
            f"{shape[0]:>3}x{shape[1]:<3} n_worms {m['n_worms']:>4}  "
            f"worm steps/s {m['worm_steps_per_s']:.3g}  sweeps/s {1 / m['sec_per_sweep']:.4g}  "
            f"tau_int {m['tau']:.2f} sweeps -> n_skip {n_skip}  "
            f"configs/s {1 / (n_skip * m['sec_per_sweep']):.4g}  "
            f"(n = {m['n'].mean:.4f} +- {m['n'].error:.4f}, "
            f"|phi|^2 = {m['phi2'].mean:.4f} +- {m['phi2'].error:.4f}, "
            f"{m['n_sweeps']} sweeps)",
            flush=True,
        )


def estimate(budget, subset):
    print("\n== PRD ensemble set estimate (4000 configs, n_skip = ceil(2 tau_int)) ==")
    total = 0.0
    for shape in LATTICES:
        costs = []
        for mu in subset:
            m = measure(shape, mu, budget)
            n_skip = max(1, math.ceil(2 * m["tau"]))
            n_therm = max(200, math.ceil(20 * m["tau"]))
            cost = (n_therm + N_CONFIGS * n_skip) * m["sec_per_sweep"]
            costs.append(cost)
            print(
                f"{shape[0]:>3}x{shape[1]:<3} mu {mu:.3f}  tau_int {m['tau']:7.2f}  "
                f"ms/sweep {1e3 * m['sec_per_sweep']:.4f}  n_skip {n_skip:4d}  "
                f"ensemble {cost:7.1f} s  (n = {m['n'].mean:.4f}, "
                f"|phi|^2 = {m['phi2'].mean:.4f})",
                flush=True,
            )
        lat = float(np.interp(MU_PRD, subset, costs).sum())
        total += lat
        print(f"{shape[0]:>3}x{shape[1]:<3} all {len(MU_PRD)} mu: {lat:.0f} core-s", flush=True)
    print(
        f"\nestimated total: {total:.0f} core-s = {total / 60:.1f} min on 1 core, "
        f"{total / 120:.1f} min on 2 cores (target < 15 min)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=2.0, help="seconds per (lattice, mu) point")
    ap.add_argument("--quick", action="store_true", help="rates only, no estimate")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()}, cpus {os.cpu_count()}")
    _chain((4, 2), 1.0).sweep(2)  # compile
    rates(args.budget)
    if not args.quick:
        estimate(args.budget, MU_SUBSET)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
