"""The tokenizer arena on the shared corpus: anytok BPE 8k and 32k, SuperBPE 32k, Unigram 32k,
cl100k, bytes, lexinvariant (on the 32k BPE) and hierarchical, each a small LM trained on the
same bytes under the same budget, scored in held-out bits per byte.

Training text: the first 90% of en_prose, code_python and code_mixed (the tokenizers are trained
on it too); held out: the last ``--eval-kb`` KB of each file, which no tokenizer or model read.
Writes bench/results/arena-<size>.json and docs/arena_report.html (+ .png, headless Chromium).

    python bench/arena.py --work WORK_DIR [--size tiny] [--budget-kb 400] [--seeds 0 1]
    python bench/arena.py --work WORK_DIR --context-sweep 64 256 1024   # the lexinvariant gap by context
    python bench/arena.py --work WORK_DIR --budget-flops 2.5e12 --budget-kb 7000   # equal FLOPs, not bytes

The sweep trains the 32k BPE and lexinvariant on it with chunks (contexts) of each size, the same
byte budget, and prints the gap in bits per byte: Huang et al. 2023 find it shrinks with longer context.
With ``--budget-flops`` every entrant stops at that many training FLOPs (or at the byte budget, if
sooner): a tokenizer that spends fewer FLOPs per byte reads more bytes (results: arena-<size>-flops).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _results import save, summary_row
from score_compare import screenshot

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FILES = ("en_prose", "code_python", "code_mixed")
TOKENIZERS = {"bpe8k": ("bpe", 8000), "bpe32k": ("bpe", 32000), "superbpe32k": ("superbpe", 32000),
              "unigram32k": ("unigram", 32000)}


def split(work: Path, eval_kb: int) -> tuple[Path, list[Path]]:
    """work/train.txt (the first 90% of each file, cut at a line end) and work/<file>.txt
    (its last eval_kb KB) for each file: bits per byte come per held-out file and overall."""
    train, held = [], []
    for name in FILES:
        data = (SHARED / "corpus" / f"{name}.txt").read_bytes()
        cut = data.rfind(b"\n", 0, int(len(data) * 0.9)) + 1
        start = data.find(b"\n", len(data) - eval_kb * 1024) + 1
        train.append(data[:cut])
        (work / f"{name}.txt").write_bytes(data[max(start, cut):])
        held.append(work / f"{name}.txt")
    (work / "train.txt").write_bytes(b"".join(train))
    return work / "train.txt", held


def tokenizers(work: Path, train: Path) -> dict[str, Path]:
    """The anytok tokenizers, trained once on the training text (cached in work)."""
    import anytok

    out = {}
    for name, (algorithm, size) in TOKENIZERS.items():
        path = work / f"{name}.json"
        if not path.exists():
            start = time.perf_counter()
            anytok.train([train], algorithm=algorithm, vocab_size=size, pattern="cl100k", progress=False).save(str(path))
            print(f"trained {name} in {time.perf_counter() - start:.0f} s", flush=True)
        out[name] = path
    return out


def main() -> None:
    from anytok.arena import ArenaConfig, run_arena

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--budget-kb", type=int, default=400)
    parser.add_argument("--eval-kb", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--budget-flops", type=float, default=None)
    parser.add_argument("--context-sweep", type=int, nargs="+", default=None, metavar="BYTES")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    train, held = split(args.work, args.eval_kb)
    toks = tokenizers(args.work, train)
    if args.context_sweep:
        context_sweep(args, train, held, toks["bpe32k"])
        return
    entrants = [str(toks["bpe8k"]), str(toks["bpe32k"]), str(toks["superbpe32k"]), str(toks["unigram32k"]), "cl100k",
                "bytes", f"lexinvariant:{toks['bpe32k']}", "hierarchical"]
    config = ArenaConfig(size=args.size, budget_bytes=args.budget_kb * 1024, budget_flops=args.budget_flops,
                         seeds=tuple(args.seeds), device=args.device)
    name = f"arena-{args.size}" + ("-flops" if args.budget_flops else "")
    budget = f"{args.budget_flops:.2g} FLOPs" if args.budget_flops else f"{args.budget_kb} KB"
    resumed = len(list((args.work / name).glob("*/seed*/run.json")))  # finished before: skipped, not timed
    start = time.perf_counter()
    last = {}

    def progress(run: str, step: int, steps: int) -> None:
        if run not in last:
            print(f"{run}: {steps} steps ({time.perf_counter() - start:.0f} s in)", flush=True)
            last[run] = step

    result = run_arena(entrants, train=[train], held_out=held, config=config, out=args.work / name,
                       progress=progress)
    seconds = time.perf_counter() - start

    def shown(name: str) -> str:  # the work folder left out of names and pages
        return name.replace(str(args.work) + "/", "")

    summary = result.summary()
    table = shown(result.to_markdown())
    print(table)
    print(f"{seconds:.0f} s for the whole arena")
    timed = [r for r in summary if "seconds" in r]
    if timed:
        print("seconds per run: " + ", ".join(f"{shown(r['entrant'])} {r['seconds']:.0f}" for r in timed))
    if not args.budget_flops:  # the byte-budget arena's report
        report = shown((args.work / name / "report.html").read_text(encoding="utf-8"))
        (REPO / "docs" / "arena_report.html").write_text(report, encoding="utf-8")
        print(screenshot(REPO / "docs" / "arena_report.html", REPO / "docs" / "arena_report.png"))
    rows = {shown(r["entrant"]).removesuffix(".json"): r for r in summary}
    best = min(rows, key=lambda n: rows[n]["bpb"])
    corr = result.correlations()
    save(name, order=142 if args.budget_flops else 140, summary=[summary_row(
        f"Tokenizer arena ({args.size}, {budget})", f"best: {best} {rows[best]['bpb']:.3f} bits/byte; "
        f"bytes {rows['bytes']['bpb']:.3f}, hierarchical {rows['hierarchical']['bpb']:.3f}",
        f"cl100k {rows['cl100k']['bpb']:.3f}", "-",
        f"{len(args.seeds)} seeds; Spearman(bytes/token, bpb) {corr['bytes_per_token']:+.2f}, "
        f"(Renyi, bpb) {corr['renyi_efficiency']:+.2f}; {seconds / 60:.0f} min"
        + (f" ({resumed} of {len(result.runs)} runs were done before)" if resumed else ""))],
        details={"table": table, "seconds": seconds, **result.to_dict()})


def context_sweep(args, train: Path, held: list[Path], bpe: Path) -> None:
    """bpe32k and lexinvariant:bpe32k at each context length; the gap between them (paired by seed:
    both read the same batches), mean and standard deviation over seeds."""
    import statistics

    from anytok.arena import ArenaConfig, run_arena

    rows = []
    print("| context (bytes per sequence) | bpe32k | lexinvariant | gap (+- std over seeds) |\n|---:|---:|---:|---:|")
    for chunk in args.context_sweep:
        batch = max(1, 16 * 256 // chunk)  # the same bytes per step at every context length
        config = ArenaConfig(size=args.size, budget_bytes=args.budget_kb * 1024, chunk_bytes=chunk, batch_size=batch,
                             seeds=tuple(args.seeds), device=args.device)
        result = run_arena([str(bpe), f"lexinvariant:{bpe}"], train=[train], held_out=held, config=config,
                           out=args.work / f"sweep-{args.size}-{chunk}")
        plain, lex = (r["bpb"] for r in result.summary())
        by_seed = {(r["kind"], r["seed"]): r["bpb"] for r in result.runs}
        gaps = [by_seed["lexinvariant", s] - by_seed["subword", s] for s in args.seeds]
        std = statistics.stdev(gaps) if len(gaps) > 1 else 0.0
        rows.append({"context": chunk, "bpe32k": plain, "lexinvariant": lex, "gap": lex - plain, "gap_std": std,
                     "gaps": gaps})
        print(f"| {chunk} | {plain:.4f} | {lex:.4f} | {lex - plain:+.4f} +- {std:.4f} |", flush=True)
    gaps = ", ".join(f"{r['gap']:+.3f} ± {r['gap_std']:.3f} ({r['context']} B)" for r in rows)
    save(f"arena-sweep-{args.size}", order=141, summary=[summary_row(
        "Arena: lexinvariant gap by context", f"lexinvariant - BPE 32k: {gaps}", "-", "-",
        f"{args.size} model, {args.budget_kb} KB, {len(args.seeds)} seed(s); the paper: the gap shrinks with context")],
        details={"rows": rows})


if __name__ == "__main__":
    main()
