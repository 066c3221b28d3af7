"""FLOPs of the arena's transformer, counted by hand (docs/arena.md).

A multiply-add is 2 FLOPs. Per token of a sequence of ``T`` tokens, one forward pass costs

    layers * (8 d^2          q, k, v, o projections
              + 6 d h        SwiGLU: gate, up and down matrices (h = mlp_hidden)
              + 2 d (T + 1)) attention scores and values: token i reads i keys, 4 d i FLOPs; mean over i
    + 2 d V                  the output softmax's matrix (tied embeddings; the input lookup is free)

Norms, rotary, the softmax's exponentials and the optimiser are left out (each is O(d) per token).
Training counts forward + backward = 3x the forward pass. The byte model pays for its longer
sequences (T is larger, V = 257); a large vocabulary pays for its softmax (2 d V per token).
"""

from __future__ import annotations

from anytok.arena.config import ModelShape


def forward_flops_per_token(shape: ModelShape, vocab_size: int, seq_len: int) -> float:
    """FLOPs of one forward pass per token, averaged over a sequence of ``seq_len`` tokens."""
    d, h = shape.dim, shape.mlp_hidden
    return shape.layers * (8 * d * d + 6 * d * h + 2 * d * (seq_len + 1)) + 2 * d * vocab_size


def training_flops(shape: ModelShape, vocab_size: int, seq_lens: list[int]) -> float:
    """FLOPs of one training step over sequences of these lengths (forward + backward = 3x forward)."""
    return 3.0 * sum(n * forward_flops_per_token(shape, vocab_size, n) for n in seq_lens)


def block_flops_per_position(shape: ModelShape, seq_len: int) -> float:
    """One block's forward FLOPs per position of a sequence of ``seq_len`` positions."""
    d, h = shape.dim, shape.mlp_hidden
    return 8 * d * d + 6 * d * h + 2 * d * (seq_len + 1)


def hierarchical_training_flops(shape: ModelShape, chunk_len: int, word_lens: list[int]) -> float:
    """Training FLOPs of the hierarchical model on one chunk: the byte encoder (one block over
    the chunk's bytes and its start byte), the backbone (``layers`` blocks over the words) and the
    decoder (one block per word over its context vector and bytes) with its 257-way softmax on
    every decoder position; times 3 for the backward pass."""
    n, m = chunk_len + 1, len(word_lens)
    encoder = n * block_flops_per_position(shape, n)
    backbone = shape.layers * m * block_flops_per_position(shape, m)
    decoder = sum((w + 1) * (block_flops_per_position(shape, w + 1) + 2 * shape.dim * 257) for w in word_lens)
    return 3.0 * (encoder + backbone + decoder)
