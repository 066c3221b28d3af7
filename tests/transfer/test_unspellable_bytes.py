"""A new token the base vocabulary cannot spell (SmolLM2 has no token for byte 0xC0) still gets a row."""

from __future__ import annotations

import pytest
import torch

from anytok.models.load import LoadedModel
from tests.tiny import tiny_model, tiny_tokenizer
from anytok.tokenizer import Tokenizer
from anytok.transfer import align, transplant

TEXTS = ["the cat sat on the mat. the dog ran. " * 20]


def _without_byte(tok: Tokenizer, byte: int) -> Tokenizer:
    doc = tok.to_hf_json()
    spelled = next(piece for piece, i in doc["model"]["vocab"].items() if tok.token_bytes(i) == bytes([byte]))
    del doc["model"]["vocab"][spelled]
    return Tokenizer.from_hf_json(doc, name="base-without-0xC0", roles=tok.roles, add_bos=tok.add_bos)


@pytest.mark.parametrize("method", ["fvt", "hybrid"])
def test_new_byte_token_the_base_cannot_spell(method):
    full = tiny_tokenizer(TEXTS, vocab_size=300, name="new")
    base_tok = _without_byte(full, 0xC0)
    with pytest.raises(Exception, match="0xC0"):
        base_tok.encode(b"\xc0")
    base = LoadedModel(model=tiny_model(base_tok.vocab_size), tokenizer=base_tok, source="tiny")
    out = transplant(base, full, method=method)
    rows = out.model.get_input_embeddings().weight
    target = full.single_byte_id(0xC0)
    assert target in align(base_tok, full).missing
    assert torch.isfinite(rows[target]).all()
