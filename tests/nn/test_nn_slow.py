import numpy as np
import pytest
import torch

from latticeml.nn import LCNN, PRESETS, LConvBilin, build_model
from latticeml.testing import assert_gauge_invariant, random_links
from tests.nn import reference as ref


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.slow
@pytest.mark.parametrize(
    "opts", [dict(offsets="symmetric", local=True), dict(offsets="forward", dilation=2)]
)
def test_lconvbilin_matches_reference_3d_su3(opts):
    torch.manual_seed(1)
    u = random_links(1, (2, 4, 4), 3, generator=gen())
    w = torch.randn(1, 2, 2, 4, 4, 3, 3, dtype=torch.complex128, generator=gen(2))
    layer = LConvBilin(2, 2, 3, dim=3, **opts).double()
    got = layer(u, w)[0].detach().numpy()
    want = ref.lconvbilin(
        u[0].numpy(),
        w[0].numpy(),
        layer.weight.detach().numpy(),
        kernel_size=3,
        dilation=opts.get("dilation", 1),
        mode=opts["offsets"],
        local=opts.get("local", False),
    )
    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PRESETS if n.startswith("W4x4")])
def test_large_presets_invariant_on_16x16(name):
    torch.manual_seed(0)
    model = build_model({"preset": name, "dtype": "float64"})
    u = random_links(2, (16, 16), 2, generator=gen())
    assert assert_gauge_invariant(model, u, generator=gen(3)) < 1e-10


@pytest.mark.slow
def test_lcnn_4d_su3_on_8_to_the_4():
    torch.manual_seed(0)
    model = LCNN(
        dim=4, n_colors=3, channels=[4, 4], kernel_sizes=[2, 2], polyakov=True, head="mean"
    ).double()
    u = random_links(1, (8, 4, 4, 4), 3, generator=gen())
    assert assert_gauge_invariant(model, u, n_trials=1, generator=gen(4)) < 1e-10
