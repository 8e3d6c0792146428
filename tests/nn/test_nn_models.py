import numpy as np
import pytest
import torch

from latticeml.errors import ParameterError
from latticeml.nn import (
    LCNN,
    PRESETS,
    BaselineCNN,
    CircularConv,
    ModelInputError,
    build_model,
    count_parameters,
)
from latticeml.testing import (
    assert_gauge_invariant,
    assert_translation_equivariant,
    default_rtol,
    random_links,
)
from tests.nn import reference as ref

SHAPES = {2: (4, 6), 3: (2, 4, 4), 4: (2, 4, 2, 4)}
RTOL = 1e-10


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("d", [2, 4])
@pytest.mark.parametrize(
    "opts",
    [
        dict(channels=[2, 3], kernel_sizes=[2, 3]),
        dict(
            channels=[2],
            kernel_sizes=3,
            offsets="symmetric",
            local=True,
            input_conjugates=True,
            polyakov=True,
            activation="sigmoid",
            head="mean",
            hidden=[4],
            out_features=2,
        ),
    ],
)
def test_lcnn_is_gauge_invariant(n, d, opts, dtype, cdtype):
    torch.manual_seed(0)
    model = LCNN(dim=d, n_colors=n, **opts).to(dtype)
    u = random_links(2, SHAPES[d], n, generator=gen(), dtype=cdtype)
    assert assert_gauge_invariant(model, u, generator=gen(1)) < default_rtol(dtype)


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_parameter_counts(name):
    model = build_model({"preset": name})
    assert count_parameters(model) == PRESETS[name][1]


def test_preset_forward_shapes_and_invariance():
    model = build_model({"preset": "W2x2-small-published", "dtype": "float64"})
    u = random_links(3, (8, 8), 2, generator=gen())
    assert model(u).shape == (3, 8, 8)
    assert assert_gauge_invariant(model, u, generator=gen(2)) < RTOL


@pytest.mark.parametrize("preset", ["W2x2-medium", "W4x4-medium-published"])
def test_same_weights_on_8_and_32_sites_per_axis(preset):
    torch.manual_seed(0)
    model = build_model({"preset": preset, "dtype": "float64"})
    u8 = random_links(2, (8, 8), 2, generator=gen())
    y8 = model(u8)
    u32 = u8.repeat(1, 4, 4, 1, 1, 1)  # a periodic 32x32 lattice made of 4x4 copies
    y32 = model(u32)
    assert y32.shape == (2, 32, 32)
    assert torch.allclose(y32, y8.repeat(1, 4, 4), atol=1e-12)
    assert_translation_equivariant(model, u32, in_axes=[1, 2], out_axes=[1, 2], generator=gen())


@pytest.mark.parametrize("n", [2, 3])
def test_hand_set_lcnn_computes_wilson_loop_1x2(n):
    model = LCNN(dim=2, n_colors=n, channels=[1], kernel_sizes=[2]).double()
    layer = model.layers[0]
    a_lab, t_lab = layer.channel_labels()
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[0, a_lab.index(("W", 0, False)), t_lab.index(("T", 0, 1, 1, False))] = 1
        lin = model.head.net[0]
        lin.weight.zero_()
        lin.weight[0, 0] = 1.0 / n  # Re Tr / N
        lin.bias.zero_()
    u = random_links(2, (4, 6), n, generator=gen())
    got = model(u).detach().numpy()
    for b in range(2):
        np.testing.assert_allclose(got[b], ref.wilson_loop(u[b].numpy(), 1, 2), atol=1e-13)


def _all_grads(model, x):
    model.zero_grad()
    y = model(x)
    (y.square().mean() + y.mean()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().max() > 0, name


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    u = random_links(2, (4, 4), 2, generator=gen(), dtype=torch.complex64)
    _all_grads(
        LCNN(channels=[2, 2], kernel_sizes=[2, 3], polyakov=True, activation="sigmoid", hidden=[4]),
        u,
    )
    _all_grads(build_model({"preset": "W4x4-medium-published"}), u)
    _all_grads(BaselineCNN(dim=2, channels=[4, 4], kernel_sizes=[2, 3], head="mean"), u)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_baseline_cnn_shapes_and_translation_equivariance(d, dtype, cdtype):
    torch.manual_seed(0)
    u = random_links(2, SHAPES[d], 2, generator=gen(), dtype=cdtype)
    model = BaselineCNN(dim=d, channels=[4, 3], kernel_sizes=[2, 3]).to(dtype)
    y = model(u)
    assert y.shape == (2, *SHAPES[d])
    axes = list(range(1, d + 1))
    assert assert_translation_equivariant(
        model, u, in_axes=axes, out_axes=axes, generator=gen()
    ) < default_rtol(dtype)
    pooled = BaselineCNN(dim=d, channels=[4], kernel_sizes=2, head="mean").to(dtype)
    assert pooled(u).shape == (2,)
    assert model.in_channels == 2 * 4 * (d + d * (d - 1) // 2)


def test_conv4d_matches_direct_sum():
    torch.manual_seed(0)
    conv = CircularConv(2, 3, (2, 3, 1, 2), dim=4).double()
    x = torch.randn(1, 2, 4, 3, 2, 4, dtype=torch.float64)
    got = conv(x)
    w, b = conv.weight, conv.bias
    want = torch.zeros_like(got) + b.view(1, -1, 1, 1, 1, 1)
    ks = w.shape[2:]
    for k in np.ndindex(*ks):
        shifts = [-(ki - (kk - 1) // 2) for ki, kk in zip(k, ks, strict=True)]
        xs = torch.roll(x, shifts, dims=[2, 3, 4, 5])
        want = want + torch.einsum("oi,bi...->bo...", w[(slice(None), slice(None), *k)], xs)
    assert torch.allclose(got, want, atol=1e-12)


@pytest.mark.parametrize(
    "bad,match",
    [
        (lambda u: u.real, "complex"),
        (lambda u: u[0], "axes"),
        (lambda u: u[..., :1, :, :], "D = 2"),
        (lambda u: torch.zeros(1, 4, 4, 2, 3, 3, dtype=torch.complex64), "SU\\(2\\)"),
        (lambda u: u.to(torch.complex128), "complex64"),
        (lambda u: 2 * u, "SU\\(2\\) matrices"),
        (lambda u: u.numpy(), "torch.Tensor"),
    ],
)
def test_bad_input_is_rejected_at_the_entry(bad, match):
    model = build_model({"preset": "W2x2-small"})
    u = random_links(1, (4, 4), 2, generator=gen(), dtype=torch.complex64)
    with pytest.raises(ModelInputError, match=match):
        model(bad(u))
    cnn = BaselineCNN(dim=2)
    with pytest.raises(ModelInputError, match=match):
        cnn(bad(u))


def test_build_model_errors_and_options():
    with pytest.raises(ParameterError, match="kind"):
        build_model({"kind": "transformer"})
    with pytest.raises(ParameterError, match="chanels"):
        build_model({"kind": "lcnn", "chanels": [2]})
    with pytest.raises(ParameterError, match="SU\\(N\\)"):
        build_model({"kind": "lcnn", "group": "u1"})
    with pytest.raises(ParameterError, match="preset"):
        build_model({"preset": "W3x3"})
    m = build_model(
        {
            "kind": "lcnn",
            "group": "SU(3)",
            "dim": 4,
            "channels": [2],
            "kernel_sizes": [2],
            "head": "mean",
            "dtype": "float64",
        }
    )
    assert m.n_colors == 3 and next(m.parameters()).dtype == torch.float64
    u = random_links(1, (2, 2, 2, 2), 3, generator=gen())
    assert m(u).shape == (1,)


@pytest.mark.parametrize("conjugates", [True, False])
def test_input_conjugates_equal_explicit_pairs(conjugates):
    torch.manual_seed(0)
    model = LCNN(
        channels=[2, 2],
        kernel_sizes=[2, 3],
        local=True,
        input_conjugates=True,
        conjugates=conjugates,
    ).double()
    u = random_links(2, (4, 6), 2, generator=gen())
    w = model.features(u)
    from latticeml.nn import Plaq
    from latticeml.nn.functional import LinkCache

    cache = LinkCache(u)
    x = Plaq()(u)
    x = torch.cat([x, x.mH], dim=1)
    layer0 = model.layers[0]
    if layer0.paired_input:  # the same layer without folding
        plain = type(layer0)(2, 2, 2, dim=2, local=True, conjugates=conjugates).double()
        plain.load_state_dict(layer0.state_dict())
        layer0 = plain
    x = layer0(cache, x)
    x = model.layers[1](cache, x)
    assert torch.allclose(w, x, atol=1e-12)
    assert assert_gauge_invariant(model, u, generator=gen(1)) < RTOL


GAUGE_NET = {
    "kind": "gauge_net",
    "polyakov": True,
    "head": "mean",
    "hidden": [4],
    "layers": [
        {"type": "lconv", "out_channels": 3, "kernel_size": 2, "unit": True},
        {"type": "lbilin", "out_channels": 3, "with": "input"},
        {"type": "lact", "activation": "tanh"},
        {"type": "lexp"},
        {"type": "lbilin", "out_channels": 2, "with": "self"},
        {"type": "lcb", "out_channels": 2, "kernel_size": 3, "offsets": "symmetric"},
    ],
}


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("d", [2, 4])
def test_gauge_net_with_every_layer_is_invariant(n, d, dtype, cdtype):
    torch.manual_seed(0)
    model = build_model({**GAUGE_NET, "dim": d, "group": f"su{n}", "dtype": str(dtype)[6:]})
    u = random_links(2, SHAPES[d], n, generator=gen(), dtype=cdtype)
    assert model(u).shape == (2,)
    assert assert_gauge_invariant(model, u, generator=gen(1)) < default_rtol(dtype)
    _all_grads(model, u)


def test_gauge_net_rejects_unknown_layers():
    with pytest.raises(ParameterError, match="type"):
        build_model({"kind": "gauge_net", "layers": [{"type": "attention"}]})
    with pytest.raises(ParameterError, match="layers\\[0\\]"):
        build_model({"kind": "gauge_net", "layers": [{"type": "lcb", "kernel_size": 2}]})


def test_group_overrides_the_presets_colour_number():
    model = build_model({"preset": "W2x2-small", "group": "su3"})
    assert model.n_colors == 3
    with pytest.raises(ParameterError):
        build_model({"preset": "W2x2-small", "group": "su3", "n_colors": 2})
