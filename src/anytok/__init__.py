"""anytok: any language model, any tokenizer.

This is the public API; everything else is an implementation detail.
"""

from anytok.errors import AnytokError
from anytok.models import fetch_model_file, list_models
from anytok.score import Comparison, Scorecard, compare, score
from anytok.tokenizer import Tokenizer, load
from anytok.train import train

__all__ = [
    "AnytokError", "Comparison", "Scorecard", "Tokenizer", "compare", "fetch_model_file", "list_models", "load",
    "score", "train",
]
__version__ = "0.1.0"
