"""Input validation of the models without a device synchronisation in the forward pass.

A ``meta`` tensor stands in for an accelerator: it has no data, so any host read of a value
(``.item()``, ``bool()``, ``float()``) raises.  A forward pass that runs on ``meta`` therefore
reads nothing back from the device.
"""

import pytest
import torch

import latticeml.nn.validation as V
from latticeml.nn import BaselineCNN, ModelInputError, build_model, check_links
from latticeml.testing import random_links

SPECS = [{"preset": "W2x2-small"}, {"preset": "W4x4-medium-published"}]


@pytest.fixture
def host_reads(monkeypatch):
    """Count the group check's host reads (answering 'SU(N)') with a fresh layout cache."""
    calls = []

    def fake(flag):
        calls.append(flag.device.type)
        return True

    monkeypatch.setattr(V, "_host_bool", fake)
    monkeypatch.setattr(V, "_CHECKED_ON_DEVICE", set())
    return calls


def _meta_links(batch, shape, n=2):
    return torch.empty(batch, *shape, len(shape), n, n, dtype=torch.complex64, device="meta")


@pytest.mark.parametrize("spec", SPECS)
def test_forward_on_an_accelerator_reads_nothing_back_after_the_first_batch(spec, host_reads):
    model = build_model(spec).to("meta")
    assert model(_meta_links(4, (8, 8))).shape == (4, 8, 8)
    assert host_reads == ["meta"]  # the first batch of this layout is checked once
    for batch in (4, 4, 1):  # other batch sizes, same lattice: no further read
        assert model(_meta_links(batch, (8, 8))).shape == (batch, 8, 8)
    assert host_reads == ["meta"]
    model(_meta_links(2, (16, 8)))  # a new lattice shape is checked once more
    model(_meta_links(2, (16, 8)))
    assert host_reads == ["meta", "meta"]


def test_baseline_cnn_forward_on_an_accelerator(host_reads):
    model = BaselineCNN(dim=2, channels=[4], kernel_sizes=[2]).to("meta")
    for _ in range(3):
        assert model(_meta_links(2, (4, 6))).shape == (2, 4, 6)
    assert host_reads == ["meta"]


def test_layout_checks_still_run_on_an_accelerator(host_reads):
    model = build_model(SPECS[0]).to("meta")
    model(_meta_links(2, (8, 8)))
    with pytest.raises(ModelInputError, match="SU\\(2\\)"):
        model(_meta_links(2, (8, 8), n=3))
    with pytest.raises(ModelInputError, match="complex64"):
        model(_meta_links(2, (8, 8)).to(torch.complex128))
    with pytest.raises(ModelInputError, match="axes"):
        model(_meta_links(2, (8, 8))[0])


def test_cpu_links_are_checked_on_every_call():
    model = build_model(SPECS[0])
    u = random_links(
        2, (4, 4), 2, generator=torch.Generator().manual_seed(0), dtype=torch.complex64
    )
    model(u)
    model(u)
    # same layout as the accepted batch: a bad batch is still refused
    with pytest.raises(ModelInputError, match="SU\\(2\\) matrices"):
        model(2 * u)
    bad = u.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ModelInputError, match="SU\\(2\\) matrices"):
        model(bad)


def test_a_failed_check_on_an_accelerator_is_not_remembered(monkeypatch):
    answers = iter([False, True])
    monkeypatch.setattr(V, "_host_bool", lambda flag: next(answers))
    monkeypatch.setattr(V, "_CHECKED_ON_DEVICE", set())
    # the error message reads the violations: stub them with host values
    monkeypatch.setattr(
        V, "_group_violation", lambda links, n: (torch.tensor(2.0), torch.tensor(3.0))
    )
    u = _meta_links(1, (4, 4))
    with pytest.raises(ModelInputError, match="max \\|UU\\^\\+ - 1\\| = 2"):
        check_links(u, dim=2, n_colors=2)
    check_links(u, dim=2, n_colors=2)  # checked again (and passes), then remembered
    check_links(u, dim=2, n_colors=2)  # no third answer needed
    assert len(V._CHECKED_ON_DEVICE) == 1


@pytest.mark.parametrize("n", [2, 3])
def test_check_su_n(n):
    g = torch.Generator().manual_seed(n)
    for dtype in (torch.complex64, torch.complex128):
        u = random_links(2, (4, 4), n, generator=g, dtype=dtype)
        assert V.check_su_n(u, n) is u
        phase = torch.exp(torch.tensor(0.3j)).to(dtype)  # U(N), not SU(N)
        with pytest.raises(ModelInputError, match="det U - 1"):
            V.check_su_n(u * phase, n)
        with pytest.raises(ModelInputError, match="group"):
            V.check_su_n(u * 1.01, n)
