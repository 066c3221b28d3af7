"""Bits per byte of SmolLM2, Gemma 3, and their byte-level mixture and product.

Both models are scored as exact byte-level LMs (anytok.ByteLM), so their different tokenizers
(49,152-token byte-level BPE vs 262,144-token SentencePiece BPE) no longer matter: the ensembles
combine next-byte distributions.

    python bench/ensemble.py --smollm2 SMOL.gguf --gemma3 GEMMA.gguf --bytes 2000
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def bits_per_byte(model, text: bytes) -> float:
    """-log2 P(text) / len(text), by the chain rule over next-byte distributions."""
    total = sum(float(model.next_byte_logprobs(text[:k])[text[k]]) for k in range(len(text)))
    return -total / (len(text) * math.log(2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smollm2", required=True)
    ap.add_argument("--gemma3", required=True)
    ap.add_argument("--bytes", type=int, default=2000, help="bytes of each corpus file")
    ap.add_argument("--offset", type=int, default=100_000)
    args = ap.parse_args()
    torch.set_num_threads(2)
    from anytok.bytelm import ByteLM, Ensemble
    from anytok.models.load import load_model

    members = {}
    for name, path in (("smollm2", args.smollm2), ("gemma3", args.gemma3)):
        loaded = load_model(path)
        members[name] = ByteLM(loaded.model, loaded.tokenizer)
    lms = list(members.values())
    print("| corpus | SmolLM2 | Gemma 3 | mixture (0.5/0.5) | product (0.5/0.5) | seconds |")
    print("|---|---|---|---|---|---|")
    for corpus in ("en_prose", "code_python", "code_mixed"):
        raw = (SHARED / f"{corpus}.txt").read_bytes()[args.offset:args.offset + args.bytes]
        t0 = time.time()
        row = [bits_per_byte(lm, raw) for lm in lms]
        row += [bits_per_byte(Ensemble(lms, mode=mode), raw) for mode in ("mixture", "product")]
        cells = " | ".join(f"{v:.4f}" for v in row)
        print(f"| {corpus} ({len(raw)} B) | {cells} | {time.time() - t0:.0f} |", flush=True)
    assert all(np.isfinite(row))


if __name__ == "__main__":
    main()
