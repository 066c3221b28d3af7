"""``anytok.hypernet``: a learned map from any token's base pieces to its embedding rows (ZeTT).

Trained once per base model with the model frozen (:func:`train_hypernet`), then used by
``transplant --method hypernet``, ``extend`` and heal. Imports torch: load it only when needed.
"""

from anytok.hypernet.model import HyperNet, HyperNetConfig
from anytok.hypernet.predict import RowPredictor
from anytok.hypernet.store import HyperNetError, load_hypernet, save_hypernet
from anytok.hypernet.train import HyperNetTrainer, StepReport, TrainConfig, train_hypernet

__all__ = ["HyperNet", "HyperNetConfig", "HyperNetError", "HyperNetTrainer", "RowPredictor", "StepReport",
           "TrainConfig", "load_hypernet", "save_hypernet", "train_hypernet"]
