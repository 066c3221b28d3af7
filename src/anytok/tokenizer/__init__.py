"""The byte-level view of any tokenizer: load, encode, decode, save."""

from anytok.tokenizer.core import Tokenizer
from anytok.tokenizer.load import load

__all__ = ["Tokenizer", "load"]
