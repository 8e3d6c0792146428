"""Published loop counts: the table of Favoni et al. (PRL 128 (2022) 032003) and the seed talk.

``PUBLISHED_TABLE`` holds the table exactly as printed (traced Wilson loops covered by the L-CNN
architectures in 1+1D, orientation kept), with the ``>= 24`` row under the key ``24`` and the
stated totals and maximal lengths apart.  Reproduced by :func:`~latticeml.loops.count_loops`
for every cell but two (see ``PUBLISHED_ERRATA``):

* W2x2 L, ``>= 24``: printed 7,210; the loops of length 24..34 number
  2768 + 2064 + 1264 + 704 + 256 + 64 = **7,120**, and only 7,120 makes the column add up to
  its printed total 16,725 (the printed entries sum to 16,815).
* W1x1 S: the table lists 3 loops (``Tr 1``, ``Tr U_p``, ``Tr U_p^dagger``), which is the
  content of a network *linear* in the plaquette.  The 12-parameter W1x1 architecture of the
  supplement (one channel, kernel size 1, local term: ``A = T = [W, W^dagger, 1]``) also forms
  ``W W`` and ``W^dagger W^dagger``, so it has 5 loops (``Tr U_p^2``, ``Tr U_p^dagger 2`` of
  length 8 in addition); the table's own Max column counts those double plaquettes (they are
  among the 28 loops of length 8).

The seed talk ("Visualizing the inner workings of L-CNNs", Ipp 2023) shows for one 2D
architecture the formal terms 2, 11, 144, 721, 521,284 after L-Plaq, L-Conv, L-Bilin, L-Conv,
L-Bilin and 21,720 traced loops after Trace.  ``TALK_ARCHITECTURE`` reproduces all six numbers:
plaquette and its conjugate as input; L-Conv with kernel size 2, *symmetric* offsets (+-1 along
both axes), the local term and the unit; L-Bilin of a layer with itself with the unit and without
conjugates; the same L-Conv and L-Bilin again.  The 21,720 counts loops up to orientation
(``Re Tr l = Re Tr l^dagger``): with orientation kept the architecture has 43,439 loops.
Forward offsets with kernel size 3 give the same formal-term counts but 55,001 (27,501) loops.
"""

from __future__ import annotations

__all__ = ["PUBLISHED_TABLE", "PUBLISHED_TOTALS", "PUBLISHED_MAX_LENGTH", "PUBLISHED_PRESETS",
           "PUBLISHED_ERRATA", "TALK_ARCHITECTURE", "TALK_COUNTS", "TALK_LOOPS"]

#: column -> {length: count}; key 24 is the row ">= 24"; missing lengths are empty cells (0).
PUBLISHED_TABLE: dict[str, dict[int, int]] = {
    "Max": {0: 1, 2: 0, 4: 2, 6: 4, 8: 28, 10: 152, 12: 1010},
    "W1x1 S": {0: 1, 2: 0, 4: 2},
    "W1x2 S": {0: 1, 2: 0, 4: 2, 6: 4, 8: 4},
    "W1x2 M": {0: 1, 2: 0, 4: 2, 6: 4, 8: 4, 10: 8},
    "W1x2 L": {0: 1, 2: 0, 4: 2, 6: 4, 8: 4, 10: 8, 12: 8},
    "W2x2 S": {0: 1, 2: 0, 4: 2, 6: 4, 8: 22, 10: 48, 12: 92, 14: 120, 16: 100, 18: 136,
               20: 32, 22: 64},
    "W2x2 M": {0: 1, 2: 0, 4: 2, 6: 4, 8: 22, 10: 76, 12: 204, 14: 412, 16: 712, 18: 928,
               20: 1056, 22: 768, 24: 800},
    "W2x2 L": {0: 1, 2: 0, 4: 2, 6: 4, 8: 22, 10: 76, 12: 220, 14: 532, 16: 1080, 18: 1896,
               20: 2620, 22: 3152, 24: 7210},
}
#: column -> printed total
PUBLISHED_TOTALS: dict[str, int] = {"W1x1 S": 3, "W1x2 S": 11, "W1x2 M": 19, "W1x2 L": 27,
                                    "W2x2 S": 621, "W2x2 M": 4985, "W2x2 L": 16725}
#: column -> printed maximal loop length
PUBLISHED_MAX_LENGTH: dict[str, int] = {"W1x1 S": 4, "W1x2 S": 8, "W1x2 M": 10, "W1x2 L": 12,
                                        "W2x2 S": 22, "W2x2 M": 28, "W2x2 L": 34}
#: column -> preset name of latticeml.nn.presets
PUBLISHED_PRESETS: dict[str, str] = {
    "W1x1 S": "W1x1", "W1x2 S": "W1x2-small", "W1x2 M": "W1x2-medium", "W1x2 L": "W1x2-large",
    "W2x2 S": "W2x2-small", "W2x2 M": "W2x2-medium", "W2x2 L": "W2x2-large",
}
#: (column, length) -> (printed, computed); length 24 means ">= 24"
PUBLISHED_ERRATA: dict[tuple[str, int], tuple[int, int]] = {
    ("W2x2 L", 24): (7210, 7120),
}

_LCONV = {"type": "lconv", "out_channels": 1, "kernel_size": 2, "offsets": "symmetric",
          "local": True, "unit": True}
_LBILIN = {"type": "lbilin", "out_channels": 1, "with": "self", "unit": True,
           "conjugates": False}
#: The architecture of the seed talk's diagram (a ``symbolic`` spec, see latticeml.loops.spec).
TALK_ARCHITECTURE: dict = {"kind": "symbolic", "dim": 2, "plaq_conjugates": True,
                           "layers": [_LCONV, _LBILIN, _LCONV, _LBILIN]}
#: formal terms after L-Plaq, L-Conv, L-Bilin, L-Conv, L-Bilin (as in the talk's diagram)
TALK_COUNTS: tuple[int, ...] = (2, 11, 144, 721, 521_284)
#: traced loops after Trace, up to orientation (as in the talk) and with orientation kept
TALK_LOOPS: dict[str, int] = {"unoriented": 21_720, "oriented": 43_439}
