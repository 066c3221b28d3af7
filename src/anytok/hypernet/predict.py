"""Rows for tokens given by their bytes: a hypernetwork bound to one base model."""

from __future__ import annotations

from typing import Sequence

import torch

from anytok.hypernet.model import HyperNet
from anytok.tokenizer import Tokenizer
from anytok.transfer.align import Pieces


class RowPredictor:
    """Predicts input (and head) rows for byte strings from the base's pieces of them.

    emb, head: the base's (V, D) matrices (head None when tied); mean_emb, mean_head: (D,) rows
    for a token with no pieces (transplant passes the same mean row FVT uses).
    """

    def __init__(self, net: HyperNet, base: Tokenizer, emb: torch.Tensor, head: torch.Tensor | None = None, *,
                 mean_emb: torch.Tensor | None = None, mean_head: torch.Tensor | None = None,
                 excluded: frozenset[int] = frozenset()) -> None:
        self.net, self.base, self.emb, self.head = net, base, emb, head
        self.mean_emb = emb.mean(0) if mean_emb is None else mean_emb
        self.mean_head = None if head is None else (head.mean(0) if mean_head is None else mean_head)
        self._pieces = Pieces(base, excluded)
        self._cache: dict[bytes, list[int]] = {}

    def pieces(self, datas: Sequence[bytes]) -> list[list[int]]:
        """The base pieces of each byte string (cached across calls)."""
        todo = [d for d in dict.fromkeys(datas) if d not in self._cache]
        if todo:
            self._cache.update(zip(todo, self._pieces.many(todo)))
        return [self._cache[d] for d in datas]

    def __call__(self, datas: Sequence[bytes], *, batch: int = 4096) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(input rows (N, D), head rows (N, D) or None when tied), with gradients to the net."""
        if not datas:
            empty = self.emb.new_zeros(0, self.emb.shape[1])
            return empty, (None if self.head is None else empty)
        lists = self.pieces(datas)
        outs = [self.net(lists[s:s + batch], self.emb, self.head, self.mean_emb, self.mean_head)
                for s in range(0, len(lists), batch)]
        emb = torch.cat([o[0] for o in outs])
        head = None if self.head is None else torch.cat([o[1] for o in outs])
        return emb, head
