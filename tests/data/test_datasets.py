"""Stage-2 datasets: builders, readers, validation, corruption, determinism."""

import json

import h5py
import numpy as np
import pytest
import torch

from latticeml.cli import main
from latticeml.data import (
    GaugeDataset,
    GaugeDatasetParams,
    ScalarDataset,
    ScalarDatasetParams,
    build_gauge_dataset,
    build_scalar_dataset,
    dataset_info,
    seal,
    write_gauge_ensemble,
    write_scalar_ensemble,
)
from latticeml.errors import FileFormatError, ParameterError
from latticeml.gauge import plaquette
from latticeml.gauge.transform import gauge_transform, haar_gauge_transformation, haar_links


def _ensemble(path, *, beta, n=5, shape=(4, 6), N=2, seed=0, links=None):
    rng = np.random.default_rng(seed)
    if links is None:
        links = np.stack([haar_links(rng, shape, N) for _ in range(n)])
    attrs = dict(
        group=f"su{N}",
        n_colors=N,
        shape=shape,
        beta=beta,
        seed=seed,
        algorithm="heatbath",
        n_therm=0,
        n_skip=1,
    )
    # Haar-random links are the beta -> 0 ensemble: labelled with a small beta, their stored
    # plaquettes those of the links (a dataset refuses an ensemble that is not physics)
    write_gauge_ensemble(
        path, arrays={"links": links, "plaquette": plaquette(links)}, attrs=attrs
    )
    return links


def _step(x, mu, k, shape):
    x = list(x)
    x[mu] = (x[mu] + k) % shape[mu]
    return tuple(x)


def _slow_loop(u, x, mu, nu, a, b):
    """Re Tr of the a x b loop at site x by walking link by link (u: (*shape, D, N, N))."""
    shape = u.shape[: u.ndim - 3]
    m = np.eye(u.shape[-1], dtype=complex)
    y = tuple(x)
    for d, n, sign in ((mu, a, 1), (nu, b, 1), (mu, a, -1), (nu, b, -1)):
        for _ in range(n):
            if sign > 0:
                m = m @ u[y][d]
                y = _step(y, d, 1, shape)
            else:
                y = _step(y, d, -1, shape)
                m = m @ u[y][d].conj().T
    return np.trace(m).real / u.shape[-1]


@pytest.fixture
def gauge_files(tmp_path):
    a = tmp_path / "b1.h5"
    b = tmp_path / "b2.h5"
    la = _ensemble(a, beta=0.01, seed=1)
    lb = _ensemble(b, beta=0.02, n=3, seed=2)
    return [a, b], np.concatenate([la, lb])


def test_gauge_round_trip_and_targets(tmp_path, gauge_files):
    sources, links = gauge_files
    out = tmp_path / "d.h5"
    params = GaugeDatasetParams(
        sources=tuple(map(str, sources)),
        loops=((1, 1), (1, 2), (2, 2)),
        plaquette_channels=True,
        polyakov_channels=True,
    )
    build_gauge_dataset(params, out)
    with h5py.File(out) as f:
        assert f["inputs/links"][()].tobytes() == links.tobytes()
        assert np.array_equal(f["params/beta"][()], [0.01] * 5 + [0.02] * 3)
        w12 = f["targets/W_1x2"][()]
        poly = f["targets/polyakov_loop"][()]
        sources_json = [json.loads(s) for s in f["provenance/sources"][()]]
        machine = dict(f.attrs)
    assert w12.shape == (8, 1, 4, 6)
    # the sources (hand-made, no machine record) count as "unknown"; this process computed
    # the targets: its CPU target and numba version are recorded
    assert machine["backend"] == "unknown" and machine["numba_version"] and machine["cpu_target"]
    for s, x in [(0, (0, 0)), (3, (2, 5)), (7, (3, 1))]:
        assert abs(w12[s, 0][x] - _slow_loop(links[s], x, 0, 1, 1, 2)) < 1e-12
    # Polyakov loop by walking along time
    for s in (0, 6):
        m = np.eye(2, dtype=complex)
        for t in range(4):
            m = m @ links[s][t, 2][0]
        assert abs(poly[s][2] - np.trace(m) / 2) < 1e-12
    assert len(sources_json) == 2 and len(sources_json[0]["sha256"]) == 64
    ds = GaugeDataset(out, targets=("W_1x2",), dtype=torch.complex128)
    x, y = ds[6]
    assert x.dtype == torch.complex128 and x.shape == (4, 6, 2, 2, 2)
    assert np.array_equal(x.numpy(), links[6]) and y.dtype == torch.float64
    assert np.array_equal(y.numpy(), w12[6])
    ds32 = GaugeDataset(out, targets=("W_1x1", "W_2x2"), dtype=torch.complex64, plane=0)
    x, y = ds32[0]
    assert x.dtype == torch.complex64 and set(y) == {"W_1x1", "W_2x2"}
    assert y["W_1x1"].shape == (4, 6) and y["W_1x1"].dtype == torch.float32


def test_gauge_invariance_of_stored_targets(tmp_path):
    rng = np.random.default_rng(5)
    links = np.stack([haar_links(rng, (4, 4, 2, 2), 3) for _ in range(2)])
    omega = np.stack([haar_gauge_transformation(rng, (4, 4, 2, 2), 3) for _ in range(2)])
    rotated = np.stack([gauge_transform(u, o) for u, o in zip(links, omega, strict=True)])
    _ensemble(tmp_path / "a.h5", beta=5.0, links=links, shape=(4, 4, 2, 2), N=3)
    _ensemble(tmp_path / "b.h5", beta=5.0, links=rotated, shape=(4, 4, 2, 2), N=3)
    params = dict(loops=((1, 1), (2, 1)), polyakov=True)
    build_gauge_dataset(
        GaugeDatasetParams(sources=(str(tmp_path / "a.h5"),), **params), tmp_path / "da.h5"
    )
    build_gauge_dataset(
        GaugeDatasetParams(sources=(str(tmp_path / "b.h5"),), **params), tmp_path / "db.h5"
    )
    with h5py.File(tmp_path / "da.h5") as fa, h5py.File(tmp_path / "db.h5") as fb:
        names = list(fa["targets"])
        assert "topological_charge_density" in names and "W_2x1" in names
        for name in names:
            assert np.max(np.abs(fa["targets"][name][()] - fb["targets"][name][()])) < 1e-12


def test_deterministic_apart_from_nothing(tmp_path, gauge_files):
    sources, _ = gauge_files
    params = GaugeDatasetParams(sources=tuple(map(str, sources)), loops=((1, 1),))
    build_gauge_dataset(params, tmp_path / "x.h5")
    build_gauge_dataset(params, tmp_path / "y.h5")
    assert (tmp_path / "x.h5").read_bytes() == (tmp_path / "y.h5").read_bytes()


def test_lazy_reader_matches_memory(tmp_path, gauge_files):
    sources, _ = gauge_files
    out = tmp_path / "d.h5"
    build_gauge_dataset(GaugeDatasetParams(sources=tuple(map(str, sources))), out)
    mem = GaugeDataset(out, dtype=torch.complex128)
    lazy = GaugeDataset(out, dtype=torch.complex128, memory_budget_mb=0)
    assert mem.in_memory and not lazy.in_memory
    for batch in ([0, 7], [7, 0, 7], [2, 3, 4]):  # sparse, repeated, dense reads
        got, want = lazy.__getitems__(batch), mem.__getitems__(batch)
        assert all(
            torch.equal(g[0], w[0]) and torch.equal(g[1], w[1])
            for g, w in zip(got, want, strict=True)
        )
    for i in (7, 0, 4, 3, -1):
        assert torch.equal(mem[i][0], lazy[i][0]) and torch.equal(mem[i][1], lazy[i][1])
    loader = torch.utils.data.DataLoader(
        lazy, batch_size=3, shuffle=True, num_workers=2, generator=torch.Generator().manual_seed(0)
    )
    seen = 0
    for x, y in loader:
        assert x.shape == (x.shape[0], 4, 6, 2, 2, 2) and y.shape == (x.shape[0], 1, 4, 6)
        seen += x.shape[0]
    assert seen == 8


def _corrupt_links(path):
    with h5py.File(path) as f:
        offset = f["inputs/links"].id.get_chunk_info(0).byte_offset
    data = bytearray(path.read_bytes())
    for i in range(offset + 100, offset + 108):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corruption_cases(tmp_path, gauge_files):
    sources, _ = gauge_files
    out = tmp_path / "d.h5"
    build_gauge_dataset(GaugeDatasetParams(sources=tuple(map(str, sources))), out)
    good = out.read_bytes()

    truncated = tmp_path / "t.h5"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(FileFormatError, match="t.h5"):
        GaugeDataset(truncated)

    flipped = tmp_path / "f.h5"
    flipped.write_bytes(good)
    _corrupt_links(flipped)
    with pytest.raises(FileFormatError, match="damaged"):
        GaugeDataset(flipped)

    for mutate, match in [
        (lambda f: f.attrs.__delitem__("n_samples"), "n_samples"),
        (lambda f: f.attrs.__setitem__("format_version", 7), "format_version"),
        (lambda f: f.__delitem__("params/beta"), "params/beta"),
        (lambda f: f.attrs.__setitem__("kind", "scalar-dataset"), "kl"),
    ]:
        bad = tmp_path / "bad.h5"
        bad.write_bytes(good)
        with h5py.File(bad, "a") as f:
            mutate(f)
        with pytest.raises(FileFormatError, match=match):
            dataset_info(bad)

    bad = tmp_path / "nonunitary.h5"
    bad.write_bytes(good)
    with h5py.File(bad, "a") as f:
        f["inputs/links"][0, 0, 0, 0] = 2 * np.eye(2, dtype=complex)
    with pytest.raises(FileFormatError, match="SHA-256"):  # the digest sees it first
        GaugeDataset(bad)
    with h5py.File(bad, "a") as f:
        seal(f)  # consistent digests, wrong values: the value checks see it
    with pytest.raises(FileFormatError, match="SU"):
        GaugeDataset(bad)
    with h5py.File(bad, "a") as f:
        f["inputs/links"][0, 0, 0, 0] = np.eye(2, dtype=complex)
        f["targets/W_1x1"][2, 0, 1, 1] = np.nan
        seal(f)
    with pytest.raises(FileFormatError, match="NaN"):
        GaugeDataset(bad)
    with pytest.raises(ParameterError, match="W_9x9"):
        GaugeDataset(out, targets=("W_9x9",))


def _closed_k(rng, n, shape):
    """Random divergence-free k: the lattice curl of a random integer field phi."""
    phi = rng.integers(-1, 2, size=(n, *shape))
    k = np.empty((n, *shape, 2), dtype=np.int32)
    k[..., 0] = phi - np.roll(phi, 1, axis=-1)
    k[..., 1] = -(phi - np.roll(phi, 1, axis=-2))
    return k


def _scalar_ensemble(path, *, mu, n=4, shape=(6, 2), open_worms=0, seed=0):
    rng = np.random.default_rng(seed)
    k = _closed_k(rng, n, shape)
    l = rng.integers(0, 3, size=(n, *shape, 2)).astype(np.int32)
    arrays = {"k": k, "l": l, "n": rng.normal(size=n), "phi2": rng.random(n)}
    if open_worms:
        label = np.arange(n) % 2
        for i in np.flatnonzero(label):  # M open strings of length 2 along time, columns 0..M-1
            k[i, 0:2, :open_worms, 0] += 1
        arrays["label"] = label.astype(np.int8)
        arrays["open_worms"] = label * open_worms
        arrays["n"][label == 1] = np.nan
    attrs = dict(shape=shape, mu=mu, eta=4.01, lam=1.0, seed=seed, n_therm=0, n_skip=1, n_worms=1)
    write_scalar_ensemble(path, arrays=arrays, attrs=attrs)
    return arrays


def test_scalar_dataset(tmp_path, capsys):
    a = _scalar_ensemble(tmp_path / "a.h5", mu=0.9)
    b = _scalar_ensemble(tmp_path / "b.h5", mu=1.1, open_worms=2, seed=1)
    out = tmp_path / "s.h5"
    build_scalar_dataset(
        ScalarDatasetParams(sources=(str(tmp_path / "a.h5"), str(tmp_path / "b.h5"))), out
    )
    ds = ScalarDataset(out, targets=("n", "flux_violated", "open_worms"), dtype=torch.float64)
    assert len(ds) == 8
    x, y = ds[5]
    assert x.shape == (4, 6, 2) and x.dtype == torch.float64
    assert np.array_equal(x[0].numpy(), b["k"][1][..., 0])  # k_t
    assert np.array_equal(x[3].numpy(), b["l"][1][..., 1])  # l_x
    assert int(y["flux_violated"]) == 1 and int(y["open_worms"]) == 2
    assert torch.isnan(y["n"])  # undefined on configurations with open worms
    assert not torch.isnan(ds[4][1]["n"])
    assert np.array_equal(ds.mu, [0.9] * 4 + [1.1] * 4)
    assert float(ds[0][1]["n"]) == a["n"][0]
    assert main(["dataset", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "mu 0.9" in text and "sha256" in text and "kernels     backend" in text
    with pytest.raises(FileFormatError, match="lattice"):
        _scalar_ensemble(tmp_path / "c.h5", mu=1.0, shape=(8, 2))
        build_scalar_dataset(
            ScalarDatasetParams(sources=(str(tmp_path / "a.h5"), str(tmp_path / "c.h5"))),
            tmp_path / "t.h5",
        )
    assert not (tmp_path / "t.h5").exists()


def test_cli_dataset_gauge(tmp_path, gauge_files, capsys):
    sources, _ = gauge_files
    out = tmp_path / "d.h5"
    code = main(
        [
            "dataset",
            "build",
            "--inputs",
            *map(str, sources),
            "--loops",
            "1x1,2x1",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    capsys.readouterr()
    assert main(["dataset", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "W_2x1" in text and "beta 0.01" in text and "beta 0.02" in text
    assert main(["dataset", "build", "--inputs", str(sources[0]), "--out", str(out)]) != 0
    assert "--force" in capsys.readouterr().err
    code = main(
        [
            "dataset",
            "build",
            "--inputs",
            str(sources[0]),
            "--loops",
            "0x1",
            "--out",
            str(tmp_path / "e.h5"),
        ]
    )
    assert code != 0 and "--loops" in capsys.readouterr().err
    assert not (tmp_path / "e.h5").exists()
