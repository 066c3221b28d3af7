"""docs/BENCHMARKS.md's summary table is the one bench/summary.py builds from bench/results."""

from __future__ import annotations

import datetime
import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _summary_module():
    sys.path.insert(0, str(REPO / "bench"))  # summary.py imports _results beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_summary", REPO / "bench" / "summary.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    finally:
        sys.path.remove(str(REPO / "bench"))
    return module


def test_the_page_shows_the_table_the_results_make():
    summary = _summary_module()
    page = summary.PAGE.read_text()
    assert summary.render(page, summary.summary_table()) == page, "run python bench/summary.py"


def test_render_replaces_only_what_lies_between_the_markers(tmp_path):
    summary = _summary_module()
    (tmp_path / "a.json").write_text(json.dumps({"order": 2, "summary": [dict.fromkeys(summary.COLUMNS, "a|b")]}))
    (tmp_path / "b.json").write_text(json.dumps({"order": 1, "summary": [dict.fromkeys(summary.COLUMNS, "z")]}))
    (tmp_path / "c.partial.json").write_text(json.dumps({"order": 0, "summary": []}))
    page = f"# T\n\nintro\n{summary.START}\nold table\n{summary.END}\n\n## Section\nkept\n"
    table = summary.summary_table(tmp_path)
    lines = table.splitlines()
    assert lines[2] == "| " + " | ".join(["z"] * 9) + " |"  # order 1 before order 2
    assert lines[3] == "| " + " | ".join(["a\\|b"] * 9) + " |"  # a bar in a cell is escaped
    assert len(lines) == 4
    assert summary.render(page, table) == f"# T\n\nintro\n{summary.START}\n{table}\n{summary.END}\n\n## Section\nkept\n"


def test_every_result_row_has_every_column_a_date_and_a_commit():
    summary = _summary_module()
    files = sorted((REPO / "bench" / "results").glob("*.json"))
    assert files
    for path in files:
        for row in json.loads(path.read_text()).get("summary", []):
            assert set(summary.COLUMNS) <= set(row), path.name
            datetime.date.fromisoformat(row["date"][:10])
            assert row["commit"] and row["command"].startswith("`"), path.name


def test_the_summary_is_on_the_first_screen_and_the_page_is_short():
    lines = (REPO / "docs" / "BENCHMARKS.md").read_text().splitlines()
    assert len(lines) < 400  # about 20 lines for each of ~20 benchmarks: results, not a diary
    assert any(line.startswith("| task |") for line in lines[:15])
