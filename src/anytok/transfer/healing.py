"""Heal: train only the new rows of a transplanted model for a few steps, everything else frozen.

A gradient mask zeroes the gradient of every embedding (and LM head) row except the trainable
ids, and Adam without weight decay turns a zero gradient into a zero update, so shared rows and
all other weights stay bit-for-bit unchanged.

Two objectives: ``lm``, the next-token loss on the text with the new tokenizer; ``distill``, the
student matched to the base model with its own tokenizer (the teacher) on the same bytes, chunk
likelihoods compared where both tokenizations have a boundary (:mod:`anytok.transfer.distill`).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable, Sequence

import torch

from anytok.errors import TransplantError
from anytok.eval.bpb import chunk_text, context_prefix
from anytok.tokenizer import Tokenizer
from anytok.transfer.options import OBJECTIVES, HealConfig  # noqa: F401 (HealConfig is part of this module's API)

log = logging.getLogger(__name__)


def _sequences(tokenizer: Tokenizer, text: bytes, seq_len: int) -> torch.Tensor:
    """(N, seq_len) training windows: byte chunks, each after the bpb context token, cut to seq_len.

    Chunks are 4 bytes per token first; a tokenizer that packs more bytes per token (a language
    the vocabulary was extended for) gets longer chunks, up to 64 bytes per token.
    """
    prefix = context_prefix(tokenizer)
    for bytes_per_token in (4, 8, 16, 32, 64):
        chunks = chunk_text(text, chunk_bytes=seq_len * bytes_per_token)
        seqs = [prefix + ids for ids in tokenizer.encode_batch([c.decode("utf-8") for c in chunks])]
        seqs = [s[:seq_len] for s in seqs if len(s) >= seq_len]
        if seqs:
            break
    if not seqs:
        raise TransplantError(f"heal text ({len(text)} bytes) has no window of {seq_len} tokens; give more text")
    return torch.tensor(seqs)


def _trainable(model: Any) -> list[torch.nn.Parameter]:
    params = [model.get_input_embeddings().weight]
    head = model.get_output_embeddings().weight
    if head is not params[0]:
        params.append(head)
    return params


def pad_sequences(seqs: Sequence[Sequence[int]], device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """(ids (B, T), mask (B, T), True at real tokens): ``seqs`` padded with 0 to the longest."""
    length = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), length, dtype=torch.long)
    mask = torch.zeros(len(seqs), length, dtype=torch.bool)
    for b, seq in enumerate(seqs):
        ids[b, : len(seq)] = torch.tensor(seq)
        mask[b, : len(seq)] = True
    return ids.to(device), mask.to(device)


@dataclasses.dataclass
class _Pairs:
    """Distillation windows: the same bytes encoded for the student and the teacher."""

    student: list[list[int]]
    teacher: list[list[int]]
    chunks: list[tuple[list[int], list[int], int]]  # chunk_ids of each window

    def batch(self, picks: list[int], device: str) -> tuple[torch.Tensor, ...]:
        """(student ids, student mask, teacher ids, teacher mask) of windows ``picks``, padded."""
        return (*pad_sequences([self.student[i] for i in picks], device),
                *pad_sequences([self.teacher[i] for i in picks], device))


def _pairs(student: Tokenizer, teacher: Tokenizer, text: bytes, seq_len: int) -> _Pairs:
    """Byte windows of ``text`` that both tokenizers encode in at most ``seq_len`` tokens (context
    token included), with the chunk of every token."""
    from anytok.transfer.distill import chunk_ids

    ps, pt = context_prefix(student), context_prefix(teacher)
    if not ps or not pt:
        raise TransplantError("distillation needs a context token (BOS or end of text) in both tokenizers")
    out = _Pairs([], [], [])
    for bytes_per_token in (3, 2, 1):  # a tokenizer that spells the text byte by byte needs short windows
        windows = [c for c in chunk_text(text, chunk_bytes=max(2, seq_len * bytes_per_token)) if c.strip()]
        for w, s_ids, t_ids in zip(windows, student.encode_few(windows), teacher.encode_few(windows)):
            if not s_ids or not t_ids or len(s_ids) >= seq_len or len(t_ids) >= seq_len:
                continue
            out.student.append(ps + s_ids)
            out.teacher.append(pt + t_ids)
            out.chunks.append(chunk_ids([len(teacher.token_bytes(i)) for i in t_ids],
                                        [len(student.token_bytes(i)) for i in s_ids]))
        if out.student:
            break
    if not out.student:
        raise TransplantError(f"heal text ({len(text)} bytes) has no window both tokenizers encode in {seq_len} "
                         "tokens; give more text or a larger seq_len")
    return out


def _distill_loss(model: Any, teacher: Any, pairs: _Pairs, picks: list[int], config: HealConfig) -> torch.Tensor:
    from anytok.transfer.distill import alm_loss, token_logprobs

    s_ids, s_mask, t_ids, t_mask = pairs.batch(picks, config.device)
    with torch.no_grad():
        t_lp = token_logprobs(teacher, t_ids, t_mask)  # (B, T_t - 1)
    s_lp = token_logprobs(model, s_ids, s_mask)  # (B, T_s - 1)
    losses = []
    for b, i in enumerate(picks):
        t_chunks, s_chunks, n = pairs.chunks[i]
        losses.append(alm_loss(t_lp[b, : len(t_chunks)], s_lp[b, : len(s_chunks)],
                               torch.tensor(t_chunks, device=config.device),
                               torch.tensor(s_chunks, device=config.device), n, temperature=config.temperature))
    return torch.stack(losses).mean()


def heal(model: Any, tokenizer: Tokenizer, text: bytes, *, trainable_ids: Sequence[int],
         config: HealConfig = HealConfig(), progress: Callable[[int], None] | None = None,
         teacher: Any = None) -> list[float]:
    """Train rows ``trainable_ids`` of the embeddings (and untied head) on ``text``; returns the losses.

    ``teacher``: the base :class:`~anytok.models.load.LoadedModel` (model and its own tokenizer),
    needed by ``config.objective == "distill"``; it is never changed.
    """
    if config.objective == "distill":
        if teacher is None:
            raise TransplantError("heal objective 'distill' needs the teacher: the base model with its own tokenizer")
        pairs = _pairs(tokenizer, teacher.tokenizer, text, config.seq_len)
        teacher_model = teacher.model.to(config.device).eval()
        count = len(pairs.student)
    else:
        data = _sequences(tokenizer, text, config.seq_len)
        count = len(data)
    params = _trainable(model)
    flags = {p: p.requires_grad for p in model.parameters()}
    for p in model.parameters():
        p.requires_grad_(False)
    mask = torch.zeros(params[0].shape[0], 1, device=params[0].device)
    mask[list(trainable_ids)] = 1.0
    hooks = []
    for p in params:
        p.requires_grad_(True)
        hooks.append(p.register_hook(lambda g, m=mask: g * m.to(g.dtype)))
    model.to(config.device)
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(config.seed)
    losses = []
    try:
        for _ in range(config.steps):
            picks = torch.randint(count, (config.batch_size,), generator=gen)
            if config.objective == "distill":
                loss = _distill_loss(model, teacher_model, pairs, picks.tolist(), config)
            else:
                batch = data[picks].to(config.device)
                loss = model(input_ids=batch, labels=batch).loss
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            if progress is not None:
                progress(1)
    finally:
        for h in hooks:
            h.remove()
        for p, flag in flags.items():
            p.requires_grad_(flag)
        model.eval()
    log.info("healed %d rows for %d steps: loss %.3f -> %.3f", len(trainable_ids), config.steps,
             losses[0] if losses else float("nan"), losses[-1] if losses else float("nan"))
    return losses
