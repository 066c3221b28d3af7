"""How tight are ByteLM's certified bounds on real text? The width, in bits per byte, of the
interval that holds the model's probability of the text over every tokenization: from the
canonical covers to the first-step upper bound (what ``score`` reported before), and with the
best-first search of :mod:`anytok.bytelm.bound` at several query budgets (its lower end is the
covers it found, canonical or not). "non-canonical" is how much the covers found add to the
canonical ones, in bits per byte: mass the byte-level LM leaves out for certain.

    python bench/bytelm_bound.py [--model smollm2-135m] [--lengths 16 32 64 1500] [--budgets 256 2048]

Texts: the first ``length`` bytes of en_prose, code_python and code_mixed from byte 200,000 on
(cut back to whole UTF-8 characters).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from _results import save, summary_row

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FILES = ("en_prose", "code_python", "code_mixed")


def sample(name: str, length: int, offset: int = 200_000) -> bytes:
    """``length`` bytes of a shared corpus file, whole characters only."""
    data = (SHARED / "corpus" / f"{name}.txt").read_bytes()[offset:offset + length]
    return data.decode("utf-8", errors="ignore").encode()


def gap_bits(upper: float, lower: float, num_bytes: int) -> float:
    return (upper - lower) / (num_bytes * math.log(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--lengths", type=int, nargs="+", default=[16, 32, 64, 1500])
    parser.add_argument("--budgets", type=int, nargs="+", default=[256, 2048])
    args = parser.parse_args()

    from anytok.bytelm import ByteLM
    from anytok.bytelm.bound import search_bound

    lm = ByteLM.load(args.model)
    rows = []
    print("| text | bytes | first-step gap (bits/byte) | " +
          " | ".join(f"search {b}: gap | s" for b in args.budgets) + " | non-canonical (bits/byte) |")
    print("|---|---:|---:|" + "---:|---:|" * len(args.budgets) + "---:|", flush=True)
    for name in FILES:
        for length in args.lengths:
            data = sample(name, length)
            first = lm.score(data, bound_queries=0)
            row = {"text": name, "length": length, "bytes": len(data), "canonical_logprob": first.canonical_logprob,
                   "first_step_upper": first.upper_logprob,
                   "first_step_gap": gap_bits(first.upper_logprob, first.canonical_logprob, len(data))}
            cells = []
            for budget in args.budgets:
                start = time.perf_counter()
                found = search_bound(lm.runner, lm.covers.trie, data, lm.covers.encode(data), max_queries=budget)
                seconds = time.perf_counter() - start
                lower = max(first.canonical_logprob, found.found_logprob)
                upper = max(lower, min(first.upper_logprob, found.upper_logprob))
                gap = gap_bits(upper, lower, len(data))
                row[f"search_{budget}"] = {"lower": lower, "upper": upper, "gap": gap, "seconds": seconds,
                                           "queries": found.queries, "exhausted": found.exhausted,
                                           "noncanonical": gap_bits(lower, first.canonical_logprob, len(data))}
                cells.append(f"{gap:.4g} | {seconds:.1f}")
            rows.append(row)
            last = row[f"search_{args.budgets[-1]}"]
            print(f"| {name} | {len(data)} | {row['first_step_gap']:.4g} | {' | '.join(cells)} | "
                  f"{last['noncanonical']:.4g} |", flush=True)

    summary = summary_of(rows, args.model, args.budgets[-1])
    save("bytelm_bound", order=55, summary=[summary], details={"model": args.model, "budgets": args.budgets,
                                                                "rows": rows})


def summary_of(rows: list[dict], model: str, budget: int) -> dict:
    """The summary-table row: interval widths at the shortest and the longest texts."""
    sizes = sorted({r["length"] for r in rows})  # as asked for; a file's cut may end a character earlier
    width = {n: max(r[f"search_{budget}"]["gap"] for r in rows if r["length"] == n) for n in sizes}
    first = max(r["first_step_gap"] for r in rows if r["length"] == sizes[-1])
    tight = [n for n in sizes if width[n] < 0.01]
    reach = f"under 0.01 bits/byte up to {max(tight)} bytes" if tight else "never under 0.01 bits/byte"
    return summary_row(
        "ByteLM certified bounds", f"interval over every tokenization: {width[sizes[0]]:.2g} bits/byte wide at "
        f"{sizes[0]} bytes, {width[sizes[-1]]:.3g} at {sizes[-1]} bytes ({budget} queries)",
        f"first-step bound (before): {first:.3g} bits/byte at {sizes[-1]} bytes", "-",
        f"{model}, 3 files, widest of the three; {reach}")


if __name__ == "__main__":
    main()
