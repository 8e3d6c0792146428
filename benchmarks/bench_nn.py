"""L-CNN throughput: training step and forward pass (not collected by pytest).

Usage::

    python benchmarks/bench_nn.py [--quick]

Training: CPU seconds (process time, all threads) and wall seconds per 1000 samples for
forward + backward + AdamW step, data in memory, 8x8 SU(2), per-site MSE loss; models built
as the published code builds them (``W2x2-small-published``: 265 parameters, batch 25;
``W4x4-medium-published``: 11 617 parameters, batch 10).  Forward: seconds per 64x64
configuration (batch 1, no grad).
Each figure is the best of several repeats (by CPU time).  The machine may be shared: the
load average is printed before and after, and wall times exceed CPU times when it is busy.
Reference figures (one thread, complex64, same machine class): published code 2.9 s / 32 s
training, 0.18 s / 2.7 s forward; newer library 0.52 s / 13 s and 0.014 s / 0.48 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# On a shared machine, spinning OpenMP workers of a 2-thread run wait for descheduled
# siblings and burn CPU (measured 4x slower under load); sleeping workers do not.  Must be set
# before torch is imported; pass --omp-spin (or set OMP_WAIT_POLICY) to keep the default.
if "--omp-spin" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from latticeml.nn import build_model, count_parameters  # noqa: E402
from latticeml.testing import random_links  # noqa: E402

MODELS = [("W2x2-small-published", 25), ("W4x4-medium-published", 10)]
DTYPES = {"complex64": torch.float32, "complex128": torch.float64}


def _timed(fn, n):
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return time.perf_counter() - w0, time.process_time() - c0


def bench_train(name, batch, cdtype, n_samples, repeats):
    torch.manual_seed(0)
    model = build_model({"preset": name}).to(DTYPES[cdtype])
    u = random_links(batch, (8, 8), 2, generator=torch.Generator().manual_seed(0),
                     dtype=getattr(torch, cdtype))
    y = torch.rand(batch, 8, 8, dtype=DTYPES[cdtype])
    try:  # the fused AdamW kernel (CPU support since torch 2.4) is the fastest variant
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(u), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    steps = max(1, n_samples // batch)
    best = None
    for _ in range(repeats):
        wall, cpu = _timed(step, steps)
        scale = 1000.0 / (steps * batch)
        res = (wall * scale, cpu * scale)
        best = res if best is None or res[1] < best[1] else best
    return count_parameters(model), best


def bench_forward(name, cdtype, n, repeats):
    torch.manual_seed(0)
    model = build_model({"preset": name}).to(DTYPES[cdtype])
    u = random_links(1, (64, 64), 2, generator=torch.Generator().manual_seed(0),
                     dtype=getattr(torch, cdtype))
    with torch.no_grad():
        model(u)
        best = None
        for _ in range(repeats):
            wall, cpu = _timed(lambda: model(u), n)
            res = (wall / n, cpu / n)
            best = res if best is None or res[1] < best[1] else best
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer samples and repeats")
    p.add_argument("--omp-spin", action="store_true",
                   help="do not set OMP_WAIT_POLICY=PASSIVE (spinning OpenMP workers)")
    args = p.parse_args(argv)
    n_samples, repeats, n_fwd = (200, 1, 3) if args.quick else (1000, 3, 10)
    print(f"torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}")
    print(f"{'model':24s} {'params':>6s} {'dtype':>10s} {'thr':>3s} {'train CPU s/1k':>14s} "
          f"{'train wall s/1k':>15s} {'fwd64 CPU s':>11s} {'fwd64 wall s':>12s}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for cdtype in DTYPES:
            for name, batch in MODELS:
                n_params, (tw, tc) = bench_train(name, batch, cdtype, n_samples, repeats)
                fw, fc = bench_forward(name, cdtype, n_fwd, repeats)
                print(f"{name:24s} {n_params:6d} {cdtype:>10s} {threads:3d} {tc:14.3f} "
                      f"{tw:15.3f} {fc:11.4f} {fw:12.4f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
