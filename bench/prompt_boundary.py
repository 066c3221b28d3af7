"""Prompt-boundary benchmark: greedy continuation of prompts cut inside a word.

For N random cuts of en_prose.txt and code_python.txt at byte offsets inside a word (a letter or
digit on both sides), each method continues the prompt greedily; we count exact matches of the
rest of the cut word and of the next 16 bytes:

- ``bytelm``: anytok.ByteLM greedy, byte by byte;
- ``token``: plain token-level greedy on ``encode(prompt)``;
- ``healing``: transformers ``generate(..., token_healing=True)`` (present in transformers 5.23).

    python bench/prompt_boundary.py --model /path/SmolLM2-135M-Instruct.Q4_1.gguf --cuts 40
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

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
def healed_greedy(model, hf_tok, prompt: bytes, n: int) -> bytes:
    text = prompt.decode("utf-8", "replace")
    ids = hf_tok(text, return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=max(4, n // 2), do_sample=False, token_healing=True,
                         tokenizer=hf_tok, pad_token_id=hf_tok.eos_token_id)
    full = hf_tok.decode(out[0], skip_special_tokens=True).encode()
    stripped = text.strip().encode()
    return full[len(stripped):][:n] if full.startswith(stripped) else b""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="SmolLM2 .gguf file")
    ap.add_argument("--cuts", type=int, default=40, help="cuts per corpus file")
    ap.add_argument("--context", type=int, default=96, help="prompt length in bytes")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    from transformers import AutoTokenizer

    from anytok.bytelm import ByteLM
    from anytok.models.load import load_model

    loaded = load_model(args.model)
    lm = ByteLM(loaded.model, loaded.tokenizer)
    path = Path(args.model)
    hf_tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    rows = []
    for name in ("en_prose", "code_python"):
        data = (SHARED / f"{name}.txt").read_bytes()
        hits = {m: [0, 0] for m in ("bytelm", "token", "healing")}
        t0 = time.time()
        for prompt, truth in cuts(data, args.cuts, args.seed, args.context):
            word = rest_of_word(truth)
            outs = {"bytelm": bytelm_greedy(lm, prompt, 16),
                    "token": token_greedy(loaded.model, loaded.tokenizer, lm.runner.start_id, prompt, 16),
                    "healing": healed_greedy(loaded.model, hf_tok, prompt, 16)}
            for m, out in outs.items():
                hits[m][0] += out.startswith(word)
                hits[m][1] += out[:16] == truth[:16]
        for m, (w, b16) in hits.items():
            rows.append((name, m, w / args.cuts, b16 / args.cuts))
        print(f"{name}: {args.cuts} cuts in {time.time() - t0:.0f}s", flush=True)
    print("| corpus | method | rest of word exact | next 16 bytes exact |")
    print("|---|---|---|---|")
    for name, m, w, b16 in rows:
        print(f"| {name} | {m} | {w:.1%} | {b16:.1%} |")


if __name__ == "__main__":
    main()
