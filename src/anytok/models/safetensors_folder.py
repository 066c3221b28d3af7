"""Read and rewrite the embedding tensors of an HF safetensors folder without building the model.

Only ``config.json``, the safetensors headers and the embedding / LM head tensors are read; the
output folder gets the replaced tensors, every other tensor copied unchanged (whole shards that
hold no replaced tensor are copied as files), the updated ``config.json`` and
``generation_config.json``, and the tokenizer files exactly as :func:`anytok.models.save.save_model`
writes them. transformers is never imported.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import torch

from anytok._atomic import atomic_dir
from anytok.errors import ModelError
from anytok.tokenizer import Tokenizer

log = logging.getLogger(__name__)

INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"
EMBED_SUFFIXES = ("embed_tokens.weight", "wte.weight", "embed_in.weight", "word_embeddings.weight")
HEAD_NAMES = ("lm_head.weight", "embed_out.weight")


@dataclasses.dataclass(frozen=True)
class EmbeddingLayout:
    """Where a folder keeps its input embeddings and LM head (``head`` None: tied to the embeddings)."""

    folder: Path
    config: dict[str, Any]
    files: dict[str, str]  # tensor name -> shard file name
    embed: str
    head: str | None


def shard_names(folder: Path) -> list[str] | None:
    """The safetensors files of ``folder`` (from the index when sharded); None when there are none."""
    if (folder / INDEX).exists():
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        return sorted(set(index["weight_map"].values()))
    return [SINGLE] if (folder / SINGLE).exists() else None


def embedding_layout(folder: str | os.PathLike) -> EmbeddingLayout | None:
    """The layout of an HF safetensors folder, or None when it is not one this module can rewrite.

    None (the caller then loads the model through transformers) for: no config.json or no
    safetensors, a nested config without a top-level ``vocab_size``, no single recognisable
    embedding tensor, or a tie flag that disagrees with the tensors present.
    """
    from safetensors import safe_open

    folder = Path(folder)
    if not folder.is_dir() or not (folder / "config.json").exists():
        return None
    shards = shard_names(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if shards is None or "vocab_size" not in config:
        return None
    files = {}
    for shard in shards:
        with safe_open(folder / shard, framework="pt") as f:
            files.update(dict.fromkeys(f.keys(), shard))
    embeds = [n for n in files if n.endswith(EMBED_SUFFIXES)]
    heads = [n for n in files if n in HEAD_NAMES]
    tie = config.get("tie_word_embeddings")
    if len(embeds) != 1 or len(heads) > 1 or (heads and tie is True) or (not heads and tie is False):
        log.info("folder %s: embeddings %s, heads %s, tie %s: not rewritten at tensor level", folder,
                 embeds, heads, tie)
        return None
    return EmbeddingLayout(folder=folder, config=config, files=files, embed=embeds[0],
                           head=heads[0] if heads else None)


def read_tensor(layout: EmbeddingLayout, name: str) -> torch.Tensor:
    """One tensor of the folder, read from its shard (a copy, in the stored dtype)."""
    from safetensors import safe_open

    with safe_open(layout.folder / layout.files[name], framework="pt") as f:
        return f.get_tensor(name)


def write_folder(layout: EmbeddingLayout, out: str | os.PathLike, *, replace: dict[str, torch.Tensor],
                 config_updates: dict[str, Any], tokenizer: Tokenizer, overwrite: bool = False) -> Path:
    """Write ``layout``'s model to ``out`` with the tensors in ``replace`` swapped in, atomically.

    replace: tensor name -> new tensor (cast to the stored tensor's dtype). config_updates: keys set
    in config.json (None values are written as null); the bos/eos/pad keys among them are also set
    in generation_config.json when the folder has one. Nothing is left at ``out`` on failure.
    """
    from anytok.models.save import write_tokenizer_files

    out = Path(out)
    by_shard: dict[str, list[str]] = {}
    for name in replace:
        by_shard.setdefault(layout.files[name], []).append(name)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        for shard in sorted(set(layout.files.values())):
            if shard in by_shard:
                rewrite_shard(layout.folder / shard, tmp / shard, {n: replace[n] for n in by_shard[shard]})
            else:
                shutil.copyfile(layout.folder / shard, tmp / shard)
        if (layout.folder / INDEX).exists():
            _write_index(layout, tmp)
        config = {**{k: v for k, v in layout.config.items() if k != "quantization_config"}, **config_updates}
        _write_json(tmp / "config.json", config)
        _write_generation_config(layout.folder, tmp, config_updates)
        write_tokenizer_files(tokenizer, tmp, max_length=config.get("max_position_embeddings"))
    log.info("wrote %s (%s replaced) at tensor level", out, ", ".join(replace))
    return out


def rewrite_shard(src: Path, dst: Path, replace: dict[str, torch.Tensor]) -> None:
    """Copy the safetensors file ``src`` to ``dst`` with the tensors in ``replace`` swapped in.

    A replaced tensor keeps its name, place and stored dtype (its row count may change); every other
    tensor is copied as a byte range by the kernel, never deserialised (for Gemma 3 this saves
    reading and re-serialising 1 GB through Python).
    """
    with open(src, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    data_start = 8 + size
    meta = header.pop("__metadata__", None)
    order = sorted(header, key=lambda n: header[n]["data_offsets"][0])
    blobs, entries, offset = {}, {}, 0
    for name in order:
        info = header[name]
        if name in replace:
            tensor = replace[name].detach().to("cpu", _DTYPES[info["dtype"]]).contiguous()
            blobs[name] = tensor.reshape(-1).view(torch.uint8).numpy()
            nbytes, shape = blobs[name].nbytes, list(tensor.shape)
        else:
            begin, end = info["data_offsets"]
            nbytes, shape = end - begin, info["shape"]
        entries[name] = {"dtype": info["dtype"], "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps({**({"__metadata__": meta} if meta is not None else {}), **entries},
                      separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # safetensors pads the header to 8 bytes
    with open(src, "rb") as fin, open(dst, "wb", buffering=0) as fout:
        _write_all(fout, struct.pack("<Q", len(text)) + text)
        for name in order:
            if name in blobs:
                _write_all(fout, memoryview(blobs[name]))
            else:
                begin, end = header[name]["data_offsets"]
                _copy_range(fin, fout, data_start + begin, end - begin)


def _write_all(f: Any, data: bytes | memoryview) -> None:
    view = memoryview(data).cast("B")
    while view:
        view = view[f.write(view):]


def _copy_range(fin: Any, fout: Any, start: int, count: int) -> None:
    """Append ``count`` bytes of ``fin`` from ``start`` to ``fout`` (kernel copy where possible)."""
    while count:
        try:
            done = os.copy_file_range(fin.fileno(), fout.fileno(), count, start)
        except (AttributeError, OSError):  # no copy_file_range here (old kernel, other OS, some filesystems)
            done = len(chunk := os.pread(fin.fileno(), min(count, 1 << 24), start))
            _write_all(fout, chunk)
        if done == 0:
            raise ModelError(f"{fin.name} ends before its header says; is it truncated? fetch it again")
        start, count = start + done, count - done


_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
_ITEMSIZE = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
             "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


def _write_index(layout: EmbeddingLayout, tmp: Path) -> None:
    """Copy the shard index with total_size recomputed from the written shards' headers."""
    from safetensors import safe_open

    index = json.loads((layout.folder / INDEX).read_text(encoding="utf-8"))
    total = 0
    for shard in sorted(set(layout.files.values())):
        with safe_open(tmp / shard, framework="pt") as f:
            for name in f.keys():
                s = f.get_slice(name)
                total += math.prod(s.get_shape()) * _ITEMSIZE[s.get_dtype()]
    index.setdefault("metadata", {})["total_size"] = total
    _write_json(tmp / INDEX, index)


def _write_generation_config(src: Path, tmp: Path, updates: dict[str, Any]) -> None:
    path = src / "generation_config.json"
    if not path.exists():
        return
    gen = json.loads(path.read_text(encoding="utf-8"))
    gen.update({k: v for k, v in updates.items() if k in ("bos_token_id", "eos_token_id", "pad_token_id")})
    _write_json(tmp / "generation_config.json", gen)


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    """JSON as transformers writes configs (indent 2, sorted keys, final newline)."""
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def check_embedding_rows(rows: int, tokenizer: Tokenizer, *, where: str) -> None:
    """Raise :class:`ModelError` unless every token id has an embedding row."""
    if rows < tokenizer.vocab_size:
        raise ModelError(
            f"model {where} has {rows} embedding rows but its tokenizer {tokenizer.name!r} has "
            f"{tokenizer.vocab_size} token ids; give the tokenizer the model was trained with")
