"""Exact byte-level language models from token-level ones: token trie, canonicality, covers,
``ByteLM`` and ``Ensemble``."""

from anytok.bytelm.base import ByteLMError, ByteModel, ByteScore, SamplingConfig
from anytok.bytelm.core import ByteLM
from anytok.bytelm.ensemble import CombineMode, Ensemble

__all__ = ["ByteLM", "ByteLMError", "ByteModel", "ByteScore", "CombineMode", "Ensemble", "SamplingConfig"]
