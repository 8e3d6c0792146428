"""Search spaces: a declarative YAML mapping -> Optuna suggestions -> a ``build_model`` spec.

Format
------
::

    model:                 # fixed keys of the model spec (anything build_model takes)
      kind: cnn
      dim: 2
    layers: {low: 1, high: 6}          # number of layers: a range, a list of choices or an int
    per_layer:                         # one value per layer -> lists of length `layers`
      channels: {low: 4, high: 512, log: true}
    shared:                            # one value for the whole model
      kernel_sizes: {choices: [1, 3, 5]}
      activation: {choices: [relu, tanh, gelu, silu]}
    training:                          # TrainParams keys searched per trial
      lr: {low: 1.0e-4, high: 1.0e-2, log: true}
      batch_size: {choices: [16, 32, 64]}

A distribution is ``{low, high}`` (integers when both bounds are integers, floats otherwise;
optional ``log: true`` and ``step``) or ``{choices: [...]}`` of numbers, strings or booleans;
any other value is fixed. ``per_layer`` keys with ``tied: true`` draw one value and repeat it
for every layer. Parameter names in the study are the keys, per-layer ones suffixed with the
layer index (``channels_0``, ``channels_1``, ...), so the same space always maps a trial's
parameters back to the same spec (:func:`spec_from_params`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from latticeml.catalog.training import SEARCHED_TRAINING
from latticeml.errors import ParameterError

__all__ = ["SearchSpace", "parse_space", "sample", "spec_from_params", "TRAINING_KEYS"]

#: Training parameters a space may search (TrainParams field -> type).
TRAINING_KEYS = {key: {"float": float, "int": int, "str": str}[kind]
                 for key, kind in SEARCHED_TRAINING.items()}
_TOP_KEYS = ("model", "layers", "per_layer", "shared", "training")
_DIST_KEYS = {"low", "high", "log", "step", "choices", "tied"}


@dataclass(frozen=True)
class Distribution:
    """One searched parameter."""

    name: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple = ()
    tied: bool = False

    @property
    def integer(self) -> bool:
        """True for an integer range."""
        return not self.choices and isinstance(self.low, int) and isinstance(self.high, int)

    def suggest(self, trial, name: str | None = None):
        """Draw a value from ``trial`` (an Optuna trial or ``FixedTrial``)."""
        name = name or self.name
        if self.choices:
            return trial.suggest_categorical(name, list(self.choices))
        if self.integer:
            return trial.suggest_int(name, self.low, self.high, step=self.step or 1, log=self.log)
        return trial.suggest_float(name, float(self.low), float(self.high), step=self.step,
                                   log=self.log)


@dataclass(frozen=True)
class SearchSpace:
    """A parsed search space (see the module docstring).

    Attributes
    ----------
    model : dict
        Fixed spec keys.
    layers : Distribution or int or None
        Number of layers (``None``: the space has no per-layer keys).
    per_layer : dict
        Key -> Distribution or fixed value, expanded to per-layer lists.
    shared : dict
        Key -> Distribution or fixed value.
    training : dict
        TrainParams key -> Distribution or fixed value.
    source : dict
        The mapping as written (stored with the study, so that workers agree on the space).
    """

    model: dict
    layers: Any
    per_layer: dict
    shared: dict
    training: dict
    source: dict

    @property
    def kind(self) -> str:
        """The model kind (``cnn``, ``lcnn``, ``eq``, ...)."""
        from latticeml.nn.presets import preset_spec

        if "kind" in self.model:
            return str(self.model["kind"]).lower()
        return str(preset_spec(self.model["preset"])["kind"]).lower()


def _dist(key: str, value: Any, where: str):
    """Return a distribution (``{low, high, ...}`` or ``{choices}``) or the fixed value."""
    if not isinstance(value, Mapping):
        return value
    name = f"{where}.{key}"
    unknown = sorted(set(value) - _DIST_KEYS)
    if unknown:
        raise ParameterError(name, f"distribution keys among {sorted(_DIST_KEYS)}", unknown,
                             "write {low: 1, high: 8} or {choices: [a, b]}")
    tied = bool(value.get("tied", False))
    if "choices" in value:
        choices = value["choices"]
        if not isinstance(choices, list) or not choices:
            raise ParameterError(name, "a non-empty list of choices", choices)
        for c in choices:
            if c is not None and not isinstance(c, (bool, int, float, str)):
                raise ParameterError(name, "choices that are numbers, strings or booleans",
                                     c, "search per-layer lists through per_layer instead")
        return Distribution(key, choices=tuple(choices), tied=tied)
    if "low" not in value or "high" not in value:
        raise ParameterError(name, "both 'low' and 'high' (or 'choices')", dict(value))
    low, high = value["low"], value["high"]
    for bound in (low, high):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)) \
                or not math.isfinite(bound):
            raise ParameterError(name, "finite numbers as bounds", bound)
    if low > high:
        raise ParameterError(name, "low <= high (a non-empty range)", f"[{low}, {high}]")
    log = bool(value.get("log", False))
    if log and low <= 0:
        raise ParameterError(name, "low > 0 on a log scale", low)
    step = value.get("step")
    if step is not None and log:
        raise ParameterError(name, "either 'step' or 'log', not both", dict(value))
    return Distribution(key, low=low, high=high, log=log, step=step, tied=tied)


def _model_keys(model: Mapping) -> list[str]:
    from latticeml.nn.build import MODEL_KINDS
    from latticeml.nn.presets import preset_spec

    kind = model.get("kind")
    if kind is None and "preset" in model:
        kind = preset_spec(model["preset"])["kind"]
    kind = str(kind or "").lower()
    if kind not in MODEL_KINDS:
        raise ParameterError("space.model.kind", f"one of {sorted(MODEL_KINDS)}",
                             kind or None)
    sig = inspect.signature(MODEL_KINDS[kind].__init__).parameters
    return [p for p in sig if p != "self"] + ["kind", "preset", "group", "dtype"]


def parse_space(source: str | Path | Mapping) -> SearchSpace:
    """Read and check a search space (a mapping, inline YAML or a YAML file).

    Raises
    ------
    ParameterError
        Unknown key, empty range, bad distribution, a key the model kind does not take.
    """
    if isinstance(source, Mapping):
        raw = dict(source)
    else:
        text = str(source)
        path = Path(text)
        if not text.lstrip().startswith("{") and path.suffix in (".yaml", ".yml", ".json"):
            if not path.is_file():
                raise ParameterError("--space", "an existing YAML file", text)
            text = path.read_text()
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ParameterError("--space", "valid YAML", str(source),
                                 str(exc).splitlines()[0]) from None
        if not isinstance(raw, Mapping):
            raise ParameterError("--space", "a mapping (model, layers, per_layer, shared, "
                                 "training)", raw)
        raw = dict(raw)
    unknown = sorted(set(raw) - set(_TOP_KEYS))
    if unknown:
        raise ParameterError("space", f"keys among {list(_TOP_KEYS)}", unknown)
    model = raw.get("model") or {}
    if not isinstance(model, Mapping) or not ("kind" in model or "preset" in model):
        raise ParameterError("space.model", "a mapping with 'kind' (or 'preset')", model)
    valid = _model_keys(model)
    sections = {}
    for section in ("per_layer", "shared", "training"):
        block = raw.get(section) or {}
        if not isinstance(block, Mapping):
            raise ParameterError(f"space.{section}", "a mapping of key -> distribution", block)
        for key in block:
            if section == "training" and key not in TRAINING_KEYS:
                raise ParameterError(f"space.training.{key}",
                                     f"a training key among {sorted(TRAINING_KEYS)}", key)
            if section != "training" and key not in valid:
                raise ParameterError(f"space.{section}.{key}",
                                     f"a keyword of the {model.get('kind', 'preset')} model "
                                     f"among {valid}", key)
        sections[section] = {k: _dist(k, v, f"space.{section}") for k, v in block.items()}
    for key in model:
        if key not in valid:
            raise ParameterError(f"space.model.{key}", f"a model keyword among {valid}", key)
    overlap = set(sections["per_layer"]) & set(sections["shared"]) | (
        (set(sections["per_layer"]) | set(sections["shared"])) & set(model))
    if overlap:
        raise ParameterError("space", "each key in one place (model, per_layer or shared)",
                             sorted(overlap))
    layers = raw.get("layers")
    if sections["per_layer"] and layers is None:
        raise ParameterError("space.layers", "the number of layers (an int or a range)", None,
                             "per_layer keys need it")
    if layers is not None:
        if isinstance(layers, list):
            layers = {"choices": layers}
        layers = _dist("layers", layers, "space")
        if isinstance(layers, Distribution):
            values = layers.choices or (layers.low, layers.high)
        else:
            values = (layers,)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError("space.layers", "whole numbers of layers >= 1", v)
    return SearchSpace(model=dict(model), layers=layers, per_layer=sections["per_layer"],
                       shared=sections["shared"], training=sections["training"],
                       source=_plain(raw))


def _plain(obj):
    """Return a JSON-safe copy (tuples -> lists) of a parsed mapping."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _value(trial, d, name=None):
    return d.suggest(trial, name) if isinstance(d, Distribution) else d


def sample(trial, space: SearchSpace) -> tuple[dict, dict]:
    """Draw one architecture and its training parameters.

    Parameters
    ----------
    trial : optuna.trial.Trial or optuna.trial.FixedTrial
        Where the values come from.
    space : SearchSpace
        The space.

    Returns
    -------
    spec : dict
        A ``build_model`` spec (what ``latticeml model train --model`` takes).
    training : dict
        TrainParams overrides (``lr``, ``batch_size``, ...).
    """
    spec = dict(space.model)
    n_layers = _value(trial, space.layers) if space.layers is not None else None
    for key, d in space.per_layer.items():
        if isinstance(d, Distribution) and d.tied:
            spec[key] = [_value(trial, d)] * n_layers
        elif isinstance(d, Distribution):
            spec[key] = [d.suggest(trial, f"{key}_{i}") for i in range(n_layers)]
        else:
            spec[key] = [d] * n_layers
    for key, d in space.shared.items():
        spec[key] = _value(trial, d)
    training = {key: TRAINING_KEYS[key](_value(trial, d)) for key, d in space.training.items()}
    return spec, training


def spec_from_params(space: SearchSpace, params: Mapping) -> tuple[dict, dict]:
    """Rebuild a trial's spec and training parameters from its recorded ``params``."""
    from optuna.trial import FixedTrial

    return sample(FixedTrial(dict(params)), space)
