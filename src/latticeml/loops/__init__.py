"""Symbolic path/loop algebra: which traced Wilson loops an L-CNN architecture can express.

Modules
-------
words
    Paths as words of oriented link steps, free and cyclic reduction, canonical traced loops.
layers
    ``plaq``, ``lconv``, ``lbilin``, ``lcb`` (fused L-CB), ``trace`` on formal sums of paths.
spec
    ``build_model`` specs and presets as symbolic layer stacks (no torch import).
content
    ``loop_content`` / ``count_loops``: traced loops of an architecture by length.
census
    ``max_loop_counts``: all distinct traced loops of each length on the lattice (Max column).
express
    ``can_express``: does an architecture contain an ``a x b`` Wilson loop; smallest one that does.
published
    The published table (Favoni et al. 2022) and the seed talk's diagram architecture.
"""

from latticeml.loops.census import max_loop_counts
from latticeml.loops.content import LoopContent, count_loops, loop_content
from latticeml.loops.express import Expressibility, can_express, minimal_architecture
from latticeml.loops.layers import (
    Terms,
    TooManyTermsError,
    lbilin,
    lcb,
    lconv,
    plaq,
    trace,
    unoriented,
)
from latticeml.loops.published import PUBLISHED_TABLE, TALK_ARCHITECTURE, TALK_COUNTS
from latticeml.loops.spec import Architecture, architecture
from latticeml.loops.words import (
    canonical_loop,
    cyclic_reduce,
    inverse,
    multiply,
    rectangle,
    reduce_word,
    transport,
)

__all__ = [
    "Architecture",
    "Expressibility",
    "LoopContent",
    "PUBLISHED_TABLE",
    "TALK_ARCHITECTURE",
    "TALK_COUNTS",
    "Terms",
    "TooManyTermsError",
    "architecture",
    "can_express",
    "canonical_loop",
    "count_loops",
    "cyclic_reduce",
    "inverse",
    "lbilin",
    "lcb",
    "lconv",
    "loop_content",
    "max_loop_counts",
    "minimal_architecture",
    "multiply",
    "plaq",
    "rectangle",
    "reduce_word",
    "trace",
    "transport",
    "unoriented",
]
