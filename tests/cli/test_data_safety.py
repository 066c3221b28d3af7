"""No input is ever modified or lost: every command that writes refuses an output that is one of
its inputs (the same path, a symlink or hard link to it, a path inside an input folder, a folder
that holds an input), and replaces an existing output only when told to.

Commands that write nothing (info, encode, eval, bytes ...) cannot harm their inputs; ``models
fetch`` writes only into the model cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anytok.cli.main import app
from anytok.models.save import save_model
from tests.tiny import tiny_model, tiny_tokenizer

TEXTS = ["the cat sat on the mat. " * 20, "def f(x):\n    return x + 1\n" * 20]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("safety")
    (root / "corpus.txt").write_text("".join(TEXTS))
    (root / "folder").mkdir()
    (root / "folder" / "part.txt").write_text(TEXTS[1])
    tok = tiny_tokenizer(TEXTS, vocab_size=290)
    tok.save(str(root / "tok.json"))
    tiny_tokenizer(TEXTS[::-1], vocab_size=300).save(str(root / "new.json"))
    save_model(tiny_model(tok.vocab_size), tok, root / "base")
    return root


def _digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (links followed), by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# (command line with INPUT placeholders, the output option, the inputs it may be pointed at)
COMMANDS = {
    "train": (["train", "{corpus.txt}", "-n", "280", "--no-progress"], ["-o", "--tiktoken"], ["corpus.txt"]),
    "train-folder": (["train", "{folder}", "-n", "280", "--no-progress"], ["-o"], ["folder/part.txt", "folder/new.json"]),
    "score": (["score", "{tok.json}", "{corpus.txt}"], ["--json", "--markdown"], ["tok.json", "corpus.txt"]),
    "compare": (["compare", "{tok.json}", "{new.json}", "-c", "{corpus.txt}"], ["-o", "--markdown", "--json"],
                ["tok.json", "new.json", "corpus.txt"]),
    "transplant": (["transplant", "{base}", "{new.json}", "--overwrite"], ["-o"], ["base", "new.json", "base/config.json"]),
}
CASES = [pytest.param(name, flag, target, how, id=f"{name}{flag}={target}:{how}")
         for name, (_, flags, targets) in COMMANDS.items() for flag in flags for target in targets
         for how in ("same", "symlink")]


@pytest.mark.parametrize("name,flag,target,how", CASES)
def test_an_output_pointed_at_an_input_is_refused_and_the_inputs_are_unchanged(inputs, tmp_path, name, flag,
                                                                               target, how):
    args, _, _ = COMMANDS[name]
    out = inputs / target
    if how == "symlink":
        out = tmp_path / "link"
        os.symlink(inputs / target, out)
    before = _digest(inputs)
    argv = [str(inputs / a[1:-1]) if a.startswith("{") else a for a in args]
    result = CliRunner().invoke(app, [*argv, flag, str(out)])
    assert result.exit_code == 1, result.output
    assert "input" in result.output, result.output
    assert _digest(inputs) == before


def test_a_hard_link_to_the_corpus_is_refused(inputs, tmp_path):
    link = tmp_path / "hard.txt"
    os.link(inputs / "corpus.txt", link)
    result = CliRunner().invoke(app, ["train", str(inputs / "corpus.txt"), "-n", "280", "-o", str(link)])
    assert result.exit_code == 1 and "one of the inputs" in result.output


def test_train_replaces_an_existing_file_only_with_overwrite(inputs, tmp_path):
    out = tmp_path / "tok.json"
    out.write_text("keep me")
    args = ["train", str(inputs / "corpus.txt"), "-n", "280", "--no-progress", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "--overwrite" in result.output
    assert out.read_text() == "keep me"
    assert CliRunner().invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert out.read_text().startswith("{")


def test_transplant_overwrite_replaces_only_a_model_folder(inputs, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.tex").write_text("years of work")
    afile = tmp_path / "afile"
    afile.write_text("a file")
    for out in (notes, afile):
        result = CliRunner().invoke(app, ["transplant", str(inputs / "base"), str(inputs / "new.json"), "-o", str(out),
                                          "--overwrite"])
        assert result.exit_code == 1, result.output
    assert (notes / "thesis.tex").read_text() == "years of work" and afile.read_text() == "a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "notes"]  # no .afile.old left behind
