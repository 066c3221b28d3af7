"""Transplant rows from a hypernetwork: every missing token's rows in one batched pass.

Shared tokens still copy their base rows exactly and unused ids get the mean row
(:func:`anytok.transfer.core.place_rows`); specials without a twin get the hypernetwork's row
for no pieces, which is the mean row at initialisation, as FVT gives them.
"""

from __future__ import annotations

import torch

from anytok.hypernet.shipped import shipped_for
from anytok.hypernet.store import HyperNetError, load_hypernet
from anytok.transfer.align import Alignment
from anytok.transfer.methods import piece_lists, usable_mean
from anytok.transfer.options import InitConfig


def hypernet_matrices(alignment: Alignment, config: InitConfig, emb: torch.Tensor, head: torch.Tensor | None,
                      *, batch: int = 4096) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(new input embeddings (V_new, D), new LM head (V_new, D) or None when tied).

    emb, head: the base's (V_base_rows, D) matrices; ``config.hypernet``: the network's folder
    (None: the one shipped for this base).
    """
    from anytok.transfer.core import place_rows

    base_emb = emb.detach().float()
    base_head = None if head is None else head.detach().float()
    folder = config.hypernet if config.hypernet is not None else shipped_for(alignment.base)
    if folder is None:
        raise HyperNetError(f"method 'hypernet' needs a hypernetwork trained for the base model, and none ships "
                            f"for {alignment.base.name}; pass --hypernet HN_DIR (train one with `anytok hypernet "
                            "train`), or use --method fvt")
    net, doc = load_hypernet(folder, tokenizer=alignment.base, emb=base_emb)
    if net.config.tied != (head is None):
        raise HyperNetError(f"hypernetwork {folder} is for a {'tied' if net.config.tied else 'untied'} "
                            f"base; this one is {'tied' if head is None else 'untied'}: use one trained for it")
    device = torch.device(config.device)
    net = net.to(device)
    mean_emb = usable_mean(base_emb, alignment)
    mean_head = None if base_head is None else usable_mean(base_head, alignment)
    lists = piece_lists(alignment)
    dev = [None if m is None else m.to(device) for m in (base_emb, base_head, mean_emb, mean_head)]
    rows_emb, rows_head = [], []
    with torch.no_grad():
        for s in range(0, len(lists), batch):
            e, h = net(lists[s:s + batch], *dev)
            rows_emb.append(e.cpu())
            if h is not None:
                rows_head.append(h.cpu())
    cat = (lambda rows: torch.cat(rows) if rows else base_emb.new_zeros(0, base_emb.shape[1]))
    new_emb = place_rows(base_emb, alignment, cat(rows_emb), mean_emb)
    new_head = None if base_head is None else place_rows(base_head, alignment, cat(rows_head), mean_head)
    return new_emb, new_head
