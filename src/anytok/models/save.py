"""Save a causal LM with an anytok Tokenizer as a Hugging Face folder, atomically.

The folder holds ``model.safetensors``, ``config.json`` (vocab size and special ids taken from the
tokenizer), ``generation_config.json``, ``tokenizer.json`` and ``tokenizer_config.json`` (roles and
``add_bos_token``), so ``AutoModelForCausalLM.from_pretrained(out)`` and
``AutoTokenizer.from_pretrained(out)`` load it, and ``anytok.load_model(out)`` reads it back.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from anytok._atomic import atomic_dir
from anytok.models.load import LoadedModel, check_rows, quiet_transformers
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.hf_json import _bos_post_processor

log = logging.getLogger(__name__)

_ROLE_IDS = {"bos": "bos_token_id", "eos": "eos_token_id", "pad": "pad_token_id"}


def save_model(loaded_or_model: LoadedModel | Any, tokenizer: Tokenizer, out: str | os.PathLike, *,
               overwrite: bool = False) -> Path:
    """Write ``model`` + ``tokenizer`` to the HF folder ``out``; refuse an existing ``out`` unless ``overwrite``.

    The model's config is updated in place: ``vocab_size`` = embedding rows, bos/eos/pad ids from the
    tokenizer's roles. Nothing is left at ``out`` if writing fails.
    """
    model = loaded_or_model.model if isinstance(loaded_or_model, LoadedModel) else loaded_or_model
    out = Path(out)
    check_rows(model, tokenizer, where=str(out))
    sync_config(model, tokenizer)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; give the folder the usual permissions
        with quiet_transformers():
            model.save_pretrained(tmp, safe_serialization=True)
        write_tokenizer_files(tokenizer, tmp, max_length=getattr(model.config, "max_position_embeddings", None))
    log.info("saved model and tokenizer %r to %s", tokenizer.name, out)
    return out


def sync_config(model: Any, tokenizer: Tokenizer) -> None:
    """Make config and generation_config agree with the tokenizer (vocab size, special ids)."""
    config = model.config
    config.vocab_size = int(model.get_input_embeddings().weight.shape[0])
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    gen = getattr(model, "generation_config", None)
    for key, value in special_ids(tokenizer).items():
        setattr(config, key, value)
        if gen is not None:
            setattr(gen, key, value)


def special_ids(tokenizer: Tokenizer) -> dict[str, int | None]:
    """The bos/eos/pad config keys for ``tokenizer`` (pad falls back to EOS)."""
    ids = {key: tokenizer.role_id(role) for role, key in _ROLE_IDS.items()}
    if ids["pad_token_id"] is None:
        ids["pad_token_id"] = tokenizer.eos_id
    return ids


def hf_document(tokenizer: Tokenizer) -> dict[str, Any]:
    """The tokenizer.json document with a post-processor that matches ``tokenizer.add_bos``."""
    doc = tokenizer.to_hf_json(deep=False)  # only post_processor is replaced
    bos = tokenizer.bos_id
    if tokenizer.add_bos and bos is not None:
        doc["post_processor"] = _bos_post_processor((tokenizer.token_bytes(bos).decode("utf-8"), bos))
    elif not tokenizer.add_bos:
        doc["post_processor"] = None
    return doc


def write_tokenizer_files(tokenizer: Tokenizer, folder: Path, *, max_length: int | None) -> None:
    """Write tokenizer.json and tokenizer_config.json into ``folder`` (already a temporary folder)."""
    doc = hf_document(tokenizer)
    (folder / "tokenizer.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": bool(tokenizer.add_bos and tokenizer.bos_id is not None),
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
    }
    if max_length:
        config["model_max_length"] = int(max_length)
    for role in ("bos", "eos", "pad", "unk"):
        token_id = tokenizer.role_id(role)
        if token_id is not None:
            config[f"{role}_token"] = tokenizer.token_bytes(token_id).decode("utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
