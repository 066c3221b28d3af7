"""The hierarchical entrant: bytes pooled into words, a word-level backbone, a byte decoder (as in
HAT, Neitemeier et al. 2025, and Learn Your Tokens, Thawani et al. 2023), an exact byte-level LM.

Words follow a rule that looks at two bytes only: a word ends before a whitespace byte that follows
a non-whitespace one, or after :data:`MAX_WORD` bytes (``"the cat\\n\\nsat"`` is ``the``, `` cat``,
``\\n\\nsat``). So whether a next byte goes on with the current word or starts a new one is known
from the prefix, and the model is a proper distribution over bytes:

* a byte encoder (one causal block over the chunk's bytes) gives each word the vector at its last byte;
* the backbone (the arena's blocks) reads word vectors causally; its output after word j is the
  context of word j + 1;
* the decoder (one causal block per word) reads that context and the word's bytes and predicts each
  next byte or the end of the word (id 256), over only the choices the rule allows at that point,
  renormalised: after whitespace, any byte (the word goes on); after another byte, the non-whitespace
  bytes and the end; at the length limit, the end; at a word's start, whitespace (or, after a word
  cut at the limit, any byte).

Then ``p(b | x)`` is ``q(b)`` when b continues the current word and ``q(end) r(b)`` when it starts a
new one; the next-byte probabilities sum to 1 and their product is the likelihood of the text.
"""

from __future__ import annotations

import torch
from torch import nn

from anytok.arena.config import ModelShape
from anytok.arena.model import Block, RMSNorm, run_blocks

MAX_WORD = 16
END = 256  # the decoder's end-of-word output
_WS = torch.zeros(256, dtype=torch.bool)
_WS[list(b" \t\n\r\x0b\x0c")] = True


def split_words(data: bytes) -> list[bytes]:
    """The words of ``data`` under the rule of the module docstring."""
    words: list[bytes] = []
    start = 0
    for i in range(1, len(data) + 1):
        if i == len(data) or i - start == MAX_WORD or (not _WS[data[i - 1]] and _WS[data[i]]):
            words.append(data[start:i])
            start = i
    return words


class HierarchicalLM(nn.Module):
    """Byte encoder, word backbone of ``shape``, byte decoder; all blocks of width ``shape.dim``."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        d = shape.dim
        self.shape = shape
        self.byte_embed = nn.Embedding(257, d)  # bytes, and 256 for the chunk's start
        self.encoder = Block(shape)
        self.backbone = nn.ModuleList(Block(shape) for _ in range(shape.layers))
        self.decoder = Block(shape)
        self.word_start = nn.Parameter(torch.zeros(d))
        self.enc_norm, self.back_norm, self.dec_norm = RMSNorm(d), RMSNorm(d), RMSNorm(d)
        self.head = nn.Linear(d, 257, bias=False)  # 256 bytes and the end of a word
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)

    def chunk_logprobs(self, chunks: list[bytes]) -> torch.Tensor:
        """(B,) natural-log likelihood of each chunk (as a prefix: its last word's end is not scored)."""
        device = self.head.weight.device
        words = [split_words(c) for c in chunks]
        n = max(len(c) for c in chunks)
        ids = torch.zeros(len(chunks), n + 1, dtype=torch.long)
        bmask = torch.zeros(len(chunks), n + 1, dtype=torch.bool)
        for row, c in enumerate(chunks):
            ids[row, 0] = 256
            ids[row, 1:len(c) + 1] = torch.tensor(list(c))
            bmask[row, :len(c) + 1] = True
        ids, bmask = ids.to(device), bmask.to(device)
        enc = self.enc_norm(run_blocks([self.encoder], self.byte_embed(ids), bmask, self.shape))  # (B, N+1, d)
        m = max(len(w) for w in words)
        ends = torch.zeros(len(chunks), m, dtype=torch.long)  # index (in ids) of each word's last byte
        wmask = torch.zeros(len(chunks), m, dtype=torch.bool)
        for row, ws in enumerate(words):
            pos = 0
            for j, w in enumerate(ws):
                pos += len(w)
                ends[row, j], wmask[row, j] = pos, True
        ends, wmask = ends.to(device), wmask.to(device)
        vectors = torch.gather(enc, 1, ends[..., None].expand(-1, -1, enc.shape[-1]))  # (B, M, d)
        start = self.word_start.expand(len(chunks), 1, -1)
        ctx = self.back_norm(run_blocks(self.backbone, torch.cat([start, vectors[:, :-1]], 1), wmask, self.shape))  # (B, M, d)
        flat = [(row, j, w) for row, ws in enumerate(words) for j, w in enumerate(ws)]
        width = max(len(w) for _, _, w in flat) + 1
        dec_in = torch.zeros(len(flat), width, self.shape.dim, device=device, dtype=self.head.weight.dtype)
        dmask = torch.zeros(len(flat), width, dtype=torch.bool)
        for k, (row, j, w) in enumerate(flat):
            dmask[k, :len(w) + 1] = True
        dmask = dmask.to(device)
        rows = torch.tensor([r for r, _, _ in flat], device=device)
        cols = torch.tensor([j for _, j, _ in flat], device=device)
        dec_in[:, 0] = ctx[rows, cols]
        byte_ids = torch.zeros(len(flat), width - 1, dtype=torch.long)
        for k, (_, _, w) in enumerate(flat):
            byte_ids[k, :len(w)] = torch.tensor(list(w))
        byte_ids = byte_ids.to(device)
        dec_in[:, 1:] = self.byte_embed(byte_ids) * dmask[:, 1:, None]
        logits = self.head(self.dec_norm(run_blocks([self.decoder], dec_in, dmask, self.shape)))  # (W, L+1, 257)
        logits = logits if logits.dtype == torch.float64 else logits.float()
        allowed, targets, scored = self._choices(flat, width, [len(ws) for ws in words], words)
        logits = logits.masked_fill(~allowed.to(device), float("-inf"))
        logp = logits.log_softmax(-1).gather(-1, targets.to(device)[..., None])[..., 0]  # (W, L+1)
        logp = torch.where(scored.to(device), logp, torch.zeros_like(logp))
        per_word = logp.sum(1)
        return torch.zeros(len(chunks), device=device, dtype=per_word.dtype).index_add(0, rows, per_word)

    @staticmethod
    def _choices(flat, width: int, counts: list[int], words: list[list[bytes]]):
        """(W, L+1, 257) allowed outputs, (W, L+1) targets, (W, L+1) which positions are scored."""
        allowed = torch.zeros(len(flat), width, 257, dtype=torch.bool)
        targets = torch.zeros(len(flat), width, dtype=torch.long)
        scored = torch.zeros(len(flat), width, dtype=torch.bool)
        for k, (row, j, w) in enumerate(flat):
            if j == 0:
                allowed[k, 0, :256] = True  # the chunk's first byte: anything
            else:
                before = words[row][j - 1]
                forced = len(before) == MAX_WORD
                allowed[k, 0, :256] = True if forced else _WS  # after a word the rule ended: whitespace
            for i in range(len(w)):
                targets[k, i] = w[i]
                scored[k, i] = True
                # the choices after w[:i+1]: at the length limit only the end; after whitespace any
                # byte goes on (whitespace or not); after anything else, the other non-whitespace
                # bytes go on and the end means the next byte is whitespace
                if i + 1 == MAX_WORD:
                    allowed[k, i + 1, END] = True
                elif _WS[w[i]]:
                    allowed[k, i + 1, :256] = True
                else:
                    allowed[k, i + 1, :256] = ~_WS
                    allowed[k, i + 1, END] = True
            last = j == counts[row] - 1
            targets[k, len(w)] = END
            scored[k, len(w)] = not last  # the text goes on after every word but the last
        return allowed, targets, scored
