"""``anytok hypernet train`` then ``transplant --method hypernet`` on a tiny model folder, and the
command's refusals (nothing written, inputs untouched)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from anytok.cli.main import app
from anytok.models.save import save_model
from tests.tiny import tiny_model, tiny_tokenizer

TEXTS = ["the cat sat on the mat. " * 20, "def f(x):\n    return x + 1\n" * 20]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("hn-cli")
    base_tok = tiny_tokenizer(TEXTS, vocab_size=290)
    save_model(tiny_model(base_tok.vocab_size), base_tok, root / "base")
    tiny_tokenizer(TEXTS[::-1], vocab_size=310, specials=("<|endoftext|>",), add_bos=False).save(str(root / "new.json"))
    (root / "c.txt").write_text("".join(TEXTS) + "the mat sat on the cat.\n" * 10)
    save_model(tiny_model(base_tok.vocab_size, seed=1), base_tok, root / "other")
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("keep me\n")
    return root


def _train(setup, out, *extra):
    return CliRunner().invoke(app, ["hypernet", "train", str(setup / "base"), "--corpus", str(setup / "c.txt"),
                                    "-o", str(out), "--steps", "2", "--batch-size", "2", "--text-bytes", "64",
                                    "--no-progress", *extra])


def test_train_resume_and_transplant(setup):
    hn = setup / "hn"
    result = _train(setup, hn)
    assert result.exit_code == 0, result.output
    assert json.loads((hn / "config.json").read_text())["training"]["step"] == 2
    result = _train(setup, hn, "--steps", "3")  # resumes from step 2
    assert result.exit_code == 0, result.output
    assert "step 3 of 3" in result.output
    out = setup / "out"
    result = CliRunner().invoke(app, ["transplant", str(setup / "base"), str(setup / "new.json"), "-o", str(out),
                                      "--method", "hypernet", "--hypernet", str(hn)])
    assert result.exit_code == 0, result.output
    assert (out / "model.safetensors").exists()


@pytest.mark.parametrize("target,message", [
    pytest.param("c.txt", "the input", id="output-is-the-corpus"),
    pytest.param("base", "one of the inputs", id="output-is-the-base"),
    pytest.param("other", "not an anytok hypernetwork", id="output-is-another-model"),
    pytest.param("notes", "holds no hypernetwork", id="output-is-a-folder-of-files"),
    pytest.param("notes/todo.txt", "is a file", id="output-is-a-file"),
])
def test_refused_outputs_change_nothing(setup, target, message):
    before = {p: p.read_bytes() for p in setup.rglob("*") if p.is_file()}
    result = _train(setup, setup / target)
    assert result.exit_code == 1
    assert message in result.output.replace("\n", " ")
    assert {p: p.read_bytes() for p in setup.rglob("*") if p.is_file()} == before


def test_settings_that_differ_from_the_checkpoint_are_refused(setup):
    hn = setup / "hn2"
    assert _train(setup, hn).exit_code == 0
    result = _train(setup, hn, "--lr", "0.1")
    assert result.exit_code == 1 and "other settings (lr)" in result.output.replace("\n", " ")
