"""Deliver 2 / Why 3: a corrupted-file matrix across every reader and ``inspect``.

Every file kind latticeml writes (gauge and scalar ensembles, gauge and scalar datasets) is
damaged in every way listed in the issue -- truncated, a flipped byte in the data, in the
metadata, in a checksum (the Fletcher-32 of a chunk, the SHA-256 of an array, the file's
content digest), a stripped digest, a wrong kind, a wrong version -- and every reader must
refuse it with a :class:`FileFormatError` naming the file (and, for damaged data, the array);
the CLIs with exit code 2, one line, no traceback, nothing written.
"""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest
from reliability_helpers import (
    chunk,
    dump,
    edit,
    find,
    flip,
    run,
    same_content,
    strip_digests,
)

from latticeml.data import (
    GaugeDataset,
    ScalarDataset,
    read_gauge_ensemble,
    read_scalar_ensemble,
    verify_dataset,
)
from latticeml.data import layout as L
from latticeml.data.readers import dataset_info
from latticeml.errors import FileFormatError
from latticeml.evaluate.scalar import _read_test_set
from latticeml.train.data import load_gauge_split, load_scalar_split

KINDS = {
    "gauge": {"array": "links", "meta": b"heatbath", "other": "scalar-ensemble"},
    "scalar": {"array": "k", "meta": b"worm (k) + Metropolis (l)", "other": "gauge-ensemble"},
    "gauge_dataset": {"array": "inputs/links", "meta": b"link variables U_mu(x) in SU(N)",
                      "other": "scalar-dataset"},
    "scalar_dataset": {"array": "inputs/kl", "meta": b"channels (k_t, k_x, l_t, l_x)",
                       "other": "gauge-dataset"},
}


def _hex_change(path, text):
    """Change one hex digit of a digest stored in the file."""
    i = find(path, text.encode()) + 5
    data = bytearray(open(path, "rb").read())
    data[i] = ord("0") if data[i] != ord("0") else ord("1")
    open(path, "wb").write(bytes(data))


def _attr(path, name, attr):
    with h5py.File(path, "r") as f:
        value = (f[name] if name else f).attrs[attr]
    return value.decode() if isinstance(value, bytes) else str(value)


def _rewrite(ds):
    """Change one value of the first row to another valid one (a plausible edit)."""
    row = ds[0]
    flat = row.reshape(-1)
    if np.iscomplexobj(flat):  # an SU(N) link: swap the first two entries' phases
        flat[0] = np.conj(flat[0])
    else:
        flat[0] = flat[0] + 1
    ds[0] = row


def _evaluation_read(path):
    """What ``evaluate_scalar`` does with a test set: describe it (structure, metadata digest)
    before any work, then read its arrays."""
    dataset_info(path, L.SCALAR_DATASET_KIND)
    _read_test_set(path, "n")


def _truncate(path, keep):
    data = open(path, "rb").read()
    open(path, "wb").write(data[: keep(len(data))])


CORRUPTIONS = {
    "truncated-half": lambda p, k: _truncate(p, lambda n: n // 2),
    "truncated-tail": lambda p, k: _truncate(p, lambda n: n - 64),
    "data-low-byte": lambda p, k: flip(p, chunk(p, KINDS[k]["array"])[0], 0x01),
    "data-high-byte": lambda p, k: flip(p, chunk(p, KINDS[k]["array"])[0] + 7, 0x40),
    "metadata": lambda p, k: flip(p, find(p, KINDS[k]["meta"]) + 2, 0x20),
    "fletcher32": lambda p, k: flip(p, sum(chunk(p, KINDS[k]["array"])) - 1, 0x01),
    "file-digest": lambda p, k: _hex_change(p, _attr(p, None, "content_sha256")),
    "array-digest": lambda p, k: _hex_change(p, _attr(p, KINDS[k]["array"], "sha256")),
    "digest-stripped": lambda p, k: edit(p, lambda f: f.attrs.__delitem__("content_sha256"),
                                         reseal=False),
    "version-downgraded": lambda p, k: edit(
        p, lambda f: f.attrs.__setitem__("format_version", 1), reseal=False),
    # values rewritten by another tool (HDF5 recomputes Fletcher-32, the metadata and the
    # array's stale SHA-256 stay): only the array digest can tell
    "values-rewritten": lambda p, k: edit(p, lambda f: _rewrite(f[KINDS[k]["array"]]),
                                          reseal=False),
    "wrong-kind": lambda p, k: edit(p, lambda f: f.attrs.__setitem__("kind",
                                                                      KINDS[k]["other"])),
    "wrong-version": lambda p, k: edit(p, lambda f: f.attrs.__setitem__("format_version", 99)),
}
DATA = ("data-low-byte", "data-high-byte", "fletcher32", "values-rewritten")


def _lazy_read_all(cls, path, **kw):
    ds = cls(path, memory_budget_mb=0, **kw)
    for i in range(len(ds)):
        ds[i]


READERS = {
    "gauge": {
        "read_gauge_ensemble": lambda p, tmp: lambda: read_gauge_ensemble(p),
        "cli gauge inspect": lambda p, tmp: ["gauge", "inspect", p],
        "cli dataset gauge": lambda p, tmp: ["dataset", "build", "--inputs", p,
                                             "--no-progress", "--out", tmp / "out.h5"],
    },
    "scalar": {
        "read_scalar_ensemble": lambda p, tmp: lambda: read_scalar_ensemble(p),
        "cli scalar inspect": lambda p, tmp: ["scalar", "inspect", p],
        "cli dataset scalar": lambda p, tmp: ["dataset", "build", "--inputs", p,
                                              "--no-progress", "--out", tmp / "out.h5"],
    },
    "gauge_dataset": {
        "GaugeDataset": lambda p, tmp: lambda: GaugeDataset(p, targets=("W_1x1",)),
        "GaugeDataset lazy": lambda p, tmp: lambda: _lazy_read_all(GaugeDataset, p,
                                                               targets=("W_1x1",)),
        "verify_dataset": lambda p, tmp: lambda: verify_dataset(p),
        "cli dataset inspect": lambda p, tmp: ["dataset", "inspect", p],
        "load_gauge_split (training)": lambda p, tmp: lambda: load_gauge_split(p, "W_1x1"),
    },
    "scalar_dataset": {
        "ScalarDataset": lambda p, tmp: lambda: ScalarDataset(p, targets=("n",)),
        "ScalarDataset lazy": lambda p, tmp: lambda: _lazy_read_all(ScalarDataset, p,
                                                                targets=("n",)),
        "verify_dataset": lambda p, tmp: lambda: verify_dataset(p),
        "cli dataset inspect": lambda p, tmp: ["dataset", "inspect", p],
        "load_scalar_split (training)": lambda p, tmp: lambda: load_scalar_split(p, "n"),
        "test set of scalar evaluation": lambda p, tmp: lambda: _evaluation_read(p),
    },
}

CASES = [
    (kind, corruption, reader)
    for kind in KINDS
    for corruption in CORRUPTIONS
    for reader in READERS[kind]
    if not (corruption == "data-high-byte" and kind == "scalar_dataset")  # gzip: one case
]


@pytest.mark.parametrize(("kind", "corruption", "reader"), CASES,
                         ids=["-".join(c) for c in CASES])
def test_every_reader_refuses_every_corruption(copy_of, tmp_path, capsys, kind, corruption,
                                               reader):
    path = copy_of(kind)
    CORRUPTIONS[corruption](path, kind)
    action = READERS[kind][reader](str(path), tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warnings on the way to the refusal
        if isinstance(action, list):
            capsys.readouterr()
            assert run(action) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert path.name in err
            if corruption in DATA:
                assert KINDS[kind]["array"] in err, err
            assert not (tmp_path / "out.h5").exists()
        else:
            with pytest.raises(FileFormatError) as info:
                action()
            assert path.name in str(info.value)
            if corruption in DATA:
                assert KINDS[kind]["array"] in str(info.value)


def test_why3_flipped_bytes_in_links(copy_of, tmp_path, capsys):
    """Why 3: a flipped low-order byte passed everything; a flipped exponent byte made
    ``gauge inspect`` print unitarity = inf, ``dataset gauge`` write W_1x1 = -6.5e303 and
    ``dataset inspect`` exit 0."""
    for offset, mask in ((0, 0x01), (7, 0x7F)):  # lowest mantissa byte, exponent byte
        path = copy_of("gauge", f"g{offset}.h5")
        flip(path, chunk(path, "links")[0] + offset, mask)
        for argv in (["gauge", "inspect", path],
                     ["dataset", "build", "--inputs", path, "--out", tmp_path / "d.h5"]):
            capsys.readouterr()
            assert run(argv) == 2
            err = capsys.readouterr().err
            assert "links" in err and "inf" not in err.lower()
        assert not (tmp_path / "d.h5").exists()
    data = copy_of("gauge_dataset")
    offset, size = chunk(data, "inputs/links")
    flip(data, offset + size // 2, 0x10)  # in the middle of the links
    capsys.readouterr()
    assert run(["dataset", "inspect", data]) == 2
    assert "inputs/links" in capsys.readouterr().err


def test_values_are_checked_even_with_consistent_digests(copy_of):
    """A file whose digests match wrong values (a bug, a hostile writer) is refused by the
    value checks: SU(N), finiteness, flux conservation."""
    g = copy_of("gauge")
    edit(g, lambda f: f["links"].__setitem__((0, 0, 0, 0), 2 * np.eye(2, dtype=complex)))
    with pytest.raises(FileFormatError, match="links are not in SU"):
        read_gauge_ensemble(g)
    g = copy_of("gauge", "nan.h5")
    edit(g, lambda f: f["plaquette"].__setitem__(1, np.inf))
    with pytest.raises(FileFormatError, match="plaquette contains NaN or Inf"):
        read_gauge_ensemble(g)
    s = copy_of("scalar_closed")

    def break_flux(f):
        k = f["k"][0]
        k[0, 0, 0] += 1
        f["k"][0] = k

    edit(s, break_flux)
    with pytest.raises(FileFormatError, match="flux is not conserved"):
        read_scalar_ensemble(s)
    s = copy_of("scalar_closed", "neg.h5")
    edit(s, lambda f: f["l"].__setitem__((2, 0, 0, 1), -1))
    with pytest.raises(FileFormatError, match="l has negative entries"):
        read_scalar_ensemble(s)
    d = copy_of("scalar_dataset")

    def break_dataset_flux(f):
        kl = f["inputs/kl"][()]
        closed = np.flatnonzero(f["targets/open_worms"][()] == 0)[0]
        kl[closed, 0, 0, 0] += 1
        f["inputs/kl"][...] = kl

    edit(d, break_dataset_flux)
    with pytest.raises(FileFormatError, match="flux is not conserved"):
        verify_dataset(d)
    d = copy_of("gauge_dataset", "w.h5")
    edit(d, lambda f: f["targets/W_1x1"].__setitem__((0, 0, 0, 0), np.nan))
    with pytest.raises(FileFormatError, match="W_1x1 contains NaN"):
        verify_dataset(d)


def test_plaquette_inconsistent_with_links_is_refused_by_inspect(copy_of, capsys):
    g = copy_of("gauge")
    edit(g, lambda f: f["plaquette"].__setitem__(0, 0.123))
    capsys.readouterr()
    assert run(["gauge", "inspect", g]) == 2
    assert "plaquette" in capsys.readouterr().err


def test_legacy_files_without_digests_are_read_and_value_checked(copy_of, capsys):
    """Files of format 1 (before digests) stay readable; their values are still checked."""
    g = copy_of("gauge")
    strip_digests(g)
    arrays, attrs = read_gauge_ensemble(g)
    assert attrs["format_version"] == 1 and arrays["links"].shape[0] == 3
    capsys.readouterr()
    assert run(["gauge", "inspect", g]) == 0
    assert "none (format 1" in capsys.readouterr().out
    edit(g, lambda f: f["links"].__setitem__((0, 0, 0, 0, 0, 0), complex(np.inf)), reseal=False)
    with pytest.raises(FileFormatError, match="links contains NaN or Inf"):
        read_gauge_ensemble(g)
    d = copy_of("gauge_dataset")
    strip_digests(d)
    assert len(GaugeDataset(d)) == 6 and verify_dataset(d).attrs["format_version"] == 1
    current = copy_of("gauge", "current.h5")
    strip_digests(current, version=2)  # a current-format file must carry its digest
    with pytest.raises(FileFormatError, match="content_sha256"):
        read_gauge_ensemble(current)


@pytest.mark.parametrize("kind", list(KINDS))
def test_random_bit_flips_never_pass_silently(files, tmp_path, kind):
    """200 random single-bit flips anywhere in the file: every one is either refused with a
    FileFormatError or lands in unused bytes (the content read is exactly the original)."""
    read = {
        "gauge": read_gauge_ensemble,
        "scalar": read_scalar_ensemble,
        "gauge_dataset": verify_dataset,
        "scalar_dataset": verify_dataset,
    }[kind]
    original = files[kind].read_bytes()
    reference = dump(files[kind])
    rng = np.random.default_rng(list(KINDS).index(kind))
    path = tmp_path / files[kind].name
    refused = 0
    for offset in rng.choice(len(original), size=200, replace=False):
        data = bytearray(original)
        data[offset] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(data))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                read(path)
        except FileFormatError:
            refused += 1
            continue
        assert same_content(dump(path), reference), f"flip at byte {offset} passed silently"
    assert refused > 20
