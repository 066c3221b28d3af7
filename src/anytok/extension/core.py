"""``anytok.extend``: a pretrained model with a few thousand tokens added for a domain or language.

Every base id keeps its bytes and its rows; the new tokens come from merges learned on the domain
corpus after the base tokenizer's own (:mod:`anytok.extension.merges`) and get rows from the
hypernetwork (or FVT). Named tokens (``<tool_call>``, a product name) are added whole, matched in
text before pre-tokenization, with rows initialised from a description: the mean of the base rows
of the description's tokens, the initialisation of Re-Initialization Token Learning.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
from typing import Any, Iterable, Sequence

import torch

from anytok.errors import TrainingError
from anytok.extension.merges import learn_merges
from anytok.hypernet.frozen import base_matrices
from anytok.models.load import LoadedModel, load_model
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.byte_unicode import bytes_to_unicode_str
from anytok.transfer.healing import HealConfig, heal

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class NamedToken:
    """A token added whole, with the text its rows are initialised from."""

    name: str
    describe: str

    def __post_init__(self) -> None:
        if not self.name or not self.describe.strip():
            raise TrainingError(f"named token {self.name!r} needs a non-empty name and description")


def extended_tokenizer(base: Tokenizer, merges: Sequence[tuple[int, int, bytes]],
                       named: Sequence[NamedToken] = (), *, name: str | None = None) -> Tokenizer:
    """The base tokenizer with ``merges`` appended (new ids from ``base.vocab_size``), then the
    named tokens as added (non-special) tokens; everything else of its document is kept."""
    doc = copy.deepcopy(base.to_hf_json())
    model = doc["model"]
    vocab: dict[str, int] = model["vocab"]
    old = model.get("merges") or []
    as_strings = bool(old) and isinstance(old[0], str)
    next_id = base.vocab_size
    text = {i: s for s, i in vocab.items()}
    for a, b, joined in merges:
        piece = bytes_to_unicode_str(joined)
        vocab[piece] = next_id
        text[next_id] = piece
        left, right = text[a] if a in text else _added(doc, a), text[b] if b in text else _added(doc, b)
        old.append(f"{left} {right}" if as_strings else [left, right])
        next_id += 1
    model["merges"] = old
    present = {t["content"] for t in doc.get("added_tokens", [])} | set(vocab)
    for token in named:
        if token.name in present or base.ordinary_index.get(token.name.encode()) is not None:
            raise TrainingError(f"--token {token.name!r} is already a token of {base.name}; give a new name")
        doc.setdefault("added_tokens", []).append(
            {"id": next_id, "content": token.name, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": False})
        present.add(token.name)
        next_id += 1
    return Tokenizer.from_hf_json(doc, name=name or f"{base.name}+{len(merges)}", roles=base.roles,
                                  add_bos=base.add_bos)


def _added(doc: dict[str, Any], i: int) -> str:
    for t in doc.get("added_tokens", []):
        if t["id"] == i:
            return t["content"]
    raise TrainingError(f"merge uses id {i}, which is not in the base vocabulary")


def describe_rows(matrix: torch.Tensor, tokenizer: Tokenizer, named: Sequence[NamedToken]) -> list[torch.Tensor]:
    """(D,) row per named token: the mean of ``matrix``'s rows (V, D) of its description's tokens."""
    matrix = matrix.detach().float()
    return [matrix[torch.tensor(tokenizer.encode(t.describe))].mean(0) for t in named]


def extend(base: LoadedModel | str | os.PathLike, corpus: Iterable[str], add: int, *,
           tokens: Sequence[NamedToken] = (), method: str = "hypernet", hypernet: str | os.PathLike | None = None,
           device: str = "cpu", heal_steps: int = 0, heal_config: HealConfig | None = None) -> LoadedModel:
    """``base`` with ``add`` tokens learned on ``corpus`` (texts) and the named ``tokens`` added.

    Rows: shared (every old) token copied exactly, new merges by ``method`` (hypernet, fvt, ...),
    named tokens from their descriptions. ``heal_steps``: then train only the new rows for that
    many steps on the corpus itself (``heal_config`` for batch, length, learning rate and objective:
    ``distill`` matches the base model as it was, reading its own tokens). The base model is
    modified in place.
    """
    from anytok.transfer import transplant

    base = base if isinstance(base, LoadedModel) else load_model(base)
    texts = list(corpus)
    merges = learn_merges(base.tokenizer, texts, add) if add else []
    old_size = base.tokenizer.vocab_size
    new = extended_tokenizer(base.tokenizer, merges, tokens)
    emb, head = base_matrices(base.model)
    named_rows = describe_rows(emb, base.tokenizer, tokens)
    named_head = None if head is None else describe_rows(head, base.tokenizer, tokens)
    teacher = None
    if heal_steps and heal_config is not None and heal_config.objective == "distill":  # the base before it changes
        import copy

        teacher = LoadedModel(model=copy.deepcopy(base.model), tokenizer=base.tokenizer, source=base.source)
    out = transplant(base, new, method=method, hypernet=hypernet if method == "hypernet" else None, device=device)
    with torch.no_grad():
        emb = out.model.get_input_embeddings().weight
        for k, row in enumerate(named_rows):
            emb[new.vocab_size - len(tokens) + k] = row.to(emb.dtype)
        if named_head is not None:
            head_w = out.model.get_output_embeddings().weight
            for k, row in enumerate(named_head):
                head_w[new.vocab_size - len(tokens) + k] = row.to(head_w.dtype)
    if heal_steps:
        config = dataclasses.replace(heal_config or HealConfig(), steps=heal_steps, device=device)
        new_ids = list(range(old_size, new.vocab_size))
        heal(out.model, out.tokenizer, "\n".join(texts).encode("utf-8"), trainable_ids=new_ids, config=config,
             teacher=teacher)
    log.info("extended %s with %d merges and %d named tokens (%s rows)", base.source, len(merges), len(tokens), method)
    return dataclasses.replace(out, source=f"{base.source} + {len(merges)} merges ({method})")
