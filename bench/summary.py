"""Rebuild the summary table of docs/BENCHMARKS.md from bench/results/*.json.

    python bench/summary.py           # rewrite the table between the summary markers
    python bench/summary.py --check   # exit 1 when the page and the results disagree

The table lies between ``<!-- summary:start -->`` and ``<!-- summary:end -->``; the rest of the page
(one section per benchmark, written by hand) is left as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import COLUMNS, RESULTS  # noqa: E402

PAGE = RESULTS.parent.parent / "docs" / "BENCHMARKS.md"
START, END = "<!-- summary:start -->", "<!-- summary:end -->"


def summary_table(results: Path = RESULTS) -> str:
    """The markdown table of every summary row in ``results``, ordered by each file's ``order``."""
    files = []
    for path in sorted(results.glob("*.json")):
        data = json.loads(path.read_text())
        if "summary" in data:
            files.append((data.get("order", 1000), path.stem, data["summary"]))
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for _, _, rows in sorted(files, key=lambda f: (f[0], f[1])):
        lines += ["| " + " | ".join(str(row[c]).replace("|", "\\|") for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def render(page: str, table: str) -> str:
    """``page`` with the text between the markers replaced by ``table``."""
    if START not in page or END not in page:
        raise SystemExit(f"{PAGE} has no {START} ... {END} markers; add them around the summary table")
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the page is up to date")
    args = parser.parse_args()
    page = PAGE.read_text()
    new = render(page, summary_table())
    if args.check:
        if new != page:
            raise SystemExit("docs/BENCHMARKS.md's summary table differs from bench/results; "
                             "run python bench/summary.py")
        return
    if new != page:
        tmp = PAGE.with_suffix(".md.tmp")
        tmp.write_text(new)
        tmp.replace(PAGE)
        print(f"updated {PAGE}")


if __name__ == "__main__":
    main()
