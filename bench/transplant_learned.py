"""Learned transfer: SmolLM2-135M onto new tokenizers by mean, fvt, hybrid and the hypernetwork,
zero-shot and after a heal of the new rows; bits per byte on held-out text.

Held-out text: the last --kb KB of en_prose, code_python, code_mixed and of three parallel-set
languages (cut to start on a line), the bytes `anytok hypernet train --hold-out 20480` never reads.
Each row's bits are summed over the six texts and divided by their bytes; per-text figures follow.

    python bench/transplant_learned.py --hypernet HN_DIR --work /tmp/anytok-bench --heal-steps 20
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from _results import save, summary_row

from _smollm2 import smollm2_folder

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FILES = ("en_prose", "code_python", "code_mixed")
LANGUAGES = ("de", "ru", "ja")


def held_out(kb: int) -> dict[str, bytes]:
    """The last ``kb`` KB of each file, from its first line start."""
    out = {}
    paths = [(n, SHARED / "corpus" / f"{n}.txt") for n in FILES]
    paths += [(n, SHARED / "corpus" / "parallel" / f"{n}.txt") for n in LANGUAGES]
    for name, path in paths:
        data = path.read_bytes()[-kb * 1024:]
        out[name] = data[data.index(b"\n") + 1:]
    return out


def heal_text(kb: int, skip_kb: int) -> bytes:
    """Training-side text to heal on: --heal-kb KB of each file before its held-out tail."""
    text = b""
    for name in FILES:
        data = (SHARED / "corpus" / f"{name}.txt").read_bytes()[: -skip_kb * 1024][-kb * 1024:]
        text += data[data.index(b"\n") + 1:]
    return text


def bpb(loaded, texts: dict[str, bytes]) -> tuple[float, dict[str, float]]:
    """(bits per byte over all texts, per text)."""
    from anytok.eval.bpb import bits_per_byte

    results = {name: bits_per_byte(loaded.model, loaded.tokenizer, data, name=name) for name, data in texts.items()}
    total = sum(r.bits for r in results.values()) / sum(r.n_bytes for r in results.values())
    return total, {name: r.bpb for name, r in results.items()}


def training_side(work: Path, kb: int) -> list[Path]:
    """The three main files without their held-out tails, written under ``work``."""
    paths = []
    for name in FILES:
        data = (SHARED / "corpus" / f"{name}.txt").read_bytes()[: -kb * 1024]
        path = work / "train_side" / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[: data.rfind(b"\n") + 1])
        paths.append(path)
    return paths


def tokenizers(work: Path, names: list[str], kb: int) -> dict[str, object]:
    import anytok

    out = {}
    for name in names:
        if name.startswith("bpe"):  # an anytok BPE trained on the training side of the three main files
            size = int(name[3:].rstrip("k")) * 1000
            path = work / f"bpe{size // 1000}k-heldout{kb}k.json"
            if not path.exists():
                anytok.train(training_side(work, kb), vocab_size=size, special_tokens=["<|endoftext|>"],
                             progress=False).save(str(path))
            out[f"anytok {name}"] = anytok.load(path)
        else:
            out[name] = anytok.load(name)
    return out


def main() -> None:
    import torch

    from anytok.models.load import load_model
    from anytok.transfer import align, transplant
    from anytok.transfer.healing import HealConfig, heal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hypernet", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--tokenizers", nargs="+", default=["bpe32k", "o200k", "qwen3"])
    parser.add_argument("--methods", nargs="+", default=["mean", "fvt", "hybrid", "hypernet"])
    parser.add_argument("--heal", nargs="*", default=["hybrid:lm", "hypernet:distill"],
                        help="METHOD:OBJECTIVE pairs also healed (objective lm or distill)")
    parser.add_argument("--heal-steps", type=int, default=20)
    parser.add_argument("--heal-kb", type=int, default=400)
    parser.add_argument("--heal-batch", type=int, default=4)
    parser.add_argument("--heal-seq-len", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    source = smollm2_folder(args.work)
    texts = held_out(args.kb)
    heal_data = heal_text(args.heal_kb, args.kb) if args.heal else b""
    names = list(texts)
    header = "| new tokenizer | method | bits/byte | increase over base | " + " | ".join(names) + " | seconds |"
    print(header + "\n|" + "---|" * (header.count("|") - 1), flush=True)
    base = load_model(source)
    base_total, base_each = bpb(base, texts)
    print(f"| (base tokenizer) | base | {base_total:.4f} | - | "
          + " | ".join(f"{base_each[n]:.4f}" for n in names) + " | - |", flush=True)
    del base
    records = []
    for tok_name, tok in tokenizers(args.work, args.tokenizers, args.kb).items():
        for method in args.methods:
            objectives = [h.split(":")[1] for h in args.heal if h.split(":")[0] == method] if args.heal_steps else []
            for healed in [None, *objectives]:
                base = load_model(source)
                start = time.perf_counter()
                out = transplant(base, tok, method=method,
                                 hypernet=args.hypernet if method == "hypernet" else None, device=args.device)
                label = method
                if healed:
                    teacher = load_model(source) if healed == "distill" else None  # base is changed in place
                    alignment = align(base.tokenizer, tok)
                    heal(out.model, out.tokenizer, heal_data, trainable_ids=alignment.missing + alignment.unused,
                         config=HealConfig(steps=args.heal_steps, device=args.device, batch_size=args.heal_batch,
                                           seq_len=args.heal_seq_len, objective=healed), teacher=teacher)
                    out.model.to("cpu")
                    label = f"{method} + {healed} heal {args.heal_steps} x {args.heal_batch} x {args.heal_seq_len}"
                    del teacher
                seconds = time.perf_counter() - start
                total, each = bpb(out, texts)
                print(f"| {tok_name} | {label} | {total:.4f} | {total - base_total:+.4f} | "
                      + " | ".join(f"{each[n]:.4f}" for n in names)
                      + f" | {seconds:.0f} ({args.device}, {torch.get_num_threads()} threads) |", flush=True)
                records.append({"tokenizer": tok_name, "method": method, "heal": healed, "bpb": total,
                                "increase": total - base_total, "each": each, "seconds": seconds})
                del base, out
                gc.collect()
    got = {(r["tokenizer"], r["method"], r["heal"]) for r in records}
    full = all((t, m, h) in got for t in args.tokenizers
               for m, h in (("hybrid", None), ("hypernet", None), ("hybrid", "lm"), ("hypernet", "distill")))
    save("transplant_learned", order=100, summary=[summary_of(records, args.tokenizers, base_total, args.kb,
                                                               len(names))] if full else [],
         details={"kb": args.kb, "heal_steps": args.heal_steps, "base_bpb": base_total, "rows": records})


def summary_of(records: list[dict], toks: list[str], base_bpb: float, kb: int, files: int) -> dict:
    """The summary-table row: hypernet (zero-shot and distillation-healed) against hybrid (and LM-healed)."""
    rise = {(r["tokenizer"], r["method"], r["heal"]): r["increase"] for r in records}

    def cells(method: str, heal: str | None) -> str:
        return ", ".join(f"{rise[t, method, heal]:+.3f} ({t})" for t in toks)

    def ratios(ours: tuple, peer: tuple) -> list[float]:
        return [rise[(t, *ours)] / rise[(t, *peer)] for t in toks]

    zero, healed = ratios(("hypernet", None), ("hybrid", None)), ratios(("hypernet", "distill"), ("hybrid", "lm"))
    met = max(zero) <= 0.5 and max(healed) <= 0.25
    return summary_row(
        "Learned transfer (hypernet)", f"zero-shot increase over the base {cells('hypernet', None)}; with "
        f"distillation heal {cells('hypernet', 'distill')}",
        f"hybrid: {cells('hybrid', None)}; hybrid + LM heal: {cells('hybrid', 'lm')}",
        f"**{' / '.join(f'{x:.2f}x' for x in zero)}** zero-shot, **{' / '.join(f'{x:.2f}x' for x in healed)}** "
        f"healed (targets <= 0.5x, <= 0.25x{'' if met else ': not met'})",
        f"SmolLM2-135M, {kb} KB x {files} held-out texts, base {base_bpb:.4f} bits/byte")


if __name__ == "__main__":
    main()
