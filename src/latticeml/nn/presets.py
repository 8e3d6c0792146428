"""Named model presets: the L-CNN architectures of the paper and of the published code.

Paper presets (Favoni et al., PRL 128 (2022) 032003; 1+1D SU(2); input: the one plaquette
``W_01``; fused L-CB layers with forward offsets ``k = 1..K-1`` on both axes and no local term;
Trace; per-site ``Linear(2 C_last, 1)``).  One L-CB layer has
``C_out (2 C_in + 1) (2 C_in D (K-1) + 1)`` weights; the head has ``2 C_last + 1``.

==================  ============  =============  ===================================  ======
name                channels      kernel sizes   count                                params
==================  ============  =============  ===================================  ======
W1x1                1             1 (local)      1*3*3 + 3                            12
W1x2-small          2             2              2*3*5 + 5                            35
W1x2-medium         4             3              4*3*9 + 9                            117
W1x2-large          8             4              8*3*13 + 17                          329
W2x2-small          2, 2          2, 2           30 + 2*5*9 + 5                       125
W2x2-medium         4, 4          3, 3           108 + 4*9*33 + 9                     1305
W2x2-large          8, 8          4, 4           312 + 8*17*97 + 17                   13521
W4x4-small          2, 2, 2, 2    2, 2, 3, 3     30 + 90 + 2*5*17 + 170 + 5           465
W4x4-medium         4, 4, 4, 4    3, 3, 4, 4     108 + 1188 + 4*9*49 + 1764 + 9       4833
W4x4-large          8, 8, 8, 8    4, 4, 4, 4     312 + 3*(8*17*97) + 17               39905
==================  ============  =============  ===================================  ======

W1x1 is the architecture of the Letter's supplement (12 parameters): one channel, kernel size 1,
i.e. the local term only (``local=True``), which multiplies the plaquette with itself and the
unit; ``Tr`` of that already contains ``W_1x1``.  (Earlier versions of this table used the
W1x2-small architecture, 35 parameters, for W1x1; train that preset to compare.)
The counts fix the other architectures up to one choice: W4x4-small could also be kernels
``2, 2, 2, 4`` (same 465); all others are the only monotone channel/kernel sequences with the
published count.

Published-code presets (the ``GCMConv`` code of the paper's repository, as used in the
benchmarks): input channels ``W, W^dagger``, local + forward transport, so an L-CB layer has
``C_out (2 C_in + 1) (2 C_in (D (K-1) + 1) + 1)`` weights:

=============================  ============  =============  ==============================  ======
name                           channels      kernel sizes   count                           params
=============================  ============  =============  ==============================  ======
W2x2-small-published           2, 2          2, 2           2*5*13 + 2*5*13 + 5             265
W4x4-medium-published          4, 4, 6, 6    3, 3, 4, 4     420 + 1476 + 3078 + 6630 + 13   11617
=============================  ============  =============  ==============================  ======
"""

from __future__ import annotations

import copy

from latticeml.errors import ParameterError

__all__ = ["PRESETS", "preset_spec", "list_presets"]

_PAPER = {"kind": "lcnn", "dim": 2, "n_colors": 2, "offsets": "forward", "local": False,
          "input_conjugates": False, "head": "site"}
_PUBLISHED = {"kind": "lcnn", "dim": 2, "n_colors": 2, "offsets": "forward", "local": True,
              "input_conjugates": True, "head": "site"}


def _p(base, channels, kernels, params):
    return {**base, "channels": list(channels), "kernel_sizes": list(kernels)}, params


_TABLE = {
    "W1x1": _p({**_PAPER, "local": True}, [1], [1], 12),
    "W1x2-small": _p(_PAPER, [2], [2], 35),
    "W1x2-medium": _p(_PAPER, [4], [3], 117),
    "W1x2-large": _p(_PAPER, [8], [4], 329),
    "W2x2-small": _p(_PAPER, [2, 2], [2, 2], 125),
    "W2x2-medium": _p(_PAPER, [4, 4], [3, 3], 1305),
    "W2x2-large": _p(_PAPER, [8, 8], [4, 4], 13521),
    "W4x4-small": _p(_PAPER, [2, 2, 2, 2], [2, 2, 3, 3], 465),
    "W4x4-medium": _p(_PAPER, [4, 4, 4, 4], [3, 3, 4, 4], 4833),
    "W4x4-large": _p(_PAPER, [8, 8, 8, 8], [4, 4, 4, 4], 39905),
    "W2x2-small-published": _p(_PUBLISHED, [2, 2], [2, 2], 265),
    "W4x4-medium-published": _p(_PUBLISHED, [4, 4, 6, 6], [3, 3, 4, 4], 11617),
}

#: preset name -> (spec mapping, expected number of parameters)
PRESETS: dict[str, tuple[dict, int]] = _TABLE


def list_presets() -> list[str]:
    """Names of all presets."""
    return list(_TABLE)


def preset_spec(name: str) -> dict:
    """Return a fresh copy of the spec mapping of a preset.

    Raises
    ------
    ParameterError
        For an unknown name (the message lists the known ones).
    """
    try:
        return copy.deepcopy(_TABLE[name][0])
    except KeyError:
        raise ParameterError("preset", f"one of {list_presets()}", name) from None
