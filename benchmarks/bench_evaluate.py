"""Evaluation throughput on 64x64 SU(2) (not collected by pytest).

Usage::

    python benchmarks/bench_evaluate.py [--n 64] [--threads 1]

For each model: configurations per second of ``latticeml model evaluate``'s prediction path
(``Regressor`` forward, no grad) with batch 32, side by side with the same model fed one
configuration at a time (batch 1, the baseline), complex64, and the relative gauge change
measured on the same batch.  Wall time, best of 3 repeats; the load average is printed before
and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from latticeml.evaluate import haar_change
from latticeml.nn import Regressor, build_model, count_parameters
from latticeml.testing import random_links

MODELS = [
    ("W2x2-small", {"preset": "W2x2-small"}),
    ("W2x2-medium", {"preset": "W2x2-medium"}),
    ("W4x4-small", {"preset": "W4x4-small"}),
    ("cnn 3x32 k3", {"kind": "cnn", "channels": [32, 32, 32], "kernel_sizes": 3}),
]


def _rate(model, links, batch, repeats=3):
    best = float("inf")
    with torch.no_grad():
        for _ in range(repeats):
            t0 = time.perf_counter()
            for lo in range(0, links.shape[0], batch):
                model(links[lo:lo + batch])
            best = min(best, time.perf_counter() - t0)
    return links.shape[0] / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=64, help="configurations (default 64)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"load average before: {os.getloadavg()[0]:.2f}; torch {torch.__version__}, "
          f"{args.threads} thread(s), 64x64 SU(2), complex64, {args.n} configurations")
    gen = torch.Generator().manual_seed(0)
    links = random_links(args.n, (64, 64), 2, generator=gen, dtype=torch.complex64)
    print(f"{'model':<14} {'params':>7} {'batch 32 cfg/s':>15} {'batch 1 cfg/s':>14} "
          f"{'speed-up':>9} {'gauge rel. change':>18}")
    for name, spec in MODELS:
        torch.manual_seed(0)
        model = Regressor(build_model(spec), 0.5, 0.1).eval()
        fast = _rate(model, links, 32)
        slow = _rate(model, links, 1)
        rel = haar_change(model, links[:8], torch.Generator().manual_seed(1))
        print(f"{name:<14} {count_parameters(model):>7} {fast:>15.1f} {slow:>14.1f} "
              f"{fast / slow:>8.2f}x {rel:>18.2e}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
