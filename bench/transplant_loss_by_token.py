"""Where a transplanted model loses bits: shared tokens vs tokens built by the init method.

For a transplanted HF folder (and the base folder it came from), score the first --kb KB of each
corpus file in 2 KB chunks (as anytok.eval.bpb does) and split the bits by the predicted token:
shared with the base (row copied) or missing (row built by OMP / FVT / ...), and by whether the
input token just before it was missing. Prints the totals and the missing tokens costing most.

    python bench/transplant_loss_by_token.py --base /tmp/anytok-bench/hf/gemma3-270m \
        --model /tmp/anytok-bench/anytok_gemma3-270m_to_smollm2-135m --kb 8
"""

from __future__ import annotations

import argparse
import collections
import math
from pathlib import Path

import torch

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FILES = ("en_prose", "code_python", "code_mixed")


def token_bits(model, tok, data: bytes) -> list[tuple[int, int, float]]:
    """(previous id, predicted id, bits) for every predicted token of ``data`` (2 KB chunks)."""
    from anytok.eval.bpb import chunk_text, context_prefix

    prefix = context_prefix(tok)
    out = []
    for chunk in chunk_text(data, chunk_bytes=2048):
        ids = prefix + tok.encode(chunk)
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()  # (T, V)
        logp = torch.log_softmax(logits[:-1], dim=-1)
        target = torch.tensor(ids[1:])
        bits = (-logp.gather(1, target[:, None])[:, 0] / math.log(2)).tolist()
        out += [(ids[i], ids[i + 1], b) for i, b in enumerate(bits)]
    return out


def main() -> None:
    import anytok
    from anytok.eval.bpb import read_text
    from anytok.models.load import load_model
    from anytok.transfer import align

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the base model folder (its tokenizer)")
    parser.add_argument("--model", type=Path, required=True, help="the transplanted model folder")
    parser.add_argument("--kb", type=int, default=8)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    loaded = load_model(args.model)
    tok = loaded.tokenizer
    missing = set(align(anytok.load(args.base), tok).missing)
    print("| file | bytes | bits on shared targets | bits on missing targets | missing targets | "
          "bits/token shared | bits/token missing | bits after a missing input |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    worst: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    for name in FILES:
        data = read_text(SHARED / "corpus" / f"{name}.txt", max_bytes=args.kb * 1024)
        rows = token_bits(loaded.model, tok, data)
        shared = [b for _, t, b in rows if t not in missing]
        miss = [b for _, t, b in rows if t in missing]
        after = sum(b for p, _, b in rows if p in missing)
        for _, t, b in rows:
            if t in missing:
                worst[t] += b
                counts[t] += 1
        print(f"| {name} | {len(data)} | {sum(shared):.0f} | {sum(miss):.0f} | {len(miss)} of {len(rows)} | "
              f"{sum(shared) / max(1, len(shared)):.2f} | {sum(miss) / max(1, len(miss)):.2f} | {after:.0f} |")
    print("\n| missing token | count | total bits | bits/occurrence |\n|---|---:|---:|---:|")
    for t, bits in worst.most_common(args.top):
        print(f"| {tok.token_bytes(t)!r} | {counts[t]} | {bits:.0f} | {bits / counts[t]:.2f} |")


if __name__ == "__main__":
    main()
