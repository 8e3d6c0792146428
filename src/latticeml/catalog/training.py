"""Facts about training runs that the workflow needs without importing torch.

Pure Python (no numpy, no torch).
"""

from __future__ import annotations

__all__ = ["SEARCHED_TRAINING"]

#: Training parameters a search may set per trial (``TrainParams`` field -> type name). A
#: searched architecture's ``best.yaml`` carries them to ``latticeml model train --training-from``,
#: which refuses the same flags beside it; the workflow leaves them out of such a command.
SEARCHED_TRAINING: dict[str, str] = {"lr": "float", "batch_size": "int",
                                     "weight_decay": "float", "schedule": "str"}
