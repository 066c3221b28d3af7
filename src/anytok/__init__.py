"""anytok: any language model, any tokenizer.

This is the public API; everything else is an implementation detail.
"""

from anytok.bytelm import ByteLM, Ensemble
from anytok.errors import AnytokError
from anytok.eval import bits_per_byte
from anytok.models import LoadedModel, fetch_model_file, list_models, load_model, save_model
from anytok.score import Comparison, Scorecard, compare, score
from anytok.tokenizer import Tokenizer, load
from anytok.train import train
from anytok.transplant import transplant, transplant_to_folder

__all__ = [
    "AnytokError", "ByteLM", "Comparison", "Ensemble", "Scorecard", "Tokenizer", "compare", "fetch_model_file", "list_models", "load",
    "score", "train",
    "LoadedModel", "bits_per_byte", "load_model", "save_model", "transplant",
    "transplant_to_folder",
]
__version__ = "0.1.0"
