"""Stage 3: training (plain PyTorch): parameters, data in memory, the loop with exact resume.

Use from a notebook::

    from latticeml.train import TrainParams, train
    result = train(TrainParams(train="train.h5", val="val.h5", target="W_2x2",
                               model={"preset": "W2x2-small"}, out="runs/w22"))
    from latticeml.nn import load_model
    model = load_model(result.model_path)   # links (B, *shape, D, N, N) -> (B, *shape)
"""

from latticeml.train.params import TrainParams, parse_model_spec

# torch is imported when one of these is first used, so that the parameters (and the command
# line built from them) load without it
_LAZY = {"GaugeSplit": "latticeml.train.data", "check_model_fits": "latticeml.train.data",
         "load_gauge_split": "latticeml.train.data", "TrainResult": "latticeml.train.fit",
         "resolve_device": "latticeml.train.fit", "train": "latticeml.train.fit"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latticeml.train' has no attribute {name!r}")


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
