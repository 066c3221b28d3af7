"""The tensor-level folder path writes the same HF folder as the model path, and it loads and generates."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from anytok.errors import TransplantError
from anytok.models.load import load_model
from anytok.models.save import save_model, write_tokenizer_files
from tests.tiny import tiny_model, tiny_tokenizer
from anytok.transfer import transplant, transplant_folder
from anytok.transfer.folder import folder_layouts

BASE_TEXTS = ["the cat sat on the mat. the dog ran. " * 20, "def f(x):\n    return x + 1\n" * 20]
NEW_TEXTS = ["import numpy as np\nfor i in range(10):\n    print(i)\n" * 20, "the cats and dogs ran far. " * 20]


@pytest.fixture(scope="module")
def toks():
    base = tiny_tokenizer(BASE_TEXTS, vocab_size=300, name="base")
    new = tiny_tokenizer(NEW_TEXTS, vocab_size=330, specials=("<|endoftext|>", "<|im_start|>"), add_bos=False,
                         name="new")
    return base, new


def _tensors(folder) -> dict[str, torch.Tensor]:
    out = {}
    for shard in sorted(folder.glob("*.safetensors")):
        with safe_open(shard, framework="pt") as f:
            out.update({name: f.get_tensor(name) for name in f.keys()})
    return out


def _json(path) -> dict:
    return json.loads(path.read_text())


def _assert_same_folder(fast, slow) -> None:
    a, b = _tensors(fast), _tensors(slow)
    assert sorted(a) == sorted(b)
    for name in a:
        assert torch.equal(a[name], b[name]), name
    assert _json(fast / "config.json") == _json(slow / "config.json")
    assert _json(fast / "generation_config.json") == _json(slow / "generation_config.json")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        assert (fast / name).read_bytes() == (slow / name).read_bytes(), name


@pytest.mark.parametrize("method", ["fvt", "hybrid", "omp"])
@pytest.mark.parametrize("arch,tied", [pytest.param("llama", True, id="llama-tied"),
                                       pytest.param("llama", False, id="llama-untied"),
                                       pytest.param("gemma3", True, id="gemma3-tied")])
def test_folder_path_equals_model_path_and_loads(tmp_path, toks, method, arch, tied):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base_tok, new_tok = toks
    save_model(tiny_model(base_tok.vocab_size + 3, arch=arch, tied=tied), base_tok, tmp_path / "base")
    save_model(tiny_model(new_tok.vocab_size, arch=arch, tied=tied, seed=1), new_tok, tmp_path / "donor")
    donor = tmp_path / "donor" if method == "omp" else None
    assert folder_layouts(tmp_path / "base", donor) is not None
    fast = transplant_folder(tmp_path / "base", new_tok, tmp_path / "fast", method=method, donor=donor, k=8, pool=32)
    slow = transplant(load_model(tmp_path / "base"), new_tok, method=method, donor=donor, k=8, pool=32)
    slow.save(tmp_path / "slow")
    _assert_same_folder(fast, tmp_path / "slow")
    model = AutoModelForCausalLM.from_pretrained(fast).eval()
    hf_tok = AutoTokenizer.from_pretrained(fast)
    ids = hf_tok("for i in range(3):", return_tensors="pt").input_ids
    assert ids[0].tolist() == slow.tokenizer.encode("for i in range(3):", add_bos=slow.tokenizer.add_bos)
    out = model.generate(ids, max_new_tokens=4, do_sample=False)
    assert out.shape[1] == ids.shape[1] + 4


def test_sharded_folder_is_rewritten_shard_by_shard(tmp_path, toks):
    from transformers import AutoModelForCausalLM

    base_tok, new_tok = toks
    model = tiny_model(base_tok.vocab_size, tied=False)
    model.save_pretrained(tmp_path / "base", max_shard_size="20KB")
    write_tokenizer_files(base_tok, tmp_path / "base", max_length=512)
    assert len(list((tmp_path / "base").glob("*.safetensors"))) > 2
    fast = transplant_folder(tmp_path / "base", new_tok, tmp_path / "fast", method="fvt")
    slow = transplant(load_model(tmp_path / "base"), new_tok, method="fvt").model
    loaded = AutoModelForCausalLM.from_pretrained(fast).eval()
    for name, tensor in slow.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    index = _json(fast / "model.safetensors.index.json")
    assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in _tensors(fast).values())


def test_folder_path_does_not_apply_to_heal_or_names(tmp_path, toks):
    base_tok, _ = toks
    save_model(tiny_model(base_tok.vocab_size), base_tok, tmp_path / "base")
    assert folder_layouts(tmp_path / "base", None, heal_steps=5) is None
    assert folder_layouts("smollm2-135m", None) is None
    assert folder_layouts(tmp_path / "base", "gemma3-270m") is None


def test_mismatched_donor_fails_and_writes_nothing(tmp_path, toks):
    base_tok, new_tok = toks
    save_model(tiny_model(base_tok.vocab_size), base_tok, tmp_path / "base")
    with pytest.raises(TransplantError, match="not the new tokenizer"):
        transplant_folder(tmp_path / "base", new_tok, tmp_path / "out", method="omp", donor=tmp_path / "base")
    assert not (tmp_path / "out").exists()


def test_folder_path_never_imports_transformers(tmp_path, toks):
    import subprocess
    import sys

    base_tok, new_tok = toks
    save_model(tiny_model(base_tok.vocab_size), base_tok, tmp_path / "base")
    new_tok.save(str(tmp_path / "new.json"))
    code = ("import sys; from anytok.transfer import transplant_to_folder; "
            f"transplant_to_folder({str(tmp_path / 'base')!r}, {str(tmp_path / 'new.json')!r}, "
            f"{str(tmp_path / 'out')!r}, method='fvt'); print('transformers' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert (tmp_path / "out" / "model.safetensors").exists()
