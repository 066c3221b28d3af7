"""Encode evaluation text once and keep the raw counts the metrics are computed from."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from anytok.errors import CorpusError
from anytok.scoring.metrics import tokens_per_word, word_spans
from anytok.tokenizer import Tokenizer


@dataclass(frozen=True)
class DomainStats:
    """Raw counts of one tokenizer on one domain; stats of several domains add up with :func:`merge`.

    ``id_counts``: (V,) occurrences of each id; ``word_tokens``: (W,) tokens per word.
    """

    texts: int
    n_bytes: int
    n_chars: int
    n_tokens: int
    id_counts: np.ndarray
    word_tokens: np.ndarray
    round_trip_failures: int
    seconds: float


def utf8_sizes(texts: Sequence[str]) -> list[int]:
    """UTF-8 byte length of each text; a lone surrogate raises CorpusError naming the text."""
    sizes = []
    for k, text in enumerate(texts):
        try:
            sizes.append(len(text.encode("utf-8")))
        except UnicodeEncodeError as e:
            raise CorpusError(f"text {k} has a lone surrogate at character {e.start}; it has no UTF-8 "
                              "bytes; clean it with s.encode('utf-8', 'replace').decode()") from None
    return sizes


def encode_timed(tok: Tokenizer, texts: Sequence[str]) -> tuple[list, float]:
    """HF encodings of ``texts`` (no specials added) through ``encode_batch``, and the seconds taken."""
    start = time.perf_counter()
    encodings = tok.backend.encode_batch(list(texts), add_special_tokens=False)
    return encodings, time.perf_counter() - start


def _word_tokens(texts: Sequence[str], encodings: list) -> np.ndarray:
    """(W,) tokens per whitespace-separated word over all texts (texts joined by a newline)."""
    starts, ends, offsets, base = [], [], [], 0
    for text, enc in zip(texts, encodings):
        ws, we = word_spans(text)
        starts.append(ws + base)
        ends.append(we + base)
        offsets.append(np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2) + base)
        base += len(text) + 1
    if not starts:
        return np.zeros(0, dtype=np.int64)
    return tokens_per_word(np.concatenate(starts), np.concatenate(ends), np.concatenate(offsets))


def domain_stats(tok: Tokenizer, texts: Sequence[str]) -> DomainStats:
    """Encode ``texts`` once and count bytes, characters, tokens per id, tokens per word, round trips."""
    sizes = utf8_sizes(texts)
    encodings, seconds = encode_timed(tok, texts)
    id_lists = [enc.ids for enc in encodings]
    all_ids = np.fromiter((i for ids in id_lists for i in ids), dtype=np.int64)
    failures = sum(tok.decode(ids) != text.encode("utf-8") for ids, text in zip(id_lists, texts))
    return DomainStats(
        texts=len(texts), n_bytes=sum(sizes), n_chars=sum(len(t) for t in texts), n_tokens=int(all_ids.size),
        id_counts=np.bincount(all_ids, minlength=tok.vocab_size), word_tokens=_word_tokens(texts, encodings),
        round_trip_failures=int(failures), seconds=seconds)


def merge(stats: Sequence[DomainStats]) -> DomainStats:
    """The stats of all domains together, as if they were one."""
    return DomainStats(
        texts=sum(s.texts for s in stats), n_bytes=sum(s.n_bytes for s in stats),
        n_chars=sum(s.n_chars for s in stats), n_tokens=sum(s.n_tokens for s in stats),
        id_counts=np.sum([s.id_counts for s in stats], axis=0),
        word_tokens=np.concatenate([s.word_tokens for s in stats]),
        round_trip_failures=sum(s.round_trip_failures for s in stats), seconds=sum(s.seconds for s in stats))


def grouped_token_counts(tok: Tokenizer, groups: Mapping[str, Sequence[str]]
                         ) -> tuple[dict[str, int], dict[str, int], float]:
    """Tokens and UTF-8 bytes of each group of texts, and the seconds taken.

    All groups go through ``encode_batch`` in one call, which keeps every core busy even when each
    group is small (a parallel corpus: 63 languages x 1211 short lines).
    """
    names = list(groups)
    flat = [text for name in names for text in groups[name]]
    sizes = utf8_sizes(flat)
    encodings, seconds = encode_timed(tok, flat)
    tokens, n_bytes, start = {}, {}, 0
    for name in names:
        end = start + len(groups[name])
        tokens[name] = sum(len(enc.ids) for enc in encodings[start:end])
        n_bytes[name] = sum(sizes[start:end])
        start = end
    return tokens, n_bytes, seconds


def token_count(tok: Tokenizer, texts: Sequence[str]) -> tuple[int, int, float]:
    """(tokens, UTF-8 bytes, seconds) of ``texts``: the cheap pass used for parallel corpora and references."""
    n_bytes = sum(utf8_sizes(texts))
    encodings, seconds = encode_timed(tok, texts)
    return sum(len(enc.ids) for enc in encodings), n_bytes, seconds
