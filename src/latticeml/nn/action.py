"""A gauge-invariant lattice action parametrised by an L-CNN (the fixed-point action's form).

``A[U] = sum_x [a(U)(x) - a(1)(x)]``: the sum over sites of an L-CNN's per-site output
(:class:`latticeml.nn.models.LCNN`, site head, one output), minus its value on the unit
configuration of the same lattice. The L-CNN is gauge invariant, so ``A`` vanishes exactly on
every pure-gauge field (gauge transforms of the unit), as a fixed-point action must; the
subtraction is one evaluation of the unit configuration per lattice shape (translation
invariance makes ``a(1)`` the same at every site). Positivity is not imposed; the tests of a
trained action check it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from latticeml.nn.models import LCNN

__all__ = ["ActionLCNN", "wilson_action_lcnn", "wilson_action_spec"]


class ActionLCNN(nn.Module):
    """``A[U] = sum_x [a(U)(x) - a(1)(x)]`` with ``a`` an L-CNN (keywords as :class:`LCNN`).

    The head is the per-site one with one output and no Polyakov-loop input (an action is
    local). The defaults are the published fixed-point parametrisation: SU(3) in 4D, three
    L-CB layers of 12, 24, 24 channels with kernel sizes 2, 2, 1 (with the local term, which a
    kernel of size 1 needs). Links
    ``(B, *shape, D, N, N)`` -> actions ``(B,)``.
    """

    def __init__(self, *, dim: int = 4, n_colors: int = 3, channels: Sequence[int] = (12, 24, 24),
                 kernel_sizes: int | Sequence[int] = (2, 2, 1),
                 dilations: int | Sequence[int] = 1, offsets: str = "forward",
                 local: bool = True, unit: bool = True, conjugates: bool = True,
                 planes: Sequence[Sequence[int]] | None = None, input_conjugates: bool = False,
                 activation: str | None = None, hidden: Sequence[int] = (),
                 head_activation: str = "relu", check_group: bool = True,
                 init_scale: float = 1.0) -> None:
        super().__init__()
        self.density = LCNN(
            dim=dim, n_colors=n_colors, channels=channels, kernel_sizes=kernel_sizes,
            dilations=dilations, offsets=offsets, local=local, unit=unit, conjugates=conjugates,
            planes=planes, input_conjugates=input_conjugates, polyakov=False,
            activation=activation, head="site", hidden=hidden, head_activation=head_activation,
            out_features=1, check_group=check_group, init_scale=init_scale)
        self.dim, self.n_colors = self.density.dim, self.density.n_colors

    def forward(self, links: torch.Tensor) -> torch.Tensor:  # noqa: D102
        d = links.shape[-3]
        n = links.shape[-1]
        dens = self.density(links).reshape(links.shape[0], -1)
        unit = torch.eye(n, dtype=links.dtype, device=links.device).expand(
            1, *links.shape[1:1 + d], d, n, n)
        vacuum = self.density(unit).reshape(1, -1)
        return (dens - vacuum).sum(dim=1)


def wilson_action_spec(dim: int, n_colors: int, dtype: str = "float64") -> dict:
    """Return the model spec of :func:`wilson_action_lcnn` (``build_model`` mapping)."""
    return {"kind": "action", "dim": int(dim), "group": f"su{int(n_colors)}", "channels": [1],
            "kernel_sizes": [1], "local": True, "unit": True, "conjugates": False,
            "dtype": dtype}


def wilson_action_lcnn(dim: int, n_colors: int, dtype: str = "float64") -> ActionLCNN:
    """Return an :class:`ActionLCNN` that is exactly the Wilson action in fixed-point units.

    ``A[U] = sum_x sum_{mu<nu} (1 - Re Tr U_p / N)``: one L-CB layer of one channel and kernel
    size 1 whose output is the sum of the plaquettes of a site (unit times each plaquette), a
    trace, and a head with weight ``-1/N`` on the real part; the vacuum subtraction supplies
    the constant. The start of the fixed-point iteration, and a model action whose HMC chain
    must be the Wilson chain (a test of the model-action path).

    Parameters
    ----------
    dim : int
        Number of dimensions ``D`` (2, 3 or 4).
    n_colors : int
        ``N`` of SU(N) (2 or 3).
    dtype : {'float64', 'float32'}
        Precision of the weights.
    """
    from latticeml.nn.build import build_model

    model = build_model(wilson_action_spec(dim, n_colors, dtype))
    planes = dim * (dim - 1) // 2
    state = model.state_dict()
    weight = torch.zeros_like(state["density.layers.0.weight"])
    weight[0, :planes, planes] = 1.0  # W'(x) = sum_p U_p(x) 1
    state["density.layers.0.weight"] = weight
    head = torch.zeros_like(state["density.head.net.0.weight"])
    head[0, 0] = -1.0 / n_colors  # -Re Tr W' / N
    state["density.head.net.0.weight"] = head
    state["density.head.net.0.bias"] = torch.zeros_like(state["density.head.net.0.bias"])
    model.load_state_dict(state)
    return model
