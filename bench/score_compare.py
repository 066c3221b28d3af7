"""Compare the reference tokenizers, two real models' and anytok-trained ones on the shared corpus.

    python bench/score_compare.py            # writes docs/BENCHMARKS.md section, docs/report.html,
                                              # docs/report_screenshot.png; prints the tables

Tokenizers: cl100k, o200k, llama3, qwen3 (../shared/tokenizers), smollm2-135m and gemma3-270m
(model registry), and byte-level BPE and SuperBPE trained by anytok at 32k on the shared corpus
(cached under ~/.cache/anytok/bench). Domains: en_prose, code_python, code_mixed; the 63-language
parallel set for token premiums. Anything that cannot be loaded or trained is left out and named.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import save, summary_row

import anytok
from anytok._atomic import write_text_atomic
from anytok.scoring import compare
from anytok.scoring.corpus import read_parallel
from anytok.scoring.progress import progress_steps
from anytok.scoring.scorecard import parallel_score

REPO = Path(__file__).resolve().parents[1]
NAMES = ["cl100k", "o200k", "llama3", "qwen3", "smollm2-135m", "gemma3-270m"]
DOMAINS = ["en_prose", "code_python", "code_mixed"]
SECTION = "## Tokenizer comparison (bench/score_compare.py)"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "anytok" / "bench"


def shared_dir() -> Path:
    env = os.environ.get("ANYTOK_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def train_cached(algorithm: str, files: list[Path]) -> anytok.Tokenizer:
    """A 32k tokenizer trained by anytok on ``files`` (cached as tokenizer.json)."""
    from anytok.training import train

    path = CACHE / f"{algorithm}-32k.json"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        tok = train([str(f) for f in files], vocab_size=32_000, algorithm=algorithm, pattern="gpt2", progress=False)
        print(f"trained {algorithm} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        tok.save(str(path))
    tok = anytok.load(path)
    tok.name = f"anytok-{algorithm}-32k"
    return tok


def load_all(shared: Path, *, train: bool) -> tuple[list[anytok.Tokenizer], list[str], float]:
    """Every tokenizer that loads (or trains), the notes on those that did not, and the seconds taken."""
    toks, notes, start = [], [], time.perf_counter()
    for name in NAMES:
        try:
            tok = anytok.load(name)
            tok.name = name
            toks.append(tok)
        except Exception as e:  # a benchmark reports what it could not load and goes on
            notes.append(f"{name} left out: {type(e).__name__}: {e}")
    corpus = shared / "corpus"
    train_files = [corpus / f"{d}.txt" for d in DOMAINS] + sorted((corpus / "parallel").glob("*.txt"))
    for algorithm in (("bpe", "superbpe") if train else ()):
        try:
            toks.append(train_cached(algorithm, train_files))
        except Exception as e:
            notes.append(f"anytok {algorithm} left out: {type(e).__name__}: {e}")
    return toks, notes, time.perf_counter() - start


def time_parallel(toks: list[anytok.Tokenizer], parallel: Path) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) to score the whole parallel set (premiums, Gini) with every
    (already loaded) tokenizer."""
    lines = read_parallel(parallel)
    start, cpu = time.perf_counter(), time.process_time()
    with progress_steps(len(toks), enabled=False) as steps:
        for tok in toks:
            parallel_score(tok, lines, steps)
    return time.perf_counter() - start, time.process_time() - cpu


def screenshot(html: Path, png: Path) -> str:
    """Render ``html`` in headless Chromium into ``png``; returns a note if Chromium is missing."""
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        return "no screenshot: Chromium is not installed"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,3200",
                        "--hide-scrollbars", html.resolve().as_uri()], capture_output=True, timeout=120, check=False)
    return f"screenshot docs/{png.name}" if png.exists() else "screenshot failed"


def write_section(path: Path, body: str) -> None:
    """Put ``body`` under SECTION in ``path``, replacing an older copy of that section only."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
    block = f"{SECTION}\n\n{body.strip()}\n"
    text = pattern.sub(lambda _: block.rstrip("\n"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    write_text_atomic(path, text if text.endswith("\n") else text + "\n")
    path.chmod(0o644)  # the atomic write's temporary file was private


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-train", action="store_true", help="leave out the anytok-trained tokenizers")
    parser.add_argument("--docs", type=Path, default=REPO / "docs", help="where BENCHMARKS.md and the report go")
    parser.add_argument("--premiums-timing", action="store_true",
                        help="only time the token premiums of all parallel languages x every tokenizer; print it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    shared = shared_dir()
    toks, notes, load_s = load_all(shared, train=not args.no_train)
    if args.premiums_timing:
        wall, cpu = time_parallel(toks, shared / "corpus" / "parallel")
        print(f"{len(toks)} tokenizers loaded in {load_s:.1f} s; premiums of all parallel languages x "
              f"{len(toks)} tokenizers: {wall:.1f} s wall, {cpu:.1f} s CPU")
        return
    domains = [shared / "corpus" / f"{d}.txt" for d in DOMAINS]
    start, cpu = time.perf_counter(), time.process_time()
    result = compare(toks, [str(p) for p in domains], parallel=shared / "corpus" / "parallel", progress=None)
    compare_s, compare_cpu = time.perf_counter() - start, time.process_time() - cpu
    parallel_s, parallel_cpu = time_parallel(toks, shared / "corpus" / "parallel")
    CACHE.mkdir(parents=True, exist_ok=True)
    write_text_atomic(CACHE / "comparison.json", result.to_json())  # re-render: Comparison.from_dict
    html = result.to_html(title="Tokenizer comparison on the anytok shared corpus")
    report = args.docs / "report.html"
    if len(html.encode()) < 2_000_000:
        write_text_atomic(report, html)
        report.chmod(0o644)
        notes.append(f"report: docs/report.html ({len(html.encode()) / 1e6:.2f} MB); " + screenshot(report, args.docs / "report_screenshot.png"))
    else:
        notes.append(f"report not kept: {len(html.encode()) / 1e6:.1f} MB is over 2 MB")
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    n_bytes = sum(result.scorecards[0].domain(d).bytes for d in result.domains)
    timing = (f"Scoring time: loading/training {len(toks)} tokenizers {load_s:.1f} s; the whole comparison "
              f"({len(result.domains)} domains, {n_bytes / 1e6:.1f} MB, plus 63 parallel languages, all metrics) "
              f"{compare_s:.1f} s wall ({compare_cpu:.1f} s CPU); token premiums of all 63 languages x "
              f"{len(toks)} tokenizers alone {parallel_s:.1f} s wall ({parallel_cpu:.1f} s CPU, both cores). Measured "
              f"on 2 cores shared with other engineers' jobs (load average {os.getloadavg()[0]:.1f}), so wall "
              "times are pessimistic.")
    body = "\n\n".join([f"Command: `python bench/score_compare.py` ({when}). NSL is relative to "
                        f"{result.reference}. The anytok tokenizers were trained on the same shared corpus they "
                        "are scored on (en_prose, code_python, code_mixed and the parallel set), so their numbers "
                        "are in-domain.", result.to_markdown().strip(), timing, *[f"- {n}" for n in notes]])
    write_section(args.docs / "BENCHMARKS.md", body)
    print(body)
    save("score_compare", order=30, summary=[summary_of(result, parallel_s)],
         details={"comparison": result.to_dict(), "compare_s": compare_s, "parallel_s": parallel_s, "load_s": load_s})


def summary_of(result, parallel_s: float) -> dict:
    """The summary-table row: the densest tokenizer against cl100k and o200k, all domains together."""
    cards = {c.tokenizer: c for c in result.scorecards}
    best = max(cards.values(), key=lambda c: c.overall.bytes_per_token)
    peers = "; ".join(f"{n}: {cards[n].overall.bytes_per_token:.3f}" for n in ("cl100k", "o200k") if n in cards)
    nsl = best.overall.normalized_seq_len
    return summary_row("Tokenizer comparison", f"{best.tokenizer}: {best.overall.bytes_per_token:.3f} bytes/token "
                       f"(all domains); premiums of 63 languages x {len(cards)} tokenizers in {parallel_s:.1f} s",
                       f"{peers} bytes/token", f"NSL {nsl:.3f} vs {result.reference}" if nsl is not None else "-",
                       "in-domain: anytok's tokenizers were trained on the scored corpus")


if __name__ == "__main__":
    main()
