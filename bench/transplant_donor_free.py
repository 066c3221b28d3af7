"""Donor-free transplant: SmolLM2-135M onto o200k (and onto an anytok-trained 32k BPE) by fvt and
hybrid; bits per byte before, after the transplant, and after a short heal of the new rows.

Eval text: the first --kb KB of en_prose, code_python and code_mixed. Heal text: the last
--heal-kb KB of each of the same files (disjoint from the eval text).

    python bench/transplant_donor_free.py --work /tmp/anytok-bench --heal-steps 10
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from _results import save, summary_row

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FILES = ("en_prose", "code_python", "code_mixed")


def texts(kb: int, heal_kb: int) -> tuple[dict[str, bytes], bytes]:
    from anytok.eval.bpb import read_text

    evals = {name: read_text(SHARED / "corpus" / f"{name}.txt", max_bytes=kb * 1024) for name in FILES}
    heal = b""
    for name in FILES:
        data = (SHARED / "corpus" / f"{name}.txt").read_bytes()[-heal_kb * 1024:]
        heal += data[data.index(b"\n") + 1:]
    return evals, heal


def bpb(loaded, evals: dict[str, bytes]) -> float:
    from anytok.eval.bpb import bits_per_byte

    results = [bits_per_byte(loaded.model, loaded.tokenizer, data, name=name) for name, data in evals.items()]
    return sum(r.bits for r in results) / sum(r.n_bytes for r in results)


def tokenizers(work: Path, train_size: int) -> dict[str, object]:
    import anytok

    out = {}  # the small trained vocabulary first: its runs are the cheapest
    if train_size:
        path = work / f"bpe{train_size // 1000}k.json"
        if not path.exists():
            anytok.train([SHARED / "corpus" / f"{n}.txt" for n in FILES], vocab_size=train_size,
                         special_tokens=["<|endoftext|>"], progress=False).save(str(path))
        out[f"anytok bpe {train_size // 1000}k"] = anytok.load(path)
    out["o200k"] = anytok.load("o200k")
    return out


def main() -> None:
    import torch

    from anytok.models.load import load_model
    from anytok.transfer import align, transplant
    from anytok.transfer.healing import HealConfig, heal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--kb", type=int, default=8)
    parser.add_argument("--heal-kb", type=int, default=400)
    parser.add_argument("--heal-steps", type=int, default=10)
    parser.add_argument("--heal-batch", type=int, default=4)
    parser.add_argument("--heal-seq-len", type=int, default=128)
    parser.add_argument("--heal-lr", type=float, default=1e-3)
    parser.add_argument("--train-size", type=int, default=32000, help="0: skip the trained tokenizer")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    source = args.work / "hf" / "smollm2-135m"
    source = source if source.exists() else "smollm2-135m"
    evals, heal_text = texts(args.kb, args.heal_kb)
    base = load_model(source)
    base_bpb = bpb(base, evals)
    print(f"base SmolLM2-135M: {base_bpb:.4f} bits/byte", flush=True)
    records = []
    del base
    print("| new tokenizer | method | bpb after transplant | bpb after heal | heal steps | heal s | device |")
    print("|---|---|---:|---:|---:|---:|---|")
    for tok_name, tok in tokenizers(args.work, args.train_size).items():
        for method in ("fvt", "hybrid"):
            base = load_model(source)
            alignment = align(base.tokenizer, tok)
            out = transplant(base, tok, method=method)
            before = bpb(out, evals)
            start = time.perf_counter()
            heal(out.model, out.tokenizer, heal_text, trainable_ids=alignment.missing + alignment.unused,
                 config=HealConfig(steps=args.heal_steps, device=args.device, batch_size=args.heal_batch,
                                   seq_len=args.heal_seq_len, lr=args.heal_lr))
            seconds = time.perf_counter() - start
            out.model.to("cpu")
            after = bpb(out, evals)
            print(f"| {tok_name} | {method} | {before:.4f} | {after:.4f} | {args.heal_steps} | "
                  f"{seconds:.0f} | {args.device}, {torch.get_num_threads()} thread(s) |", flush=True)
            records.append({"tokenizer": tok_name, "method": method, "before": before, "after": after,
                            "heal_s": seconds})
            del base, out
            gc.collect()
    save("transplant_donor_free", order=90, summary=[summary_of(records, base_bpb, args.kb, args.heal_steps)],
         details={"base_bpb": base_bpb, "kb": args.kb, "heal_steps": args.heal_steps, "rows": records})


def summary_of(records: list[dict], base_bpb: float, kb: int, steps: int) -> dict:
    """The summary-table row: hybrid + heal against fvt + heal, per new tokenizer."""
    got = {(r["tokenizer"], r["method"]): r["after"] for r in records}
    names = list(dict.fromkeys(r["tokenizer"] for r in records))
    return summary_row("Donor-free transplant",
                       f"hybrid + {steps}-step heal: " + ", ".join(f"{got[n, 'hybrid']:.4f} ({n})" for n in names)
                       + " bits/byte", "fvt + heal: " + ", ".join(f"{got[n, 'fvt']:.4f}" for n in names), "-",
                       f"base with its own tokenizer: {base_bpb:.4f}; {kb} KB per file")


if __name__ == "__main__":
    main()
