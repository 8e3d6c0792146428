"""Community file formats of gauge configurations: ILDG/LIME, NERSC and openQCD.

NumPy only: data is memory-mapped and converted in one vectorised step (no loop over links in
Python). Every reader returns an :class:`~latticeml.io.external.ExternalConfig` with the links
in this package's layout ``(L_t, L_x, L_y, L_z, 4, N, N)`` (axis 0 and direction 0 are time)
and says what it verified (checksums, header plaquette, unitarity) and what it assumed.
:mod:`latticeml.io.ensembles` turns external files into stage-1 ensembles and back
(``latticeml gauge import`` / ``export``). ``READERS`` and ``WRITERS`` map each of ``FORMATS``
to its reader and writer.

Modules
-------
lime
    LIME records (the envelope of ILDG files).
ildg
    ILDG: ``ildg-format``, ``ildg-binary-data``, SciDAC checksum.
nersc
    NERSC: ``4D_SU3_GAUGE`` (two rows), ``_3x3``, IEEE32/64, big and little endian.
openqcd
    openQCD ``export_cnfg``.
ensembles
    External files <-> stage-1 ensemble files.
"""

from latticeml.io.external import FORMATS, ExternalConfig

# numba (the plaquette of the checks) is imported when a reader or writer is first used, so
# that the command line, which lists FORMATS, loads without it
_LAZY = {
    "LimeRecord": "latticeml.io.lime", "read_records": "latticeml.io.lime",
    "read_ildg": "latticeml.io.ildg", "write_ildg": "latticeml.io.ildg",
    "read_nersc": "latticeml.io.nersc", "write_nersc": "latticeml.io.nersc",
    "read_openqcd": "latticeml.io.openqcd", "write_openqcd": "latticeml.io.openqcd",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in ("READERS", "WRITERS"):
        verb = "read" if name == "READERS" else "write"
        return {f: getattr(importlib.import_module(f"latticeml.io.{f}"), f"{verb}_{f}")
                for f in FORMATS}
    raise AttributeError(f"module 'latticeml.io' has no attribute {name!r}")


__all__ = ["ExternalConfig", "FORMATS", "LimeRecord", "read_records", "read_ildg",
           "write_ildg", "read_nersc", "write_nersc", "read_openqcd", "write_openqcd"]
