"""Arena training throughput: anytok's ArenaLM against a transformers LlamaForCausalLM of the same
shape (dim, layers, heads, SwiGLU width, tied embeddings, no biases), trained by the same loop
(AdamW, the same batches of random ids, cross-entropy, gradient clipping).

    python bench/arena_throughput.py [--sizes tiny small] [--vocab 8000] [--batch 16] [--seq 256] [--steps 20]
"""

from __future__ import annotations

import argparse
import time

import torch

from _results import save, summary_row


def llama_like(shape, vocab: int, seq: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=vocab, hidden_size=shape.dim, intermediate_size=shape.mlp_hidden,
                         num_hidden_layers=shape.layers, num_attention_heads=shape.heads,
                         num_key_value_heads=shape.heads, max_position_embeddings=seq, tie_word_embeddings=True,
                         attention_bias=False, mlp_bias=False)
    config._attn_implementation = "sdpa"
    return LlamaForCausalLM(config)


def tokens_per_second(model, vocab: int, batch: int, seq: int, steps: int) -> float:
    """Training tokens per second over ``steps`` steps, after two warm-up steps."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randint(vocab, (batch, seq), generator=gen) for _ in range(steps + 2)]
    model.train()
    for k, ids in enumerate(batches):
        if k == 2:
            start = time.perf_counter()
        logits = model(input_ids=ids).logits[:, :-1].float()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return steps * batch * seq / (time.perf_counter() - start)


def main() -> None:
    from anytok.arena import SIZES
    from anytok.arena.model import ArenaLM

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["tiny", "small"])
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = []
    print("| size | parameters | ArenaLM tokens/s | LlamaForCausalLM tokens/s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for size in args.sizes:
        shape = SIZES[size]
        torch.manual_seed(0)
        ours = ArenaLM(shape, args.vocab)
        peer = llama_like(shape, args.vocab, args.seq)
        a = tokens_per_second(ours, args.vocab, args.batch, args.seq, args.steps)
        b = tokens_per_second(peer, args.vocab, args.batch, args.seq, args.steps)
        n = sum(p.numel() for p in ours.parameters())
        rows.append({"size": size, "parameters": n, "arena": a, "llama": b})
        print(f"| {size} | {n:,} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |", flush=True)
    save("arena_throughput", order=130, summary=[summary_row(
        "Arena training throughput", ", ".join(f"{r['size']} {r['arena']:,.0f} tokens/s" for r in rows),
        "LlamaForCausalLM, same shape and loop: " + ", ".join(f"{r['llama']:,.0f}" for r in rows),
        " / ".join(f"**{r['arena'] / r['llama']:.2f}x**" for r in rows) + " (target >= 1x)",
        f"vocab {args.vocab}, batch {args.batch} x {args.seq} tokens")],
        details={**vars(args), "rows": rows})


if __name__ == "__main__":
    main()
