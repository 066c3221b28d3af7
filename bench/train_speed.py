"""Training speed: anytok BPE and SuperBPE vs HF tokenizers' BpeTrainer on a ~100 MB corpus.

The corpus is the shared corpus files (prose, Python, mixed code, the 63 parallel files) concatenated
and repeated until it reaches --mb megabytes, written to a temporary folder. Every tool reads the
same text chunks (anytok's 1 MB chunks cut at line ends; HF gets them through train_from_iterator),
uses the same pattern (cl100k) and byte alphabet, and 2 threads/processes. Each run is its own
subprocess, so peak RSS is measured per tool (main process + its largest worker). Nothing is
deduplicated beyond counting distinct pretokens, which both tools do.

    python bench/train_speed.py [--mb 100] [--vocab-size 32000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(os.environ.get("ANYTOK_SHARED", Path(__file__).resolve().parents[1] / ".." / "shared"))
TOOLS = ("hf", "anytok-bpe", "anytok-superbpe")


def build_corpus(folder: Path, megabytes: int) -> Path:
    """Concatenate the shared corpus files, repeated, into ``folder/corpus.txt`` of about ``megabytes``."""
    corpus = SHARED / "corpus"
    parts = [corpus / f"{n}.txt" for n in ("en_prose", "code_python", "code_mixed")]
    parts += sorted((corpus / "parallel").glob("*.txt"))
    blobs = [p.read_bytes() for p in parts]
    blobs = [b if b.endswith(b"\n") else b + b"\n" for b in blobs]
    target = megabytes * 1_000_000
    out = folder / "corpus.txt"
    written = 0
    with open(out, "wb") as f:
        while written < target:
            for blob in blobs:
                f.write(blob)
                written += len(blob)
                if written >= target:
                    break
    return out


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + workers) / 1024


def run_hf(corpus: Path, vocab_size: int) -> list[list[str]]:
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    from anytok.tokenizer.patterns import CL100K
    from anytok.corpus import iter_text_chunks

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CL100K), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(iter_text_chunks([corpus]), trainer)
    return json.loads(tok.to_str())["model"]["merges"]


def run_anytok(corpus: Path, vocab_size: int, algorithm: str) -> list[list[str]]:
    import anytok

    tok = anytok.train([corpus], vocab_size=vocab_size, algorithm=algorithm, pattern="cl100k", processes=2,
                       progress=False)
    return tok.to_hf_json()["model"]["merges"]


def child(tool: str, corpus: Path, vocab_size: int, out: Path) -> None:
    """Run one tool in this process and write its time, peak RSS and merges to ``out``."""
    start = time.perf_counter()
    merges = run_hf(corpus, vocab_size) if tool == "hf" else run_anytok(corpus, vocab_size, tool.split("-")[1])
    seconds = time.perf_counter() - start
    merges = [m.split(" ") if isinstance(m, str) else list(m) for m in merges]
    out.write_text(json.dumps({"seconds": seconds, "rss_mb": _peak_rss_mb(), "merges": merges}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--vocab-size", type=int, default=32_000)
    parser.add_argument("--child", choices=TOOLS)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus, args.vocab_size, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="anytok-bench-") as tmp:
        corpus = build_corpus(Path(tmp), args.mb)
        size_mb = corpus.stat().st_size / 1e6
        results = {}
        for tool in TOOLS:
            out = Path(tmp) / f"{tool}.json"
            env = {**os.environ, "RAYON_NUM_THREADS": "2", "TOKENIZERS_PARALLELISM": "true"}
            subprocess.run([sys.executable, __file__, "--child", tool, "--corpus", str(corpus), "--out", str(out),
                            "--vocab-size", str(args.vocab_size)], check=True, env=env)
            results[tool] = json.loads(out.read_text())
    print_table(results, size_mb, args.vocab_size)


def print_table(results: dict, size_mb: float, vocab_size: int) -> None:
    hf = results["hf"]
    print(f"corpus {size_mb:.1f} MB, vocab {vocab_size}, pattern cl100k, 2 threads/processes")
    print("| tool | seconds | MB/s | peak RSS (MB) | throughput vs HF | merges identical to HF |")
    print("|---|---:|---:|---:|---:|---|")
    for tool, r in results.items():
        same = "-" if tool != "anytok-bpe" else ("yes" if r["merges"] == hf["merges"] else _first_diff(r, hf))
        print(f"| {tool} | {r['seconds']:.1f} | {size_mb / r['seconds']:.2f} | {r['rss_mb']:.0f} | "
              f"{hf['seconds'] / r['seconds']:.2f}x | {same} |")
    ratio = results["anytok-superbpe"]["seconds"] / results["anytok-bpe"]["seconds"]
    print(f"SuperBPE time / anytok BPE time: {ratio:.2f}")


def _first_diff(r: dict, hf: dict) -> str:
    for i, (a, b) in enumerate(zip(r["merges"], hf["merges"])):
        if a != b:
            return f"no: first difference at merge {i}: {a} vs {b}"
    return f"no: {len(r['merges'])} vs {len(hf['merges'])} merges"


if __name__ == "__main__":
    main()
