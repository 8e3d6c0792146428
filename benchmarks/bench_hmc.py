"""Hybrid Monte Carlo speed beside the Numba heat bath (not collected by pytest).

Usage::

    python benchmarks/bench_hmc.py [--threads 1] [--trajectories 5] [--decorrelation 0]

For each lattice, side by side in the same run:

* trajectories per second of Wilson-action HMC (float64, Omelyan 2MN, 10 steps, length 1;
  force and drift on the parallel Numba kernels) and sweeps per second of the Numba heat bath
  + 4 overrelaxation sweeps (the baseline generator);
* Wilson force evaluations per second on the Numba kernel and on the torch staples (its twin),
  and the force of an L-CNN action (``ModelAction`` of a random-weight W2x2-small L-CNN, float64,
  autograd through the layer code of the trained models) per link, against the Wilson force;
* with ``--decorrelation N``: N updates of each chain after 50 of thermalisation, the
  integrated autocorrelation time of the plaquette (Wolff's Gamma method) and the seconds per
  independent plaquette measurement, ``2 tau_int x seconds per update``.

Best of 3 repeats for the rates; the load average is printed before and after (the machine
may be shared).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from latticeml.gauge import ChainParams, GaugeChain
from latticeml.hmc import ModelAction, WilsonAction, autograd_force, force, hmc_trajectory
from latticeml.hmc.actions import staple_sum
from latticeml.hmc.algebra import traceless_antihermitian
from latticeml.observables.autocorr import gamma_analysis

LATTICES = [("su2", (16, 16), 2.0), ("su2", (8, 8, 8, 8), 2.4), ("su3", (4, 4, 4, 4), 5.7),
            ("su3", (8, 8, 8, 8), 5.7)]


def _best(func, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def _torch_force(action, links):
    n = links.shape[-1]
    return -(action.beta / (2 * n)) * traceless_antihermitian(staple_sum(links))


def _lcnn_action(group: str, dim: int) -> ModelAction:
    from latticeml.nn import build_model

    torch.manual_seed(0)
    model = build_model({"preset": "W2x2-small", "dim": dim, "group": group,
                         "dtype": "float64"})
    return ModelAction(model, scale=1.0)


def _decorrelation(chain, links, action, updates):
    """Seconds per independent plaquette: heat bath and HMC, each 2 tau_int x s/update."""
    from latticeml.hmc import plaquette_traces

    gen = torch.Generator().manual_seed(3)
    chain.sweep(50)
    t0 = time.perf_counter()
    hb = chain.advance(updates)["plaquette"]
    s_hb = (time.perf_counter() - t0) / updates
    u = links
    for _ in range(50):
        u = hmc_trajectory(action, u, length=1.0, steps=10, integrator="omelyan",
                           generator=gen).links
    plaq, t0 = [], time.perf_counter()
    for _ in range(updates):
        u = hmc_trajectory(action, u, length=1.0, steps=10, integrator="omelyan",
                           generator=gen).links
        plaq.append(float(plaquette_traces(u).mean()))
    s_hmc = (time.perf_counter() - t0) / updates
    tau_hb = gamma_analysis(hb).tau_int
    tau_hmc = gamma_analysis(np.array(plaq)).tau_int
    return tau_hb, 2 * tau_hb * s_hb, tau_hmc, 2 * tau_hmc * s_hmc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--trajectories", type=int, default=5)
    parser.add_argument("--decorrelation", type=int, default=0,
                        help="updates per chain for the cost per independent plaquette")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    print(f"threads {args.threads}, load {os.getloadavg()[0]:.2f}")
    print(f"{'lattice':<18}{'HMC traj/s':>11}{'HB sweeps/s':>12}{'forces/s':>10}"
          f"{'torch f/s':>10}{'L-CNN/Wilson':>13}"
          + (f"{'tau HB':>8}{'s/indep HB':>11}{'tau HMC':>8}{'s/indep HMC':>12}"
             if args.decorrelation else ""))
    for group, shape, beta in LATTICES:
        chain = GaugeChain.from_params(ChainParams(group=group, shape=shape, beta=beta, seed=1,
                                                   threads=args.threads))
        chain.sweep(5)  # compile and thermalise a little
        links = torch.from_numpy(chain.links.copy())
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
        t_torch = _best(lambda links=links, action=action: [_torch_force(action, links)
                                                              for _ in range(3)]) / 3
        lcnn = _lcnn_action(group, len(shape))
        autograd_force(lcnn, links)
        t_lcnn = _best(lambda links=links, lcnn=lcnn: autograd_force(lcnn, links), repeats=2)
        t_hb = _best(lambda chain=chain: chain.sweep(20)) / 20
        name = f"{group} {'x'.join(map(str, shape))}"
        line = (f"{name:<18}{1 / t_hmc:>11.2f}{1 / t_hb:>12.1f}{1 / t_force:>10.1f}"
                f"{1 / t_torch:>10.1f}{t_lcnn / t_force:>13.0f}")
        if args.decorrelation:
            tau_hb, s_hb, tau_hmc, s_hmc = _decorrelation(chain, links, action,
                                                          args.decorrelation)
            line += f"{tau_hb:>8.2f}{s_hb:>11.4f}{tau_hmc:>8.2f}{s_hmc:>12.4f}"
        print(line, flush=True)
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
