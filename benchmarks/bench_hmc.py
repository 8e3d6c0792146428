"""Hybrid Monte Carlo speed beside the Numba heat bath (not collected by pytest).

Usage::

    python benchmarks/bench_hmc.py [--threads 1] [--trajectories 5]

For each lattice: trajectories per second of Wilson-action HMC (torch, float64, Omelyan 2MN,
10 steps, forces by autograd) and, in the same run, sweeps per second of the Numba heat bath +
4 overrelaxation sweeps (the baseline generator); plus force evaluations per second. Best of
3 repeats; the load average is printed before and after (the machine may be shared). The two
do not decorrelate at the same rate per update: compare per integrated autocorrelation time
(benchmarks of the freezing study), not per update.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from latticeml.gauge import ChainParams, GaugeChain
from latticeml.hmc import WilsonAction, force, hmc_trajectory

LATTICES = [("su2", (16, 16), 2.0), ("su3", (4, 4, 4, 4), 5.7), ("su3", (8, 8, 8, 8), 5.7)]


def _best(func, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--trajectories", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, load {os.getloadavg()[0]:.2f}")
    print(f"{'lattice':<22}{'HMC traj/s':>12}{'forces/s':>10}{'heat-bath sweeps/s':>20}")
    for group, shape, beta in LATTICES:
        chain = GaugeChain.from_params(ChainParams(group=group, shape=shape, beta=beta, seed=1,
                                                   threads=args.threads))
        chain.sweep(5)  # compile and thermalise a little
        links = torch.from_numpy(chain.links)
        action = WilsonAction(beta)
        gen = torch.Generator().manual_seed(2)
        hmc_trajectory(action, links, length=1.0, steps=10, integrator="omelyan",
                       generator=gen)

        def run(links=links, action=action, gen=gen):
            u = links
            for _ in range(args.trajectories):
                u = hmc_trajectory(action, u, length=1.0, steps=10, integrator="omelyan",
                                   generator=gen).links

        t_hmc = _best(run) / args.trajectories
        t_force = _best(lambda links=links, action=action: [force(action, links)
                                                              for _ in range(10)]) / 10
        t_hb = _best(lambda chain=chain: chain.sweep(20)) / 20
        name = f"{group} {'x'.join(map(str, shape))}"
        print(f"{name:<22}{1 / t_hmc:>12.2f}{1 / t_force:>10.1f}{1 / t_hb:>20.1f}")
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
