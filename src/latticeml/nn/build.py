"""``build_model(spec)``: any model from a plain mapping (as written in ``config.yaml``).

Spec format
-----------
A mapping with

* ``kind``: ``lcnn`` (:class:`~latticeml.nn.models.LCNN`), ``gauge_net``
  (:class:`~latticeml.nn.gauge_net.GaugeNet`, any sequence of gauge layers), ``cnn``
  (:class:`~latticeml.nn.baselines.BaselineCNN`), ``eq``, ``st``, ``fl``, ``flux``
  (:mod:`latticeml.nn.scalar_cnn`); may be omitted when ``preset`` is given;
* ``preset`` (optional): a name from :data:`~latticeml.nn.presets.PRESETS`; the other keys
  override the preset's values;
* ``group`` (optional, gauge models): ``su2``, ``su3`` or ``SU(N)``; sets ``n_colors``;
* ``dtype`` (optional): ``float32`` (default; complex64 links) or ``float64`` (complex128);
* every other key is a keyword argument of the model class (lists for per-layer values).

Example::

    build_model({"preset": "W2x2-small"})
    build_model({"kind": "lcnn", "group": "su3", "dim": 4, "channels": [4, 4],
                 "kernel_sizes": [2, 2], "head": "mean", "dtype": "float64"})
    build_model({"kind": "eq", "channels": [16, 32], "kernel_sizes": [3, 3]})
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Mapping

import torch
from torch import nn

from latticeml.catalog import models as model_catalog
from latticeml.errors import ParameterError
from latticeml.nn.presets import preset_spec

__all__ = ["MODEL_KINDS", "build_model", "parse_group"]

def _class(impl: str) -> type[nn.Module]:
    module, name = impl.split(":")
    return getattr(importlib.import_module(module), name)


#: Model kind -> class, from the catalogue (:mod:`latticeml.catalog.models`).
MODEL_KINDS: dict[str, type[nn.Module]] = {
    kind: _class(m.impl) for kind, m in model_catalog.MODEL_KINDS.items()
}
_GAUGE_KINDS = model_catalog.kinds("gauge")
_DTYPES = {"float32": torch.float32, "float64": torch.float64,
           "complex64": torch.float32, "complex128": torch.float64}


def parse_group(group: object) -> int:
    """``'su2'``, ``'SU(3)'``, ``'su(4)'`` -> N; anything else (U(1), SO(3), ...) is an error."""
    m = re.fullmatch(r"\s*su\s*\(?\s*(\d+)\s*\)?\s*", str(group).lower())
    if m is None or int(m.group(1)) < 2:
        raise ParameterError("group", "SU(N) with N >= 2, written su2, su3 or SU(N)", group,
                             "the gauge-equivariant layers are implemented for SU(N) only")
    return int(m.group(1))


def build_model(spec: Mapping) -> nn.Module:
    """Build a model from a plain mapping (see the module docstring for the format).

    Parameters
    ----------
    spec : Mapping
        The model specification.

    Returns
    -------
    torch.nn.Module
        The model, parameters in the requested dtype.

    Raises
    ------
    ParameterError
        Unknown kind, preset, group, dtype or keyword (the message lists the valid ones).
    """
    if not isinstance(spec, Mapping):
        raise ParameterError("model", "a mapping such as {'preset': 'W2x2-small'}", spec)
    spec = dict(spec)
    if "preset" in spec:
        base = preset_spec(spec.pop("preset"))
        if "group" in spec:  # the group chooses N; the preset's n_colors is only its default
            base.pop("n_colors", None)
        spec = {**base, **spec}
    kind = str(spec.pop("kind", "")).lower()
    if kind not in MODEL_KINDS:
        raise ParameterError("model.kind", f"one of {sorted(MODEL_KINDS)}", kind or None,
                             "or give a 'preset'")
    cls = MODEL_KINDS[kind]
    dtype_name = str(spec.pop("dtype", "float32"))
    if dtype_name not in _DTYPES:
        raise ParameterError("model.dtype", f"one of {sorted(_DTYPES)}", dtype_name)
    if "group" in spec:
        group = spec.pop("group")
        if kind not in _GAUGE_KINDS:
            raise ParameterError("model.group", "no group for scalar-field models", group)
        n = parse_group(group)
        if "n_colors" in spec and int(spec["n_colors"]) != n:
            raise ParameterError("model.n_colors", f"{n} to match group {group!r}",
                                 spec["n_colors"])
        spec["n_colors"] = n
    params = inspect.signature(cls.__init__).parameters
    valid = [p for p in params if p != "self"]
    unknown = sorted(set(spec) - set(valid))
    if unknown:
        raise ParameterError(f"model ({kind})", f"keys among {valid}", unknown,
                             "check the spelling in config.yaml")
    model = cls(**spec)
    return model.to(_DTYPES[dtype_name])
