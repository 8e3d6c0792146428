"""ILDG, NERSC and openQCD: a real third-party file, round trips, byte layouts, bad inputs."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from latticeml.errors import FileFormatError
from latticeml.gauge.transform import gauge_transform, haar_gauge_transformation, haar_links
from latticeml.io import (
    read_ildg,
    read_nersc,
    read_openqcd,
    read_records,
    write_ildg,
    write_nersc,
    write_openqcd,
)
from latticeml.io._layout import project_su_n
from latticeml.io.lime import write_lime
from tests.io import reference

FIXTURE = Path(__file__).parent / "fixtures" / "conf_08080808.ildg"
#: A lattice with four different extents, so that any mix-up of axes shows.
SHAPE = (2, 4, 6, 2)


def _smooth(n: int, seed: int = 0, shape=SHAPE) -> np.ndarray:
    """A random gauge transform of links near the unit: SU(N), plaquette far from 0."""
    rng = np.random.default_rng(seed)
    near = project_su_n(np.eye(n) + 0.2 * (haar_links(rng, shape, n) - np.eye(n)))
    return gauge_transform(near, haar_gauge_transformation(rng, shape, n))


# ---- the real third-party file ------------------------------------------------------------


def test_the_gaugefields_jl_file_reads_to_its_stated_plaquette():
    cfg = read_ildg(FIXTURE, shape=(8, 8, 8, 8), group="su3", precision=64)
    assert abs(cfg.plaquette - 0.555243594507) < 5e-13
    assert cfg.unitarity < 2e-15 and cfg.group == "su3" and cfg.shape == (8, 8, 8, 8)
    assert any("no ildg-format record" in note for note in cfg.notes)
    assert "no scidac-checksum" in cfg.checksum
    # the slow reader of the description agrees at a few sites (axes and directions)
    data = FIXTURE.read_bytes()
    rec = [r for r in read_records(FIXTURE) if r.type == "ildg-binary-data"][0]
    body = data[rec.offset:rec.offset + rec.length]
    for t, x, y, z in [(0, 0, 0, 0), (1, 2, 3, 4), (7, 6, 5, 4), (3, 0, 7, 1)]:
        np.testing.assert_array_equal(cfg.links[t, x, y, z],
                                      reference.read_ildg_site(body, (8, 8, 8, 8), 3, t, x, y, z))


def test_a_file_without_format_record_needs_the_caller():
    with pytest.raises(FileFormatError, match="--shape, --group, --precision"):
        read_ildg(FIXTURE)
    with pytest.raises(FileFormatError, match="needs"):  # wrong shape: the size says so
        read_ildg(FIXTURE, shape=(8, 8, 8, 4), group="su3", precision=64)
    with pytest.raises(FileFormatError, match="needs"):  # wrong precision
        read_ildg(FIXTURE, shape=(8, 8, 8, 8), group="su3", precision=32)


def test_the_fixture_in_the_wrong_endianness_is_refused(tmp_path):
    """Same byte count, every number's bytes reversed: the group check catches it."""
    data = FIXTURE.read_bytes()
    rec = [r for r in read_records(FIXTURE) if r.type == "ildg-binary-data"][0]
    swapped = np.frombuffer(data[rec.offset:rec.offset + rec.length], ">c16").astype("<c16")
    out = tmp_path / "swapped.ildg"
    with open(out, "wb") as f:
        write_lime(f, [("ildg-binary-data", swapped)])
    with pytest.raises(FileFormatError, match="not SU"):
        read_ildg(out, shape=(8, 8, 8, 8), group="su3", precision=64)


# ---- round trips and byte layouts ---------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3])
def test_ildg_round_trip_and_bytes(tmp_path, n):
    links = _smooth(n)
    write_ildg(tmp_path / "a.ildg", links)
    cfg = read_ildg(tmp_path / "a.ildg")
    np.testing.assert_array_equal(cfg.links, links)
    assert cfg.checksum == "scidac crc32 ok" and cfg.notes == ()
    write_ildg(tmp_path / "b.ildg", cfg.links)
    assert (tmp_path / "a.ildg").read_bytes() == (tmp_path / "b.ildg").read_bytes()
    rec = [r for r in read_records(tmp_path / "a.ildg") if r.type == "ildg-binary-data"][0]
    body = (tmp_path / "a.ildg").read_bytes()[rec.offset:rec.offset + rec.length]
    assert body == reference.ildg_binary(links)
    # single precision: within float32 rounding, projected back onto SU(N)
    write_ildg(tmp_path / "s.ildg", links, precision=32)
    single = read_ildg(tmp_path / "s.ildg")
    assert single.precision == 32 and np.abs(single.links - links).max() < 3e-7
    rec = [r for r in read_records(tmp_path / "s.ildg") if r.type == "ildg-binary-data"][0]
    body = (tmp_path / "s.ildg").read_bytes()[rec.offset:rec.offset + rec.length]
    assert body == reference.ildg_binary(links, ">ff")


@pytest.mark.parametrize("n, two_rows", [(2, False), (3, False), (3, True)])
@pytest.mark.parametrize("precision, big", [(64, True), (64, False), (32, True), (32, False)])
def test_nersc_round_trip_and_bytes(tmp_path, n, two_rows, precision, big):
    links = _smooth(n, seed=1)
    a = tmp_path / "a.nersc"
    write_nersc(a, links, precision=precision, two_rows=two_rows, big_endian=big)
    cfg = read_nersc(a)
    tol = 1e-14 if precision == 64 else 3e-7  # two rows: the third reconstructed
    assert np.abs(cfg.links - links).max() < tol and cfg.checksum == "nersc sum ok"
    assert abs(cfg.header_plaquette - cfg.plaquette) < 1e-9
    head, _, body = a.read_bytes().partition(b"END_HEADER\n")
    assert f"FLOATING_POINT = IEEE{precision}{'BIG' if big else 'LITTLE'}".encode() in head
    kind = {64: "dd", 32: "ff"}[precision]
    assert body == reference.nersc_binary(links, 2 if two_rows else n,
                                          (">" if big else "<") + kind)
    if precision == 64:  # bit for bit back
        b = tmp_path / "b.nersc"
        write_nersc(b, cfg.links, precision=precision, two_rows=two_rows, big_endian=big)
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("n", [2, 3])
def test_openqcd_round_trip_and_bytes(tmp_path, n):
    links = _smooth(n, seed=2)
    write_openqcd(tmp_path / "a.oqcd", links)
    cfg = read_openqcd(tmp_path / "a.oqcd")
    np.testing.assert_array_equal(cfg.links, links)
    raw = (tmp_path / "a.oqcd").read_bytes()
    dims = struct.unpack("<4i", raw[:16])
    plaq = struct.unpack("<d", raw[16:24])[0]
    assert dims == SHAPE and abs(plaq - n * cfg.plaquette) < 1e-12  # not divided by N
    assert raw[24:] == reference.openqcd_binary(links)
    write_openqcd(tmp_path / "b.oqcd", cfg.links)
    assert raw == (tmp_path / "b.oqcd").read_bytes()


def test_the_openqcd_reorder_covers_every_link_once():
    """Label every link by its index: the file holds each exactly once."""
    shape, n = (2, 2, 4, 2), 2
    labels = np.arange(np.prod(shape) * 4, dtype=float).reshape(*shape, 4)
    links = np.zeros((*shape, 4, n, n), complex)
    links[..., 0, 0] = labels
    data = np.frombuffer(reference.openqcd_binary(links), "<c16").reshape(-1, n, n)
    assert sorted(data[:, 0, 0].real.astype(int)) == list(range(labels.size))


# ---- bad input: one line naming the file and the problem ----------------------------------


def _error(func, *args, **kwargs) -> str:
    with pytest.raises(FileFormatError) as info:
        func(*args, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_truncated_files(tmp_path):
    links = _smooth(3)
    for name, write, read in (("a.ildg", write_ildg, read_ildg),
                              ("a.nersc", write_nersc, read_nersc),
                              ("a.oqcd", write_openqcd, read_openqcd)):
        path = tmp_path / name
        write(path, links)
        path.write_bytes(path.read_bytes()[:-200])
        text = _error(read, path)
        assert str(path) in text and ("truncated" in text or "needs" in text), text


def test_checksum_plaquette_and_group_mismatches(tmp_path):
    links = _smooth(3, seed=4)
    path = tmp_path / "a.ildg"
    write_ildg(path, links)
    raw = bytearray(path.read_bytes())
    rec = [r for r in read_records(path) if r.type == "ildg-binary-data"][0]
    raw[rec.offset + 100] ^= 1
    path.write_bytes(bytes(raw))
    assert "SciDAC checksum mismatch" in _error(read_ildg, path)

    nersc = tmp_path / "a.nersc"
    write_nersc(nersc, links)
    head, _, body = nersc.read_bytes().partition(b"END_HEADER\n")
    flipped = bytearray(body)
    flipped[1000] ^= 4
    nersc.write_bytes(head + b"END_HEADER\n" + bytes(flipped))
    assert "checksum mismatch" in _error(read_nersc, nersc)
    text = head.decode()
    line = [ln for ln in text.splitlines() if ln.startswith("PLAQUETTE")][0]
    nersc.write_bytes(text.replace(line, "PLAQUETTE = 0.123").encode() + b"END_HEADER\n" + body)
    assert "PLAQUETTE mismatch" in _error(read_nersc, nersc)

    write_nersc(nersc, 1.01 * links, force=True)  # consistent header, links not SU(3)
    assert "not SU(3)" in _error(read_nersc, nersc)

    oqcd = tmp_path / "a.oqcd"
    write_openqcd(oqcd, links)
    raw = bytearray(oqcd.read_bytes())
    raw[16:24] = struct.pack("<d", 2.5)
    oqcd.write_bytes(bytes(raw))
    assert "plaquette mismatch" in _error(read_openqcd, oqcd)
    raw[:16] = struct.pack(">4i", *SHAPE)  # big-endian header: not openQCD
    oqcd.write_bytes(bytes(raw))
    assert "extents" in _error(read_openqcd, oqcd)


def test_wrong_formats_and_unknown_records(tmp_path):
    links = _smooth(2)
    path = tmp_path / "a.ildg"
    with open(path, "wb") as f:
        write_lime(f, [("my-own-record", b"hello"), ("ildg-binary-data", b"\0" * 8)])
    assert "unknown LIME record type 'my-own-record'" in _error(read_ildg, path)
    write_nersc(tmp_path / "a.nersc", links)
    assert "not a LIME file" in _error(read_ildg, tmp_path / "a.nersc")
    write_ildg(path, links, force=True)
    assert "BEGIN_HEADER" in _error(read_nersc, path)
    with open(path, "wb") as f:
        write_lime(f, [("ildg-format", b"<field>su3gauge</field>")])
    assert "no ildg-binary-data" in _error(read_ildg, path)
