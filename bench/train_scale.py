"""Training at scale: anytok (local pool and Ray), HF tokenizers and rustbpe on distinct text.

The corpus is a folder from bench/scale_corpus.py (distinct files, no repetition). Every tool
trains byte-level BPE with the cl100k pattern and a 256-byte alphabet, on 2 threads / processes
(Ray: a 2-node cluster on this machine, 1 CPU each, started here with ``ray start --head`` and
``ray start --address``). Each run is its own subprocess; peak RSS is the largest sum, sampled
every 0.2 s, of the RSS of every process that did not exist before the run (the tool, its
workers, and for Ray the cluster's raylets, GCS and workers). "Same merges as HF" compares the
learned tokens, in order (rustbpe gives ranks, not pairs; anytok's pairs are compared too).

    python bench/scale_corpus.py --mb 1100 --out SCALE_DIR
    python bench/train_scale.py --corpus SCALE_DIR [--vocab-size 32000] [--tools hf rustbpe anytok ...]

Results go to bench/results/train_scale-<MB>.json and print as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from _results import current_commit, save, summary_row

TOOLS = ("hf", "rustbpe", "anytok", "anytok-ray", "anytok-superbpe")


# -- the tools, each run in a child process -----------------------------------------------------
def chunks(corpus: Path):
    from anytok.corpus import iter_text_chunks

    return iter_text_chunks([corpus])


def run_hf(corpus: Path, vocab_size: int) -> list[bytes]:
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    from anytok.tokenizer.patterns import CL100K

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CL100K), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(chunks(corpus), trainer)
    return _hf_tokens(json.loads(tok.to_str())["model"]["merges"])


def _hf_tokens(merges) -> list[bytes]:
    from anytok.tokenizer.byte_unicode import unicode_to_byte

    table = unicode_to_byte()
    pairs = [m.split(" ") if isinstance(m, str) else m for m in merges]
    return [bytes(table[c] for c in a + b) for a, b in pairs]


def run_rustbpe(corpus: Path, vocab_size: int) -> list[bytes]:
    import rustbpe

    from anytok.tokenizer.patterns import CL100K

    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(chunks(corpus), vocab_size, pattern=CL100K)
    ranks = sorted(tok.get_mergeable_ranks(), key=lambda kv: kv[1])
    return [b for b, _ in ranks[256:]]


def run_anytok(corpus: Path, vocab_size: int, algorithm: str = "bpe", address: str | None = None) -> list[bytes]:
    import anytok

    engine = dict(engine="ray", address=address) if address else dict(processes=2)
    tok = anytok.train([corpus], vocab_size=vocab_size, algorithm=algorithm, pattern="cl100k", progress=False,
                       **engine)
    return [tok.token_bytes(a) + tok.token_bytes(b) for a, b in tok.merges]


def child(tool: str, corpus: Path, vocab_size: int, out: Path, address: str | None) -> None:
    start = time.perf_counter()
    if tool == "hf":
        tokens = run_hf(corpus, vocab_size)
    elif tool == "rustbpe":
        tokens = run_rustbpe(corpus, vocab_size)
    else:
        algorithm = "superbpe" if tool == "anytok-superbpe" else "bpe"
        tokens = run_anytok(corpus, vocab_size, algorithm, address if tool == "anytok-ray" else None)
    seconds = time.perf_counter() - start
    out.write_text(json.dumps({"seconds": seconds, "tokens": [t.hex() for t in tokens]}))


# -- the parent: start each child, sample memory, compare -----------------------------------------
class Sampler:
    """Peak of the summed RSS of every process that was not running when it was made."""

    def __init__(self) -> None:
        self.before = set(psutil.pids())
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            total = 0
            for p in psutil.process_iter(["pid"]):
                if p.info["pid"] in self.before:
                    continue
                try:
                    total += p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak = max(self.peak, total)


RAY_ENV = {"RAY_AUTH_MODE": "disabled"}  # a cluster of local processes: no auth tokens to hand around


def start_ray(port: int) -> str:
    """A 2-node Ray cluster on this machine, 1 CPU per node; its address."""
    ray = str(Path(sys.executable).with_name("ray"))
    common = ["--num-cpus=1", "--disable-usage-stats"]
    env = {**os.environ, **RAY_ENV}
    subprocess.run([ray, "start", "--head", f"--port={port}", "--include-dashboard=false", *common], check=True,
                   capture_output=True, env=env)
    address = f"127.0.0.1:{port}"
    subprocess.run([ray, "start", f"--address={address}", *common], check=True, capture_output=True, env=env)
    return address


def stop_ray() -> None:
    subprocess.run([str(Path(sys.executable).with_name("ray")), "stop", "--force"], capture_output=True)


def measure(tool: str, corpus: Path, vocab_size: int, tmp: Path) -> dict:
    out = tmp / f"{tool}.json"
    env = {**os.environ, "RAYON_NUM_THREADS": "2", "TOKENIZERS_PARALLELISM": "true", **RAY_ENV}
    with Sampler() as sampler:
        address = start_ray(6399) if tool == "anytok-ray" else None
        cmd = [sys.executable, __file__, "--child", tool, "--corpus", str(corpus), "--out", str(out),
               "--vocab-size", str(vocab_size)] + (["--address", address] if address else [])
        wall = time.perf_counter()
        try:
            subprocess.run(cmd, check=True, env=env)
        finally:
            if address:
                stop_ray()
        wall = time.perf_counter() - wall
    result = json.loads(out.read_text())
    return {"seconds": result["seconds"], "wall_seconds": wall, "peak_rss_mb": sampler.peak / 1e6,
            "tokens": result["tokens"]}


def corpus_mb(corpus: Path) -> float:
    files = [corpus] if corpus.is_file() else [p for p in corpus.rglob("*.txt")]
    return sum(p.stat().st_size for p in files) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--vocab-size", type=int, default=32_000)
    ap.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    ap.add_argument("--child", choices=TOOLS)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--address")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.corpus, args.vocab_size, args.out, args.address)
        return
    size = corpus_mb(args.corpus)
    results = {}
    with tempfile.TemporaryDirectory(prefix="anytok-scale-") as tmp:
        for tool in args.tools:
            print(f"running {tool} ...", file=sys.stderr, flush=True)
            results[tool] = measure(tool, args.corpus, args.vocab_size, Path(tmp))
    report = summarize(results, size, args.vocab_size)
    print_table(report)
    full = set(report["tools"]) == set(TOOLS) and size >= 1000  # the run the summary table quotes
    save(f"train_scale-{round(size)}", order=10, summary=[summary_of(report)] if full else [], details=report)


def summarize(results: dict, size: float, vocab_size: int) -> dict:
    hf = results.get("hf")
    rows = {}
    for tool, r in results.items():
        same = None
        if hf is not None and tool != "anytok-superbpe":
            same = _same(r["tokens"], hf["tokens"])
        rows[tool] = {"seconds": round(r["seconds"], 1), "mb_per_s": round(size / r["seconds"], 2),
                      "peak_rss_mb": round(r["peak_rss_mb"]), "same_as_hf": same}
    local = results.get("anytok")
    if local and "anytok-ray" in results:
        rows["anytok-ray"]["same_as_local"] = results["anytok-ray"]["tokens"] == local["tokens"]
    return {"benchmark": "train_scale", "corpus_mb": round(size, 1), "vocab_size": vocab_size, "pattern": "cl100k",
            "threads": 2, "date": time.strftime("%Y-%m-%d"), "commit": current_commit(), "tools": rows}


def summary_of(report: dict) -> dict:
    """The summary-table row of a run of every tool."""
    r = report["tools"]
    a, s, ray = r["anytok"], r["anytok-superbpe"], r["anytok-ray"]
    gb = report["corpus_mb"] / 1000
    return summary_row(
        "Training at scale", f"BPE on {gb:.1f} GB: {a['seconds']:.1f} s, {a['mb_per_s']:.1f} MB/s, "
        f"{a['peak_rss_mb']:,} MB peak (all processes)",
        f"rustbpe 0.1.0: {r['rustbpe']['seconds']:.1f} s, {r['rustbpe']['peak_rss_mb']:,} MB; HF BpeTrainer: "
        f"{r['hf']['seconds']:.1f} s, {r['hf']['peak_rss_mb']:,} MB",
        f"**{r['rustbpe']['seconds'] / a['seconds']:.2f}x** rustbpe, **{r['hf']['seconds'] / a['seconds']:.1f}x** HF "
        "(targets >= 1.2x, >= 2.5x)",
        f"merges identical to HF's: {a['same_as_hf']}; Ray (2 local nodes) identical to local: "
        f"{'yes' if ray.get('same_as_local') else 'NO'}; SuperBPE {s['seconds'] / a['seconds']:.1f}x BPE time, "
        f"{s['peak_rss_mb'] / a['peak_rss_mb']:.1f}x memory (targets 1.3x, 1.5x)")


def _same(tokens: list[str], reference: list[str]) -> str:
    if tokens == reference:
        return "yes"
    for i, (a, b) in enumerate(zip(tokens, reference)):
        if a != b:
            return f"no: first difference at merge {i:,} ({bytes.fromhex(a)!r} vs {bytes.fromhex(b)!r})"
    return f"no: {len(tokens)} vs {len(reference)} merges"


def print_table(report: dict) -> None:
    rows = report["tools"]
    print(f"corpus {report['corpus_mb']} MB distinct text, vocab {report['vocab_size']}, cl100k, 2 threads")
    print("| tool | seconds | MB/s | peak RSS (MB) | throughput vs rustbpe | vs HF | same merges as HF |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for tool, r in rows.items():
        vs = {ref: (f"{rows[ref]['seconds'] / r['seconds']:.2f}x" if ref in rows else "-") for ref in ("rustbpe", "hf")}
        same = r["same_as_hf"] or "-"
        if "same_as_local" in r:
            same += f"; identical to local: {'yes' if r['same_as_local'] else 'NO'}"
        print(f"| {tool} | {r['seconds']:.1f} | {r['mb_per_s']:.2f} | {r['peak_rss_mb']:,} | {vs['rustbpe']} | "
              f"{vs['hf']} | {same} |")
    if "anytok" in rows and "anytok-superbpe" in rows:
        a, s = rows["anytok"], rows["anytok-superbpe"]
        print(f"\nSuperBPE / BPE: time {s['seconds'] / a['seconds']:.2f}x, memory {s['peak_rss_mb'] / a['peak_rss_mb']:.2f}x")


if __name__ == "__main__":
    main()
