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


SHIPPED: tuple[ShippedHyperNet, ...] = ()


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
