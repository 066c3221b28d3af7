"""Distillation across tokenizers by approximate likelihood matching (ALM, Minixhofer et al. 2025).

The teacher (the base model with its own tokenizer) and the student (the transplanted model with
the new one) read the same bytes. Wherever both tokenizations have a token boundary at the same
byte offset, the text between two such offsets is a *chunk* both models assign a likelihood to:
the sum of their token log-probabilities inside it. The loss matches those chunk likelihoods:

    loss = mean over chunks of  KL( Bern(p_T^(1/τ)) || Bern(p_S^(1/τ)) )

with p the chunk's probability and τ a temperature (ALM's binarised f-divergence, here the KL
form, so that the loss is exactly zero when the student is the teacher). A chunk's likelihood
under each model depends only on the text before it and on the chunk itself, so chunks compare
like with like; ALM's further "unbiased chunk" refinement is not applied.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import torch

from anytok.errors import TransplantError


def boundaries(lengths: Sequence[int]) -> list[int]:
    """Byte offsets at which tokens of the given byte lengths end: [l0, l0 + l1, ...]."""
    return list(itertools.accumulate(lengths))


def chunk_ids(teacher_lengths: Sequence[int], student_lengths: Sequence[int]) -> tuple[list[int], list[int], int]:
    """(chunk of each teacher token, chunk of each student token, number of chunks).

    Chunks end at the byte offsets where both tokenizations end a token; a token belongs to the
    chunk its last byte falls in. Both token lists must spell the same number of bytes.
    """
    t_ends, s_ends = boundaries(teacher_lengths), boundaries(student_lengths)
    if (t_ends[-1] if t_ends else 0) != (s_ends[-1] if s_ends else 0):
        raise TransplantError("teacher and student tokens spell different numbers of bytes")
    common = sorted(set(t_ends) & set(s_ends))
    index = {end: k for k, end in enumerate(common)}

    def assign(ends: list[int]) -> list[int]:
        out, k = [], 0
        for end in ends:
            out.append(k)
            if end in index:
                k = index[end] + 1
        return out

    return assign(t_ends), assign(s_ends), len(common)


def _log1mexp(x: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(x)) for x < 0, stable on both sides of log(1/2)."""
    return torch.where(x < -0.6931471805599453, torch.log1p(-torch.exp(x)), torch.log(-torch.expm1(x)))


def binary_kl(log_p: torch.Tensor, log_q: torch.Tensor, temperature: float = 1.0,
              eps: float = 1e-6) -> torch.Tensor:
    """KL(Bern(p^(1/τ)) || Bern(q^(1/τ))) elementwise, from log-probabilities (<= 0)."""
    a = log_p.float() / temperature - eps
    b = log_q.float() / temperature - eps
    pa = torch.exp(a)
    return pa * (a - b) + (1 - pa) * (_log1mexp(a) - _log1mexp(b))


def alm_loss(teacher_logprobs: torch.Tensor, student_logprobs: torch.Tensor, teacher_chunks: torch.Tensor,
             student_chunks: torch.Tensor, n_chunks: int, *, temperature: float = 1.0) -> torch.Tensor:
    """Mean binarised KL between teacher and student chunk likelihoods of one text.

    teacher_logprobs: (T_t,) log-prob of each teacher token; student_logprobs: (T_s,);
    teacher_chunks, student_chunks: (T_t,), (T_s,) long chunk index of each token.
    """
    if n_chunks == 0:
        return student_logprobs.sum() * 0.0
    t = torch.zeros(n_chunks, dtype=torch.float32, device=teacher_logprobs.device)
    t = t.index_add(0, teacher_chunks, teacher_logprobs.float())
    s = torch.zeros(n_chunks, dtype=torch.float32, device=student_logprobs.device)
    s = s.index_add(0, student_chunks, student_logprobs.float())
    return binary_kl(t, s, temperature).mean()


def token_logprobs(model, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, T-1) log-prob of each next token ``ids[:, 1:]`` under ``model`` (fp32 log-softmax).

    ids, mask: (B, T); masked positions give 0.
    """
    logits = model(input_ids=ids, attention_mask=mask.long()).logits[:, :-1].float()  # (B, T-1, V)
    lp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
    return lp * mask[:, 1:]
