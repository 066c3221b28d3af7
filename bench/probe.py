"""Token-level probes on real models: SmolLM2-135M and Gemma-3-270M, every suite, the same items.

    python bench/probe.py [--limit 30] [--models smollm2-135m gemma3-270m] [--out WORK_DIR]

Prints the side-by-side table, the paired differences larger than their standard error, the
seconds per suite; writes docs/probe_report.html and its screenshot docs/probe_report.png
(headless Chromium) and bench/results/probe.json.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _results import save, summary_row
from score_compare import screenshot

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    from anytok.probe import ProbeConfig, compare_markdown, differences, run_probes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--models", nargs="+", default=["smollm2-135m", "gemma3-270m"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="probe-"))
    start = time.perf_counter()
    cards = run_probes(args.models, ProbeConfig(limit=args.limit), out=out,
                       progress=lambda m, s: print(f"{m}: {s} ({time.perf_counter() - start:.0f} s in)", flush=True))
    seconds = time.perf_counter() - start
    table = compare_markdown(cards)
    print(table)
    timing = "| suite | " + " | ".join(c.model for c in cards) + " |\n|---|" + "---:|" * len(cards) + "\n"
    timing += "".join(f"| {s} | " + " | ".join(f"{c.suites[s].seconds:.0f} s" for c in cards) + " |\n"
                      for s in cards[0].suites)
    print(timing)
    diffs = differences(cards[0], cards[1]) if len(cards) > 1 else []
    larger = [d for d in diffs if d["larger_than_stderr"]]
    lines = [f"| {d['suite']} | {d['measure']} | {d['a']:.3f} | {d['b']:.3f} | {d['diff']:+.3f} ± {d['stderr']:.3f} |"
             for d in larger]
    if cards[1:]:
        print(f"{len(larger)} of {len(diffs)} paired differences ({cards[1].model} - {cards[0].model}) exceed "
              "their standard error:")
        print(f"| suite | measure | {cards[0].model} | {cards[1].model} | difference |\n|---|---|---:|---:|---:|")
        print("\n".join(lines))
    shutil.copyfile(out / "report.html", REPO / "docs" / "probe_report.html")
    note = screenshot(REPO / "docs" / "probe_report.html", REPO / "docs" / "probe_report.png")
    print(f"{seconds:.0f} s in all; {note}")
    names = ", ".join(c.model for c in cards)
    save("probe", order=150, summary=[summary_row(
        "Probes (5 suites)", f"{names}: {args.limit} items per task, {seconds / 60:.0f} min",
        "-", "-", f"{len(larger)} of {len(diffs)} paired differences exceed their standard error")],
        details={"limit": args.limit, "seconds": seconds, "table": table, "timing": timing,
                 "differences": diffs, "cards": [c.to_dict() for c in cards]})


if __name__ == "__main__":
    main()
