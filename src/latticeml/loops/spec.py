"""Architecture specs (the mappings and presets of ``build_model``) as symbolic layer stacks.

The presets are read from ``latticeml/nn/presets.py`` without importing :mod:`latticeml.nn`
(which needs torch): the file only depends on :mod:`latticeml.errors`.  Supported kinds:

* ``lcnn``: ``Plaq`` -> L-CB x n -> Trace, with every option of
  :class:`latticeml.nn.models.LCNN` that keeps the network a polynomial in the links
  (``activation`` and ``polyakov`` are refused: ``L-Act`` is not polynomial and Polyakov loops
  wind around the finite lattice);
* ``gauge_net``: the layer types ``lcb``, ``lconv``, ``lbilin`` (``with: input`` / ``self``) of
  :class:`latticeml.nn.gauge_net.GaugeNet`, with their defaults;
* ``symbolic`` (this package only): like ``gauge_net``, plus ``plaq_conjugates`` (the input
  ``[U_p, U_p^dagger]``), used for the architecture of the seed talk's diagram.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from latticeml.checks import check_per_layer
from latticeml.errors import ParameterError
from latticeml.loops import layers as L

__all__ = ["LayerOp", "Architecture", "resolve_spec", "architecture", "load_presets"]

_LCNN_DEFAULTS = {
    "dim": 2, "n_colors": 2, "channels": (2,), "kernel_sizes": 2, "dilations": 1,
    "offsets": "forward", "local": False, "unit": True, "conjugates": True, "planes": None,
    "input_conjugates": False, "polyakov": False, "activation": None,
}
_IGNORED = {"n_colors", "group", "dtype", "head", "hidden", "head_activation", "out_features",
            "check_group", "init_scale"}
_LAYER_DEFAULTS = {
    "lcb": {"dilation": 1, "offsets": "forward", "local": False, "unit": True,
            "conjugates": True},
    "lconv": {"dilation": 1, "offsets": "forward", "local": True, "unit": False},
    "lbilin": {"unit": True, "conjugates": True, "with": "input"},
}
_PRESETS: dict | None = None


def load_presets() -> dict[str, tuple[dict, int]]:
    """Return the preset table of ``latticeml.nn.presets`` (read from its file, no torch)."""
    global _PRESETS
    if _PRESETS is None:
        mod = sys.modules.get("latticeml.nn.presets")
        if mod is None:
            path = Path(__file__).resolve().parent.parent / "nn" / "presets.py"
            spec = importlib.util.spec_from_file_location("latticeml.loops._nn_presets", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        _PRESETS = mod.PRESETS
    return _PRESETS


@dataclass(frozen=True)
class LayerOp:
    """One symbolic layer: ``kind`` in {'lcb', 'lconv', 'lbilin'} and its keyword options."""

    kind: str
    options: dict = field(default_factory=dict)
    partner: str = ""

    def describe(self) -> str:
        """Short human-readable form, e.g. ``lcb(K=2, forward, out=2)``."""
        opts = ", ".join(f"{k}={v}" for k, v in self.options.items())
        p = f", with={self.partner}" if self.partner else ""
        return f"{self.kind}({opts}{p})"


@dataclass(frozen=True)
class Architecture:
    """A polynomial gauge-equivariant network: input plaquettes and a list of layers."""

    dim: int
    planes: tuple[tuple[int, int], ...] | None
    plaq_conjugates: bool
    layers: tuple[LayerOp, ...]

    def describe(self) -> str:
        """One line per layer."""
        head = f"plaq(dim={self.dim}, conjugates={self.plaq_conjugates})"
        return "\n".join([head, *(op.describe() for op in self.layers), "trace"])


def resolve_spec(spec: Mapping | str) -> dict:
    """Expand a preset name or a ``{"preset": ...}`` mapping like ``build_model`` does."""
    if isinstance(spec, str):
        spec = {"preset": spec}
    if not isinstance(spec, Mapping):
        raise ParameterError("model", "a preset name or a mapping such as "
                             "{'preset': 'W2x2-small'}", spec)
    spec = dict(spec)
    if "preset" in spec:
        name = spec.pop("preset")
        table = load_presets()
        if name not in table:
            raise ParameterError("preset", f"one of {list(table)}", name)
        spec = {**dict(table[name][0]), **spec}
    return spec


def _planes(planes, dim: int):
    if planes is None:
        return None
    out = tuple(tuple(int(i) for i in p) for p in planes)
    for p in out:
        if len(p) != 2 or not 0 <= p[0] < p[1] < dim:
            raise ParameterError("planes", f"pairs (mu, nu) with 0 <= mu < nu < {dim}", p)
    return out


def _lcnn(spec: dict) -> Architecture:
    s = {**_LCNN_DEFAULTS, **spec}
    unknown = sorted(set(s) - set(_LCNN_DEFAULTS) - _IGNORED)
    if unknown:
        raise ParameterError("model (lcnn)", f"keys among {sorted(_LCNN_DEFAULTS)}", unknown)
    if s["activation"]:
        raise ParameterError("model.activation", "None (no L-Act)", s["activation"],
                             "L-Act is not a polynomial in the links: no finite loop content")
    if s["polyakov"]:
        raise ParameterError("model.polyakov", "False", s["polyakov"],
                             "Polyakov loops wind around the finite lattice; only contractible "
                             "loops are counted")
    dim = int(s["dim"])
    if not 2 <= dim <= 8:
        raise ParameterError("model.dim", "an integer in [2, 8]", s["dim"])
    channels = [int(c) for c in s["channels"]]
    if not channels or min(channels) < 1:
        raise ParameterError("model.channels", "a non-empty list of positive integers", channels)
    n = len(channels)
    ks = check_per_layer(s["kernel_sizes"], n, "model.kernel_sizes")
    ds = check_per_layer(s["dilations"], n, "model.dilations")
    ops = tuple(
        LayerOp("lcb", {"kernel_size": int(k), "out_channels": c, "dilation": int(d),
                        "offsets": s["offsets"], "local": bool(s["local"]),
                        "unit": bool(s["unit"]), "conjugates": bool(s["conjugates"])})
        for c, k, d in zip(channels, ks, ds, strict=True))
    return Architecture(dim, _planes(s["planes"], dim), bool(s["input_conjugates"]), ops)


def _layer_list(spec: dict, kind: str) -> Architecture:
    allowed = {"layers", "dim", "planes", "polyakov"} | _IGNORED
    if kind == "symbolic":
        allowed.add("plaq_conjugates")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ParameterError(f"model ({kind})", f"keys among {sorted(allowed)}", unknown)
    if spec.get("polyakov"):
        raise ParameterError("model.polyakov", "False", True,
                             "only contractible loops are counted")
    dim = int(spec.get("dim", 2))
    if not 2 <= dim <= 8:
        raise ParameterError("model.dim", "an integer in [2, 8]", spec.get("dim"))
    ops = []
    for i, layer in enumerate(spec.get("layers") or []):
        layer = dict(layer)
        t = str(layer.pop("type", ""))
        if t not in _LAYER_DEFAULTS:
            raise ParameterError(f"layers[{i}].type", f"one of {sorted(_LAYER_DEFAULTS)}",
                                 t or None, "lact/lexp are not polynomial in the links")
        opts = {**_LAYER_DEFAULTS[t], **layer}
        partner = str(opts.pop("with")) if t == "lbilin" else ""
        if partner not in ("", "input", "self"):
            raise ParameterError(f"layers[{i}].with", "'input' or 'self'", partner)
        opts.pop("init_scale", None)
        opts.pop("paired_input", None)
        if "out_channels" not in opts or (t != "lbilin" and "kernel_size" not in opts):
            raise ParameterError(f"layers[{i}] ({t})", "out_channels (and kernel_size)", layer)
        known = set(_LAYER_DEFAULTS[t]) - {"with"} | {"out_channels", "kernel_size"}
        bad = sorted(set(opts) - known)
        if bad:
            raise ParameterError(f"layers[{i}] ({t})", f"options among {sorted(known)}", bad)
        ops.append(LayerOp(t, opts, partner))
    if not ops:
        raise ParameterError("model.layers", "a non-empty list of layer mappings", None)
    return Architecture(dim, _planes(spec.get("planes"), dim),
                        bool(spec.get("plaq_conjugates", False)), tuple(ops))


def architecture(spec: Mapping | str) -> Architecture:
    """Turn a model spec (preset name or ``build_model`` mapping) into an :class:`Architecture`.

    Raises
    ------
    ParameterError
        Unknown preset/kind/key, non-polynomial layers, or options out of range.
    """
    s = resolve_spec(spec)
    kind = str(s.pop("kind", "")).lower()
    if kind == "lcnn":
        return _lcnn(s)
    if kind in ("gauge_net", "symbolic"):
        return _layer_list(s, kind)
    raise ParameterError("model.kind", "'lcnn', 'gauge_net' or 'symbolic' (gauge models "
                         "without L-Act)", kind or None, "or give a 'preset'")


def run_layers(arch: Architecture, *, max_products: int = L.DEFAULT_MAX_PRODUCTS,
               keep=None) -> list[L.Terms]:
    """Apply the layers symbolically; return the input and every layer output.

    Parameters
    ----------
    arch : Architecture
        The network.
    max_products : int
        Bound on the products formed by one layer.
    keep : callable, optional
        Keep only words ``w`` with ``keep(w)`` after every layer (pruned search).

    Returns
    -------
    list of Terms
        ``[input, layer 1, ..., layer n]``.
    """
    w = L.plaq(arch.dim, arch.planes, conjugates=arch.plaq_conjugates)
    out = [w]
    prev_in = w
    for op in arch.layers:
        o = dict(op.options)
        if op.kind == "lcb":
            new = L.lcb(w, o.pop("kernel_size"), dim=arch.dim, max_products=max_products,
                        keep=keep, **o)
        elif op.kind == "lconv":
            new = L.lconv(w, o.pop("kernel_size"), dim=arch.dim, keep=keep, **o)
        else:
            other = prev_in if op.partner == "input" else w
            new = L.lbilin(w, other, max_products=max_products, keep=keep, **o)
        prev_in, w = w, new
        out.append(w)
    return out


__all__ += ["run_layers"]
