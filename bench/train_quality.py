"""Training quality: SuperBPE vs BPE token counts, parity-aware vs plain BPE token premiums.

1. SuperBPE (transition 80%) vs BPE, same vocab, trained on the first 90% of lines of
   en_prose.txt; tokens needed for the held-out last 10%.
2. Parity-aware BPE vs plain BPE, same vocab, on the 63-language parallel corpus: the last
   --heldout lines of every language are held out; plain BPE trains on all the other lines of all
   languages; parity-aware BPE uses the same lines (its last --dev-lines of each language as the dev
   text that picks the worst language). Premium of language L = tokens(L) / tokens(en) on held-out lines.

    python bench/train_quality.py [--super-vocab 32000] [--parity-vocab 8000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import anytok
from _results import RESULTS, save, summary_row

SHARED = Path(os.environ.get("ANYTOK_SHARED", Path(__file__).resolve().parents[1] / ".." / "shared"))


def superbpe_vs_bpe(folder: Path, vocab_size: int, pattern: str) -> dict:
    lines = (SHARED / "corpus" / "en_prose.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    cut = int(len(lines) * 0.9)
    train_file = folder / "en_train.txt"
    train_file.write_text("".join(lines[:cut]), encoding="utf-8")
    held_out = "".join(lines[cut:])
    counts = {}
    for algorithm in ("bpe", "superbpe"):
        start = time.perf_counter()
        tok = anytok.train([train_file], vocab_size=vocab_size, algorithm=algorithm, pattern=pattern, progress=False)
        counts[algorithm] = len(tok.encode(held_out))
        print(f"{algorithm}: {counts[algorithm]:,} tokens on held-out text ({time.perf_counter() - start:.0f} s)")
    saving = 1 - counts["superbpe"] / counts["bpe"]
    print(f"| en_prose held-out 10% ({len(held_out.encode()):,} bytes) | {vocab_size} | {counts['bpe']:,} | "
          f"{counts['superbpe']:,} | {saving:.1%} |")
    return summary_row("Training quality: SuperBPE", f"SuperBPE {vocab_size // 1000}k: {counts['superbpe']:,} tokens",
                       f"BPE {vocab_size // 1000}k: {counts['bpe']:,} tokens",
                       f"**{saving:.1%}** fewer tokens (target >= 15%{'' if saving >= 0.15 else ': not met'})",
                       "held-out last 10% of en_prose")


def _premiums(tok, held: dict[str, str]) -> dict[str, float]:
    n = {lang: len(tok.encode(text)) for lang, text in held.items()}
    return {lang: n[lang] / n["en"] for lang in n}


def parity_vs_bpe(folder: Path, vocab_size: int, heldout: int, dev_lines: int) -> dict:
    files, held = [], {}
    for path in sorted((SHARED / "corpus" / "parallel").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        out = folder / path.name
        out.write_text("".join(lines[:-heldout]), encoding="utf-8")
        files.append(out)
        held[path.stem] = "".join(lines[-heldout:])
    rows = {}
    for algorithm in ("bpe", "parity"):
        start = time.perf_counter()
        tok = anytok.train(files, vocab_size=vocab_size, algorithm=algorithm, pattern="gpt2", progress=False,
                           dev_lines=dev_lines)
        p = _premiums(tok, held)
        worst = max(p, key=p.get)
        rows[algorithm] = (worst, p[worst], statistics.mean(p.values()), statistics.pstdev(p.values()))
        print(f"{algorithm}: worst {worst} {p[worst]:.2f}, mean {rows[algorithm][2]:.3f} "
              f"({time.perf_counter() - start:.0f} s)")
    for algorithm, (worst, value, mean, sd) in rows.items():
        print(f"| {algorithm} | {vocab_size} | {worst} | {value:.2f} | {mean:.3f} | {sd:.3f} |")
    (bw, bv, bm, _), (pw, pv, pm, _) = rows["bpe"], rows["parity"]
    k = f"{vocab_size // 1000}k"
    return summary_row("Training quality: parity-aware BPE", f"parity {k}: worst premium {pv:.2f} ({pw}), mean {pm:.3f}",
                       f"BPE {k}: worst premium {bv:.2f} ({bw}), mean {bm:.3f}", f"worst premium {bv:.2f} -> {pv:.2f}",
                       f"held-out lines of {len(held)} languages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--super-vocab", type=int, default=32_000)
    parser.add_argument("--parity-vocab", type=int, default=8_000)
    parser.add_argument("--pattern", default="gpt2")
    parser.add_argument("--heldout", type=int, default=100)
    parser.add_argument("--dev-lines", type=int, default=100)
    parser.add_argument("--only", choices=("superbpe", "parity"))
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="anytok-quality-") as tmp:
        if args.only != "parity":
            rows["superbpe"] = superbpe_vs_bpe(Path(tmp), args.super_vocab, args.pattern)
        if args.only != "superbpe":
            rows["parity"] = parity_vs_bpe(Path(tmp), args.parity_vocab, args.heldout, args.dev_lines)
    earlier = RESULTS / "train_quality.json"  # --only: the other part keeps its last figures
    if len(rows) < 2 and earlier.exists():
        kept = json.loads(earlier.read_text())["summary"]
        rows = {**dict(zip(("superbpe", "parity"), kept)), **rows}
    save("train_quality", order=20, summary=[rows[k] for k in ("superbpe", "parity") if k in rows],
         details={"super_vocab": args.super_vocab, "parity_vocab": args.parity_vocab, "pattern": args.pattern})


if __name__ == "__main__":
    main()
