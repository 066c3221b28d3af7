"""Training options are declared once (TrainOptions); the API keywords and the CLI flags are made
from that declaration, so neither can lose an option the other has."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import typer
from typer.testing import CliRunner

import anytok
from anytok.cli.main import app
from anytok.errors import TrainingError
from anytok.training.options import TrainOptions

TEXT = "the quick brown fox jumps over the lazy dog and the lazy dog sleeps all day long\n" * 60


def test_api_keywords_and_cli_flags_are_the_declared_options():
    declared = {f.name for f in dataclasses.fields(TrainOptions) if f.init}
    api = set(inspect.signature(anytok.train).parameters) - {"files", "algorithm"}
    command = typer.main.get_command(app).commands["train"]
    cli = {p.name for p in command.params} - {"files", "algorithm", "output", "tiktoken", "overwrite"}
    assert api == declared and cli == declared


def test_superbpe_max_words_from_the_cli_equals_the_api(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    result = CliRunner().invoke(app, ["train", str(corpus), "-n", "330", "-a", "superbpe", "--transition", "290",
                                      "--max-words", "1", "--no-progress", "-j", "1", "-o", str(tmp_path / "t.json")])
    assert result.exit_code == 0, result.output
    api = anytok.train([corpus], vocab_size=330, algorithm="superbpe", transition=290, max_words=1, progress=False,
                       processes=1)
    assert anytok.load(tmp_path / "t.json").vocab == api.vocab
    assert all(b is None or b.strip().count(b" ") == 0 for b in api.vocab)  # one word at most per token


def test_an_unknown_api_keyword_is_named():
    with pytest.raises(TrainingError, match="unknown training option max_word; the options are vocab_size"):
        anytok.train(["x.txt"], vocab_size=300, max_word=2)
    with pytest.raises(TrainingError, match="vocab_size is required"):
        anytok.train(["x.txt"])
