"""The hybrid init: subword pieces weighted by length and similarity, byte variants, and the
top-k global neighbours of that estimate in the base embedding space (no external model).

For a missing token t:

1. ``local``: its base pieces (as FVT), piece i weighted by ``len(bytes_i) * (1 + cos(e_i, m)) / 2``
   where m is the pieces' plain mean, so long pieces that agree with the others count most;
2. ``variant``: base tokens spelled like t up to case and a leading space (``" Hello"`` for
   ``"hello"``), averaged; ``est = (local + variant) / 2`` when t has variants, else ``local``;
3. ``global``: the ``neighbours`` base rows with the highest cosine to ``est``, weighted by
   ``softmax(cos / temperature)``; the row is ``0.7 * est + 0.3 * global``.
"""

from __future__ import annotations

import torch

from anytok.transfer.align import Alignment, _base_index
from anytok.transfer.methods import InitConfig, Matrices, piece_lists, _weighted_rows

LOCAL_SHARE = 0.7


def _variants(data: bytes) -> set[bytes]:
    core = data.lstrip(b" ")
    forms = {core, b" " + core, core.lower(), b" " + core.lower(), core.capitalize(), b" " + core.capitalize()}
    forms.discard(data)
    forms.discard(b"")
    forms.discard(b" ")
    return forms


def _variant_lists(alignment: Alignment) -> list[list[int]]:
    ordinary = _base_index(alignment.base)[0]
    new = alignment.new
    lists = []
    for i in alignment.missing:
        ids = [] if i in new.special_ids else [ordinary.get(v) for v in _variants(new.token_bytes(i))]
        lists.append(sorted({j for j in ids if j is not None and j not in alignment.excluded}))
    return lists


def _piece_weights(base: torch.Tensor, lists: list[list[int]], alignment: Alignment) -> list[list[float]]:
    weights = []
    for ids in lists:
        if not ids:
            weights.append([])
            continue
        rows = base[ids]  # (m, D)
        sim = torch.nn.functional.cosine_similarity(rows, rows.mean(0, keepdim=True), dim=1)
        lengths = torch.tensor([len(alignment.base.token_bytes(i)) for i in ids], dtype=base.dtype)
        weights.append((lengths * (1 + sim) / 2).clamp_min(1e-6).tolist())
    return weights


def _global(base: torch.Tensor, est: torch.Tensor, alignment: Alignment, config: InitConfig) -> torch.Tensor:
    """(M, D) softmax-weighted mean of each estimate's nearest base rows by cosine."""
    blocked = torch.zeros(base.shape[0], dtype=torch.bool)
    blocked[[i for i in alignment.excluded | alignment.base.special_ids if i < base.shape[0]]] = True
    for i, data in enumerate(alignment.base.vocab[: base.shape[0]]):
        if data is None:
            blocked[i] = True
    unit = torch.nn.functional.normalize(base.float(), dim=1)
    out = []
    for start in range(0, est.shape[0], config.batch_size):
        q = torch.nn.functional.normalize(est[start:start + config.batch_size].float(), dim=1)  # (B, D)
        cos = (q @ unit.T).masked_fill_(blocked, -2.0)  # (B, V_base)
        top = cos.topk(config.neighbours, dim=1)
        w = torch.softmax(top.values / config.temperature, dim=1)  # (B, n)
        out.append(torch.einsum("bn,bnd->bd", w, base[top.indices].float()))
    return torch.cat(out).to(base.dtype) if out else est.clone()


def init_hybrid(m: Matrices, alignment: Alignment, config: InitConfig) -> torch.Tensor:
    """Pieces by length and similarity, byte variants, and global neighbours.  (len(missing), D)"""
    mean = m.mean_row(alignment)
    lists = piece_lists(alignment)
    local = _weighted_rows(m.base, lists, _piece_weights(m.base, lists, alignment), mean)
    variants = _variant_lists(alignment)
    has = torch.tensor([bool(v) for v in variants], dtype=torch.bool)
    variant_rows = _weighted_rows(m.base, variants, [[1.0] * len(v) for v in variants], mean)
    est = torch.where(has[:, None], (local + variant_rows) / 2, local)
    return LOCAL_SHARE * est + (1 - LOCAL_SHARE) * _global(m.base, est, alignment, config)
