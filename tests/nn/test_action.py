"""ActionLCNN: gauge invariant (float64, random), zero on pure gauge fields, with controls."""

from __future__ import annotations

import pytest
import torch

from latticeml.errors import ParameterError
from latticeml.nn import build_model
from latticeml.testing import gauge_transform_links, random_gauge_transformation, random_links


@pytest.mark.parametrize("n, shape, spec", [
    (2, (4, 4), {"channels": [3, 2], "kernel_sizes": [2, 1]}),
    (3, (2, 2, 2, 4), {"channels": [2, 2], "kernel_sizes": [2, 1]}),
    (3, (2, 2, 2, 2), {}),  # the published 12/24/24, kernels 2/2/1
], ids=["su2-2d", "su3-4d", "su3-4d-published"])
def test_action_is_gauge_invariant_and_vanishes_on_pure_gauge(n, shape, spec):
    g = torch.Generator().manual_seed(5)
    model = build_model({"kind": "action", "dim": len(shape), "group": f"su{n}",
                         "dtype": "float64", **spec})
    u = random_links(2, shape, n, generator=g)
    omega = random_gauge_transformation(2, shape, n, generator=g)
    a = model(u)
    assert a.shape == (2,)
    b = model(gauge_transform_links(u, omega))
    assert (a - b).abs().max() < 1e-12 * a.abs().max()
    # negative control: a right multiplication by a random field is not a gauge transformation
    twisted = u @ random_gauge_transformation(2, shape, n, generator=g).unsqueeze(-3)
    assert (model(twisted) - a).abs().max() > 1e-3 * a.abs().max()
    unit = torch.eye(n, dtype=u.dtype).expand(2, *shape, len(shape), n, n).contiguous()
    assert model(gauge_transform_links(unit, omega)).abs().max() < 1e-11


def test_action_spec_refuses_a_head():
    with pytest.raises(ParameterError, match="head"):
        build_model({"kind": "action", "dim": 2, "group": "su2", "head": "mean"})
