"""Prompt-boundary benchmark: greedy continuation of prompts cut inside a word.

For N random cuts of en_prose.txt and code_python.txt at byte offsets inside a word (a letter or
digit on both sides), each method continues the prompt greedily; we count exact matches of the
rest of the cut word and of the next 16 bytes:

- ``bytelm``: anytok.ByteLM greedy, byte by byte;
- ``token``: plain token-level greedy on ``encode(prompt)``;
- ``healing``: classic token healing (drop the last prompt token, constrain the next one to
  extend it). transformers 5.23 has ``generate(..., token_healing=True)`` but it crashes on
  SmolLM2 (rotary shape mismatch after healing), so the baseline is implemented here.

    python bench/prompt_boundary.py --model /path/SmolLM2-135M-Instruct.Q4_1.gguf --cuts 40
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

from _results import save, summary_row

import torch

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
WORD = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def cuts(data: bytes, n: int, seed: int, context: int) -> list[tuple[bytes, bytes]]:
    """n (prompt, truth) pairs: prompt ends inside a word, truth is the next 40 bytes."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        k = rng.randrange(context, len(data) - 64)
        if data[k - 1] in WORD and data[k] in WORD:
            out.append((data[k - context:k], data[k:k + 40]))
    return out


def rest_of_word(truth: bytes) -> bytes:
    """The bytes up to the first non-word byte."""
    for j, b in enumerate(truth):
        if b not in WORD:
            return truth[:j]
    return truth


def bytelm_greedy(lm, prompt: bytes, n: int) -> bytes:
    return b"".join(lm.generate(prompt, max_bytes=n, temperature=0))


@torch.no_grad()
def token_greedy(model, tok, start_id: int, prompt: bytes, n: int) -> bytes:
    ids = torch.tensor([[start_id, *tok.encode(prompt)]])
    out = model.generate(ids, max_new_tokens=max(4, n // 2), do_sample=False, pad_token_id=start_id)
    return tok.decode(out[0, ids.shape[1]:].tolist())[:n]


@torch.no_grad()
def healed_greedy(model, tok, trie, start_id: int, prompt: bytes, n: int) -> bytes:
    """Classic token healing: drop the prompt's last token, force the first new token to start
    with its bytes, then continue greedily. (transformers 5.23 still has ``token_healing=True``
    but it fails with a rotary-embedding shape error on this model, so it is re-done here.)"""
    ids = tok.encode(prompt)
    tail = tok.token_bytes(ids[-1])
    base = [start_id, *ids[:-1]]
    logits = model(input_ids=torch.tensor([base])).logits[0, -1]
    allowed = torch.as_tensor(trie.subtree(tail))
    first = int(allowed[torch.argmax(logits[allowed])])
    full = torch.tensor([[*base, first]])
    out = model.generate(full, max_new_tokens=max(4, n // 2), do_sample=False, pad_token_id=start_id)
    return tok.decode(out[0, len(base):].tolist())[len(tail):][:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="SmolLM2 .gguf file")
    ap.add_argument("--cuts", type=int, default=40, help="cuts per corpus file")
    ap.add_argument("--context", type=int, default=96, help="prompt length in bytes")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    from anytok.bytelm import ByteLM
    from anytok.models.load import load_model

    loaded = load_model(args.model)
    lm = ByteLM(loaded.model, loaded.tokenizer)
    rows = []
    for name in ("en_prose", "code_python"):
        data = (SHARED / f"{name}.txt").read_bytes()
        hits = {m: [0, 0] for m in ("bytelm", "token", "healing")}
        t0 = time.time()
        for prompt, truth in cuts(data, args.cuts, args.seed, args.context):
            word = rest_of_word(truth)
            outs = {"bytelm": bytelm_greedy(lm, prompt, 16),
                    "token": token_greedy(loaded.model, loaded.tokenizer, lm.runner.start_id, prompt, 16),
                    "healing": healed_greedy(loaded.model, loaded.tokenizer, lm.covers.trie, lm.runner.start_id,
                                               prompt, 16)}
            for m, out in outs.items():
                hits[m][0] += out.startswith(word)
                hits[m][1] += out[:16] == truth[:16]
            print(f"  {name}: cut done at {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        for m, (w, b16) in hits.items():
            rows.append((name, m, w / args.cuts, b16 / args.cuts))
        print(f"{name}: {args.cuts} cuts in {time.time() - t0:.0f}s", flush=True)
        print("| corpus | method | rest of word exact | next 16 bytes exact |")
        print("|---|---|---|---|")
        for row_name, m, w, b16 in rows[-3:]:
            print(f"| {row_name} | {m} | {w:.1%} | {b16:.1%} |", flush=True)
    results = [{"corpus": c, "method": m, "rest_of_word": w, "next_16": b} for c, m, w, b in rows]
    save("prompt_boundary", order=50, summary=[summary_of(results, args.cuts)],
         details={"cuts": args.cuts, "context": args.context, "seed": args.seed, "rows": results})


def summary_of(rows: list[dict], cuts: int) -> dict:
    """The summary-table row: rest of the cut word exact, ByteLM against token healing."""
    got = {(r["corpus"], r["method"]): r["rest_of_word"] for r in rows}
    corpora = list(dict.fromkeys(r["corpus"] for r in rows))
    ours = ", ".join(f"{got[c, 'bytelm']:.1%} ({c})" for c in corpora)
    peer = ", ".join(f"{got[c, 'healing']:.1%}" for c in corpora)
    diff = ", ".join(f"{100 * (got[c, 'bytelm'] - got[c, 'healing']):+.1f}" for c in corpora)
    se = 100 * math.sqrt(0.25 / cuts)  # the largest standard error of a proportion over this many cuts
    return summary_row("Prompt boundary", f"ByteLM: rest of cut word exact {ours}", f"token healing: {peer}",
                       f"{diff} points", f"{cuts} cuts per file, +-{se:.1f} points (one standard error)")


if __name__ == "__main__":
    main()
