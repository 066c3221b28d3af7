"""Entrants: what reads the text. A subword LM (any tokenizer anytok loads), ``bytes`` (one id per
byte), ``lexinvariant:TOKENIZER`` (that tokenizer's ids, per-sequence random embeddings) and
``hierarchical`` (bytes pooled into words: :mod:`anytok.arena.hierarchical`).

Every entrant turns the same byte chunks into id sequences that start with its context token
(the same rule as ``anytok eval``: BOS, else end of text; a tokenizer with neither gets one more id
for it), so bits per byte mean the same thing for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from anytok.arena.config import ArenaError
from anytok.tokenizer import Tokenizer

BYTE_START = 256  # the byte model's context token


@dataclass(frozen=True)
class Entrant:
    """``kind``: subword, bytes, lexinvariant or hierarchical; ``tokenizer``: None for the byte kinds."""

    name: str
    kind: str
    tokenizer: Tokenizer | None = None

    @property
    def vocab_size(self) -> int:
        """Ids the model needs rows for."""
        if self.tokenizer is None:
            return BYTE_START + 1
        return self.tokenizer.vocab_size + (0 if self._own_prefix() else 1)

    def _own_prefix(self) -> list[int]:
        from anytok.eval.bpb import context_prefix

        return context_prefix(self.tokenizer)  # type: ignore[arg-type]

    def encode(self, chunks: Sequence[bytes]) -> list[list[int]]:
        """Each chunk as ``[context token] + ids``; ArenaError for a chunk the tokenizer cannot
        write back byte for byte (bits per byte would not be about this text)."""
        if self.kind == "hierarchical":
            return [list(chunk) for chunk in chunks]  # the model adds its own start byte
        if self.tokenizer is None:
            return [[BYTE_START, *chunk] for chunk in chunks]
        prefix = self._own_prefix() or [self.tokenizer.vocab_size]  # the extra id when it has no BOS / EOS
        encoded = self.tokenizer.encode_batch([c.decode("utf-8") for c in chunks])
        for chunk, ids in zip(chunks, encoded):
            if self.tokenizer.decode(ids) != chunk:
                raise ArenaError(f"entrant {self.name!r} cannot encode the corpus: its tokenizer does not give "
                                 f"back {chunk[:40]!r}... (unknown characters?); give a byte-level tokenizer or "
                                 "one with byte fallback")
        return [prefix + ids for ids in encoded]


def parse_entrant(spec: str) -> Entrant:
    """``bytes``, ``hierarchical``, ``lexinvariant:TOKENIZER`` or a tokenizer name / file / folder."""
    import anytok

    if spec in ("bytes", "hierarchical"):
        return Entrant(spec, spec)
    kind, source = ("lexinvariant", spec.split(":", 1)[1]) if spec.startswith("lexinvariant:") else ("subword", spec)
    try:
        tok = anytok.load(source)
    except Exception as e:  # noqa: BLE001 - any failure to load means the same thing here
        raise ArenaError(f"entrant {spec!r} is neither a kind (bytes, hierarchical, lexinvariant:TOKENIZER) nor a tokenizer "
                         f"anytok can load ({e})") from None
    return Entrant(spec, kind, tok)
