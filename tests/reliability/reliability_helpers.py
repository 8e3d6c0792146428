"""Helpers shared by the reliability tests (CLI argument lists, in-process runs, file
surgery)."""

from __future__ import annotations

import os

from latticeml.cli import main


def gauge_argv(out, *, beta=2.0, seed=1, group="su2", shape="4,4", n=3, extra=()):
    return ["gauge", "generate", "--group", group, "--shape", shape, "--beta", str(beta),
            "--n-configs", str(n), "--n-therm", "2", "--n-skip", "1", "--seed", str(seed),
            "--threads", "1", "--no-progress", *extra, "--out", str(out)]


def scalar_argv(out, *, mu=1.0, seed=3, worms=0, n=6, shape="8,2", extra=()):
    return ["scalar", "generate", "--shape", shape, "--mu", str(mu), "--eta", "4.01",
            "--lam", "1.0", "--n-configs", str(n), "--n-therm", "10", "--n-skip", "1",
            "--seed", str(seed), "--open-worms", str(worms), "--no-progress", *extra,
            "--out", str(out)]


def run(argv, cwd=None):
    """Run the CLI in this process (optionally in ``cwd``) and return its exit code."""
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return main([str(a) for a in argv])
    finally:
        os.chdir(old)


# ---- file surgery ---------------------------------------------------------------------------
def flip(path, offset, mask=0xFF):
    """XOR one byte of a file."""
    data = bytearray(open(path, "rb").read())
    data[offset] ^= mask
    open(path, "wb").write(bytes(data))


def find(path, needle: bytes) -> int:
    """Offset of the only occurrence of ``needle`` in a file."""
    data = open(path, "rb").read()
    first = data.find(needle)
    assert first >= 0, f"{needle!r} not in {path}"
    assert data.find(needle, first + 1) < 0, f"{needle!r} occurs twice in {path}"
    return first


def chunk(path, name, index=0):
    """(byte offset, stored size) of one chunk of an array; the last 4 bytes of a chunk are its
    Fletcher-32 checksum."""
    import h5py

    with h5py.File(path, "r") as f:
        info = f[name].id.get_chunk_info(index)
        return info.byte_offset, info.size


def edit(path, change, *, reseal=True):
    """Change a file with h5py; ``reseal`` recomputes its digests (a consistent file whose
    content is wrong, as a bug or a hostile writer would leave it)."""
    import h5py

    from latticeml.data import seal

    with h5py.File(path, "a") as f:
        change(f)
        if reseal:
            seal(f)


def strip_digests(path, version=1):
    """Turn a file into one of format ``version`` without content digests (a legacy file)."""
    import h5py

    with h5py.File(path, "a") as f:
        del f.attrs["content_sha256"]
        f.attrs["format_version"] = version

        def drop(name, obj):
            if isinstance(obj, h5py.Dataset) and "sha256" in obj.attrs:
                del obj.attrs["sha256"]

        f.visititems(drop)


def dump(path):
    """Every attribute and array of an HDF5 file, for exact comparisons."""
    import h5py
    import numpy as np

    out = {}
    with h5py.File(path, "r") as f:
        out["/"] = sorted((k, repr(v)) for k, v in f.attrs.items())

        def visit(name, obj):
            out[name + "@"] = sorted((k, repr(v)) for k, v in obj.attrs.items())
            if isinstance(obj, h5py.Dataset):
                value = obj[()]
                out[name] = value.tolist() if value.dtype.kind == "O" else np.asarray(value)

        f.visititems(visit)
    return out


def same_content(a, b) -> bool:
    import numpy as np

    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray):
            if not (isinstance(y, np.ndarray) and x.dtype == y.dtype and x.shape == y.shape
                    and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")):
                return False
        elif x != y:
            return False
    return True
