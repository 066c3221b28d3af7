"""Where benchmark results go: each script writes ``bench/results/<name>.json`` with its measured
figures (``details``) and the rows it contributes to the summary table of docs/BENCHMARKS.md
(``summary``); ``python bench/summary.py`` rebuilds that table from every file here.

A summary row has the columns of the table: task, anytok, peer, ratio, quality, hardware, date,
commit, command. ``order`` places the file's rows in the table (smaller first).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = ("task", "anytok", "peer", "ratio", "quality", "hardware", "date", "commit", "command")


def current_commit() -> str:
    """Short hash of the checkout's HEAD ("unknown" outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=RESULTS.parent, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def command_line() -> str:
    """The command that ran this benchmark, as a user would type it."""
    return "python bench/" + " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


def summary_row(task: str, anytok: str, peer: str, ratio: str, quality: str, *,
                hardware: str = "2-core CPU", command: str | None = None) -> dict:
    """One row of the summary table, dated today at the current commit."""
    return {"task": task, "anytok": anytok, "peer": peer, "ratio": ratio, "quality": quality,
            "hardware": hardware, "date": datetime.date.today().isoformat(), "commit": current_commit(),
            "command": f"`{command or command_line()}`"}


def save(name: str, *, order: int, summary: list[dict], details: dict) -> Path:
    """Write ``bench/results/<name>.json`` (temporary name, then renamed into place). A run that
    makes no summary row (a partial run) goes to ``<name>.partial.json`` and leaves the file the
    table quotes alone."""
    for row in summary:
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise ValueError(f"summary row of {name} lacks {missing}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / (f"{name}.json" if summary else f"{name}.partial.json")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"benchmark": name, "order": order, "summary": summary, "details": details},
                              indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)
    print(f"written {path.relative_to(RESULTS.parent.parent)}; run python bench/summary.py to update the page",
          file=sys.stderr)
    return path
