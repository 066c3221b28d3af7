"""anytok: any language model, any tokenizer.

This is the public API; everything else is an implementation detail.
"""

from typing import Any

from anytok.errors import AnytokError
from anytok.eval import bits_per_byte
from anytok.extend import NamedToken, extend
from anytok.models import LoadedModel, fetch_model_file, list_models, load_model, save_model
from anytok.score import Comparison, Scorecard, compare, score
from anytok.tokenizer import Tokenizer, load
from anytok.train import train
from anytok.transplant import transplant, transplant_to_folder

__all__ = [
    "AnytokError", "ByteLM", "Comparison", "Ensemble", "Scorecard", "Tokenizer", "compare", "fetch_model_file", "list_models", "load",
    "score", "train",
    "LoadedModel", "bits_per_byte", "load_model", "save_model", "transplant",
    "transplant_to_folder", "extend", "NamedToken",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``ByteLM`` and ``Ensemble`` are imported on first use: their modules take a quarter of a
    second to import, which every other command (a transplant, ``anytok --help``) would pay."""
    if name in ("ByteLM", "Ensemble"):
        from anytok import bytelm

        return getattr(bytelm, name)
    raise AttributeError(f"module 'anytok' has no attribute {name!r}")
