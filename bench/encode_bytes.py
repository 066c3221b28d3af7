"""Encoding bytes that are not valid UTF-8: anytok's one-pass encode against tiktoken's
``_encode_bytes`` and against the per-error loop anytok used before (quadratic in the bad bytes).

Inputs: random bytes (about half of them invalid UTF-8 starts) and real text with 1% of its bytes
replaced by 0xFF, at several sizes; cl100k for all three.

    python bench/encode_bytes.py [--sizes 40 160 640]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from _results import save, summary_row

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def per_error_loop(tok, data: bytes) -> list[int]:
    """The previous encoder: decode the rest again after every invalid byte."""
    ids: list[int] = []
    start = 0
    while start < len(data):
        try:
            return ids + tok.encode(data[start:].decode("utf-8"))
        except UnicodeDecodeError as e:
            bad = start + e.start
            ids += tok.encode(data[start:bad].decode("utf-8"))
            ids.append(tok.single_byte_id(data[bad]))
            start = bad + 1
    return ids


def seconds(fn, data: bytes) -> float:
    start = time.perf_counter()
    fn(data)
    return time.perf_counter() - start


def main() -> None:
    import tiktoken

    import anytok
    from anytok.tokenizer.tiktoken_file import read_ranks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 160, 640], help="KB")
    parser.add_argument("--loop-max-kb", type=int, default=160, help="skip the old loop above this size")
    args = parser.parse_args()
    path = SHARED / "tokenizers" / "cl100k.tiktoken"
    tok = anytok.load(path)
    enc = tiktoken.Encoding("cl100k", pat_str=tok.pattern, mergeable_ranks=read_ranks(path), special_tokens={})
    prose = (SHARED / "corpus" / "code_mixed.txt").read_bytes()
    rng = random.Random(0)
    rows = []
    print("| input | KB | anytok s | tiktoken _encode_bytes s | anytok / tiktoken time | previous loop s |")
    print("|---|---:|---:|---:|---:|---:|")
    for kb in args.sizes:
        n = kb * 1024
        noisy = bytearray(prose[:n])
        for i in rng.sample(range(len(noisy)), len(noisy) // 100):
            noisy[i] = 0xFF
        for name, data in (("random bytes", rng.randbytes(n)), ("code_mixed, 1% bytes 0xFF", bytes(noisy))):
            ours = seconds(tok.encode, data)
            peer = seconds(enc._encode_bytes, data)
            old = f"{seconds(lambda d: per_error_loop(tok, d), data):.3f}" if kb <= args.loop_max_kb else "-"
            print(f"| {name} | {kb} | {ours:.3f} | {peer:.3f} | {ours / peer:.2f}x | {old} |", flush=True)
            rows.append({"input": name, "kb": kb, "anytok_s": ours, "tiktoken_s": peer, "loop_s": old})
    save("encode_bytes", order=120, summary=[summary_of(rows)], details={"tokenizer": "cl100k", "rows": rows})


def summary_of(rows: list[dict]) -> dict:
    """The summary-table row: the largest random-bytes input, and the ratio range on noisy text."""
    rand = max((r for r in rows if r["input"] == "random bytes"), key=lambda r: r["kb"])
    looped = [r for r in rows if r["input"] == "random bytes" and r["loop_s"] != "-"]
    noisy = [r["anytok_s"] / r["tiktoken_s"] for r in rows if r["input"] != "random bytes"]
    before = f" (the per-error loop: {looped[-1]['kb']} KB {looped[-1]['loop_s']} s)" if looped else ""
    return summary_row("Encode of invalid UTF-8 bytes",
                       f"{rand['kb']} KB random bytes {rand['anytok_s']:.3f} s{before}",
                       f"tiktoken `_encode_bytes` {rand['tiktoken_s']:.3f} s (other ids)",
                       f"{rand['anytok_s'] / rand['tiktoken_s']:.0f}x slower on random bytes; "
                       f"{min(noisy):.2f}x-{max(noisy):.2f}x on text with 1% bad bytes",
                       "same ids as the per-error loop (tested)")


if __name__ == "__main__":
    main()
