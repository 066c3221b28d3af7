"""``Tokenizer.encode_few`` on a lazily built tokenizer gives the whole HF encoder's ids.

The reference is the stock ``tokenizers`` encoder of the complete document; the small encoder
that ``encode_few`` builds keeps only the tokens the texts' characters can spell.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

import anytok
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.reduced import reduced_document

WHITESPACE = ["".join(p) for n in range(1, 5) for p in itertools.product(" \n\t", repeat=n)]
WHITESPACE += ["\n" + " " * n for n in range(1, 40)] + ["\n\n" + "\t" * n for n in range(1, 9)] + [" " * 64]


def _texts(shared: Path) -> list[str | bytes]:
    corpus = shared / "corpus"
    lines = corpus.joinpath("code_mixed.txt").read_text(encoding="utf-8")[:20_000].splitlines(keepends=True)
    lines += [f.read_text(encoding="utf-8").splitlines()[7] for f in sorted((corpus / "parallel").glob("*.txt"))]
    odd = ["", "caf\u00e9 \U0001F600", "a<|endoftext|>b", "<bos>\n  x", "\u2581\u2581 \u2581"]
    broken = [b"\xe2\x80 x", b"  \xff\n\t", "\U0001F600".encode()[:3]]
    return [*WHITESPACE, *lines, *odd, *broken]


def _lazy(tok: Tokenizer) -> Tokenizer:
    return Tokenizer.from_hf_json(tok.to_hf_json(deep=False), name=tok.name, lazy_encoder=True)


def _check(tok: Tokenizer, texts: list[str | bytes], *, reduced: bool) -> None:
    lazy = _lazy(tok)
    assert "_hf" not in lazy.__dict__
    for group in (texts, WHITESPACE, texts[-8:]):
        assert lazy.encode_few(group) == [tok.encode(t) for t in group]
    assert ("_hf" not in lazy.__dict__) is reduced  # the whole encoder was never built
    lazy.encode("x")  # a plain encode builds it on first use
    assert "_hf" in lazy.__dict__


@pytest.fixture(scope="module")
def spm_models(shared: Path, tmp_path_factory) -> dict[str, Path]:
    """A SentencePiece BPE with byte fallback and identity normalization, and one with NFKC."""
    spm = pytest.importorskip("sentencepiece")
    lines = [line for line in (shared / "corpus" / "code_python.txt").read_text(encoding="utf-8")[:40_000]
             .splitlines() if line.strip()]
    folder = tmp_path_factory.mktemp("spm")
    out = {}
    for norm in ("identity", "nmt_nfkc"):
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_writer=buf, model_type="bpe", vocab_size=400,
            byte_fallback=True, normalization_rule_name=norm, remove_extra_whitespaces=False,
            user_defined_symbols=["\n"], minloglevel=2, num_threads=1)
        out[norm] = folder / f"{norm}.model"
        out[norm].write_bytes(buf.getvalue())
    return out


@pytest.mark.parametrize("name", ["cl100k", "o200k", "llama3", "qwen3"])
def test_byte_level_references(shared, name):
    _check(anytok.load(shared / "tokenizers" / f"{name}.tiktoken"), _texts(shared), reduced=True)


def test_sentencepiece_bpe_with_byte_fallback(shared, spm_models):
    _check(anytok.load(spm_models["identity"]), _texts(shared), reduced=True)


def test_unicode_normalizer_uses_the_whole_encoder(shared, spm_models):
    tok = anytok.load(spm_models["nmt_nfkc"])
    assert reduced_document(tok.to_hf_json(deep=False), ["x"]) is None  # NFKC can make new characters
    _check(tok, _texts(shared), reduced=False)


def test_reduced_document_keeps_only_spelled_tokens(shared):
    whole = anytok.load(shared / "tokenizers" / "cl100k.tiktoken").to_hf_json(deep=False)
    kept = reduced_document(whole, ["\n  \n"])["model"]["vocab"]
    added = {t["content"] for t in whole["added_tokens"]}
    assert set(kept) == {t for t in whole["model"]["vocab"] if set(t) <= {"Ċ", "Ġ"}} | added
    assert all(kept[t] == whole["model"]["vocab"][t] for t in kept)  # same ids
    assert len(kept) * 100 < len(whole["model"]["vocab"])


def test_added_token_outside_the_vocabulary_uses_the_whole_encoder(shared):
    doc = anytok.load(shared / "tokenizers" / "cl100k.tiktoken").to_hf_json()
    doc["added_tokens"].append({"id": 200_000, "content": "<|new|>", "single_word": False, "lstrip": False,
                                "rstrip": False, "normalized": False, "special": True})
    assert reduced_document(doc, ["x"]) is None  # tokenizers would number it after the smaller vocabulary


@pytest.mark.slow
def test_gemma3_pieces_of_smollm2_whitespace_tokens(shared):
    """The transplant's use: Gemma 3 (262k SentencePiece-style BPE) splitting SmolLM2's whitespace runs."""
    gemma, smol = anytok.load("gemma3-270m"), anytok.load("smollm2-135m")
    runs = [d for d in smol.vocab if d and d.strip() == b""]
    assert len(runs) > 100
    _check(gemma, [*runs, *[r + b" " for r in runs], *_texts(shared)], reduced=True)
