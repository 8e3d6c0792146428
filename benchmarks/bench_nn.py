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

3+1D (``--dim 4``): the W2x2-small L-CNN of the 3+1D study (1449 parameters, the published
small 3+1D model: two GCMConv layers of 2 channels, kernel 2, trace, linear) on 4x8^3 SU(2),
batch 10, per-site MSE, AdamW step; seconds per 1000 samples.  With ``--reference DIR`` (a
checkout of the official L-CNN code, gitlab.com/openpixi/lge-cnn: ``DIR/lge_cnn/nn/layers.py``)
the same network built from the official layers runs in the same process, on the same links
(plaquettes precomputed for it, as its data loader does), and the ratio is printed.
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


def _reference_layers(directory):
    """Import ``lge_cnn/nn/layers.py`` of the official code from ``directory`` (by path)."""
    import importlib.util

    path = os.path.join(directory, "lge_cnn", "nn", "layers.py")
    spec = importlib.util.spec_from_file_location("lge_cnn_layers_reference", path)
    if spec is None or not os.path.isfile(path):
        raise SystemExit(f"--reference: no {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_net(layers, dims, dtype):
    """The published small 3+1D L-CNN from the official layers (1449 parameters)."""
    d = len(dims)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = torch.nn.ModuleList([
                layers.GCMConv(dims=dims, kernel_size=2, dilation=0, n_in=d * (d - 1) // 2,
                               n_out=2, nc=2),
                layers.GCMConv(dims=dims, kernel_size=2, dilation=0, n_in=2, n_out=2, nc=2)])
            self.tr = layers.GCTrace(dims)
            self.linear = torch.nn.Linear(4, 1)

        def forward(self, x):
            b = x.shape[0]
            for conv in self.convs:
                x = conv(x)
            x = self.tr(x).reshape(b * x.shape[1], -1)
            return self.linear(x).view(b, -1)

    net = Net().to(dtype)
    for conv in net.convs:  # the official unit matrix is float32; follow the network's dtype
        conv.unit_matrix = conv.unit_matrix.to(dtype)
    return net


def _reference_input(links):
    """``(B, V, D + P, N, N, 2)`` real: links and plaquettes, the official data layout."""
    from latticeml.nn.functional import plaquettes

    b, shape, d, n = links.shape[0], links.shape[1:-3], links.shape[-3], links.shape[-1]
    u = links.reshape(b, -1, d, n, n)
    p = plaquettes(links).reshape(b, -1, *shape).movedim(1, -1).reshape(b, -1, d * (d - 1)
                                                                         // 2, n, n)
    return torch.view_as_real(torch.cat([u, p], dim=2)).contiguous()


def _train_step_timer(model, x, y, n_samples, repeats, batch):
    try:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, amsgrad=True, fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, amsgrad=True)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x).reshape(y.shape), y)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    steps = max(1, n_samples // batch)
    best = None
    for _ in range(repeats):
        wall, cpu = _timed(step, steps)
        scale = 1000.0 / (steps * batch)
        res = (wall * scale, cpu * scale)
        best = res if best is None or res[1] < best[1] else best
    return best


def bench_4d(reference, n_samples, repeats, batch=10, shape=(4, 8, 8, 8)):
    """3+1D W2x2-small training step, ours and (optionally) the official layers."""
    layers = _reference_layers(reference) if reference else None
    print(f"3+1D W2x2-small training step, {'x'.join(map(str, shape))} SU(2), batch {batch}, "
          "s per 1000 samples (best of repeats by CPU time)")
    print(f"{'dtype':>10s} {'thr':>3s} {'latticeml CPU':>13s} {'wall':>8s} "
          f"{'official CPU':>12s} {'wall':>8s} {'speed-up (CPU)':>14s}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for cdtype, rdtype in DTYPES.items():
            links = random_links(batch, shape, 2, generator=torch.Generator().manual_seed(0),
                                 dtype=getattr(torch, cdtype))
            y = torch.rand(batch, *shape, dtype=rdtype)
            torch.manual_seed(0)
            ours = build_model({"preset": "W2x2-small", "dim": len(shape)}).to(rdtype)
            assert count_parameters(ours) == 1449
            ow, oc = _train_step_timer(ours, links, y, n_samples, repeats, batch)
            line = f"{cdtype:>10s} {threads:3d} {oc:13.3f} {ow:8.3f}"
            if layers is not None:
                torch.manual_seed(0)
                ref = _reference_net(layers, list(shape), rdtype)
                assert sum(p.numel() for p in ref.parameters()) == 1449
                rw, rc = _train_step_timer(ref, _reference_input(links),
                                           y.reshape(batch, -1), n_samples, repeats, batch)
                line += f" {rc:12.3f} {rw:8.3f} {rc / oc:13.1f}x"
            print(line, flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer samples and repeats")
    p.add_argument("--omp-spin", action="store_true",
                   help="do not set OMP_WAIT_POLICY=PASSIVE (spinning OpenMP workers)")
    p.add_argument("--dim", type=int, choices=(2, 4), default=2,
                   help="2: the 8x8 / 64x64 table (default); 4: the 3+1D training step")
    p.add_argument("--reference", metavar="DIR",
                   help="with --dim 4: time the official L-CNN layers from DIR in the same run")
    args = p.parse_args(argv)
    n_samples, repeats, n_fwd = (200, 1, 3) if args.quick else (1000, 3, 10)
    print(f"torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}")
    if args.dim == 4:
        bench_4d(args.reference, 20 if args.quick else 100, 1 if args.quick else 3)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
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
