"""Save a tiny model + tokenizer as an HF folder and load it back (anytok and transformers)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anytok.errors import ModelError, OutputPathError
from anytok.models.load import load_model
from anytok.models.save import save_model
from tests.tiny import tiny_model, tiny_tokenizer

TEXTS = ["the cat sat on the mat. " * 20, "def f(x):\n    return x + 1\n" * 20, "Über café naïve " * 10]


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer(TEXTS, vocab_size=300)


@pytest.mark.parametrize("arch,tied", [
    pytest.param("llama", True, id="llama-tied"),
    pytest.param("llama", False, id="llama-untied"),
    pytest.param("gemma3", True, id="gemma3-tied"),
])
def test_saved_folder_loads_in_transformers_and_anytok(tmp_path, tok, arch, tied):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = tiny_model(tok.vocab_size + 4, arch=arch, tied=tied)  # 4 padding rows
    out = save_model(model, tok, tmp_path / "m")
    hf_model = AutoModelForCausalLM.from_pretrained(out).eval()
    hf_tok = AutoTokenizer.from_pretrained(out)
    text = "the cat café"
    ids = tok.encode(text, add_bos=True)
    assert hf_tok(text).input_ids == ids
    x = torch.tensor([ids])
    with torch.no_grad():
        np.testing.assert_array_equal(hf_model(x).logits.numpy(), model(x).logits.numpy())
    assert hf_model.config.vocab_size == tok.vocab_size + 4
    assert hf_model.config.bos_token_id == tok.bos_id
    again = load_model(out)
    assert again.tokenizer.vocab == tok.vocab and again.tokenizer.add_bos
    assert again.num_rows == tok.vocab_size + 4
    hf_model.generate(x, max_new_tokens=3, do_sample=False)


def test_existing_output_is_refused_unless_overwrite(tmp_path, tok):
    model = tiny_model(tok.vocab_size)
    (tmp_path / "m").mkdir()
    with pytest.raises(OutputPathError, match="overwrite"):
        save_model(model, tok, tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []
    save_model(model, tok, tmp_path / "m", overwrite=True)
    assert (tmp_path / "m" / "model.safetensors").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder left


def test_too_few_rows_is_refused_and_nothing_written(tmp_path, tok):
    with pytest.raises(ModelError, match="embedding rows"):
        save_model(tiny_model(tok.vocab_size - 10), tok, tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_pickled_only_folder_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"not read")
    with pytest.raises(ModelError, match="pickled"):
        load_model(tmp_path)


def test_truncated_gguf_is_refused(tmp_path):
    import gguf

    path = tmp_path / "m.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tensor("token_embd.weight", np.ones((64, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated"):
        load_model(path)


def test_unknown_source_names_the_fix(tmp_path):
    with pytest.raises(ModelError, match="neither a folder"):
        load_model("no-such-model-xyz")
