"""Bits per byte: the tokenizer-independent yardstick of a language model on a text.

``bpb = sum over predicted tokens of -log2 p(token | context) / UTF-8 bytes of the text``.

Fair comparisons across tokenizers rest on three rules:

1. **Same chunks.** Each text is cut into chunks of at most ``chunk_bytes`` bytes on line
   boundaries *before* tokenising (a line longer than that is cut at a UTF-8 character boundary),
   so every model and tokenizer sees the same pieces of text with the same amount of context.
2. **Every byte is paid for.** Each chunk is scored from a one-token context: the BOS token when
   the tokenizer's convention puts one first (``add_bos``); otherwise its EOS (end-of-text) token,
   the document separator such models were trained with; otherwise its BOS token if it has one.
   Every token of the chunk is then predicted by the model. A tokenizer with none of these has its
   first token of each chunk charged ``log2(vocab_size)`` bits (a uniform guess), the rest predicted.
3. **fp32 log-softmax**, whatever dtype the model runs in.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from anytok.errors import CorpusError
from anytok.tokenizer import Tokenizer

log = logging.getLogger(__name__)

_LOGIT_BUDGET = 2**27  # floats of logits held at once: (B, T, V) is batched to stay below this


@dataclasses.dataclass(frozen=True)
class BpbResult:
    """Bits per byte of one text: ``bits / n_bytes``."""

    name: str
    n_bytes: int
    n_tokens: int
    bits: float
    n_chunks: int

    @property
    def bpb(self) -> float:
        """Bits per UTF-8 byte."""
        return self.bits / self.n_bytes

    @property
    def bytes_per_token(self) -> float:
        """Compression of the tokenizer on this text."""
        return self.n_bytes / self.n_tokens

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for JSON), with ``bpb`` included."""
        return {**dataclasses.asdict(self), "bpb": self.bpb}


def chunk_text(data: bytes, *, chunk_bytes: int) -> list[bytes]:
    """Cut ``data`` into pieces of at most ``chunk_bytes`` bytes, on line ends where possible.

    Lines are packed greedily; a line longer than ``chunk_bytes`` is cut at UTF-8 character
    boundaries. ``b"".join(chunk_text(d, ...)) == d``.
    """
    if chunk_bytes < 4:
        raise CorpusError(f"chunk_bytes={chunk_bytes} is too small; use at least 4 (one UTF-8 character)")
    chunks: list[bytes] = []
    current = bytearray()
    for line in data.splitlines(keepends=True):
        if current and len(current) + len(line) > chunk_bytes:
            chunks.append(bytes(current))
            current = bytearray()
        while len(line) > chunk_bytes:
            cut = chunk_bytes
            while cut > 0 and (line[cut] & 0xC0) == 0x80:  # do not split a UTF-8 character
                cut -= 1
            chunks.append(line[:cut])
            line = line[cut:]
        current += line
    if current:
        chunks.append(bytes(current))
    return chunks


def read_text(path: str | os.PathLike, *, max_bytes: int | None = None) -> bytes:
    """The bytes of a UTF-8 text file, cut after the last line end within ``max_bytes``."""
    path = Path(path)
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{path} is not UTF-8 (byte {e.start}); convert it first") from None
    if max_bytes is not None and len(data) > max_bytes:
        end = data.rfind(b"\n", 0, max_bytes)
        data = data[: end + 1] if end >= 0 else data[:max_bytes]
    if not data:
        raise CorpusError(f"{path} is empty; give a text with at least one byte")
    return data


def context_prefix(tokenizer: Tokenizer) -> list[int]:
    """The one-token context each chunk is scored from (rule 2 of the module docstring), or []."""
    if tokenizer.add_bos and tokenizer.bos_id is not None:
        return [tokenizer.bos_id]
    for token_id in (tokenizer.eos_id, tokenizer.bos_id):
        if token_id is not None:
            return [token_id]
    return []


def _batches(seqs: list[list[int]], vocab: int) -> list[list[int]]:
    """Indices of ``seqs`` grouped so that each batch's (B, T, V) logits stay within the budget."""
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    batches: list[list[int]] = []
    for i in order:
        batch = batches[-1] if batches else None
        if batch is not None and (len(batch) + 1) * len(seqs[i]) * vocab <= _LOGIT_BUDGET:
            batch.append(i)
        else:
            batches.append([i])
    return batches


def _keeps_logits(model: Any) -> bool:
    """True when the model's forward takes ``logits_to_keep`` (transformers causal LMs): only the
    logits that are scored are computed, which matters for a long context and a large vocabulary."""
    import inspect

    return "logits_to_keep" in inspect.signature(model.forward).parameters


@torch.no_grad()
def sequence_bits(model: Any, seqs: Sequence[list[int]], *, n_context: int,
                  device: torch.device | str | None = None) -> list[float]:
    """Sum of -log2 p over tokens ``seq[n_context:]`` of each sequence (right-padded batches).

    seqs: B lists of token ids, each longer than ``n_context``; returns B floats (bits).
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    vocab = model.get_output_embeddings().weight.shape[0]
    out = [0.0] * len(seqs)
    for batch in _batches([list(s) for s in seqs], vocab):
        width = max(len(seqs[i]) for i in batch)
        ids = torch.zeros(len(batch), width, dtype=torch.long)
        mask = torch.zeros(len(batch), width, dtype=torch.long)
        for row, i in enumerate(batch):
            ids[row, : len(seqs[i])] = torch.tensor(seqs[i])
            mask[row, : len(seqs[i])] = 1
        ids, mask = ids.to(device), mask.to(device)
        extra = {"logits_to_keep": width - n_context + 1} if n_context > 1 and _keeps_logits(model) else {}
        logits = model(input_ids=ids, attention_mask=mask, **extra).logits.float()  # (B, K, V): positions width-K..
        start = width - logits.shape[1]  # context logits are not computed when the model can skip them
        logits = logits[:, :-1]  # (B, K-1, V): predictions of tokens start+1..width-1
        targets = ids[:, start + 1:]  # (B, K-1)
        nll = torch.logsumexp(logits, dim=-1) - logits.gather(-1, targets[..., None])[..., 0]  # (B, K-1)
        del logits
        keep = mask[:, start + 1:].clone()
        keep[:, : max(n_context - 1 - start, 0)] = 0  # context tokens after the first are not predicted
        bits = (nll * keep).sum(dim=1) / math.log(2)
        for row, i in enumerate(batch):
            out[i] = float(bits[row])
    return out


def bits_per_byte(model: Any, tokenizer: Tokenizer, text: bytes | str, *, name: str = "text",
                  chunk_bytes: int = 2048, device: torch.device | str | None = None,
                  progress: Callable[[int], None] | None = None) -> BpbResult:
    """Corpus-level bits per byte of ``model`` reading ``text`` through ``tokenizer``.

    ``progress(n)`` is called with the number of bytes scored after each group of chunks.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if not data:
        raise CorpusError(f"text {name!r} is empty; bits per byte needs at least one byte")
    chunks = chunk_text(data, chunk_bytes=chunk_bytes)
    prefix = context_prefix(tokenizer)
    encoded = tokenizer.encode_batch([c.decode("utf-8") for c in chunks])
    seqs = [prefix + ids for ids in encoded]
    n_context = max(len(prefix), 1)
    uniform = 0.0 if prefix else len(chunks) * math.log2(tokenizer.vocab_size)
    bits = 0.0
    step = 16
    for start in range(0, len(seqs), step):
        group = [s for s in seqs[start:start + step] if len(s) > n_context]
        bits += sum(sequence_bits(model, group, n_context=n_context, device=device)) if group else 0.0
        if progress is not None:
            progress(sum(len(c) for c in chunks[start:start + step]))
    n_tokens = sum(len(ids) for ids in encoded)
    result = BpbResult(name=name, n_bytes=len(data), n_tokens=n_tokens, bits=bits + uniform,
                       n_chunks=len(chunks))
    log.info("%s: %.4f bits/byte over %d bytes, %d tokens", name, result.bpb, len(data), n_tokens)
    return result
