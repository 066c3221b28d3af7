"""The hypernetwork on tiny models: FVT at initialisation, only its own parameters train, runs are
deterministic and resume exactly, checkpoints load in transplant, bad folders fail clearly."""

from __future__ import annotations

import json
import random

import pytest
import torch

from anytok.hypernet import HyperNet, HyperNetConfig, HyperNetError, HyperNetTrainer, TrainConfig, train_hypernet
from anytok.hypernet.sampling import BatchEncoder, SamplerConfig, sample_unigram, viterbi
from anytok.hypernet.train import training_texts
from anytok.models.load import LoadedModel
from tests.tiny import tiny_model, tiny_tokenizer
from anytok.transfer import align, transplant
from anytok.transfer.methods import Matrices, init_fvt
from anytok.transfer.options import InitConfig

BASE_TEXTS = ["the cat sat on the mat. the dog ran. " * 20, "def f(x):\n    return x + 1\n" * 20]
NEW_TEXTS = ["import numpy as np\nfor i in range(10):\n    print(i)\n" * 20, "the cats and dogs ran far. " * 20]
CORPUS = [("".join(BASE_TEXTS + NEW_TEXTS)).encode()]
SMALL = TrainConfig(steps=3, batch_size=2, text_bytes=64, max_tokens=24, negatives=16, aux_tokens=8,
                    checkpoint_every=2, warmup=1)
NET = dict(width=16, depth=1, heads=2)


@pytest.fixture(scope="module")
def base_tok():
    return tiny_tokenizer(BASE_TEXTS, vocab_size=300, name="base")


@pytest.fixture(scope="module")
def new_tok():
    return tiny_tokenizer(NEW_TEXTS, vocab_size=330, specials=("<|endoftext|>", "<|im_start|>"), add_bos=False,
                          name="new")


def _base(tok, *, tied=True, arch="llama") -> LoadedModel:
    return LoadedModel(model=tiny_model(tok.vocab_size, arch=arch, tied=tied), tokenizer=tok, source="tiny")


def _trainer(tok, *, tied=True, config=SMALL, tokenizers=()) -> HyperNetTrainer:
    return HyperNetTrainer(_base(tok, tied=tied), training_texts(CORPUS, config.text_bytes), config,
                           net_config=HyperNetConfig(embed_dim=32, tied=tied, **NET), tokenizers=tokenizers)


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_untrained_hypernet_returns_the_fvt_rows_exactly(tmp_path, base_tok, new_tok, tied):
    trainer = _trainer(base_tok, tied=tied, config=TrainConfig(steps=0, **{k: v for k, v in vars(SMALL).items()
                                                                             if k != "steps"}))
    trainer.save(tmp_path / "hn")
    fvt = transplant(_base(base_tok, tied=tied), new_tok, method="fvt")
    hyper = transplant(_base(base_tok, tied=tied), new_tok, method="hypernet", hypernet=tmp_path / "hn")
    assert torch.equal(hyper.model.get_input_embeddings().weight, fvt.model.get_input_embeddings().weight)
    assert torch.equal(hyper.model.get_output_embeddings().weight, fvt.model.get_output_embeddings().weight)
    # and the network itself, against init_fvt on the missing ids directly
    alignment = align(base_tok, new_tok)
    emb = _base(base_tok, tied=tied).model.get_input_embeddings().weight.detach()
    want = init_fvt(Matrices(base=emb), alignment, InitConfig())
    net = HyperNet(HyperNetConfig(embed_dim=32, tied=True, **NET))
    from anytok.transfer.methods import piece_lists, usable_mean
    got, _ = net(piece_lists(alignment), emb, None, usable_mean(emb, alignment))
    assert torch.equal(got, want)


def test_a_step_changes_only_hypernet_parameters(base_tok):
    trainer = _trainer(base_tok, tied=False)
    model_before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    net_before = {k: v.clone() for k, v in trainer.net.state_dict().items()}
    for _ in range(2):  # the first step moves only the zero-initialised output layers
        report = trainer.train_step()
        assert report.tokens > 0 and report.new_rows > 0 and report.loss > 0
    for k, v in trainer.model.state_dict().items():
        assert torch.equal(v, model_before[k]), k
    changed = [k for k, v in trainer.net.state_dict().items() if not torch.equal(v, net_before[k])]
    assert "w_out.weight" in changed and "w_out_head.weight" in changed and "w_in.weight" in changed
    assert all(not p.requires_grad for p in trainer.model.parameters())


def test_training_is_deterministic_and_resume_equals_one_run(tmp_path, base_tok):
    whole = train_hypernet(_base(base_tok), CORPUS, tmp_path / "a", SMALL,
                           net_config=HyperNetConfig(embed_dim=32, **NET))
    again = train_hypernet(_base(base_tok), CORPUS, tmp_path / "b", SMALL,
                           net_config=HyperNetConfig(embed_dim=32, **NET))
    for k, v in whole.net.state_dict().items():
        assert torch.equal(v, again.net.state_dict()[k]), k
    # stop after the step-2 checkpoint, then resume to step 3 in a fresh process-like trainer
    first = TrainConfig(**{**vars(SMALL), "steps": 2})
    train_hypernet(_base(base_tok), CORPUS, tmp_path / "c", first, net_config=HyperNetConfig(embed_dim=32, **NET))
    resumed = train_hypernet(_base(base_tok), CORPUS, tmp_path / "c", SMALL,
                             net_config=HyperNetConfig(embed_dim=32, **NET))
    assert resumed.step == 3
    for k, v in whole.net.state_dict().items():
        assert torch.allclose(v, resumed.net.state_dict()[k], atol=1e-6, rtol=0), k
    assert json.loads((tmp_path / "c" / "config.json").read_text())["training"]["step"] == 3


def test_trained_hypernet_transplants_and_keeps_shared_rows(tmp_path, base_tok, new_tok):
    from transformers import AutoModelForCausalLM

    trainer = train_hypernet(_base(base_tok), CORPUS, tmp_path / "hn", SMALL,
                             net_config=HyperNetConfig(embed_dim=32, **NET))
    base = _base(base_tok)
    emb = base.model.get_input_embeddings().weight.detach().clone()
    out = transplant(base, new_tok, method="hypernet", hypernet=tmp_path / "hn")
    alignment = align(base_tok, new_tok)
    new_emb = out.model.get_input_embeddings().weight
    for n, b in alignment.shared.items():
        assert torch.equal(new_emb[n], emb[b])
    fvt = transplant(_base(base_tok), new_tok, method="fvt").model.get_input_embeddings().weight
    assert not torch.equal(new_emb[alignment.missing], fvt[alignment.missing])  # it learned something
    assert trainer.step == SMALL.steps
    out.save(tmp_path / "out")
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    assert model.get_input_embeddings().weight.shape[0] == new_tok.vocab_size


def test_real_tokenizers_are_sampled_and_batches_point_at_their_bytes(base_tok, new_tok):
    trainer = _trainer(base_tok, config=TrainConfig(**{**vars(SMALL), "real_share": 1.0}), tokenizers=[new_tok])
    batch = trainer.batch(0)
    texts_seen = [b"".join(batch.tokens[j] for j in seq if batch.tokens[j] is not None) for seq in batch.sequences]
    rng = random.Random(f"{SMALL.seed}:0")
    texts = [trainer.texts[rng.randrange(len(trainer.texts))] for _ in range(SMALL.batch_size)]
    assert texts_seen == [t.encode() for t in texts]
    for j, b in enumerate(batch.base_ids):  # base twins by bytes, exactly
        if b is not None and batch.tokens[j] is not None:
            assert base_tok.token_bytes(b) == batch.tokens[j]


def test_sampled_unigram_spells_every_text_and_varies_with_the_seed(base_tok):
    encoder = BatchEncoder(base_tok, [0], negatives=8, config=SamplerConfig())
    texts = ["the quick brown fox jumps over the lazy dog", "naïve café — 東京 🙂"]
    a = encoder.sampled(texts, random.Random(1))
    b = encoder.sampled(texts, random.Random(2))
    for batch in (a, b):
        spelled = [b"".join(batch.tokens[j] for j in seq[1:]) for seq in batch.sequences]
        assert spelled == [t.encode() for t in texts]
    assert a.tokens != b.tokens
    logp = sample_unigram(__import__("collections").Counter({b"abcabc": 3}), random.Random(0), SamplerConfig())
    assert b"".join(viterbi(b"abcabc", logp, 16)) == b"abcabc"
    assert all(bytes([c]) in logp for c in b"abc")


def test_bad_hypernet_folders_fail_clearly_and_write_nothing(tmp_path, base_tok, new_tok):
    other = tiny_tokenizer(NEW_TEXTS, vocab_size=300, name="other")
    trainer = _trainer(base_tok, config=TrainConfig(**{**vars(SMALL), "steps": 0}))
    trainer.save(tmp_path / "hn")
    with pytest.raises(HyperNetError, match="another vocabulary"):  # trained for another base
        transplant(_base(other), new_tok, method="hypernet", hypernet=tmp_path / "hn")
    wide = LoadedModel(model=tiny_model(base_tok.vocab_size, hidden=64), tokenizer=base_tok, source="wide")
    with pytest.raises(HyperNetError, match="64 wide"):
        transplant(wide, new_tok, method="hypernet", hypernet=tmp_path / "hn")
    weights = tmp_path / "hn" / "hypernet.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated
    with pytest.raises(HyperNetError, match="corrupt or truncated"):
        transplant(_base(base_tok), new_tok, method="hypernet", hypernet=tmp_path / "hn")
    with pytest.raises(HyperNetError, match="not a hypernetwork folder"):
        transplant(_base(base_tok), new_tok, method="hypernet", hypernet=tmp_path)
    from anytok.errors import TransplantError
    with pytest.raises(HyperNetError, match="needs a hypernetwork"):
        transplant(_base(base_tok), new_tok, method="hypernet")
    with pytest.raises(TransplantError, match="only used by --method hypernet"):
        transplant(_base(base_tok), new_tok, method="fvt", hypernet=tmp_path / "hn")
