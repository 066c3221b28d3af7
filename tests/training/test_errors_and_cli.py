"""Bad input raises one clear AnytokError and leaves no output; the CLI exits 1 with one line."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from anytok.training import train as train_fn
from anytok.cli.train import train as train_command
from anytok.errors import AnytokError, CorpusError, OutputPathError, TrainingError


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("the quick brown fox jumps over the lazy dog\n" * 50, encoding="utf-8")
    return path


def _app():
    app = typer.Typer()
    app.command("train")(train_command)
    app.command("noop")(lambda: None)  # keeps "train" a subcommand
    return app


def _bad_inputs(tmp_path, corpus):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"abc\ncaf\xe9\n")
    return [
        ([str(empty)], dict(vocab_size=300), CorpusError, "empty"),
        ([str(latin)], dict(vocab_size=300), CorpusError, "byte offset 7"),
        ([str(tmp_path / "nope.txt")], dict(vocab_size=300), CorpusError, "does not exist"),
        ([str(corpus)], dict(vocab_size=200), TrainingError, "256 byte symbols"),
        ([str(corpus)], dict(vocab_size=257, special_tokens=["<a>", "<b>"]), TrainingError, "258"),
        ([str(corpus)], dict(vocab_size=300, algorithm="wordpiece"), TrainingError, "choose one of"),
        ([str(corpus)], dict(vocab_size=300, pattern="(unclosed"), TrainingError, "valid regex"),
        ([str(corpus)], dict(vocab_size=200, algorithm="unigram"), TrainingError, "too small"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_bad_input_raises_anytok_error(tmp_path, corpus, case):
    files, kwargs, error, message = _bad_inputs(tmp_path, corpus)[case]
    with pytest.raises(error, match=message) as info:
        train_fn(files, progress=False, processes=1, **kwargs)
    assert isinstance(info.value, AnytokError)


def test_parity_needs_aligned_files(tmp_path):
    (tmp_path / "a.txt").write_text("x\n" * 200)
    (tmp_path / "b.txt").write_text("y\n" * 150)
    with pytest.raises(CorpusError, match="line-aligned"):
        train_fn([tmp_path / "a.txt", tmp_path / "b.txt"], vocab_size=300, algorithm="parity", progress=False)


@pytest.mark.parametrize("case", range(8))
def test_cli_bad_input_exits_1_with_one_line(tmp_path, corpus, case):
    files, kwargs, _, message = _bad_inputs(tmp_path, corpus)[case]
    args = ["train", *files, "--vocab-size", str(kwargs["vocab_size"]), "-o", str(tmp_path / "out.json"),
            "--no-progress", "-j", "1"]
    args += ["--algorithm", kwargs.get("algorithm", "bpe"), "--pattern", kwargs.get("pattern", "gpt2")]
    for s in kwargs.get("special_tokens", []):
        args += ["--special-token", s]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 1
    output = result.output.strip()
    assert message in output.replace("\n", " ")
    assert output.startswith("error:")
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("where", ["missing-folder", "parent-is-a-file", "is-a-folder"])
def test_unwritable_output_fails_before_training_and_leaves_nothing(tmp_path, corpus, where):
    (tmp_path / "d").mkdir()  # a folder that does not hold the input (that one is refused earlier)
    target = {"missing-folder": tmp_path / "no" / "t.json", "parent-is-a-file": corpus / "t.json",
              "is-a-folder": tmp_path / "d"}[where]
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(_app(), ["train", str(corpus), "-n", "300", "-o", str(target), "--no-progress"])
    assert result.exit_code == 1 and result.output.startswith("error: cannot write")
    tok = train_fn([corpus], vocab_size=300, progress=False, processes=1)
    with pytest.raises(OutputPathError):
        tok.save(str(target))
    assert sorted(tmp_path.rglob("*")) == before


def test_cli_writes_json_and_tiktoken(tmp_path, corpus):
    out, tk = tmp_path / "t.json", tmp_path / "t.tiktoken"
    result = CliRunner().invoke(_app(), ["train", str(corpus), "-n", "300", "-o", str(out), "--tiktoken", str(tk),
                                         "--special-token", "<s>", "--no-progress", "-j", "1"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["added_tokens"][0]["content"] == "<s>"
    assert len(tk.read_text().splitlines()) == len(doc["model"]["vocab"]) - len(doc["added_tokens"])


@pytest.mark.parametrize("algorithm", ["bpe", "superbpe", "unigram"])
def test_a_bad_file_late_in_the_corpus_stops_training_cleanly(tmp_path, algorithm):
    good = tmp_path / "good.txt"
    good.write_text("plenty of text here\n" * 100_000, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\n\xff\n")
    with pytest.raises(CorpusError, match="bad.txt.*byte offset 5"):
        train_fn([good, bad], vocab_size=400, algorithm=algorithm, progress=False, processes=2)


def test_process_exits_after_a_failed_parallel_count(tmp_path):
    """Chunks still queued when a bad file stops counting must not block interpreter exit."""
    import subprocess
    import sys

    good = tmp_path / "good.txt"
    good.write_text("plenty of text here\n" * 300_000, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\n\xff\n")
    script = (
        "import sys\nfrom anytok.training import train\nfrom anytok.errors import CorpusError\n"
        f"try:\n    train([{str(good)!r}, {str(good)!r}, {str(bad)!r}], vocab_size=400, progress=False, processes=2)\n"
        "except CorpusError:\n    sys.exit(7)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=120, capture_output=True)
    assert done.returncode == 7, done.stderr.decode()
