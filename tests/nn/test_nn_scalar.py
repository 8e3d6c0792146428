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
