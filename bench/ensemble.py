"""Bits per byte of SmolLM2, Gemma 3, and their byte-level mixture and product.

Both models are scored as exact byte-level LMs (anytok.ByteLM), so their different tokenizers
(49,152-token byte-level BPE vs 262,144-token SentencePiece BPE) no longer matter: the ensembles
combine next-byte distributions.

    python bench/ensemble.py --smollm2 smollm2-135m --gemma3 gemma3-270m --bytes 20480

Each file's first --bytes bytes from --offset are cut into chunks of about --chunk bytes at line
ends (as `anytok eval` does); every chunk is scored from the start of text by every model, and the
ensembles combine the members' next-byte rows of the same chunk.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from _results import save, summary_row

import numpy as np
import torch

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def bits(logprob: float, num_bytes: int) -> float:
    return -logprob / (num_bytes * math.log(2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smollm2", required=True)
    ap.add_argument("--gemma3", required=True)
    ap.add_argument("--bytes", type=int, default=2000, help="bytes of each corpus file")
    ap.add_argument("--offset", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=4096, help="bytes per independently scored chunk")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (bits per byte do not depend on it)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from anytok.bytelm import ByteLM, Ensemble
    from anytok.bytelm.base import text_logprob
    from anytok.eval.bpb import chunk_text
    from anytok.models.load import load_model

    members = {}
    for name, path in (("smollm2", args.smollm2), ("gemma3", args.gemma3)):
        loaded = load_model(path)
        members[name] = ByteLM(loaded.model, loaded.tokenizer)
    lms = list(members.values())
    ensembles = [Ensemble(lms, mode=mode) for mode in ("mixture", "product")]
    print("| corpus | SmolLM2 | Gemma 3 | mixture (0.5/0.5) | product (0.5/0.5) | seconds |")
    print("|---|---|---|---|---|---|")
    results = []
    for corpus in ("en_prose", "code_python", "code_mixed"):
        raw = (SHARED / f"{corpus}.txt").read_bytes()[args.offset:args.offset + args.bytes]
        t0 = time.time()
        totals = np.zeros(4)
        for chunk in chunk_text(raw, chunk_bytes=args.chunk):
            rows = np.stack([lm.byte_logprobs(chunk) for lm in lms])  # (2, n + 1, 257)
            per = [text_logprob(r, chunk) for r in rows]
            per += [text_logprob(e.combine_rows(rows, chunk), chunk) for e in ensembles]
            totals += per
            print(f"  {corpus}: chunk of {len(chunk)} B done at {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        cells = " | ".join(f"{bits(v, len(raw)):.4f}" for v in totals)
        print(f"| {corpus} ({len(raw)} B) | {cells} | {time.time() - t0:.0f} |", flush=True)
        assert np.isfinite(totals).all()
        results.append({"corpus": corpus, "bytes": len(raw), "seconds": time.time() - t0,
                        **dict(zip(("smollm2", "gemma3", "mixture", "product"), (bits(v, len(raw)) for v in totals)))})
    save("ensemble", order=60, summary=[summary_of(results)], details={"rows": results})


def summary_of(rows: list[dict]) -> dict:
    """The summary-table row: the product against the better member on each file."""
    product = " / ".join(f"{r['product']:.4f}" for r in rows)
    better = [min(r["smollm2"], r["gemma3"]) for r in rows]
    change = " / ".join(f"{(r['product'] - b) / b:+.1%}" for r, b in zip(rows, better))
    names = " / ".join(r["corpus"] for r in rows)
    kb = rows[0]["bytes"] // 1024
    return summary_row("Ensembles", f"product of SmolLM2 and Gemma 3: {product} bits/byte",
                       f"better member: {' / '.join(f'{b:.4f}' for b in better)}", change,
                       f"{kb} KB each of {names}")


if __name__ == "__main__":
    main()
