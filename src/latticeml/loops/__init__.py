"""Symbolic path/loop algebra: which traced Wilson loops an L-CNN architecture can express.

The names of ``expand``, ``evaluate``, ``explain`` and ``report`` are re-exported lazily (they
need pandas, and torch for models); ``pictures`` is imported explicitly.

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
weighted
    The same layers on formal sums *with* coefficients (the actual weights of a network).
expand
    ``expand`` / ``expand_file``: a trained L-CNN as ``sum_l c_l Re Tr l(x + b_l) (+ Im)``.
evaluate
    ``evaluate_expansion``: a small independent evaluator of words and expansions on links.
explain
    ``reduce_by_identities``: the expansion modulo SU(N) trace identities (Mandelstam for
    SU(2)); ``target_residual``.
report
    ``explain_model_file``: expansion, verification and explanation of one model file.
output
    What ``latticeml loops explain`` prints and writes; ``draw_loop`` (one loop as PNG + PDF).
pictures
    Loops drawn on the lattice, a model's top loops, loop-count histograms.
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

_LAZY = {
    "expand": "latticeml.loops.expand",
    "expand_file": "latticeml.loops.expand",
    "terms_table": "latticeml.loops.expand",
    "positioned_loop": "latticeml.loops.expand",
    "evaluate_expansion": "latticeml.loops.evaluate",
    "trace_word": "latticeml.loops.evaluate",
    "path_product": "latticeml.loops.evaluate",
    "haar_links": "latticeml.loops.evaluate",
    "Explanation": "latticeml.loops.explain",
    "reduce_by_identities": "latticeml.loops.explain",
    "target_residual": "latticeml.loops.explain",
    "parse_target": "latticeml.loops.explain",
    "ExplainReport": "latticeml.loops.report",
    "explain_model_file": "latticeml.loops.report",
    "verify_expansion": "latticeml.loops.report",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latticeml.loops' has no attribute {name!r}")


__all__ = [
    *_LAZY,
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
