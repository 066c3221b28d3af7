"""The background copy of kept tensors writes files that safetensors reads back exactly."""

from __future__ import annotations

import json
import struct

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from anytok.models.shard_copy import KeptTensorCopy


def _tensors(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "a.weight": torch.randn(3, 5, generator=g),
        "model.embed_tokens.weight": torch.randn(11, 4, generator=g),
        "b.bias": torch.randn(7, generator=g).to(torch.bfloat16),
        "lm_head.weight": torch.randn(11, 4, generator=g),
        "c.weight": torch.randn(2, 2, 2, generator=g).to(torch.float16),
    }


@pytest.mark.parametrize("rows", [pytest.param(11, id="same-rows"), pytest.param(4, id="fewer-rows"),
                                  pytest.param(123_457, id="more-rows")])
def test_replaced_tensors_and_kept_bytes_read_back(tmp_path, rows):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir(), dst.mkdir()
    tensors = _tensors()
    save_file(tensors, src / "model.safetensors", metadata={"format": "pt"})
    replace = {"model.embed_tokens.weight": torch.arange(rows * 4, dtype=torch.float64).reshape(rows, 4),
               "lm_head.weight": -torch.ones(rows, 4)}
    with KeptTensorCopy(src, dict.fromkeys(tensors, "model.safetensors"), dst, set(replace)) as copy:
        copy.write(replace)
    out = load_file(dst / "model.safetensors")  # safetensors checks that the offsets tile the data
    assert set(out) == set(tensors)
    for name, tensor in tensors.items():
        want = replace[name].to(tensor.dtype) if name in replace else tensor
        assert out[name].dtype == tensor.dtype and torch.equal(out[name], want), name
    with safe_open(dst / "model.safetensors", framework="pt") as f:
        assert f.metadata() == {"format": "pt"}
    with open(dst / "model.safetensors", "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        assert (8 + size) % 8 == 0
        json.loads(f.read(size))  # the space padding is valid JSON whitespace


def test_shards_without_replaced_tensors_are_copied_whole(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir(), dst.mkdir()
    tensors = _tensors(1)
    first = {n: t for n, t in tensors.items() if n in ("a.weight", "model.embed_tokens.weight")}
    second = {n: t for n, t in tensors.items() if n not in first}
    save_file(first, src / "s1.safetensors")
    save_file(second, src / "s2.safetensors")
    files = {**dict.fromkeys(first, "s1.safetensors"), **dict.fromkeys(second, "s2.safetensors")}
    with KeptTensorCopy(src, files, dst, {"model.embed_tokens.weight"}) as copy:
        copy.write({"model.embed_tokens.weight": torch.zeros(5, 4)})
    assert (dst / "s2.safetensors").read_bytes() == (src / "s2.safetensors").read_bytes()
    out = load_file(dst / "s1.safetensors")
    assert torch.equal(out["a.weight"], first["a.weight"]) and torch.equal(out["model.embed_tokens.weight"],
                                                                          torch.zeros(5, 4))


def test_a_truncated_source_is_reported(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir(), dst.mkdir()
    tensors = _tensors(2)
    save_file(tensors, src / "model.safetensors")
    data = (src / "model.safetensors").read_bytes()
    (src / "model.safetensors").write_bytes(data[:-30])
    from anytok.errors import ModelError

    with pytest.raises(ModelError, match="truncated"):
        with KeptTensorCopy(src, dict.fromkeys(tensors, "model.safetensors"), dst, {"lm_head.weight"}) as copy:
            copy.write({"lm_head.weight": torch.zeros(11, 4)})


def test_a_failing_block_stops_the_copy_and_keeps_its_error(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir(), dst.mkdir()
    tensors = _tensors(3)
    save_file(tensors, src / "model.safetensors")
    with pytest.raises(RuntimeError, match="boom"):
        with KeptTensorCopy(src, dict.fromkeys(tensors, "model.safetensors"), dst, {"lm_head.weight"}):
            raise RuntimeError("boom")
