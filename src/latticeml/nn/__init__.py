"""Neural networks: gauge-equivariant layers (L-CNN), baseline CNNs, scalar-field CNNs.

Layouts (ARCHITECTURE.md §5): links ``(B, *shape, D, N, N)`` complex; locally transforming
channels ``(B, C, *shape, N, N)`` complex; scalar inputs ``(B, 4, N_t, N_x)`` real.  No layer
stores the lattice size.  Build models from plain mappings with :func:`build_model`.

Modules
-------
functional
    Neighbour tables, plaquettes, Wilson and Polyakov lines, :class:`LinkCache`, transport.
layout, fused
    Site layout ``(B, V, N, C, N)``, fast permuting gathers, the fused L-CB kernel.
gauge_layers
    ``Plaq``, ``Poly``, ``LConv``, ``LBilin``, ``LConvBilin`` (L-CB).
gauge_pointwise
    ``LAct``, ``LExp``, ``Trace``.
heads, models, gauge_net
    ``SiteHead``, ``PoolHead``; the ``LCNN`` model (links in, invariant predictions out);
    ``GaugeNet`` (any sequence of gauge layers from a list of mappings).
action
    ``ActionLCNN``: a gauge-invariant action, the sum over sites of an L-CNN minus its
    vacuum value (kind ``action``; the fixed-point action's parametrisation);
    ``wilson_action_lcnn``: one that is exactly the Wilson action.
baselines, scalar_cnn
    ``BaselineCNN`` (circular convolutions, D = 2, 3, 4); ``EQ``, ``ST``, ``FL``,
    ``FluxClassifier`` for the dual scalar field.
modelfile
    Model files (``model.pt``): plain data with a checksum; ``load_model(path)``.
presets, build
    Paper and published-code presets with their parameter counts; ``build_model(spec)``.
validation
    Input checks at the models' entry (``ModelInputError``).
"""

from latticeml.nn import functional
from latticeml.nn.action import ActionLCNN, wilson_action_lcnn, wilson_action_spec
from latticeml.nn.baselines import BaselineCNN, CircularConv
from latticeml.nn.build import MODEL_KINDS, build_model, parse_group
from latticeml.nn.functional import LinkCache
from latticeml.nn.gauge_layers import LBilin, LConv, LConvBilin, Plaq, Poly, make_offsets
from latticeml.nn.gauge_net import GaugeNet
from latticeml.nn.gauge_pointwise import LAct, LExp, Trace
from latticeml.nn.heads import PoolHead, SiteHead
from latticeml.nn.modelfile import (
    Detector,
    Regressor,
    load_model,
    read_model_file,
    save_model_file,
)
from latticeml.nn.models import LCNN, count_parameters
from latticeml.nn.presets import PRESETS, list_presets, preset_spec
from latticeml.nn.scalar_cnn import EQ, FL, ST, FluxClassifier
from latticeml.nn.validation import ModelInputError, check_links

__all__ = [
    "functional",
    "LinkCache",
    "Plaq",
    "Poly",
    "LConv",
    "LBilin",
    "LConvBilin",
    "LAct",
    "LExp",
    "Trace",
    "make_offsets",
    "SiteHead",
    "PoolHead",
    "LCNN",
    "ActionLCNN",
    "wilson_action_lcnn",
    "wilson_action_spec",
    "GaugeNet",
    "BaselineCNN",
    "CircularConv",
    "EQ",
    "ST",
    "FL",
    "FluxClassifier",
    "build_model",
    "parse_group",
    "MODEL_KINDS",
    "PRESETS",
    "list_presets",
    "preset_spec",
    "count_parameters",
    "ModelInputError",
    "Detector",
    "Regressor",
    "load_model",
    "read_model_file",
    "save_model_file",
    "check_links",
]
