"""Transplant on tiny models: identity is exact, shared rows are copied, the output loads and
generates, OMP rebuilds hidden anchors best, heal touches only new rows, bad input fails clearly."""

from __future__ import annotations

import pytest
import torch

from anytok.errors import OutputPathError, TransplantError
from anytok.eval.bpb import bits_per_byte
from anytok.models.load import LoadedModel, load_model
from tests.tiny import tiny_model, tiny_tokenizer
from anytok.transfer import Method, align, transplant
from anytok.transfer.evaluate import leave_anchors_out
from anytok.transfer.healing import HealConfig
from anytok.transfer.options import InitConfig

BASE_TEXTS = ["the cat sat on the mat. the dog ran. " * 20, "def f(x):\n    return x + 1\n" * 20]
NEW_TEXTS = ["import numpy as np\nfor i in range(10):\n    print(i)\n" * 20, "the cats and dogs ran far. " * 20]
EVAL = b"the cat ran to the dog.\nfor x in range(3):\n    print(x + 1)\n"


@pytest.fixture(scope="module")
def base_tok():
    return tiny_tokenizer(BASE_TEXTS, vocab_size=300, name="base")


@pytest.fixture(scope="module")
def new_tok():
    return tiny_tokenizer(NEW_TEXTS, vocab_size=330, specials=("<|endoftext|>", "<|im_start|>"), add_bos=False,
                          name="new")


def _base(tok, *, arch="llama", tied=True, seed=0) -> LoadedModel:
    return LoadedModel(model=tiny_model(tok.vocab_size, arch=arch, tied=tied, seed=seed), tokenizer=tok, source="tiny")


@pytest.mark.parametrize("arch,tied", [pytest.param("llama", True, id="llama-tied"),
                                       pytest.param("gemma3", False, id="gemma3-untied")])
def test_identity_transplant_reproduces_bits_per_byte(base_tok, arch, tied):
    base = _base(base_tok, arch=arch, tied=tied)
    before = bits_per_byte(base.model, base_tok, EVAL, chunk_bytes=64).bpb
    out = transplant(base, base_tok, method="hybrid")
    after = bits_per_byte(out.model, out.tokenizer, EVAL, chunk_bytes=64).bpb
    assert abs(after - before) <= 1e-6 * before


@pytest.mark.parametrize("method", [m.value for m in Method if m not in (Method.OMP, Method.HYPERNET)])
@pytest.mark.parametrize("tied", [pytest.param(True, id="tied"), pytest.param(False, id="untied")])
def test_shared_rows_copied_and_output_loads(tmp_path, base_tok, new_tok, method, tied):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = _base(base_tok, tied=tied)
    emb = base.model.get_input_embeddings().weight.detach().clone()
    head = base.model.get_output_embeddings().weight.detach().clone()
    alignment = align(base_tok, new_tok)
    out = transplant(base, new_tok, method=method)
    new_emb = out.model.get_input_embeddings().weight
    new_head = out.model.get_output_embeddings().weight
    assert new_emb.shape[0] == new_tok.vocab_size
    for n, b in alignment.shared.items():
        assert torch.equal(new_emb[n], emb[b]) and torch.equal(new_head[n], head[b])
    assert torch.isfinite(new_emb).all() and torch.isfinite(new_head).all()
    assert (new_head.data_ptr() == new_emb.data_ptr()) == tied
    folder = out.save(tmp_path / "out")
    model = AutoModelForCausalLM.from_pretrained(folder)
    hf_tok = AutoTokenizer.from_pretrained(folder)
    assert model.config.vocab_size == new_tok.vocab_size
    assert model.config.eos_token_id == new_tok.eos_id
    ids = hf_tok("import numpy", return_tensors="pt").input_ids
    assert ids[0].tolist() == out.tokenizer.encode("import numpy", add_bos=out.tokenizer.add_bos)
    assert model.generate(ids, max_new_tokens=4, do_sample=False).shape[1] == ids.shape[1] + 4


def test_alignment_is_by_bytes_and_specials_by_role(base_tok, new_tok):
    alignment = align(base_tok, new_tok)
    for n, b in alignment.shared.items():
        if n not in new_tok.special_ids:
            assert new_tok.token_bytes(n) == base_tok.token_bytes(b)
    assert alignment.shared[new_tok.bos_id] == base_tok.bos_id
    assert alignment.shared[new_tok.eos_id] == base_tok.eos_id
    base_bytes = {base_tok.token_bytes(i) for i in range(base_tok.vocab_size)}
    assert all(new_tok.token_bytes(i) not in base_bytes for i in alignment.missing)
    assert len(alignment.anchors) > 256


def _linked_donor(base: LoadedModel, new_tok, *, tied: bool) -> LoadedModel:
    """A donor whose rows are a fixed linear map (32 -> 48 dims) of the base rows on shared tokens:
    sparse codes over anchors transfer exactly, so OMP should rebuild hidden anchors almost exactly."""
    alignment = align(base.tokenizer, new_tok)
    donor = tiny_model(new_tok.vocab_size, tied=tied, hidden=48, seed=1)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for get in ([lambda m: m.get_input_embeddings()] if tied else
                    [lambda m: m.get_input_embeddings(), lambda m: m.get_output_embeddings()]):
            mix = torch.randn(32, 48, generator=gen)
            src, dst = get(base.model).weight, get(donor).weight
            for n, b in alignment.shared.items():
                dst[n] = src[b] @ mix
    return LoadedModel(model=donor, tokenizer=new_tok, source="tiny-donor")


@pytest.mark.parametrize("tied", [pytest.param(True, id="tied"), pytest.param(False, id="untied")])
def test_leave_anchors_out_omp_beats_mean_and_fvt(base_tok, new_tok, tied):
    base = _base(base_tok, tied=tied)
    donor = _linked_donor(base, new_tok, tied=tied)
    alignment = align(base_tok, new_tok)
    getters = [lambda m: m.get_input_embeddings()] + ([] if tied else [lambda m: m.get_output_embeddings()])
    for get in getters:
        scores = {r.method: r.mean_cosine for r in leave_anchors_out(
            get(base.model).weight, alignment, donor=get(donor.model).weight, fraction=0.05,
            config=InitConfig(k=32, pool=None, whitespace_fvt=False))}  # pure OMP: this donor is an exact linear map
        assert scores["omp"] > 0.99
        assert scores["omp"] > scores["fvt"] + 0.2 and scores["omp"] > scores["mean"] + 0.2


def test_omp_transplant_uses_donor(base_tok, new_tok):
    base = _base(base_tok)
    donor = _linked_donor(base, new_tok, tied=True)
    out = transplant(base, new_tok, method="omp", donor=donor, k=32)
    assert out.model.get_input_embeddings().weight.shape[0] == new_tok.vocab_size


def test_heal_changes_only_new_rows(base_tok, new_tok):
    alignment = align(base_tok, new_tok)
    plain = transplant(_base(base_tok, tied=False), new_tok, method="fvt")
    healed = transplant(_base(base_tok, tied=False), new_tok, method="fvt", heal_steps=3,
                        heal_text="".join(NEW_TEXTS).encode(), heal_config=HealConfig(seq_len=16, batch_size=2, lr=1e-2))
    before, after = plain.model.state_dict(), healed.model.state_dict()
    new_rows = torch.tensor(alignment.missing)
    for name, value in after.items():
        if "embed_tokens" in name or "lm_head" in name:
            shared = torch.ones(value.shape[0], dtype=torch.bool)
            shared[new_rows] = False
            assert torch.equal(value[shared], before[name][shared])
            assert not torch.equal(value[new_rows], before[name][new_rows])
        else:
            assert torch.equal(value, before[name]), name


def test_bad_requests_fail_clearly(tmp_path, base_tok, new_tok):
    base = _base(base_tok)
    with pytest.raises(TransplantError, match="needs a donor"):
        transplant(base, new_tok, method="omp")
    with pytest.raises(TransplantError, match="not the new tokenizer"):
        transplant(base, new_tok, method="omp", donor=_base(base_tok, seed=2))
    with pytest.raises(TransplantError, match="unknown method"):
        transplant(base, new_tok, method="magic")
    for bad in ({"k": 0}, {"k": 64, "pool": 32}, {"min_orth": 1.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            InitConfig(**bad)
    out = transplant(_base(base_tok), new_tok, method="mean")
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputPathError, match="overwrite"):
        out.save(tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    out.save(tmp_path / "out", overwrite=True)
    assert load_model(tmp_path / "out").tokenizer.vocab == new_tok.vocab


def test_omp_gives_whitespace_tokens_their_fvt_rows():
    from anytok.transfer import fill_rows

    base_tok = tiny_tokenizer(["the cat sat on the mat. " * 30], vocab_size=280, name="prose")
    new_tok = tiny_tokenizer(["def f(x):\n        if x:\n            return x\n    return 0\n" * 30,
                              "the cat sat on the mat. " * 30], vocab_size=320, name="code")
    alignment = align(base_tok, new_tok)
    spaces = [i for i in alignment.missing if i not in new_tok.special_ids and new_tok.token_bytes(i).strip() == b""]
    assert spaces, "the new vocabulary should have whitespace runs the base lacks"
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(base_tok.vocab_size, 16, generator=gen)
    donor = torch.randn(new_tok.vocab_size, 12, generator=gen)
    fvt = fill_rows(base, alignment, Method.FVT, InitConfig())
    omp = fill_rows(base, alignment, Method.OMP, InitConfig(k=4, pool=None), donor)
    pieces = fill_rows(base, alignment, Method.OMP, InitConfig(k=4, pool=None, whitespace_next_space=False), donor)
    pure = fill_rows(base, alignment, Method.OMP, InitConfig(k=4, pool=None, whitespace_fvt=False), donor)
    torch.testing.assert_close(pieces[spaces], fvt[spaces])
    assert not torch.allclose(pure[spaces], fvt[spaces])
    # default: a run ending in a space is read as the run one space longer (the word after it keeps
    # that space); reference: the mean of the base rows of the base tokenizer's encoding of it
    longer = [i for i in spaces if new_tok.token_bytes(i).endswith(b" ")]
    assert longer, "the new vocabulary should have indentation runs ending in a space"
    for i in spaces:
        data = new_tok.token_bytes(i) + (b" " if i in longer else b"")
        ids = base_tok.encode(data)
        assert base_tok.decode(ids) == data
        torch.testing.assert_close(omp[i], base[ids].mean(0))
    others = [i for i in alignment.missing if i not in spaces]
    torch.testing.assert_close(omp[others], pure[others])
    torch.testing.assert_close(pieces[others], pure[others])


def test_heal_finds_windows_when_tokens_are_long():
    """A vocabulary whose tokens span many bytes (a language it was extended for) still heals:
    the windows take longer chunks instead of failing with 'no window'."""
    from anytok.transfer.healing import HealConfig, heal
    from tests.tiny import tiny_model, tiny_tokenizer

    text = "abcdefgh ijklmnop " * 300
    tok = tiny_tokenizer([text], vocab_size=300)
    assert len(text.encode()) / len(tok.encode(text)) > 4
    model = tiny_model(tok.vocab_size)
    before = model.get_input_embeddings().weight.detach().clone()
    losses = heal(model, tok, text.encode(), trainable_ids=[tok.vocab_size - 1],
                  config=HealConfig(steps=2, seq_len=32, batch_size=2))
    assert len(losses) == 2
    assert torch.equal(model.get_input_embeddings().weight[:-1], before[:-1])
