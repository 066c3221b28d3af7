"""anytok: any language model, any tokenizer.

This is the public API; everything else is an implementation detail.
"""

from anytok.errors import AnytokError
from anytok.tokenizer import Tokenizer, load

__all__ = ["AnytokError", "Tokenizer", "load"]
__version__ = "0.1.0"
