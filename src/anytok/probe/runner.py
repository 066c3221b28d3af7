"""What every probe asks of a model: bits of a continuation given a context, next-token
distributions along a sequence, and a greedy completion, all from token ids the probe chooses.

Every sequence starts from the one-token context of :func:`anytok.eval.bpb.context_prefix`
(the same rule ``anytok eval`` scores with), and sums come from :func:`anytok.eval.bpb.sequence_bits`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import torch

from anytok.eval.bpb import _keeps_logits, context_prefix, sequence_bits
from anytok.tokenizer import Tokenizer


@dataclasses.dataclass
class ProbeModel:
    """A causal LM and the tokenizer it reads, as the probes use them."""

    model: Any
    tokenizer: Tokenizer
    name: str
    device: str = "cpu"

    def __post_init__(self) -> None:
        self.model.to(self.device)
        self.prefix = context_prefix(self.tokenizer)
        if not self.prefix:
            # Nothing to condition the first token on: the probes need one, so take id 0's row as a
            # neutral start. Both sides of every comparison start from it alike.
            self.prefix = [0]

    def encode(self, text: str | bytes) -> list[int]:
        """The canonical token ids of ``text`` (no BOS: the prefix is added by the methods)."""
        return self.tokenizer.encode(text)

    @torch.no_grad()
    def continuation_bits(self, context: Sequence[int], continuations: Sequence[Sequence[int]]) -> list[float]:
        """-log2 p(continuation | prefix + context) for each continuation (a sum over its tokens)."""
        head = self.prefix + list(context)
        seqs = [head + list(c) for c in continuations]
        return sequence_bits(self.model, seqs, n_context=len(head), device=self.device)

    @torch.no_grad()
    def sequence_bits(self, ids: Sequence[int]) -> float:
        """-log2 p of every token of ``ids`` after the prefix."""
        return self.continuation_bits([], [ids])[0]

    @torch.no_grad()
    def next_token_logprobs(self, ids: Sequence[int]) -> torch.Tensor:
        """(len(ids) + 1, V) fp32 log-probabilities of the next token after prefix + ids[:k], k = 0..len(ids)."""
        seq = torch.tensor([self.prefix + list(ids)], device=self.device)
        logits = self.model(input_ids=seq).logits[0, len(self.prefix) - 1:].float()
        return torch.log_softmax(logits[:, : self.tokenizer.vocab_size], dim=-1)

    @torch.no_grad()
    def greedy(self, context: Sequence[int], *, max_tokens: int, stop: bytes = b"\n", lead: bytes = b"") -> bytes:
        """The bytes of a greedy continuation of prefix + context: at most ``max_tokens`` tokens,
        cut before the first ``stop``; a ``lead`` the continuation starts with is dropped first (a
        next line after a context that ends at a line end). A KV cache carries the context."""
        from transformers import DynamicCache

        from anytok.bytelm.tree import cache_keyword

        cache = DynamicCache()  # grows in place
        keyword = {cache_keyword(self.model): cache, "use_cache": True}
        first = {"logits_to_keep": 1} if _keeps_logits(self.model) else {}  # the context's last logits only
        out = self.model(input_ids=torch.tensor([self.prefix + list(context)], device=self.device), **keyword, **first)
        new: list[int] = []
        text = b""
        for _ in range(max_tokens):
            token = int(out.logits[0, -1, : self.tokenizer.vocab_size].argmax())
            if token in self.tokenizer.special_ids:
                break
            new.append(token)
            text = self.tokenizer.decode(new)
            if lead and text.startswith(lead):
                text = text[len(lead):]
            elif lead and lead.startswith(text):
                continue  # still inside the lead
            if stop and stop in text:
                return text[: text.index(stop)]
            out = self.model(input_ids=torch.tensor([[token]], device=self.device), **keyword)
        return text
