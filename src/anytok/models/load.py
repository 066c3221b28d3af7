"""Load a causal LM and its byte-level tokenizer from an HF folder, a GGUF file or a registry name.

Weights come from safetensors or GGUF only: anytok never unpickles (a folder holding only
``pytorch_model.bin`` / ``.pt`` files is refused) and never runs remote code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import torch

from anytok.errors import ModelError
from anytok.tokenizer import Tokenizer

log = logging.getLogger(__name__)

_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' own progress bars ("Loading weights", "Writing model shards", GGUF
    de-quantisation) off inside the block, as they were after it: a load takes seconds, and the CLI shows anytok's bars where work is long."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    gguf_tqdm = getattr(gguf_utils, "tqdm", None)
    hf_logging.disable_progress_bar()
    if gguf_tqdm is not None:
        gguf_utils.tqdm = lambda iterable, *args, **kwargs: iterable  # it calls tqdm.auto directly
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
        if gguf_tqdm is not None:
            gguf_utils.tqdm = gguf_tqdm


@dataclasses.dataclass
class LoadedModel:
    """A transformers causal LM with the anytok Tokenizer it reads, and where it came from."""

    model: Any
    tokenizer: Tokenizer
    source: str

    def save(self, out: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write an HF folder (safetensors + config + tokenizer files) atomically; return its path."""
        from anytok.models.save import save_model

        return save_model(self, self.tokenizer, out, overwrite=overwrite)

    @property
    def num_rows(self) -> int:
        """Number of input-embedding rows (may exceed the tokenizer's vocab_size: padding rows)."""
        return int(self.model.get_input_embeddings().weight.shape[0])


def load_model(source: str | os.PathLike, *, dtype: torch.dtype = torch.float32) -> LoadedModel:
    """Load a causal LM from an HF folder (safetensors), a ``.gguf`` file or a registry name.

    GGUF weights are dequantised to ``dtype`` by transformers + gguf. Raises :class:`ModelError`
    when the source is missing, pickled-only, truncated, or has fewer embedding rows than tokens.
    """
    path = Path(source)
    if path.is_dir():
        loaded = _load_folder(path, dtype)
    elif path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelError(f"{path} is a file but not .gguf; give an HF model folder or a .gguf file")
        loaded = _load_gguf(path, dtype)
    else:
        loaded = _load_gguf(_registry_path(str(source)), dtype)
        loaded.source = str(source)
    check_rows(loaded.model, loaded.tokenizer, where=loaded.source)
    return loaded


def _registry_path(name: str) -> Path:
    try:
        from anytok.models.registry import REGISTRY, fetch_model_file
    except ImportError:
        REGISTRY, fetch_model_file = {}, None
    if name not in REGISTRY:
        known = ", ".join(REGISTRY) or "none registered"
        raise ModelError(f"model {name!r} is neither a folder, a .gguf file nor a registered name ({known})")
    return Path(fetch_model_file(name))


def _load_folder(path: Path, dtype: torch.dtype) -> LoadedModel:
    from transformers import AutoModelForCausalLM

    from anytok.tokenizer import load as load_tokenizer

    if not (path / "config.json").exists():
        raise ModelError(f"folder {path} has no config.json; it is not a Hugging Face model folder")
    if not any(path.glob("*.safetensors")):
        pickled = sorted(p.name for p in path.iterdir() if p.suffix in _PICKLE_SUFFIXES)
        why = f"it holds only pickled weights ({', '.join(pickled)}), which anytok never loads" if pickled \
            else "it holds no weights"
        raise ModelError(f"folder {path}: {why}; convert the weights to .safetensors first")
    try:
        with quiet_transformers():
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, use_safetensors=True,
                                                         trust_remote_code=False)
    except (OSError, ValueError, KeyError) as e:
        raise ModelError(f"transformers cannot load the model in {path}: {e}") from e
    return LoadedModel(model=model.eval(), tokenizer=load_tokenizer(path), source=str(path))


def _check_gguf(path: Path) -> None:
    """Read the GGUF header and tensor table, so a truncated file fails with a clear message."""
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
        size = path.stat().st_size
        end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
    except (ValueError, IndexError, OSError, KeyError) as e:
        raise ModelError(f"{path} is not a readable GGUF file ({e}); is it truncated? fetch it again") from e
    if end > size:
        raise ModelError(f"{path} is truncated: its tensors need {end} bytes but the file has {size}; "
                         "fetch it again")


def _load_gguf(path: Path, dtype: torch.dtype) -> LoadedModel:
    from transformers import AutoModelForCausalLM

    _check_gguf(path)
    try:
        with quiet_transformers():
            model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=dtype,
                                                         trust_remote_code=False)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise ModelError(f"transformers cannot load GGUF {path}: {e}") from e
    model.hf_quantizer = None  # weights are dequantised now: the model saves as plain safetensors
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return LoadedModel(model=model.eval(), tokenizer=_gguf_tokenizer(path), source=str(path))


def _gguf_tokenizer(path: Path) -> Tokenizer:
    """The vocabulary inside a GGUF file, through anytok's GGUF reader, else through transformers."""
    try:
        from anytok.tokenizer.gguf_file import load_gguf
    except ImportError:
        load_gguf = None
    if load_gguf is not None:
        return load_gguf(path)
    from transformers import AutoTokenizer

    from anytok.tokenizer.load import load_hf_json

    hf = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    with tempfile.TemporaryDirectory() as tmp:
        hf.save_pretrained(tmp)
        config = json.loads((Path(tmp) / "tokenizer_config.json").read_text(encoding="utf-8"))
        tok = load_hf_json(Path(tmp) / "tokenizer.json")
    if "add_bos_token" in config:
        tok = Tokenizer.from_hf_json(tok.to_hf_json(), name=path.stem, roles=tok.roles,
                                     add_bos=bool(config["add_bos_token"]))
    tok.name = path.stem
    return tok


def check_rows(model: Any, tokenizer: Tokenizer, *, where: str) -> None:
    """Raise :class:`ModelError` unless every token id has an embedding row (extra rows are padding)."""
    rows = int(model.get_input_embeddings().weight.shape[0])
    if rows < tokenizer.vocab_size:
        raise ModelError(
            f"model {where} has {rows} embedding rows but its tokenizer {tokenizer.name!r} has "
            f"{tokenizer.vocab_size} token ids; give the tokenizer the model was trained with")
    if rows > tokenizer.vocab_size:
        log.info("model %s has %d padding rows beyond its %d tokens", where, rows - tokenizer.vocab_size,
                 tokenizer.vocab_size)
