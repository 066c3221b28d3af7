"""Training options, validated once at the public entry point."""

from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, field, fields

from anytok._fields import option
from anytok.counting.options import CountOptions
from anytok.errors import TrainingError


MAX_VOCAB_SIZE = 2**31 - 1  # SentencePiece and tokenizers keep ids in 32 bits


class Algorithm(str, enum.Enum):
    """Training algorithms; the values are the CLI strings."""

    BPE = "bpe"
    SUPERBPE = "superbpe"
    PARITY = "parity"
    UNIGRAM = "unigram"


@dataclass(frozen=True, kw_only=True)
class TrainOptions(CountOptions):
    """Everything a trainer needs besides the corpus; the one declaration of these options (the
    counting ones are :class:`anytok.counting.options.CountOptions`', which this extends).

    ``anytok.train``'s keywords and ``anytok train``'s flags are both made from these fields
    (:func:`api_keywords`, :mod:`anytok.cli.train`), so the two cannot drift apart.
    """

    vocab_size: int = field(metadata={"help": "Vocabulary size, special tokens included.", "short": "-n"})
    from_counts: tuple[str, ...] = option((), "Train from a counts folder made by anytok count (repeatable: "
                                          "they add up) instead of reading corpus files.", flag="--from-counts")
    special_tokens: tuple[str, ...] = option((), "A special token (repeatable).", short="-s", flag="--special-token")
    min_frequency: int = option(0, "Lowest pair count that is merged.")
    max_token_length: int | None = option(None, "Longest token learned by merges, in bytes (HF's rule).")
    transition: int | None = option(None, "SuperBPE: vocabulary size where superwords start (default 80%).")
    max_words: int = option(4, "SuperBPE: most space-separated words in a superword token.")
    dev_lines: int = option(100, "Parity-aware BPE: the last N lines of each language file are its dev text.")

    def __post_init__(self) -> None:
        if not isinstance(self.vocab_size, int) or isinstance(self.vocab_size, bool) or self.vocab_size <= 0:
            raise TrainingError(f"vocab_size={self.vocab_size!r} must be a positive integer")
        if self.vocab_size > MAX_VOCAB_SIZE:
            raise TrainingError(f"vocab_size={self.vocab_size:,} is more ids than a tokenizer file can hold "
                                f"(token ids are 32-bit); pass at most {MAX_VOCAB_SIZE:,}")
        super().__post_init__()
        object.__setattr__(self, "special_tokens", tuple(self.special_tokens))
        object.__setattr__(self, "from_counts", tuple(self.from_counts))
        if self.min_frequency < 0:
            raise TrainingError(f"min_frequency={self.min_frequency} must be >= 0")
        if self.max_token_length is not None and self.max_token_length < 2:
            raise TrainingError(f"max_token_length={self.max_token_length} must be >= 2 (bytes), or None for no limit")
        if self.transition is not None and not 0 < self.transition <= self.vocab_size:
            raise TrainingError(
                f"transition={self.transition} must lie in 1..vocab_size ({self.vocab_size}); "
                "it is the vocabulary size where SuperBPE starts learning superwords")
        if self.max_words < 1:
            raise TrainingError(f"max_words={self.max_words} must be >= 1")
        if self.dev_lines < 1:
            raise TrainingError(f"dev_lines={self.dev_lines} must be >= 1")

    @property
    def transition_size(self) -> int:
        """SuperBPE's transition vocabulary size."""
        return self.transition if self.transition is not None else int(0.8 * self.vocab_size)


def parse_algorithm(value: str | Algorithm) -> Algorithm:
    """The Algorithm named ``value``; TrainingError listing the choices otherwise."""
    try:
        return Algorithm(value)
    except ValueError:
        choices = ", ".join(a.value for a in Algorithm)
        raise TrainingError(f"unknown algorithm {value!r}; choose one of {choices}") from None


def option_fields() -> list:
    """The user-settable fields of :class:`TrainOptions`: the required ones first, then in
    declaration order (the counting options, then the training ones)."""
    settable = [f for f in fields(TrainOptions) if f.init]
    return sorted(settable, key=lambda f: f.default is not MISSING or f.default_factory is not MISSING)
