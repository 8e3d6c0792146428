"""Data-parallel training with ``torch.distributed``: the process group of a ``torchrun`` launch.

``torchrun --nproc-per-node N -m latticeml model train ...`` (or across nodes with a rendezvous
endpoint) starts N copies of the same command; each holds the whole model and optimiser and
processes a contiguous share of every global batch. The share's loss is weighted by its part
of the batch, the gradients are summed over processes (``all_reduce``), and every process then
takes the same optimiser step, so the weights stay identical and the run equals a
one-process run with the same global batch up to the order of floating-point sums. Validation
and the full-batch L-BFGS closure are sharded the same way. Only rank 0 writes files, logs and
shows a progress bar.

A process started without ``torchrun`` (or with one process) is its own world of size 1 and
does not touch ``torch.distributed``. The backend is ``gloo`` on CPU and ``nccl`` on CUDA.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist

from latticeml.errors import ParameterError

__all__ = ["World", "SOLO", "join_world", "leave_world"]


@dataclass(frozen=True)
class World:
    """The processes of one training run.

    Attributes
    ----------
    rank : int
        This process, ``0 <= rank < size``; rank 0 writes files and logs.
    size : int
        Number of processes (1: no ``torch.distributed``).
    """

    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        """True on the process that writes files, logs and shows progress."""
        return self.rank == 0

    def share(self, n: int) -> slice:
        """Return the slice of ``n`` items this process takes (contiguous, sizes +- 1)."""
        base, extra = divmod(n, self.size)
        lo = self.rank * base + min(self.rank, extra)
        return slice(lo, lo + base + (1 if self.rank < extra else 0))

    def sum_(self, tensors: Iterable[torch.Tensor]) -> None:
        """Sum each tensor over the processes, in place (nothing to do in a world of one)."""
        if self.size == 1:
            return
        for t in tensors:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)

    def sum_grads_(self, net: torch.nn.Module) -> None:
        """Sum the parameters' gradients over the processes (missing gradients count as 0)."""
        if self.size == 1:
            return
        grads = []
        for p in net.parameters():
            if p.requires_grad:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                grads.append(p.grad)
        flat = torch.cat([g.reshape(-1) for g in grads])  # one message, not one per tensor
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    def sum_float(self, value: float, device: torch.device) -> float:
        """Sum a number over the processes."""
        if self.size == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return float(t[0])

    def from_main(self, value: float, device: torch.device) -> float:
        """Rank 0's value of a number (clocks differ between processes; decisions must not)."""
        if self.size == 1:
            return value
        t = torch.tensor([value if self.main else 0.0], dtype=torch.float64, device=device)
        dist.broadcast(t, src=0)
        return float(t[0])

    def broadcast_(self, net: torch.nn.Module) -> None:
        """Give every process rank 0's parameters and buffers."""
        if self.size == 1:
            return
        for t in list(net.parameters()) + list(net.buffers()):
            dist.broadcast(t.data, src=0)

    def barrier(self) -> None:
        """Wait for every process."""
        if self.size > 1:
            dist.barrier()


#: The world of a process started without ``torchrun``.
SOLO = World()


def join_world(device: torch.device) -> World:
    """Join the process group of a ``torchrun`` launch, or return a world of one.

    Parameters
    ----------
    device : torch.device
        The training device: ``gloo`` for CPU, ``nccl`` for CUDA (each process then uses
        the GPU of its local rank).

    Returns
    -------
    World

    Raises
    ------
    ParameterError
        If launched with several processes on a device without a backend here.
    """
    if not (dist.is_available() and dist.is_torchelastic_launched()):
        return SOLO
    if dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size())
    backend = "nccl" if device.type == "cuda" else "gloo"
    if backend == "nccl" and not dist.is_nccl_available():
        raise ParameterError("--device", "cpu (torch has no NCCL here)", str(device))
    dist.init_process_group(backend=backend)
    world = World(dist.get_rank(), dist.get_world_size())
    if world.size == 1:
        dist.destroy_process_group()
    elif backend == "nccl":
        torch.cuda.set_device(dist.get_node_local_rank(fallback_rank=world.rank))
    return world


def leave_world(world: World) -> None:
    """Leave the process group joined by :func:`join_world` (nothing for a world of one)."""
    if world.size > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
