"""A hypernetwork folder: ``config.json`` and ``hypernet.safetensors`` (plus ``optimizer.safetensors``
while training), tied to one base model by its embedding width and a hash of its vocabulary.

Files are written under a temporary name and renamed into place, so a folder always holds a whole
checkpoint. Loading checks the base, the shapes and the file itself, and names the problem.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

from anytok._atomic import atomic_path, write_text_atomic
from anytok.errors import HyperNetError
from anytok.hypernet.model import HyperNet, HyperNetConfig
from anytok.tokenizer import Tokenizer

FORMAT = "anytok-hypernet/1"
CONFIG = "config.json"
WEIGHTS = "hypernet.safetensors"
OPTIMIZER = "optimizer.safetensors"


def vocab_hash(tokenizer: Tokenizer) -> str:
    """sha256 over the base vocabulary's token bytes in id order (specials marked): its identity."""
    h = hashlib.sha256()
    for i, data in enumerate(tokenizer.vocab):
        tag = b"S" if i in tokenizer.special_ids else (b"-" if data is None else b"T")
        h.update(tag + len(data or b"").to_bytes(4, "little") + (data or b""))
    return h.hexdigest()


def base_identity(tokenizer: Tokenizer, emb: torch.Tensor, source: str) -> dict[str, Any]:
    """What a hypernetwork must match in a base model: width, vocabulary size and hash."""
    return {"source": source, "embed_dim": int(emb.shape[1]), "vocab_size": tokenizer.vocab_size,
            "vocab_sha256": vocab_hash(tokenizer)}


def save_hypernet(folder: str | os.PathLike, net: HyperNet, base: dict[str, Any], *,
                  training: dict[str, Any] | None = None, optimizer: dict[str, torch.Tensor] | None = None) -> Path:
    """Write ``net`` (and optional optimizer tensors) into ``folder``; config.json is written last."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / WEIGHTS) as tmp:
        save_file({k: v.detach().float().contiguous().cpu() for k, v in net.state_dict().items()}, str(tmp))
    if optimizer is not None:
        with atomic_path(folder / OPTIMIZER) as tmp:
            save_file({k: v.contiguous().cpu() for k, v in optimizer.items()}, str(tmp))
    doc = {"format": FORMAT, "hypernet": net.config.__dict__, "base": base, "training": training or {}}
    write_text_atomic(folder / CONFIG, json.dumps(doc, indent=2) + "\n")
    return folder


def read_config(folder: str | os.PathLike) -> dict[str, Any]:
    """config.json of a hypernetwork folder; a missing or foreign one raises :class:`HyperNetError`."""
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise HyperNetError(f"{folder} is not a hypernetwork folder (no {CONFIG}); "
                            "train one with `anytok hypernet train`")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise HyperNetError(f"{path} is not valid JSON ({e}); the folder is damaged, train it again") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HyperNetError(f"{path} is not an anytok hypernetwork config (format {FORMAT!r} expected)")
    return doc


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise HyperNetError(f"{path} is missing; the hypernetwork folder is incomplete, train it again")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise HyperNetError(f"{path} is corrupt or truncated ({e}); train it again or fetch it again") from None


def check_base(doc: dict[str, Any], tokenizer: Tokenizer, emb: torch.Tensor, *, where: str) -> None:
    """Raise :class:`HyperNetError` unless the hypernetwork of ``doc`` was trained for this base."""
    want = doc["base"]
    if int(want["embed_dim"]) != emb.shape[1]:
        raise HyperNetError(f"hypernetwork {where} was trained for a base with {want['embed_dim']}-wide "
                            f"embeddings ({want.get('source')}); this base's are {emb.shape[1]} wide: "
                            "use a hypernetwork trained for this model")
    if want["vocab_sha256"] != vocab_hash(tokenizer):
        raise HyperNetError(f"hypernetwork {where} was trained for a base with another vocabulary "
                            f"({want.get('source')}, {want['vocab_size']} ids; this one has "
                            f"{tokenizer.vocab_size}): use a hypernetwork trained for this model")


def load_hypernet(folder: str | os.PathLike, *, tokenizer: Tokenizer | None = None,
                  emb: torch.Tensor | None = None) -> tuple[HyperNet, dict[str, Any]]:
    """(the network in eval mode, its config.json); with ``tokenizer`` and ``emb`` the base is checked."""
    doc = read_config(folder)
    if tokenizer is not None and emb is not None:
        check_base(doc, tokenizer, emb, where=str(folder))
    try:
        net = HyperNet(HyperNetConfig(**doc["hypernet"]))
    except (TypeError, ValueError) as e:
        raise HyperNetError(f"{Path(folder) / CONFIG} has a bad hypernet section ({e})") from None
    state = _read_tensors(Path(folder) / WEIGHTS)
    want = net.state_dict()
    bad = sorted(set(want) ^ set(state)) or [k for k in want if want[k].shape != state[k].shape]
    if bad:
        raise HyperNetError(f"{Path(folder) / WEIGHTS} does not fit its config.json (tensor {bad[0]}); "
                            "the folder is damaged, train it again")
    net.load_state_dict(state)
    return net.eval(), doc


def load_optimizer(folder: str | os.PathLike) -> dict[str, torch.Tensor] | None:
    """The optimizer tensors saved beside the weights, or None when there are none."""
    path = Path(folder) / OPTIMIZER
    return _read_tensors(path) if path.exists() else None
