"""Fast kernels against their slow numpy twins (tests/gauge/reference.py).

Every test of a backend-dependent kernel (staple, link update, sweep) runs for both backends,
``simd`` and ``scalar`` (:mod:`latticeml.gauge._kernels.backend`), against the same twins.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import cumulative_trapezoid

from latticeml.gauge import GaugeChain as _GaugeChain
from latticeml.gauge import plaquette
from latticeml.gauge._kernels import UpdateKind, primitives, su2, su3
from latticeml.gauge._kernels import rng as _rng
from latticeml.gauge._kernels.scalar import qprod, reunit18
from latticeml.gauge.transform import haar_links, random_su_n
from tests.gauge import reference as ref

MASK = (1 << 64) - 1


def splitmix_py(z):
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & MASK
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & MASK
    return z ^ (z >> 31)


BACKENDS = ["simd", "scalar"]


def GaugeChain(*args, **kwargs):
    return _GaugeChain(*args, threads=1, **kwargs)


def kernels(backend, N):
    """The backend-dependent kernels of SU(N)."""
    return (su2 if N == 2 else su3).build(primitives(backend))


def c2r(m):
    """Complex 3x3 matrix -> 18-tuple (re, im) of the SU(3) kernels."""
    return tuple(np.ascontiguousarray(m, dtype=np.complex128).view(np.float64).ravel())


def r2c(t):
    """18-tuple (re, im) -> complex 3x3 matrix."""
    return np.array(t, dtype=np.float64).view(np.complex128).reshape(3, 3)


def c2p(m):
    """Complex 3x3 matrix -> 24-tuple of padded rows (the layout of the kernels' primitives)."""
    rows = np.zeros((3, 8))
    rows[:, :6] = np.ascontiguousarray(m, dtype=np.complex128).view(np.float64)
    return tuple(rows.ravel())


def p2c(buf):
    """24 floats of padded rows -> complex 3x3 matrix."""
    return np.ascontiguousarray(np.asarray(buf).reshape(3, 8)[:, :6]).view(np.complex128)


def lkey(sub, i):
    return np.uint64(_rng.link_key(sub, np.uint64(i)))


# ----------------------------------------------------------------------------- RNG
def test_mix64_is_splitmix64():
    # first output of SplitMix64 seeded with 0 (reference value of the published algorithm)
    assert int(_rng.mix64(np.uint64(0x9E3779B97F4A7C15))) == 0xE220A8397B1DCDAF
    for z in [1, 12345, 2**63 + 7, MASK]:
        assert int(_rng.mix64(np.uint64(z))) == splitmix_py(z)


def test_keys_follow_documented_scheme():
    seed, sweep, sub, site = 42, 7, 3, 11
    G = 0x9E3779B97F4A7C15
    k = splitmix_py((seed + G) & MASK)
    k = splitmix_py(k ^ sweep)
    k = splitmix_py((k + (sub + 1) * G) & MASK)
    assert int(_rng.py_key(seed, sweep, sub)) == k
    kl = splitmix_py((k + (site + 1) * G) & MASK)
    assert int(_rng.link_key(np.uint64(k), np.uint64(site))) == kl
    z = splitmix_py((kl + 3 * G) & MASK)
    assert _rng.uniform(np.uint64(kl), np.uint64(2)) == ((z >> 11) + 0.5) * 2.0**-53


def test_uniform_moments():
    key = _rng.py_key(1, 0, 0)
    u = np.array([_rng.uniform(key, np.uint64(n)) for n in range(20000)])
    assert np.all((u > 0) & (u < 1))
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    assert abs(u.var() - 1 / 12) < 0.005


# ------------------------------------------------------------------- SU(2) algebra
def test_quaternion_product_and_conversion():
    rng = np.random.default_rng(0)
    a, b = random_su_n(rng, 2, 2)
    qa, qb = su2.from_complex(a), su2.from_complex(b)
    np.testing.assert_allclose(su2.to_complex(qa), a, atol=1e-14)
    prod = np.array(qprod(*qa, *qb))
    np.testing.assert_allclose(su2.to_complex(prod), a @ b, atol=1e-14)
    assert np.isclose(np.linalg.norm(qa), 1.0)


# --------------------------------------------------------------- plaquette/staples
@pytest.mark.parametrize("N", [2, 3])
@pytest.mark.parametrize("shape", [(4, 6), (4, 2, 4), (2, 4, 2, 4)])
def test_plaquette_matches_reference(N, shape):
    links = haar_links(np.random.default_rng(1), shape, N)
    assert abs(plaquette(links) - ref.plaquette(links)) < 1e-13
    batch = np.stack([links, links])
    np.testing.assert_allclose(plaquette(batch), ref.plaquette(links), atol=1e-13)


def _chain_with(links, N, beta=2.0, backend="scalar"):
    shape = links.shape[:-3]
    chain = GaugeChain(f"su{N}", shape, beta, 0, backend=backend)
    chain.set_links(links)
    return chain


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("N", [2, 3])
@pytest.mark.parametrize("shape", [(4, 4), (4, 2, 6), (2, 4, 4, 2)])
def test_staple_matches_reference(N, shape, backend):
    links = haar_links(np.random.default_rng(2), shape, N)
    chain = _chain_with(links, N)
    K = kernels(backend, N)
    for i in [0, 5, chain.V - 1]:
        x = np.unravel_index(i, shape)
        for mu in range(len(shape)):
            A = ref.staple(links, x, mu)
            if N == 2:
                got = su2.to_complex(np.array(K.staple(chain._u, chain._up, chain._dn, i, mu)))
            else:
                buf = np.full(24, np.nan)
                K.staple(chain._u, chain._up, chain._dn, i, mu, buf)
                assert not buf.reshape(3, 8)[:, 6:].any()  # padding lanes stay zero
                got = p2c(buf)
            np.testing.assert_allclose(got, A, atol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("N", [2, 3])
def test_overrelaxation_of_one_link_matches_reference(N, backend):
    shape = (4, 4, 2)
    links = haar_links(np.random.default_rng(3), shape, N)
    chain = _chain_with(links, N)
    K = kernels(backend, N)
    for i, mu in [(0, 0), (7, 2), (13, 1)]:
        x = np.unravel_index(i, shape)
        U = links[x][mu]
        A = ref.staple(links, x, mu)
        want = ref.overrelax_su2(U, A) if N == 2 else ref.overrelax_su3(U, A)
        u = chain._u.copy()
        args = (np.uint64(1), 10, 0.5) if N == 2 else (np.uint64(1), 10, 0.5, np.empty(24))
        K.update_link(u, chain._up, chain._dn, i, mu, UpdateKind.OVERRELAX, 2.0, *args)
        got = su2.to_complex(u[i, mu]) if N == 2 else r2c(u[i, mu])
        np.testing.assert_allclose(got, want, atol=1e-13)
        # the local action is unchanged
        assert abs(np.trace(got @ A).real - np.trace(U @ A).real) < 1e-12


@pytest.mark.parametrize("sub", [0, 1, 2])
def test_su3_subgroup_projection(sub):
    rng = np.random.default_rng(4)
    m = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    r = random_su_n(rng, 2)
    p, q = ref.SUBGROUPS[sub]
    a = np.array(su3.project(c2p(m), p, q))
    np.testing.assert_allclose(
        su2.to_complex(a), ref.su2_part(m[np.ix_([p, q], [p, q])]), atol=1e-14
    )
    # Re Tr(R W) depends on the block of W only through its SU(2) part
    R = ref.embed(r, p, q)
    w_proj = m.copy()
    w_proj[np.ix_([p, q], [p, q])] = ref.su2_part(m[np.ix_([p, q], [p, q])])
    assert abs(np.trace(R @ m).real - np.trace(R @ w_proj).real) < 1e-13


def test_su3_reunitarise_and_products():
    rng = np.random.default_rng(5)
    a, b = random_su_n(rng, 3, 2)
    noisy = a + 1e-6 * rng.standard_normal((3, 3))
    got = r2c(reunit18(c2r(noisy)))
    np.testing.assert_allclose(got, ref.reunitarise_su3(noisy), atol=1e-14)
    ta, tb = c2r(a), c2r(b)
    np.testing.assert_allclose(r2c(su3.mul_nn(ta, tb)), a @ b, atol=1e-14)


# ------------------------------------------------------------------ heat bath x0
def _x0_cdf(a):
    x = np.linspace(-1.0, 1.0, 40001)
    pdf = np.sqrt(np.clip(1.0 - x * x, 0.0, None)) * np.exp(a * (x - 1.0))
    cdf = cumulative_trapezoid(pdf, x, initial=0.0)
    cdf /= cdf[-1]
    return lambda v: np.interp(v, x, cdf)


@pytest.mark.parametrize("a", [0.0, 0.3, 1.9, 2.1, 6.0, 30.0])
def test_su2_x0_sampler_ks(a):
    """Kennedy-Pendleton (a >= 2) and Creutz (a < 2) against the exact density."""
    sub = _rng.py_key(7, 0, 0)
    x0 = np.array([su2.sample_x0(a, lkey(sub, i), np.uint64(0))[0] for i in range(6000)])
    assert np.all(np.abs(x0) <= 1.0)
    assert stats.kstest(x0, _x0_cdf(a)).pvalue > 1e-3


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("beta", [0.7, 3.0])
def test_su2_single_link_heatbath_distribution(beta, backend):
    """Full link update: x0 of U V (V = A/|A|) follows sqrt(1-x0^2) exp(beta |A| x0)."""
    shape = (4, 4)
    links = haar_links(np.random.default_rng(6), shape, 2)
    chain = _chain_with(links, 2, beta)
    i, mu = 5, 1
    A = ref.staple(links, np.unravel_index(i, shape), mu)
    k, V = ref.su2_project(A)
    sub = _rng.py_key(3, 0, 0)
    x0 = np.empty(5000)
    vec = np.empty((5000, 3))
    update_link = kernels(backend, 2).update_link
    for n in range(x0.size):
        u = chain._u.copy()
        update_link(u, chain._up, chain._dn, i, mu, UpdateKind.HEATBATH, beta, lkey(sub, n),
                    10, 0.5)  # fmt: skip
        q = su2.from_complex(su2.to_complex(u[i, mu]) @ V)
        x0[n], vec[n] = q[0], q[1:]
    assert stats.kstest(x0, _x0_cdf(beta * k)).pvalue > 1e-3
    # isotropic direction: the mean of the unit vector vanishes
    unit = vec / np.linalg.norm(vec, axis=1, keepdims=True)
    assert np.all(np.abs(unit.mean(axis=0)) < 5 / np.sqrt(3 * x0.size))


# ------------------------------------------------------------------ full sweeps
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("N", [2, 3])
@pytest.mark.parametrize("shape", [(4, 6), (2, 4, 2, 2)])
def test_overrelaxation_sweep_matches_reference(N, shape, backend):
    chain = GaugeChain(f"su{N}", shape, 2.0, 21, start="hot", backend=backend)
    links = chain.links
    chain.overrelax(1)
    np.testing.assert_allclose(chain.links, ref.overrelax_sweep(links), atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("N", [2, 3])
@pytest.mark.parametrize("shape", [(4, 6), (2, 4, 2, 2)])
def test_heatbath_sweep_matches_reference(N, shape, backend):
    """Same random streams (seed, sweep index, substep, site) in the kernel and the twin."""
    beta, seed = 2.5, 22
    chain = GaugeChain(f"su{N}", shape, beta, seed, start="hot", backend=backend)
    chain.overrelax(1)  # the next sweep has index 1
    links = chain.links
    chain.heatbath(1)
    want = ref.heatbath_sweep(links, beta, seed, 1, su2.heatbath_su2, _rng.link_key,
                              _rng.substep_key)  # fmt: skip
    np.testing.assert_allclose(chain.links, want, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dag", [False, True])
def test_su3_metropolis_proposal_matches_embedded_product(dag, backend):
    rng = np.random.default_rng(11 + dag)
    m = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    t, s, r = (random_su_n(rng, 2) for _ in range(3))
    x = ref.embed(r, 0, 1) @ ref.embed(s, 0, 2) @ ref.embed(t, 1, 2)
    qs = [float(v) for q in (t, s, r) for v in su2.from_complex(q)]
    got = p2c(kernels(backend, 3).apply_proposal(c2p(m), *qs, dag))
    want = (ref.dag(x) if dag else x) @ m
    np.testing.assert_allclose(got, want, atol=1e-13)


# ------------------------------------------------------------------ the two backends
@pytest.mark.parametrize("N", [2, 3])
@pytest.mark.parametrize("shape", [(4, 6), (4, 2, 2, 4)])
def test_backends_run_the_same_chain(N, shape):
    """Same algorithms and random streams: from the same links, one sweep of each kind gives
    the same links up to rounding, Metropolis acceptance decisions included. (Rounding
    differences grow within a sweep, as later substeps read updated links: 1e-12 after one
    SU(3) sweep on 4x2x2x4, 5e-8 after five; a wrong update differs by O(1).)"""
    simd, scalar = (GaugeChain(f"su{N}", shape, 2.2, 31, start="hot", backend=b)
                    for b in BACKENDS)  # fmt: skip
    for step in ("overrelax", "heatbath", "metropolis", "overrelax", "heatbath", "metropolis"):
        scalar.set_links(simd.links)
        getattr(simd, step)(1)
        getattr(scalar, step)(1)
        assert np.abs(simd.links - scalar.links).max() < 1e-10, step
        assert simd.n_accepted == scalar.n_accepted, step
    assert simd.n_accepted > 0
    assert (simd.backend, scalar.backend) == ("simd", "scalar")


def test_auto_backend_is_simd_where_the_self_test_passes():
    from latticeml.gauge._kernels import resolve_backend, simd_self_test

    ok, why = simd_self_test()
    assert ok, why  # the machines this runs on compile the SIMD IR
    assert resolve_backend("auto") == "simd"
    assert GaugeChain("su2", (4, 4), 1.0, 1).backend == "simd"
    assert resolve_backend("scalar") == "scalar"
