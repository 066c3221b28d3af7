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
from pathlib import Path
from typing import Any

import torch

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


def write_folder_files(layout: EmbeddingLayout, tmp: Path, *, config_updates: dict[str, Any],
                       tokenizer: Tokenizer) -> None:
    """Write into ``tmp`` the shard index, config.json, generation_config.json and tokenizer files
    of ``layout``'s model with ``config_updates``, after its shards are written
    (:class:`~anytok.models.shard_copy.KeptTensorCopy`), inside an :func:`~anytok._atomic.atomic_dir` block."""
    from anytok.models.save import write_tokenizer_files

    if (layout.folder / INDEX).exists():
        _write_index(layout, tmp)
    config = {**{k: v for k, v in layout.config.items() if k != "quantization_config"}, **config_updates}
    _write_json(tmp / "config.json", config)
    _write_generation_config(layout.folder, tmp, config_updates)
    write_tokenizer_files(tokenizer, tmp, max_length=config.get("max_position_embeddings"))


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
