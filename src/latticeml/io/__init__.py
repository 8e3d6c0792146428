"""Community file formats of gauge configurations: ILDG/LIME, NERSC and openQCD.

NumPy only: data is memory-mapped and converted in one vectorised step (no loop over links in
Python). Every reader returns an :class:`~latticeml.io.external.ExternalConfig` with the links
in this package's layout ``(L_t, L_x, L_y, L_z, 4, N, N)`` (axis 0 and direction 0 are time)
and says what it verified (checksums, header plaquette, unitarity) and what it assumed.
:mod:`latticeml.io.ensembles` turns external files into stage-1 ensembles and back
(``latticeml gauge import`` / ``export``).

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

from latticeml.io.external import ExternalConfig
from latticeml.io.ildg import read_ildg, write_ildg
from latticeml.io.lime import LimeRecord, read_records
from latticeml.io.nersc import read_nersc, write_nersc
from latticeml.io.openqcd import read_openqcd, write_openqcd

#: The formats and their readers.
READERS = {"ildg": read_ildg, "nersc": read_nersc, "openqcd": read_openqcd}
#: The formats and their writers.
WRITERS = {"ildg": write_ildg, "nersc": write_nersc, "openqcd": write_openqcd}
#: Format names.
FORMATS = tuple(READERS)

__all__ = ["ExternalConfig", "LimeRecord", "read_records", "read_ildg", "write_ildg",
           "read_nersc", "write_nersc", "read_openqcd", "write_openqcd", "READERS", "WRITERS",
           "FORMATS"]
