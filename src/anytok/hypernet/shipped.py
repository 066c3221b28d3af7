"""Hypernetworks that ship with anytok, found by the base model they were trained for.

A shipped network lives in ``anytok/data/hypernets/NAME/`` (config.json and hypernet.safetensors
in bfloat16) with its sha256 pinned here; it is picked when a transplant or extend asks for method
hypernet without naming a network and the base's vocabulary hash matches. Each entry records the
one command that rebuilds it (``build``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from anytok.hypernet.store import CONFIG, WEIGHTS, HyperNetError, vocab_hash
from anytok.tokenizer import Tokenizer

DATA = Path(__file__).resolve().parents[1] / "data" / "hypernets"


@dataclasses.dataclass(frozen=True)
class ShippedHyperNet:
    """A network in the package: where it is, its weights' sha256 and how to rebuild it."""

    name: str
    sha256: str
    build: str

    @property
    def folder(self) -> Path:
        """Its folder inside the installed package."""
        return DATA / self.name


_CORPUS = "../shared/corpus"
SHIPPED: tuple[ShippedHyperNet, ...] = (
    ShippedHyperNet(
        name="smollm2-135m",
        sha256="19ea56888859948b5d17a37fffb17944d9f9564c6e0c8d1f8f7ed43566a66a58",
        build=(f"anytok hypernet train smollm2-135m -c {_CORPUS}/en_prose.txt -c {_CORPUS}/code_python.txt "
               f"-c {_CORPUS}/code_mixed.txt $(for f in {_CORPUS}/parallel/*.txt; do echo -c $f; done) "
               "--hold-out 20480 -t cl100k -t llama3 --steps 400 -o hn && python -c \"from "
               "anytok.hypernet.shipped import ship; ship('hn', 'src/anytok/data/hypernets/smollm2-135m')\""),
    ),
)


def ship(source: str | Path, folder: str | Path) -> str:
    """Copy the network in ``source`` into ``folder`` with bfloat16 weights; returns their sha256."""
    from safetensors.torch import load_file, save_file

    from anytok._atomic import atomic_path, write_text_atomic
    from anytok.hypernet.store import read_config

    source, folder = Path(source), Path(folder)
    doc = read_config(source)
    folder.mkdir(parents=True, exist_ok=True)
    state = load_file(str(source / WEIGHTS))
    with atomic_path(folder / WEIGHTS) as tmp:
        save_file({k: v.bfloat16().contiguous() for k, v in state.items()}, str(tmp))
    write_text_atomic(folder / CONFIG, json.dumps(doc, indent=2) + "\n")
    return _sha256(folder / WEIGHTS)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_for(tokenizer: Tokenizer) -> Path | None:
    """The folder of the shipped network trained for a base with this vocabulary, verified; None if none."""
    want = vocab_hash(tokenizer)
    for entry in SHIPPED:
        config = entry.folder / CONFIG
        if not config.is_file():
            continue
        if json.loads(config.read_text(encoding="utf-8"))["base"]["vocab_sha256"] != want:
            continue
        got = _sha256(entry.folder / WEIGHTS)
        if got != entry.sha256:
            raise HyperNetError(f"shipped hypernetwork {entry.folder} has sha256 {got}, not {entry.sha256}: the "
                                f"install is damaged; reinstall anytok or rebuild it with: {entry.build}")
        return entry.folder
    return None
