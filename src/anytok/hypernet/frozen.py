"""The frozen base model read with rows from elsewhere: inputs from given embedding rows, logits
against given head rows (a batch vocabulary), so gradients reach the rows and nothing else."""

from __future__ import annotations

from typing import Any

import torch

from anytok.transfer.core import model_matrices


def body(model: Any) -> Any:
    """The transformer under the LM head (``model.model`` for Llama and Gemma 3)."""
    inner = model.get_decoder() if hasattr(model, "get_decoder") else None
    return inner if inner is not None else model.model


def embed_scale(model: Any) -> float:
    """The factor the model's embedding layer multiplies rows by (Gemma: sqrt(width); else 1)."""
    scale = getattr(model.get_input_embeddings(), "scalar_embed_scale", None)
    return float(scale) if scale is not None else 1.0


def base_matrices(model: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(input embeddings (V, D), LM head (V, D) or None when tied), detached."""
    emb, head = model_matrices(model)
    return emb.detach(), (None if head is None else head.detach())


def lm_loss(model: Any, rows_in: torch.Tensor, rows_out: torch.Tensor, ids: torch.Tensor,
            mask: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(mean next-token cross-entropy in nats, number of predicted tokens).

    rows_in, rows_out: (V_b, D) input and head rows of a batch vocabulary; ids: (B, T) indices into
    it; mask: (B, T) True where ``ids`` is a real token. The softmax runs over the V_b rows only.
    """
    dtype = next(model.parameters()).dtype
    x = rows_in[ids].to(dtype) * embed_scale(model)  # (B, T, D)
    hidden = body(model)(inputs_embeds=x, attention_mask=mask.long()).last_hidden_state  # (B, T, D)
    logits = hidden[:, :-1].float() @ rows_out.float().T  # (B, T-1, V_b)
    cap = getattr(model.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    target = ids[:, 1:].masked_fill(~mask[:, 1:], -100)
    n = int(mask[:, 1:].sum())
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                             ignore_index=-100, reduction="sum") / max(n, 1)
    return loss, n
