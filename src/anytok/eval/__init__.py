"""Evaluation: bits per byte, the yardstick that compares models whatever their tokenizers."""

from anytok._lazy import lazy_exports

_HOMES = {name: "anytok.eval.bpb" for name in ("BpbResult", "bits_per_byte", "chunk_text")}
__all__ = list(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
