"""``anytok score`` / ``anytok compare``: outputs, and one-line errors with exit status 1."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from anytok.cli.main import app

from .conftest import build_bpe


@pytest.fixture()
def files(tmp_path):
    build_bpe([("t", "h"), ("th", "e")], name="a").save(str(tmp_path / "a.json"))
    build_bpe([("a", "t")], name="b").save(str(tmp_path / "b.json"))
    (tmp_path / "prose.txt").write_text("the cat sat on the mat\nthat is the hat\n", encoding="utf-8")
    par = tmp_path / "par"
    par.mkdir()
    (par / "en.txt").write_text("the cat\nthe hat\n", encoding="utf-8")
    (par / "de.txt").write_text("die Katze\nder Hut\n", encoding="utf-8")
    return tmp_path


def test_score_prints_markdown(files):
    result = CliRunner().invoke(app, ["score", str(files / "a.json"), str(files / "prose.txt"),
                                      "--json", str(files / "card.json")])
    assert result.exit_code == 0, result.output
    assert "| metric | prose | all |" in result.output
    assert json.loads((files / "card.json").read_text())["tokenizer"] == "a"


def test_compare_writes_all_three_outputs(files):
    out = files / "out"
    out.mkdir()
    result = CliRunner().invoke(app, ["compare", str(files / "a.json"), str(files / "b.json"),
                                      "--corpus", str(files / "prose.txt"), "--parallel", str(files / "par"),
                                      "-o", str(out / "r.html"), "--markdown", str(out / "r.md"),
                                      "--json", str(out / "r.json")])
    assert result.exit_code == 0, result.output
    assert (out / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert "mean premium" in (out / "r.md").read_text()
    assert [c["tokenizer"] for c in json.loads((out / "r.json").read_text())["scorecards"]] == ["a", "b"]
    assert sorted(p.name for p in out.iterdir()) == ["r.html", "r.json", "r.md"]  # no temporary files left


@pytest.mark.parametrize("setup, needle", [
    pytest.param(lambda p: (p / "par" / "en.txt").unlink(), "no en.txt", id="no-english"),
    pytest.param(lambda p: (p / "par" / "de.txt").write_text("one line\n"), "has 1", id="unaligned"),
    pytest.param(lambda p: (p / "prose.txt").write_text(""), "is empty", id="empty-corpus"),
])
def test_bad_corpus_is_one_line_exit_1(files, setup, needle):
    setup(files)
    result = CliRunner().invoke(app, ["compare", str(files / "a.json"), str(files / "b.json"),
                                      "--corpus", str(files / "prose.txt"), "--parallel", str(files / "par")])
    assert result.exit_code == 1
    assert needle in result.output
    assert "Traceback" not in result.output


def test_missing_language_named(files):
    result = CliRunner().invoke(app, ["score", str(files / "a.json"), str(files / "prose.txt"),
                                      "--parallel", str(files / "par"), "-l", "de", "-l", "fr"])
    assert result.exit_code == 1
    assert "fr" in result.output and "fr.txt" in result.output


def test_missing_corpus_file_is_one_line(files):
    result = CliRunner().invoke(app, ["score", str(files / "a.json"), str(files / "nope.txt")])
    assert result.exit_code == 1 and "nope.txt does not exist" in result.output
