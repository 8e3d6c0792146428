import numpy as np
import pytest
import torch

from latticeml.nn import LAct, LBilin, LConv, LConvBilin, LExp, Plaq, Poly, Trace
from latticeml.nn.functional import LinkCache
from latticeml.testing import (
    assert_gauge_equivariant,
    assert_gauge_invariant,
    assert_translation_equivariant,
    default_rtol,
    random_links,
)
from tests.nn import reference as ref

SHAPES = {2: (4, 6), 4: (2, 4, 2, 4)}
CASES = [(n, d) for n in (2, 3) for d in (2, 4)]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def setup(n, d, channels=2, batch=2, seed=0, dtype=torch.float64):
    """Links and channels in the complex dtype of the real ``dtype`` (complex128 by default)."""
    torch.manual_seed(seed)
    cdtype = torch.complex64 if dtype == torch.float32 else torch.complex128
    u = random_links(batch, SHAPES[d], n, generator=gen(seed), dtype=cdtype)
    w = torch.randn(
        batch, channels, *SHAPES[d], n, n, dtype=torch.complex128, generator=gen(seed + 1)
    ).to(cdtype)
    return u, w


@pytest.mark.parametrize("n,d", CASES)
def test_plaq_and_poly_are_equivariant(n, d, dtype):
    u, _ = setup(n, d, dtype=dtype)
    rtol = default_rtol(dtype)
    assert assert_gauge_equivariant(lambda x: Plaq(conjugates=True)(x), u) < rtol
    assert assert_gauge_equivariant(lambda x: Poly(axis=0)(x), u) < rtol
    assert assert_gauge_equivariant(lambda x: Poly(axis=d - 1, conjugates=True)(x), u) < rtol


@pytest.mark.parametrize("n,d", CASES)
@pytest.mark.parametrize(
    "opts",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, offsets="symmetric", local=False, unit=True),
        dict(kernel_size=3, dilation=2),
    ],
)
def test_lconv_is_equivariant(n, d, opts, dtype):
    u, w = setup(n, d, dtype=dtype)
    layer = LConv(2, 3, dim=d, **opts).to(dtype)
    assert assert_gauge_equivariant(layer, u, w) < default_rtol(dtype)


@pytest.mark.parametrize("n,d", CASES)
@pytest.mark.parametrize(
    "opts",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, offsets="symmetric", local=True),
        dict(kernel_size=3, dilation=2, unit=False, conjugates=False),
    ],
)
def test_lconvbilin_is_equivariant(n, d, opts, dtype):
    u, w = setup(n, d, dtype=dtype)
    layer = LConvBilin(2, 3, dim=d, **opts).to(dtype)
    assert assert_gauge_equivariant(layer, u, w) < default_rtol(dtype)


@pytest.mark.parametrize("n,d", CASES)
def test_lbilin_lact_lexp_trace_are_equivariant(n, d, dtype):
    u, w = setup(n, d, dtype=dtype)
    rtol = default_rtol(dtype)
    w2 = torch.randn(2, 1, *SHAPES[d], n, n, dtype=torch.complex128, generator=gen(5)).to(w.dtype)
    bil = LBilin(2, 1, 3).to(dtype)
    assert assert_gauge_equivariant(lambda x, a, b: bil(a, b), u, w, w2) < rtol
    act = LAct(2, "tanh").to(dtype)
    assert assert_gauge_equivariant(lambda x, a: act(a), u, w) < rtol
    lexp = LExp(2, dim=d).to(dtype)
    assert assert_gauge_equivariant(lexp, u, w, output="links") < rtol
    assert assert_gauge_invariant(lambda x, a: Trace()(a), u, w) < rtol


@pytest.mark.parametrize("n", [2, 3])
def test_lexp_keeps_links_in_su_n(n):
    u, w = setup(n, 2)
    new = LExp(2, dim=2, init_scale=1.0).double()(u, w)
    eye = torch.eye(n, dtype=u.dtype)
    assert (new @ new.mH - eye).abs().max() < 1e-12
    assert (torch.linalg.det(new) - 1).abs().max() < 1e-12


@pytest.mark.parametrize(
    "opts",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, local=True),
        dict(kernel_size=2, offsets="symmetric", local=True, dilation=2),
        dict(kernel_size=3, unit=False, conjugates=False),
    ],
)
def test_lconvbilin_matches_loop_reference(opts):
    u, w = setup(2, 2, channels=2, batch=1)
    layer = LConvBilin(2, 2, dim=2, **opts).double()
    got = layer(u, w)[0].detach().numpy()
    kw = dict(
        kernel_size=opts["kernel_size"],
        dilation=opts.get("dilation", 1),
        mode=opts.get("offsets", "forward"),
        local=opts.get("local", False),
        unit=opts.get("unit", True),
        conjugates=opts.get("conjugates", True),
    )
    want = ref.lconvbilin(u[0].numpy(), w[0].numpy(), layer.weight.detach().numpy(), **kw)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_lconv_matches_loop_reference():
    u, w = setup(3, 2, channels=2, batch=1)
    layer = LConv(2, 3, 3, dim=2, offsets="symmetric", unit=True).double()
    got = layer(LinkCache(u), w)[0].detach().numpy()
    want = ref.lconv(
        u[0].numpy(),
        w[0].numpy(),
        layer.weight.detach().numpy(),
        kernel_size=3,
        mode="symmetric",
        local=True,
        unit=True,
    )
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_parameter_count_formula():
    for c_in, c_out, k, d in [(1, 2, 2, 2), (4, 6, 4, 2), (3, 2, 3, 4)]:
        layer = LConvBilin(c_in, c_out, k, dim=d)
        assert layer.weight.numel() == c_out * (2 * c_in + 1) * (2 * c_in * d * (k - 1) + 1)
        layer = LConvBilin(c_in, c_out, k, dim=d, local=True)
        assert layer.weight.numel() == c_out * (2 * c_in + 1) * (2 * c_in * (d * (k - 1) + 1) + 1)


def test_channel_labels_order():
    a, t = LConvBilin(1, 1, 2, dim=2).channel_labels()
    assert a == [("W", 0, False), ("W", 0, True), ("1",)]
    assert t == [
        ("T", 0, 0, 1, False),
        ("T", 0, 1, 1, False),
        ("T", 0, 0, 1, True),
        ("T", 0, 1, 1, True),
        ("1",),
    ]


def test_layers_are_translation_equivariant(dtype):
    u, w = setup(2, 2, dtype=dtype)
    rtol = default_rtol(dtype)
    layer = LConvBilin(2, 2, 3, dim=2, offsets="symmetric", local=True).to(dtype)
    axes_u, axes_w = [1, 2], [2, 3]
    assert (
        assert_translation_equivariant(
            layer, (u, w), in_axes=[axes_u, axes_w], out_axes=axes_w, generator=gen()
        )
        < rtol
    )
    assert (
        assert_translation_equivariant(
            lambda x: Plaq()(x), u, in_axes=axes_u, out_axes=axes_w, generator=gen()
        )
        < rtol
    )


def test_layer_runs_on_any_lattice_size():
    layer = LConvBilin(1, 2, 2, dim=2).double()
    for shape in [(8, 8), (32, 32), (4, 10)]:
        u = random_links(1, shape, 2, generator=gen())
        out = layer(u, Plaq()(u))
        assert out.shape == (1, 2, *shape, 2, 2)


def test_paired_input_folding_is_exact():
    u, w = setup(3, 2, channels=2, batch=2)
    w2 = torch.cat([w, w.mH], dim=1)  # [W, W^dagger] input channels
    plain = LConvBilin(4, 3, 3, dim=2, local=True).double()
    paired = LConvBilin(4, 3, 3, dim=2, local=True, paired_input=True).double()
    paired.load_state_dict(plain.state_dict())
    assert torch.allclose(paired(u, w2), plain(u, w2), atol=1e-12)
    g1 = torch.autograd.grad(plain(u, w2).abs().sum(), plain.weight)[0]
    g2 = torch.autograd.grad(paired(u, w2).abs().sum(), paired.weight)[0]
    # duplicated channels share their gradient sum; the loss is the same function of the weights
    assert torch.allclose(g1, g2, atol=1e-10)


@pytest.mark.parametrize("unit,conjugates", [(True, True), (False, True), (True, False)])
def test_lbilin_matches_loop_reference(unit, conjugates):
    u, w = setup(3, 2, channels=2, batch=1)
    w2 = torch.randn(1, 3, 4, 6, 3, 3, dtype=torch.complex128, generator=gen(9))
    layer = LBilin(2, 3, 2, unit=unit, conjugates=conjugates).double()
    got = layer(w, w2)[0].detach().numpy()
    want = ref.lbilin(
        w[0].numpy(), w2[0].numpy(), layer.weight.detach().numpy(), unit=unit, conjugates=conjugates
    )
    np.testing.assert_allclose(got, want, atol=1e-12)
