"""anytok demo: train tokenizers on the shipped sample, export them, and compare them.

Runs from the repository alone (data in demo/data). Prints what each step shows.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from transformers import PreTrainedTokenizerFast

import anytok
from anytok.train import train

DATA = Path(__file__).resolve().parent / "data"
TRAIN_FILES = [DATA / "austen_pride.txt", DATA / "python_stdlib.py.txt"]
HELD_OUT = (DATA / "austen_persuasion.txt").read_text(encoding="utf-8")


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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        tokenizers = train_and_export(out)
        check_stock_loading(tokenizers, out)
        compare(tokenizers)


if __name__ == "__main__":
    main()
