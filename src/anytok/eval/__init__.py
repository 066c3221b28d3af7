"""Evaluation: bits per byte, the yardstick that compares models whatever their tokenizers."""

from anytok.eval.bpb import BpbResult, bits_per_byte, chunk_text

__all__ = ["BpbResult", "bits_per_byte", "chunk_text"]
