"""The symmetry helpers of ``latticeml.testing`` can fail: negative controls for each of them.

Every helper is run on a correct function (positive control) and on deliberately broken
ones that must make it raise: layers that are not covariant, models that depend on absolute
position, and functions that do not depend on their input at all (a constant passes any
invariance test unless the helper checks that the test is not vacuous).
"""

import pytest
import torch

from latticeml.testing import (
    SENSITIVITY,
    assert_gauge_equivariant,
    assert_gauge_invariant,
    assert_translation_equivariant,
    default_rtol,
    gauge_transform_links,
    gauge_transform_local,
    random_gauge_transformation,
    random_links,
    relative_error,
)

SHAPE = (4, 6)
VIOLATION = "relative error"
VACUOUS = "vacuous"


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(params=[2, 3], ids=["su2", "su3"])
def n(request):
    return request.param


@pytest.fixture
def fields(n, cdtype):
    """Links ``(2, 4, 6, 2, N, N)`` and one locally transforming channel ``(2, 1, 4, 6, N, N)``."""
    u = random_links(2, SHAPE, n, generator=gen(1), dtype=cdtype)
    w = torch.randn(2, 1, *SHAPE, n, n, dtype=cdtype, generator=gen(2))
    return u, w


# -------------------------------------------------------------- correct functions (positive)
def plaquette01(u):
    """``U_0(x) U_1(x+0) U_0(x+1)^+ U_1(x)^+`` as one channel ``(B, 1, *shape, N, N)``."""
    u0, u1 = u[..., 0, :, :], u[..., 1, :, :]
    p = u0 @ torch.roll(u1, -1, 1) @ torch.roll(u0, -1, 2).mH @ u1.mH
    return p.unsqueeze(1)


def transport0(u, w):
    """Parallel transport ``U_0(x) W(x+0) U_0(x)^+`` (covariant)."""
    u0 = u[..., 0, :, :].unsqueeze(1)
    return u0 @ torch.roll(w, -1, 2) @ u0.mH


def re_trace(m):
    return torch.diagonal(m, dim1=-2, dim2=-1).sum(-1).real


def test_positive_controls(fields, dtype):
    u, w = fields
    rtol = default_rtol(dtype)
    assert assert_gauge_equivariant(lambda x: plaquette01(x), u, generator=gen()) < rtol
    assert assert_gauge_equivariant(transport0, u, w, generator=gen()) < rtol
    assert assert_gauge_invariant(lambda x: re_trace(plaquette01(x)), u, generator=gen()) < rtol
    assert assert_gauge_invariant(lambda x, a: re_trace(a @ a), u, w, generator=gen()) < rtol

    # exp of the plaquette's anti-Hermitian part times the link: new links
    def update(x, a):
        ah = (a - a.mH) / 2
        return torch.linalg.matrix_exp(0.1 * ah[:, 0]).unsqueeze(-3) @ x

    assert assert_gauge_equivariant(update, u, w, output="links", generator=gen()) < rtol


# ----------------------------------------------------- broken gauge layers (must raise)
def test_fixed_non_covariant_matrix_fails(fields, dtype):
    u, w = fields
    n = u.shape[-1]
    m = random_links(1, (1,), n, generator=gen(7), dtype=u.dtype)[0, 0, 0]  # one fixed SU(N)
    with pytest.raises(AssertionError, match=f"gauge equivariance: {VIOLATION}"):
        assert_gauge_equivariant(lambda x, a: m @ a, u, w, generator=gen())
    with pytest.raises(AssertionError, match=VIOLATION):
        assert_gauge_equivariant(lambda x, a: m @ transport0(x, a) @ m.mH, u, w, generator=gen())


def _u0(u):
    return u[..., 0, :, :].unsqueeze(1)


BROKEN_LOCAL = {
    "shift": lambda u, w: torch.roll(w, -1, 2),  # shifted without transport
    "no-dagger": lambda u, w: _u0(u) @ torch.roll(w, -1, 2) @ _u0(u),
    "wrong-direction": lambda u, w: _u0(u).mH @ torch.roll(w, -1, 2) @ _u0(u),
    "transpose": lambda u, w: w @ w.mT,  # transpose instead of dagger
}


@pytest.mark.parametrize("broken", BROKEN_LOCAL.values(), ids=BROKEN_LOCAL.keys())
def test_broken_local_layers_fail(fields, dtype, broken):
    u, w = fields
    with pytest.raises(AssertionError, match=VIOLATION):
        assert_gauge_equivariant(broken, u, w, generator=gen())


def test_broken_link_update_fails(fields, dtype):
    u, w = fields

    def wrong_side(x, c):  # U_mu(x) exp(A(x)): A(x) should act from the left
        ah = (c[:, 0] - c[:, 0].mH) / 2
        return x @ torch.linalg.matrix_exp(0.1 * ah).unsqueeze(-3)

    with pytest.raises(AssertionError, match=VIOLATION):
        assert_gauge_equivariant(wrong_side, u, w, output="links", generator=gen())
    # a locally transforming output declared as links (wrong transformation law) fails too
    with pytest.raises(AssertionError, match=VIOLATION):
        assert_gauge_equivariant(
            lambda x, c: c[:, 0].unsqueeze(-3).expand_as(x), u, w, output="links", generator=gen()
        )


@pytest.mark.parametrize(
    "broken",
    [
        lambda u: re_trace(u[..., 0, :, :]),  # one link
        lambda u: re_trace(u[..., 0, :, :] @ torch.roll(u[..., 0, :, :], -1, 1)),  # open path
        # invariant under global, not local, transformations: two links leaving x
        lambda u: re_trace(u[..., 0, :, :] @ u[..., 1, :, :].mH),
        # one entry instead of the trace (the real part of the sum of the entries would do for
        # SU(2): it equals Re Tr)
        lambda u: plaquette01(u)[:, 0, ..., 0, 0].abs().square(),
    ],
    ids=["link", "open-path", "global-only", "entry"],
)
def test_non_invariant_models_fail(fields, dtype, broken):
    u, _ = fields
    with pytest.raises(AssertionError, match=f"gauge invariance: {VIOLATION}"):
        assert_gauge_invariant(broken, u, generator=gen())


def test_a_small_violation_fails_in_double_precision():
    u = random_links(2, SHAPE, 2, generator=gen(1))  # complex128: tolerance 1e-10

    def slightly_broken(x):
        return re_trace(plaquette01(x))[:, 0] + 1e-8 * x[..., 0, 0, 0].real

    with pytest.raises(AssertionError, match=VIOLATION):
        assert_gauge_invariant(slightly_broken, u, generator=gen())


# -------------------------------------------------------- vacuous tests (must raise)
@pytest.mark.parametrize(
    "constant",
    [
        lambda u, *w: torch.zeros(u.shape[0], *SHAPE, dtype=u.real.dtype),
        lambda u, *w: torch.full((u.shape[0],), 0.7, dtype=u.real.dtype),
        lambda u, *w: 0 * re_trace(plaquette01(u))[:, 0],  # depends on u only formally
        lambda u, *w: 1.0 + 1e-14 * re_trace(plaquette01(u))[:, 0],  # below any tolerance
    ],
    ids=["zeros", "constant", "zero-weights", "insensitive"],
)
def test_constant_models_do_not_pass_invariance(fields, dtype, constant):
    u, _ = fields
    with pytest.raises(AssertionError, match=VACUOUS):
        assert_gauge_invariant(constant, u, generator=gen())


def test_constant_local_and_link_outputs_do_not_pass_equivariance(fields, dtype):
    u, w = fields
    n = u.shape[-1]
    eye = torch.eye(n, dtype=u.dtype)
    with pytest.raises(AssertionError, match=VACUOUS):  # identity: covariant, but constant
        assert_gauge_equivariant(lambda x, a: eye.expand_as(a).clone(), u, w, generator=gen())
    with pytest.raises(AssertionError, match=VACUOUS):
        assert_gauge_equivariant(lambda x, a: torch.zeros_like(a), u, w, generator=gen())


def test_non_finite_output_fails(fields):
    u, _ = fields
    with pytest.raises(AssertionError, match="not finite"):
        assert_gauge_invariant(lambda x: re_trace(plaquette01(x)) / 0.0, u)


def test_the_sensitivity_check_uses_the_given_unrelated_input(fields):
    u, w = fields
    model = lambda x, a: re_trace(a @ a)  # noqa: E731  (depends on w only)
    assert_gauge_invariant(model, u, w)  # default: fresh links *and* fresh channels
    with pytest.raises(AssertionError, match=VACUOUS):  # same channels, other links
        assert_gauge_invariant(model, u, w, alt_inputs=(random_links(2, SHAPE, u.shape[-1]), w))


def test_gauge_helper_arguments():
    u = random_links(1, (2, 2), 2, generator=gen())
    with pytest.raises(ValueError, match="output"):
        assert_gauge_equivariant(lambda x: x, u, output="adjoint")
    u1 = torch.ones(1, 2, 2, 2, 1, 1, dtype=torch.complex128)
    with pytest.raises(ValueError, match="N >= 2"):
        assert_gauge_invariant(lambda x: x.real.sum(), u1)


def test_transformations_are_local_and_change_the_fields(fields):
    u, w = fields
    om = random_gauge_transformation(2, SHAPE, u.shape[-1], generator=gen(3), dtype=u.dtype)
    assert relative_error(gauge_transform_links(u, om), u) > 0.1
    assert relative_error(gauge_transform_local(w, om), w) > 0.1
    # the plaquette transforms locally, with Omega at its corner
    got = plaquette01(gauge_transform_links(u, om))
    assert relative_error(got, gauge_transform_local(plaquette01(u), om)) < 10 * default_rtol(
        u.dtype
    )


# ------------------------------------------------------------------------ translations
def periodic_conv(x, weight):
    """A 3x3 periodic convolution ``(B, C, T, X) -> (B, C, T, X)`` built from rolls."""
    out = torch.zeros_like(x)
    for i in range(3):
        for j in range(3):
            out = out + weight[i, j] * torch.roll(x, (i - 1, j - 1), dims=(2, 3))
    return out


@pytest.fixture
def scalar_batch(dtype):
    return torch.randn(3, 2, 6, 8, dtype=dtype, generator=gen(4))


def test_translation_positive_controls(scalar_batch):
    x = scalar_batch
    rtol = default_rtol(x.dtype)
    wgt = torch.randn(3, 3, dtype=x.dtype, generator=gen(5))
    conv = lambda a: periodic_conv(a, wgt)  # noqa: E731
    assert (
        assert_translation_equivariant(conv, x, in_axes=[2, 3], out_axes=[2, 3], generator=gen())
        < rtol
    )
    pooled = lambda a: torch.tanh(conv(a)).mean((1, 2, 3))  # noqa: E731
    assert (
        assert_translation_equivariant(pooled, x, in_axes=[2, 3], n_trials=4, generator=gen())
        < rtol
    )
    # stride 2: equivariant under even shifts, the output moves by half of them
    strided = lambda a: torch.nn.functional.avg_pool2d(conv(a), 2)  # noqa: E731
    assert_translation_equivariant(
        strided, x, in_axes=[2, 3], out_axes=[2, 3], step=2, out_step=1, generator=gen()
    )


def test_position_dependent_models_fail(scalar_batch):
    x = scalar_batch
    pos = torch.randn(6, 8, dtype=x.dtype, generator=gen(6))
    with pytest.raises(AssertionError, match=f"translation equivariance: {VIOLATION}"):
        assert_translation_equivariant(
            lambda a: (a * pos).sum((1, 2, 3)), x, in_axes=[2, 3], generator=gen()
        )
    with pytest.raises(AssertionError, match=VIOLATION):  # equivariant output, position term
        assert_translation_equivariant(
            lambda a: a + pos, x, in_axes=[2, 3], out_axes=[2, 3], generator=gen()
        )
    # zero padding instead of periodic boundaries
    wgt = torch.randn(2, 2, 3, 3, dtype=x.dtype, generator=gen(7))
    conv = lambda a: torch.nn.functional.conv2d(a, wgt, padding=1)  # noqa: E731
    with pytest.raises(AssertionError, match=VIOLATION):
        assert_translation_equivariant(conv, x, in_axes=[2, 3], out_axes=[2, 3], generator=gen())
    # a strided model is not equivariant under odd shifts
    strided = lambda a: torch.nn.functional.avg_pool2d(a, 2).square().sum((1, 2, 3))  # noqa: E731
    with pytest.raises(AssertionError, match=VIOLATION):
        assert_translation_equivariant(strided, x, in_axes=[2, 3], n_trials=4, generator=gen())
    # output axes in the wrong order: the output is rolled along the wrong axes
    with pytest.raises(AssertionError, match=VIOLATION):
        assert_translation_equivariant(
            lambda a: a, x, in_axes=[2, 3], out_axes=[3, 2], n_trials=4, generator=gen()
        )


@pytest.mark.parametrize("seed", range(20))
def test_the_zero_shift_is_never_drawn(seed):
    # a 2 x 1 lattice has one non-trivial shift; a model that depends on the parity of t
    # passes whenever only the zero shift is drawn (probability 1/4 with two uniform draws)
    x = torch.randn(2, 1, 2, 1, dtype=torch.float64, generator=gen(100))
    sign = torch.tensor([1.0, -1.0], dtype=torch.float64).view(2, 1)
    with pytest.raises(AssertionError, match=VIOLATION):
        assert_translation_equivariant(
            lambda a: (a * sign).sum((1, 2, 3)), x, in_axes=[2, 3], generator=gen(seed)
        )


def test_input_invariant_under_every_shift_is_vacuous(dtype):
    # a spatially constant input: every translation leaves it unchanged
    x = torch.randn(2, 2, 1, 1, dtype=dtype, generator=gen(8)).expand(2, 2, 4, 4).clone()
    pos = torch.randn(4, 4, dtype=dtype, generator=gen(9))
    with pytest.raises(AssertionError, match="invariant under every translation"):
        assert_translation_equivariant(lambda a: (a * pos).sum((1, 2, 3)), x, in_axes=[2, 3])


def test_periodic_copies_only_informative_shifts_count(dtype):
    # 8 x 8 made of 2 x 2 copies of a 4 x 4 lattice: shifts by (4i, 4j) do not change it
    base = torch.randn(2, 1, 4, 4, dtype=dtype, generator=gen(10))
    x = base.repeat(1, 1, 2, 2)
    pos = torch.randn(8, 8, dtype=dtype, generator=gen(11))
    for seed in range(10):  # every trial uses a shift that moves the input
        with pytest.raises(AssertionError, match=VIOLATION):
            assert_translation_equivariant(
                lambda a: (a * pos).sum((1, 2, 3)), x, in_axes=[2, 3], generator=gen(seed)
            )


@pytest.mark.parametrize(
    "constant",
    [
        lambda a: torch.zeros(a.shape[0], dtype=a.dtype),
        lambda a: torch.ones_like(a),
        lambda a: a.sum((1, 2, 3)) * 0 + 3.0,
    ],
    ids=["zeros", "ones-equivariant", "zero-weights"],
)
def test_constant_models_do_not_pass_translation(scalar_batch, constant):
    out_axes = [2, 3] if constant(scalar_batch).ndim == 4 else []
    with pytest.raises(AssertionError, match=VACUOUS):
        assert_translation_equivariant(constant, scalar_batch, in_axes=[2, 3], out_axes=out_axes)


def test_translation_helper_arguments(scalar_batch):
    x = scalar_batch
    f = lambda a: a.square().mean((1, 2, 3))  # noqa: E731
    with pytest.raises(ValueError, match="two configurations"):
        assert_translation_equivariant(f, x[:1], in_axes=[2, 3])
    assert_translation_equivariant(f, x[:1], in_axes=[2, 3], alt_inputs=x[1:2])
    with pytest.raises(AssertionError, match=VACUOUS):  # alt input equal to the input
        assert_translation_equivariant(f, x[:1], in_axes=[2, 3], alt_inputs=x[:1])
    with pytest.raises(ValueError, match="no non-zero multiple"):
        assert_translation_equivariant(f, x, in_axes=[2, 3], step=8)
    with pytest.raises(AssertionError, match="not finite"):
        assert_translation_equivariant(lambda a: f(a) / 0.0, x, in_axes=[2, 3])


def test_relative_error_and_tolerances():
    a = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert relative_error(a, a) == 0.0
    assert relative_error(a + torch.tensor([0.0, 0.2], dtype=torch.float64), a) == pytest.approx(
        0.1
    )
    assert relative_error(torch.ones(2), torch.zeros(2)) == 1.0  # absolute if b vanishes
    with pytest.raises(AssertionError, match="shapes differ"):
        relative_error(a, a[:1])
    assert default_rtol(torch.float64) == default_rtol(torch.complex128) == 1e-10
    assert default_rtol(torch.float32) == default_rtol(torch.complex64) == 1e-4
    assert SENSITIVITY >= 10
