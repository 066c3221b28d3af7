"""What every byte-level LM offers: next-byte distributions, scores and streaming generation.

Subclasses give ``next_byte_logprobs(prefix) -> (257,)``: log-probabilities of the 256 next bytes
and of end of text (index 256). Scoring and sampling are built on that alone.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterator

import numpy as np

from anytok.errors import AnytokError

EOS = 256


class ByteLMError(AnytokError, ValueError):
    """A byte-level LM got input it cannot handle (bad config, empty distribution, ...)."""


@dataclass(frozen=True)
class ByteScore:
    """Log-likelihood of a text (natural log, text as a prefix: no end of text counted).

    ``logprob``: sum of the next-byte log-probabilities (the normalised byte LM);
    ``canonical_logprob``: log of the total probability of canonical covers of the text (a lower
    bound on the token model's probability that its output starts with the text);
    ``lower_logprob`` and ``upper_logprob``: certified bounds on the log of the token model's
    probability of the text over every tokenization, canonical or not (the lower one is the
    canonical covers, or more when the bound search found other covers: :mod:`anytok.bytelm.bound`).
    The bounds are None when not computed (ensembles).
    """

    num_bytes: int
    logprob: float
    canonical_logprob: float | None = None
    upper_logprob: float | None = None
    token_positions: int | None = None
    lower_logprob: float | None = None

    @property
    def bits_per_byte(self) -> float:
        """-logprob / (num_bytes * ln 2)."""
        return -self.logprob / (max(self.num_bytes, 1) * math.log(2))

    @property
    def gap_bits_per_byte(self) -> float | None:
        """Width of the certified interval, (upper - lower) / (num_bytes * ln 2); None without bounds."""
        lower = self.lower_logprob if self.lower_logprob is not None else self.canonical_logprob
        if lower is None or self.upper_logprob is None:
            return None
        return (self.upper_logprob - lower) / (max(self.num_bytes, 1) * math.log(2))

    def to_dict(self) -> dict:
        """Plain dict, bits_per_byte and gap_bits_per_byte included."""
        return {**asdict(self), "bits_per_byte": self.bits_per_byte, "gap_bits_per_byte": self.gap_bits_per_byte}


@dataclass(frozen=True)
class SamplingConfig:
    """How to pick each next byte: temperature 0 is greedy; ``top_p`` keeps the smallest set of
    bytes whose probability reaches it; generation ends at end of text, after ``max_bytes``, or
    once the output ends with one of ``stop``."""

    max_bytes: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[bytes, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_bytes < 0:
            raise ByteLMError(f"max_bytes={self.max_bytes} is negative; give 0 or more")
        if self.temperature < 0 or not math.isfinite(self.temperature):
            raise ByteLMError(f"temperature={self.temperature} must be a finite number >= 0 (0: greedy)")
        if not 0.0 < self.top_p <= 1.0:
            raise ByteLMError(f"top_p={self.top_p} must be in (0, 1]")
        if any(not s for s in self.stop):
            raise ByteLMError("an empty stop string would stop at once; remove it")


def pick_byte(logprobs: np.ndarray, config: SamplingConfig, rng: np.random.Generator) -> int:
    """Index (0..256) drawn from ``logprobs`` (257,) under ``config``."""
    if config.temperature == 0.0:
        return int(np.argmax(logprobs))
    scaled = logprobs / config.temperature
    probs = np.exp(scaled - np.max(scaled))
    probs /= probs.sum()
    if config.top_p < 1.0:
        order = np.argsort(-probs, kind="stable")
        keep = np.searchsorted(np.cumsum(probs[order]), config.top_p) + 1
        trimmed = np.zeros_like(probs)
        trimmed[order[:keep]] = probs[order[:keep]]
        probs = trimmed / trimmed.sum()
    return int(rng.choice(len(probs), p=probs))


def text_logprob(logprobs: np.ndarray, data: bytes) -> float:
    """Sum of ``logprobs[k, data[k]]``: the log-likelihood of ``data`` from its (n + 1, 257) rows."""
    return float(logprobs[np.arange(len(data)), np.frombuffer(data, dtype=np.uint8)].sum())


def as_bytes(text: str | bytes) -> bytes:
    """UTF-8 bytes of ``text`` (bytes pass through)."""
    if isinstance(text, bytes):
        return text
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ByteLMError(f"text has a lone surrogate at character {e.start}; pass bytes instead") from None


class ByteModel:
    """Scoring and sampling on top of ``next_byte_logprobs``."""

    def next_byte_logprobs(self, prefix: str | bytes) -> np.ndarray:
        """(257,) log-probabilities of each next byte and of end of text (index 256)."""
        raise NotImplementedError

    def prepare_step(self, prefix: bytes) -> None:
        """Called by :meth:`generate` before each step; a subclass may prefetch work (no-op here)."""

    def byte_logprobs(self, text: str | bytes) -> np.ndarray:
        """(n + 1, 257): the next-byte log-probabilities after every prefix ``text[:k]``, k = 0..n."""
        data = as_bytes(text)
        return np.stack([self.next_byte_logprobs(data[:k]) for k in range(len(data) + 1)])

    def score(self, text: str | bytes) -> ByteScore:
        """Log-likelihood of ``text`` under the normalised byte LM (chain rule over bytes)."""
        data = as_bytes(text)
        return ByteScore(num_bytes=len(data), logprob=text_logprob(self.byte_logprobs(data), data))

    def generate(self, prompt: str | bytes = b"", **options) -> Iterator[bytes]:
        """Stream the continuation of ``prompt`` one byte at a time (a ``bytes`` of length one).

        ``prompt`` may end anywhere, even inside a token or a UTF-8 character. Options are the
        fields of :class:`SamplingConfig` (``max_bytes``, ``temperature``, ``top_p``, ``stop``,
        ``seed``); a stop string is yielded, then generation ends.
        """
        stop = options.pop("stop", ())
        stop = (stop,) if isinstance(stop, (str, bytes)) else tuple(stop)
        config = SamplingConfig(stop=tuple(as_bytes(s) for s in stop), **options)
        rng = np.random.default_rng(config.seed)
        text = as_bytes(prompt)
        out = b""
        while len(out) < config.max_bytes:
            self.prepare_step(text + out)
            b = pick_byte(self.next_byte_logprobs(text + out), config, rng)
            if b == EOS:
                return
            out += bytes([b])
            yield bytes([b])
            if any(out.endswith(s) for s in config.stop):
                return
