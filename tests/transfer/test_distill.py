"""Distillation heal (ALM): chunks from common boundaries, the binarised KL, zero loss on an
identity transplant, and a heal that lowers the loss while touching only the new rows."""

from __future__ import annotations

import math

import pytest
import torch

from anytok.models.load import LoadedModel
from tests.tiny import tiny_model, tiny_tokenizer
from anytok.transfer import align, transplant
from anytok.transfer.distill import binary_kl, chunk_ids
from anytok.transfer.healing import HealConfig, _distill_loss, _pairs, heal

BASE_TEXTS = ["the cat sat on the mat. the dog ran. " * 20, "def f(x):\n    return x + 1\n" * 20]
NEW_TEXTS = ["import numpy as np\nfor i in range(10):\n    print(i)\n" * 20, "the cats and dogs ran far. " * 20]
HEAL = ("the cat ran to the dog and sat.\nfor i in range(3):\n    print(i + 1)\n" * 30).encode()


@pytest.fixture(scope="module")
def base_tok():
    return tiny_tokenizer(BASE_TEXTS, vocab_size=300, name="base")


@pytest.fixture(scope="module")
def new_tok():
    return tiny_tokenizer(NEW_TEXTS, vocab_size=330, name="new")


def _base(tok, tied=True) -> LoadedModel:
    return LoadedModel(model=tiny_model(tok.vocab_size, tied=tied), tokenizer=tok, source="tiny")


def test_chunks_end_where_both_tokenizations_end_a_token():
    # teacher "ab|cde|f" (ends 2, 5, 6), student "a|b|cde|f" (ends 1, 2, 5, 6)
    assert chunk_ids([2, 3, 1], [1, 1, 3, 1]) == ([0, 1, 2], [0, 0, 1, 2], 3)
    # teacher "abc|def", student "ab|cd|ef": only the end is common
    assert chunk_ids([3, 3], [2, 2, 2]) == ([0, 0], [0, 0, 0], 1)
    with pytest.raises(ValueError):
        chunk_ids([2], [3])


def test_binary_kl_is_the_bernoulli_kl_of_tempered_probabilities():
    log_p = torch.tensor([-0.1, -2.0, -7.0, -0.5])
    log_q = torch.tensor([-0.3, -1.0, -9.0, -0.5])
    for temperature in (1.0, 4.0):
        got = binary_kl(log_p, log_q, temperature, eps=0.0)
        for g, lp, lq in zip(got.tolist(), log_p.tolist(), log_q.tolist()):
            a, b = math.exp(lp / temperature), math.exp(lq / temperature)
            want = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
            assert g == pytest.approx(want, rel=1e-4, abs=1e-7)
    assert float(binary_kl(log_p, log_p).abs().max()) == 0.0


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_distillation_loss_is_zero_for_an_identity_transplant(base_tok, tied):
    student = transplant(_base(base_tok, tied), base_tok, method="fvt")
    teacher = _base(base_tok, tied)
    pairs = _pairs(student.tokenizer, teacher.tokenizer, HEAL, 64)
    with torch.no_grad():
        loss = _distill_loss(student.model, teacher.model, pairs, list(range(len(pairs.student))), HealConfig())
    assert float(loss) == 0.0
    emb = student.model.get_input_embeddings().weight.detach().clone()
    heal(student.model, student.tokenizer, HEAL, trainable_ids=list(range(10, 50)),
         config=HealConfig(steps=2, seq_len=64, batch_size=2, objective="distill"), teacher=teacher)
    assert torch.equal(student.model.get_input_embeddings().weight, emb)  # zero loss, zero gradient


def test_distillation_heal_lowers_the_loss_and_touches_only_new_rows(base_tok, new_tok):
    alignment = align(base_tok, new_tok)
    student = transplant(_base(base_tok), new_tok, method="fvt")
    teacher = _base(base_tok)
    before = student.model.get_input_embeddings().weight.detach().clone()
    body = {k: v.clone() for k, v in student.model.state_dict().items() if "embed" not in k and "lm_head" not in k}
    pairs = _pairs(student.tokenizer, teacher.tokenizer, HEAL, 64)
    every = list(range(len(pairs.student)))
    start = _distill_loss(student.model, teacher.model, pairs, every, HealConfig()).detach().item()
    heal(student.model, student.tokenizer, HEAL, trainable_ids=alignment.missing,
         config=HealConfig(steps=30, seq_len=64, batch_size=4, lr=1e-2, objective="distill"), teacher=teacher)
    end = _distill_loss(student.model, teacher.model, pairs, every, HealConfig()).detach().item()
    assert end < 0.8 * start
    after = student.model.get_input_embeddings().weight.detach()
    shared = sorted(alignment.shared)
    assert torch.equal(after[shared], before[shared])
    assert not torch.equal(after[alignment.missing], before[alignment.missing])
    for k, v in student.model.state_dict().items():
        if k in body:
            assert torch.equal(v, body[k]), k


def test_distill_without_teacher_is_refused(base_tok):
    student = transplant(_base(base_tok), base_tok, method="fvt")
    with pytest.raises(ValueError, match="needs the teacher"):
        heal(student.model, student.tokenizer, HEAL, trainable_ids=[], config=HealConfig(objective="distill"))
