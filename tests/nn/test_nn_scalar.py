import pytest
import torch

from latticeml.nn import EQ, FL, ST, FluxClassifier, ModelInputError, build_model
from latticeml.testing import assert_translation_equivariant


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def batch(shape=(8, 8), b=3, seed=0):
    g = gen(seed)
    k = torch.randint(-2, 3, (b, 2, *shape), generator=g)
    l_ = torch.randint(0, 3, (b, 2, *shape), generator=g)
    return torch.cat([k, l_], dim=1).double()


def test_eq_is_invariant_under_rolls_on_any_size():
    torch.manual_seed(0)
    model = EQ(channels=[4, 6], kernel_sizes=[2, 3], hidden=[5]).double()
    for shape in [(8, 8), (16, 4), (6, 10)]:
        x = batch(shape)
        assert model(x).shape == (3, 2)
        assert assert_translation_equivariant(model, x, in_axes=[2, 3], n_trials=3,
                                              generator=gen()) < 1e-10


@pytest.mark.parametrize("pool", [None, "avg", "max"])
def test_st_is_invariant_under_stride_multiples_only(pool):
    torch.manual_seed(0)
    model = ST(channels=[4, 4], kernel_sizes=3, strides=2, pool=pool).double()
    assert model.total_stride == 4
    x = batch((8, 8))
    assert assert_translation_equivariant(model, x, in_axes=[2, 3], step=4, n_trials=3,
                                          generator=gen()) < 1e-10
    moved = model(torch.roll(x, (1, 0), dims=(2, 3)))
    assert (moved - model(x)).abs().max() > 1e-8  # a one-site shift is not a symmetry


def test_fl_works_on_one_size_only():
    model = FL((8, 8), channels=[3], kernel_sizes=3, hidden=[6]).double()
    assert model(batch((8, 8))).shape == (3, 2)
    with pytest.raises(ModelInputError, match="one lattice size"):
        model(batch((16, 16)))


def test_flux_classifier_any_size_and_detects_a_violation():
    torch.manual_seed(0)
    model = FluxClassifier(channels=[4], kernel_sizes=2).double()
    for shape in [(8, 8), (12, 20)]:
        assert model(batch(shape)).shape == (3,)
        assert assert_translation_equivariant(model, batch(shape), in_axes=[2, 3],
                                              generator=gen()) < 1e-10


def test_scalar_models_from_specs_and_gradients():
    for spec in [{"kind": "eq"}, {"kind": "st"}, {"kind": "fl", "input_shape": [8, 8]},
                 {"kind": "flux"}]:
        model = build_model(spec)
        x = batch((8, 8)).float()
        model(x).square().mean().backward()
        for name, p in model.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), (spec, name)


def test_scalar_bad_input():
    model = EQ()
    with pytest.raises(ModelInputError, match="channels|N_t"):
        model(torch.zeros(2, 3, 8, 8))
    with pytest.raises(ModelInputError, match="real floating"):
        model(torch.zeros(2, 4, 8, 8, dtype=torch.complex64))


# --- the linear skip path and the feature channels (issue 23): spec options, default off ----

FEATS = ["k", "l", "abs_k", "site_flux"]


@pytest.mark.parametrize("features", [None, FEATS, ["site_flux"]])
def test_eq_with_linear_skip_and_features_is_translation_invariant_in_float64(features):
    torch.manual_seed(1)
    model = EQ(channels=[4, 6], kernel_sizes=[2, 3], hidden=[5], skip="linear",
               features=features).double()
    for p in model.head.parameters():  # the branch starts at zero: make it count
        torch.nn.init.normal_(p)
    for shape in [(8, 8), (16, 4), (6, 10)]:
        assert assert_translation_equivariant(model, batch(shape), in_axes=[2, 3], n_trials=3,
                                              generator=gen()) < 1e-12


@pytest.mark.parametrize("pool", [None, "avg"])
def test_st_with_linear_skip_keeps_its_stride_symmetry(pool):
    torch.manual_seed(1)
    model = ST(channels=[4, 4], kernel_sizes=3, strides=2, pool=pool, skip="linear",
               features=FEATS).double()
    for p in model.head.parameters():
        torch.nn.init.normal_(p)
    x = batch((8, 8))
    assert assert_translation_equivariant(model, x, in_axes=[2, 3], step=4, n_trials=3,
                                          generator=gen()) < 1e-12


def test_site_flux_channel_matches_the_observables_definition():
    from latticeml.nn.scalar_cnn import site_flux
    from latticeml.observables.scalar import site_flux as reference

    x = batch((6, 4), b=3)
    kl = x.movedim(1, -1).numpy()  # (B, N_t, N_x, 4)
    expected = reference(kl[..., :2].astype(int), kl[..., 2:].astype(int))
    assert torch.equal(site_flux(x)[:, 0], torch.from_numpy(expected).double())


def test_features_are_built_in_spec_order():
    model = EQ(channels=[2], kernel_sizes=[1], features=["site_flux", "abs_k", "l"]).double()
    x = batch((4, 6))
    z = model._features(x)
    assert z.shape == (3, 5, 4, 6)
    assert torch.equal(z[:, 1:3], x[:, :2].abs()) and torch.equal(z[:, 3:], x[:, 2:])
    assert model.convs[0].weight.shape[1] == 5


def test_linear_skip_starts_as_a_linear_map_of_the_averages():
    torch.manual_seed(2)
    model = EQ(channels=[4, 4], kernel_sizes=[3, 1], out_features=1, skip="linear",
               features=["k", "l", "abs_k"]).double()
    x = batch((12, 6), b=5)
    feats = torch.cat([x, x[:, :2].abs()], dim=1).mean(dim=(2, 3))
    expected = feats @ model.linear.weight[0]
    assert torch.allclose(model(x), expected, rtol=0, atol=1e-14)
    assert model.linear.weight.shape == (1, 6)


def test_linear_skip_represents_the_charge_density_exactly_on_any_lattice():
    model = EQ(channels=[4], kernel_sizes=[3], out_features=1, skip="linear").double()
    with torch.no_grad():
        model.linear.weight.zero_()
        model.linear.weight[0, 0] = 1.0  # n = <k_t>
    for shape in [(6, 2), (60, 4), (20, 10)]:
        x = batch(shape, b=4)
        x[:, 0] = torch.randint(-3, 6, x[:, 0].shape, generator=gen(3)).double()
        assert torch.allclose(model(x), x[:, 0].mean(dim=(1, 2)), rtol=0, atol=1e-14)


def test_default_scalar_models_are_unchanged_and_options_are_checked():
    from latticeml.errors import ParameterError

    for model in (EQ(), ST(), EQ(skip=None, features=["k", "l"])):
        assert not any(k.startswith("linear") for k in model.state_dict())
        assert model.convs[0].weight.shape[1] == 4
        assert model.features == ("k", "l")
    assert "linear.weight" in build_model({"kind": "eq", "skip": "linear"}).state_dict()
    for bad in ({"skip": "residual"}, {"features": "k"}, {"features": ["k", "k"]},
                {"features": ["phi"]}, {"features": []},
                {"in_channels": 3, "features": ["k"]}):
        with pytest.raises(ParameterError, match="skip|features"):
            EQ(**bad)


def test_committed_scalar_model_files_still_load():
    from pathlib import Path

    from latticeml.nn import load_model

    root = Path(__file__).resolve().parents[2] / "docs" / "results" / "scalar-2d" / "models"
    if not (root / "n_eq.pt").is_file():
        pytest.skip("no committed scalar models")
    model = load_model(root / "n_eq.pt", check_version=False).double()
    x = torch.zeros(1, 4, 60, 4, dtype=torch.float64)
    x[0, 0, :, 1] = 2.0  # two charges winding in time: n = 2 / N_x = 0.5
    assert abs(model(x).item() - 0.5) < 0.05


@pytest.mark.slow
def test_local_eq_with_linear_skip_extrapolates_the_charge_density_to_empty_lattices():
    """Issue 23 in miniature: train where almost every site holds charge, test where few do."""
    g = gen(5)

    def fields(b, shape, p_empty):
        p = torch.as_tensor(p_empty, dtype=torch.float64).reshape(-1, 1, 1).expand(b, *shape)
        k = torch.randint(1, 3, (b, *shape), generator=g).double()
        k[torch.rand(b, *shape, generator=g, dtype=torch.float64) < p] = 0.0
        x = torch.zeros(b, 4, *shape, dtype=torch.float64)
        x[:, 0] = k
        x[:, 2:] = torch.randint(0, 2, (b, 2, *shape), generator=g).double()
        return x

    x = fields(256, (12, 4), torch.rand(256, generator=g, dtype=torch.float64) * 0.2 + 0.2)
    y = x[:, 0].mean(dim=(1, 2))
    mean, std = y.mean(), y.std()
    torch.manual_seed(0)
    model = EQ(channels=[8, 8], kernel_sizes=[1, 1], out_features=1, skip="linear",
               features=["k"]).double()
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(25):
        for idx in torch.randperm(256, generator=g).split(32):
            opt.zero_grad()
            loss = ((model(x[idx]) - (y[idx] - mean) / std) ** 2).mean()
            loss.backward()
            opt.step()
    test = fields(64, (40, 10), 0.95)  # mostly empty, another lattice
    with torch.no_grad():
        pred = model(test) * std + mean
    truth = test[:, 0].mean(dim=(1, 2))
    assert (pred - truth).abs().max() < 0.01 * float(std)
