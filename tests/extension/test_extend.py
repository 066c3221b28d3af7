"""extend: old ids and merges kept, text encodes as before except where a new merge applies
(checked with HF tokenizers), named tokens from descriptions, the output loads and generates, and
bad requests fail before anything is written."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from anytok.errors import TrainingError
from anytok.extension import NamedToken, extend, extended_tokenizer, learn_merges
from anytok.models.load import LoadedModel
from tests.tiny import tiny_model, tiny_tokenizer

BASE_TEXTS = ["the cat sat on the mat. the dog ran. " * 20, "def f(x):\n    return x + 1\n" * 20]
DOMAIN = ["import numpy as np\nfor index in range(10):\n    print(index, np.sqrt(index))\n" * 30]


@pytest.fixture(scope="module")
def base_tok():
    return tiny_tokenizer(BASE_TEXTS, vocab_size=300, name="base")


def _unmerge(ids: list[int], parts: dict[int, tuple[int, int]]) -> list[int]:
    """Replace every new id by the two ids its merge joined, until only base ids are left."""
    out: list[int] = []
    stack = list(reversed(ids))
    while stack:
        i = stack.pop()
        if i in parts:
            stack += [parts[i][1], parts[i][0]]
        else:
            out.append(i)
    return out


def _check_against_hf(base, extended, merges, texts) -> tuple[int, int]:
    """Encode with HF tokenizers: old ids everywhere; undoing the new merges gives the base ids.
    Returns (texts where a new merge applied, texts identical)."""
    from tokenizers import Tokenizer as HF

    hf_base = HF.from_str(json.dumps(base.to_hf_json()))
    hf_ext = HF.from_str(json.dumps(extended.to_hf_json()))
    parts = {base.vocab_size + k: (a, b) for k, (a, b, _) in enumerate(merges)}
    changed = same = 0
    for text in texts:
        want = hf_base.encode(text, add_special_tokens=False).ids
        got = hf_ext.encode(text, add_special_tokens=False).ids
        if any(i in parts for i in got):
            changed += 1
            assert _unmerge(got, parts) == want
        else:
            same += 1
            assert got == want
    return changed, same


def test_learned_merges_keep_every_old_id_and_encoding(base_tok):
    merges = learn_merges(base_tok, DOMAIN, 25)
    extended = extended_tokenizer(base_tok, merges)
    assert extended.vocab_size == base_tok.vocab_size + 25
    for i in range(base_tok.vocab_size):
        assert extended.token_bytes(i) == base_tok.token_bytes(i)
    assert extended.merges[: len(base_tok.merges)] == base_tok.merges
    assert [extended.token_bytes(base_tok.vocab_size + k) for k in range(25)] == [m[2] for m in merges]
    lines = (BASE_TEXTS[0] + BASE_TEXTS[1] + DOMAIN[0]).splitlines(keepends=True)
    changed, same = _check_against_hf(base_tok, extended, merges, lines)
    assert changed and same
    ids = extended.encode(DOMAIN[0])
    assert len(ids) < len(base_tok.encode(DOMAIN[0]))


def test_merges_follow_pair_counts_as_brute_force_says(base_tok):
    """The first merge is the most frequent adjacent pair of base ids over the corpus pretokens."""
    from collections import Counter

    from anytok.extension.merges import base_words

    words = base_words(base_tok, DOMAIN)
    pairs = Counter()
    for word, n in words.items():
        for p in zip(word, word[1:]):
            pairs[p] += n
    existing = {b for b in base_tok.vocab if b is not None}
    ranked = sorted(((n, p) for p, n in pairs.items()
                     if base_tok.token_bytes(p[0]) + base_tok.token_bytes(p[1]) not in existing), reverse=True)
    a, b, _ = learn_merges(base_tok, DOMAIN, 1)[0]
    assert pairs[(a, b)] == ranked[0][0]


@pytest.mark.slow
def test_extended_real_tokenizer_encodes_the_whole_shared_corpus_as_before(corpus_files):
    import anytok

    base = anytok.load("llama3")
    domain = corpus_files[1].read_text(encoding="utf-8")[:400_000]  # code_python
    merges = learn_merges(base, [domain], 500)
    extended = extended_tokenizer(base, merges)
    lines = [line for path in corpus_files for line in path.read_text(encoding="utf-8").splitlines(keepends=True)]
    changed, same = _check_against_hf(base, extended, merges, lines)
    assert changed > 1000 and same > 1000


def _base(tok, tied=True) -> LoadedModel:
    return LoadedModel(model=tiny_model(tok.vocab_size, tied=tied), tokenizer=tok, source="tiny")


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_extended_model_keeps_rows_loads_and_generates(tmp_path, base_tok, tied):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = _base(base_tok, tied)
    emb = base.model.get_input_embeddings().weight.detach().clone()
    out = extend(base, DOMAIN, 20, tokens=[NamedToken("<tool>", "the cat sat")], method="fvt")
    new_emb = out.model.get_input_embeddings().weight.detach()
    assert new_emb.shape[0] == base_tok.vocab_size + 21
    assert torch.equal(new_emb[: base_tok.vocab_size], emb)
    want = emb[torch.tensor(base_tok.encode("the cat sat"))].mean(0)
    assert torch.allclose(new_emb[-1], want)
    assert base_tok.vocab_size + 20 in out.tokenizer.encode("a <tool> b")  # matched whole
    out.save(tmp_path / "ext")
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "ext")
    hf_tok = AutoTokenizer.from_pretrained(tmp_path / "ext")
    ids = hf_tok("for index in range", return_tensors="pt").input_ids
    assert ids[0].tolist() == out.tokenizer.encode("for index in range", add_bos=out.tokenizer.add_bos)
    generated = model.generate(ids, max_new_tokens=5, do_sample=False)
    assert generated.shape[1] == ids.shape[1] + 5


def test_a_heal_trains_only_the_new_rows_and_lowers_the_domain_loss(base_tok):
    from anytok.eval.bpb import bits_per_byte
    from anytok.transfer.healing import HealConfig

    config = HealConfig(batch_size=4, seq_len=32, lr=1e-2)
    zero_shot = extend(_base(base_tok, False), DOMAIN, 20, method="fvt")
    healed = extend(_base(base_tok, False), DOMAIN, 20, method="fvt", heal_steps=15, heal_config=config)
    for get in ("get_input_embeddings", "get_output_embeddings"):
        before, after = (getattr(m.model, get)().weight.detach() for m in (zero_shot, healed))
        assert torch.equal(after[: base_tok.vocab_size], before[: base_tok.vocab_size])
        assert not torch.equal(after[base_tok.vocab_size:], before[base_tok.vocab_size:])
    body = {k: v for k, v in healed.model.state_dict().items() if "embed" not in k and "lm_head" not in k}
    assert all(torch.equal(v, zero_shot.model.state_dict()[k]) for k, v in body.items())
    text = DOMAIN[0].encode()
    assert bits_per_byte(healed.model, healed.tokenizer, text).bpb < bits_per_byte(zero_shot.model,
                                                                                      zero_shot.tokenizer, text).bpb


def test_a_distillation_heal_trains_only_the_new_rows(base_tok):
    """objective distill: the student matches the base as it was before the new rows came."""
    from anytok.transfer.healing import HealConfig

    config = HealConfig(batch_size=2, seq_len=32, lr=1e-2, objective="distill")
    zero_shot = extend(_base(base_tok, False), DOMAIN, 20, method="fvt")
    healed = extend(_base(base_tok, False), DOMAIN, 20, method="fvt", heal_steps=3, heal_config=config)
    before, after = (m.model.get_input_embeddings().weight.detach() for m in (zero_shot, healed))
    assert torch.equal(after[: base_tok.vocab_size], before[: base_tok.vocab_size])
    assert not torch.equal(after[base_tok.vocab_size:], before[base_tok.vocab_size:])


def test_bad_requests_fail_and_write_nothing(tmp_path, base_tok):
    with pytest.raises(TrainingError, match="supplies only"):
        learn_merges(base_tok, ["ab ab ab"], 500)
    with pytest.raises(TrainingError, match="already a token"):
        extended_tokenizer(base_tok, [], [NamedToken("the", "the word the")])
    with pytest.raises(TrainingError, match="already a token"):
        extended_tokenizer(base_tok, [], [NamedToken("<s>", "start")])
    from anytok.cli.main import app
    from anytok.models.save import save_model

    save_model(tiny_model(base_tok.vocab_size), base_tok, tmp_path / "base")
    (tmp_path / "d.txt").write_text("ab ab ab\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for args, message in [(["--add", "500", "--method", "fvt"], "supplies only"),
                          (["--add", "1", "--token", "the", "--describe", "x", "--method", "fvt"], "already a token"),
                          (["--add", "1", "--token", "<t>", "--method", "fvt"], "one description per token"),
                          (["--add", "1", "--method", "hypernet"], "needs a hypernetwork")]:
        result = CliRunner().invoke(app, ["extend", str(tmp_path / "base"), "-c", str(tmp_path / "d.txt"),
                                          "-o", str(tmp_path / "out"), *args])
        assert result.exit_code == 1, result.output
        assert message in result.output.replace("\n", " ")
        assert not (tmp_path / "out").exists()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_cli_extend_with_a_hypernet(tmp_path, base_tok):
    from anytok.cli.main import app
    from anytok.models.save import save_model

    save_model(tiny_model(base_tok.vocab_size), base_tok, tmp_path / "base")
    (tmp_path / "d.txt").write_text(DOMAIN[0])
    runner = CliRunner()
    result = runner.invoke(app, ["hypernet", "train", str(tmp_path / "base"), "-c", str(tmp_path / "d.txt"),
                                 "-o", str(tmp_path / "hn"), "--steps", "2", "--batch-size", "2",
                                 "--text-bytes", "64", "--no-progress"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["extend", str(tmp_path / "base"), "-c", str(tmp_path / "d.txt"), "--add", "10",
                                 "--hypernet", str(tmp_path / "hn"), "--token", "<tool>", "--describe", "a tool",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"{base_tok.vocab_size + 11} tokens (10 learned, 1 named" in " ".join(result.output.split())
