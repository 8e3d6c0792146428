"""Stage 3: training (plain PyTorch): parameters, data in memory, the loop with exact resume.

Use from a notebook::

    from latticeml.train import TrainParams, train
    result = train(TrainParams(train="train.h5", val="val.h5", target="W_2x2",
                               model={"preset": "W2x2-small"}, out="runs/w22"))
    from latticeml.nn import load_model
    model = load_model(result.model_path)   # links (B, *shape, D, N, N) -> (B, *shape)
"""

from latticeml.train.data import GaugeSplit, check_model_fits, load_gauge_split
from latticeml.train.fit import TrainResult, resolve_device, train
from latticeml.train.params import TrainParams, parse_model_spec

__all__ = [
    "GaugeSplit",
    "TrainParams",
    "TrainResult",
    "check_model_fits",
    "load_gauge_split",
    "parse_model_spec",
    "resolve_device",
    "train",
]
