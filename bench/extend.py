"""Extend SmolLM2-135M with tokens learned on a domain (code_python) and a language (hi), against
the baseline users reach for today: ``tokenizer.add_tokens`` + ``resize_token_embeddings(mean_resizing=True)``
with the same new tokens.

Korean: SmolLM2 spends 0.84 tokens per byte on it, the most of the parallel set's languages whose
words its pretokenizer keeps whole (Hindi's vowel signs are split off as their own pretokens, so a
few hundred merges are all that Hindi text can give). The parallel files are ~100 KB, so a language
gets as many merges as its text supplies (a few thousand), not 16k.

Held out: the last --kb KB of the domain file and of en_prose; the merges are learned on the rest
of the domain file. Reported: tokens per byte and bits per byte on both held-out texts.

    python bench/extend.py --work /tmp/anytok-bench --sizes 1000 4000 16000 [--hypernet HN_DIR]
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from _results import save, summary_row

from _smollm2 import smollm2_folder

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DOMAINS = {"code_python": SHARED / "corpus" / "code_python.txt", "ko": SHARED / "corpus" / "parallel" / "ko.txt"}


def split(path: Path, kb: int) -> tuple[str, bytes]:
    """(training text: all but the last kb KB, held-out bytes: the last kb KB from a line start)."""
    data = path.read_bytes()
    cut = len(data) - kb * 1024
    cut = data.index(b"\n", cut) + 1
    return data[:cut].decode("utf-8"), data[cut:]


def measure(model, tokenizer, texts: dict[str, bytes]) -> dict[str, tuple[float, float]]:
    """name -> (tokens per byte, bits per byte)."""
    from anytok.eval.bpb import bits_per_byte

    out = {}
    for name, data in texts.items():
        r = bits_per_byte(model, tokenizer, data, name=name)
        out[name] = (r.n_tokens / r.n_bytes, r.bpb)
    return out


def hf_baseline(source: Path, tokens: list[bytes], work: Path):
    """The base with ``tokens`` added by transformers' add_tokens and mean-resized embeddings."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import anytok

    hf_tok = AutoTokenizer.from_pretrained(source)
    texts = []
    for data in tokens:
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError:  # add_tokens takes text: a token ending inside a character cannot be added
            pass
    added = hf_tok.add_tokens(texts)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    torch.manual_seed(0)
    model.resize_token_embeddings(len(hf_tok), mean_resizing=True)
    folder = work / "hf-added"
    hf_tok.save_pretrained(folder)
    return model.eval(), anytok.load(folder), added


def main() -> None:
    import torch

    from anytok.extension import extend, learn_merges
    from anytok.models.load import load_model
    from anytok.transfer.healing import HealConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS))
    parser.add_argument("--hypernet", type=Path, default=None, help="default: the network shipped for SmolLM2")
    parser.add_argument("--methods", nargs="+", default=["hypernet", "fvt", "add_tokens"],
                        help="hypernet, fvt (anytok extend), add_tokens (the transformers baseline); "
                             "METHOD+heal also trains the new rows for --heal-steps on the domain's training text")
    parser.add_argument("--heal-steps", type=int, default=20)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    source = smollm2_folder(args.work)
    _, en_held = split(SHARED / "corpus" / "en_prose.txt", args.kb)
    print("| domain | tokens added | method | domain tokens/byte | domain bits/byte | en_prose tokens/byte | "
          "en_prose bits/byte | en_prose change | seconds |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|", flush=True)
    records = []
    for domain in args.domains:
        train_text, held = split(DOMAINS[domain], args.kb)
        texts = {domain: held, "en_prose": en_held}
        base = load_model(source)
        ref = measure(base.model, base.tokenizer, texts)
        records.append({"domain": domain, "added": 0, "method": "base", "domain_tpb": ref[domain][0],
                         "domain_bpb": ref[domain][1], "en_change": 0.0})
        print(f"| {domain} | 0 | base | {ref[domain][0]:.4f} | {ref[domain][1]:.4f} | {ref['en_prose'][0]:.4f} | "
              f"{ref['en_prose'][1]:.4f} | - | - |", flush=True)
        supply = None
        for size in args.sizes:
            if supply is not None:
                break  # the previous size already took every merge the corpus has
            merges = learn_merges(base.tokenizer, [train_text], size, at_most=True)
            if len(merges) < size:
                supply = len(merges)
            added = f"{len(merges)}" + (" (all the corpus supplies)" if supply is not None else "")
            for method in args.methods:
                kind, _, healed = method.partition("+")
                start = time.perf_counter()
                if kind == "add_tokens":
                    model, tok, n_added = hf_baseline(source, [m[2] for m in merges], args.work)
                    label = f"add_tokens + mean_resizing ({n_added} added)"
                else:
                    steps = args.heal_steps if healed else 0
                    out = extend(load_model(source), [train_text], len(merges), method=kind,
                                 hypernet=args.hypernet if kind == "hypernet" else None, heal_steps=steps,
                                 heal_config=HealConfig(batch_size=4, seq_len=128))
                    label = f"anytok extend ({kind})" + (f" + heal {steps} x 4 x 128" if steps else "")
                    model, tok = out.model, out.tokenizer
                seconds = time.perf_counter() - start
                got = measure(model, tok, texts)
                change = got["en_prose"][1] / ref["en_prose"][1] - 1
                print(f"| {domain} | {added} | {label} | {got[domain][0]:.4f} | {got[domain][1]:.4f} | "
                      f"{got['en_prose'][0]:.4f} | {got['en_prose'][1]:.4f} | {change:+.2%} | {seconds:.0f} |",
                      flush=True)
                records.append({"domain": domain, "added": len(merges), "method": method, "domain_tpb": got[domain][0],
                                "domain_bpb": got[domain][1], "en_change": change, "seconds": seconds})
                del model, tok
                gc.collect()
        del base
    print(f"(CPU, {torch.get_num_threads()} threads)")
    methods = {r["method"] for r in records}
    save("extend", order=110, summary=[summary_of(records)] if {"hypernet", "add_tokens"} <= methods else [],
         details={"kb": args.kb, "sizes": args.sizes, "heal_steps": args.heal_steps, "rows": records})


def summary_of(records: list[dict]) -> dict:
    """The summary-table row: the most tokens the hypernet added per domain, against add_tokens."""
    ours, peer = [], []
    for domain in dict.fromkeys(r["domain"] for r in records):
        rows = [r for r in records if r["domain"] == domain]
        base = next(r for r in rows if r["method"] == "base")
        top = max((r for r in rows if r["method"] == "hypernet"), key=lambda r: r["added"])
        ours.append(f"{domain} +{top['added']:,} tokens: {top['domain_tpb']:.3f} tokens/byte (base "
                    f"{base['domain_tpb']:.3f}), en_prose {top['en_change']:+.2%}, {domain} bits/byte "
                    f"{base['domain_bpb']:.2f} -> {top['domain_bpb']:.2f}")
        peer += [f"{r['en_change']:+.1%} ({domain}, {r['added']:,})" for r in rows if r["method"] == "add_tokens"]
    return summary_row("Extend", "; ".join(ours), "`add_tokens` + mean_resizing, same tokens: en_prose " + ", ".join(peer),
                       "-", "held-out text; hypernet rows zero-shot (not healed)")


if __name__ == "__main__":
    main()
