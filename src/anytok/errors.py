"""Errors raised by anytok.

Every error anytok raises on bad input is an ``AnytokError``; each subclass also inherits the
builtin exception a caller would expect (``ValueError``, ``FileNotFoundError``, ...). Messages say
what is wrong, with which value, and how to fix it. The CLI prints them as one line, exit status 1.
"""

from __future__ import annotations


class AnytokError(Exception):
    """Base class of every error anytok raises on bad input."""


class TokenizerFormatError(AnytokError, ValueError):
    """A tokenizer file is unreadable, corrupt, or of a kind anytok cannot load."""


class EncodingError(AnytokError, ValueError):
    """Text cannot be encoded (for example a lone surrogate in a str)."""


class CorpusError(AnytokError, ValueError):
    """A training or evaluation corpus is empty, missing, not UTF-8 or malformed."""


class TrainingError(AnytokError, ValueError):
    """Training parameters are inconsistent (vocab_size below the alphabet, ...)."""


class OutputPathError(AnytokError, OSError):
    """An output path cannot be written."""


class ModelError(AnytokError, ValueError):
    """A model file or folder cannot be loaded, or does not fit its tokenizer."""


class TransplantError(AnytokError, ValueError):
    """A transplant request is inconsistent (unknown method, missing or mismatched donor, ...)."""


class HyperNetError(AnytokError, ValueError):
    """A hypernetwork folder is missing, corrupt, or made for another base model, or its config is invalid."""


class EngineError(AnytokError, RuntimeError):
    """A counting engine cannot run: Ray is missing, its cluster does not answer, a task died."""
