"""The transplant and eval commands on tiny models: success, and one-line errors with no output left."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from anytok.cli.main import app
from anytok.models.save import save_model
from tests.tiny import tiny_model, tiny_tokenizer

TEXTS = ["the cat sat on the mat. " * 20, "def f(x):\n    return x + 1\n" * 20]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    base_tok = tiny_tokenizer(TEXTS, vocab_size=290)
    save_model(tiny_model(base_tok.vocab_size), base_tok, root / "base")
    tiny_tokenizer(TEXTS[::-1], vocab_size=310, specials=("<|endoftext|>",), add_bos=False).save(str(root / "new.json"))
    (root / "eval.txt").write_text("the cat sat.\ndef g(y):\n    return y\n")
    return root


def test_transplant_then_eval(setup):
    runner = CliRunner()
    out = setup / "out"
    result = runner.invoke(app, ["transplant", str(setup / "base"), str(setup / "new.json"), "-o", str(out),
                                 "--method", "hybrid"])
    assert result.exit_code == 0, result.output
    assert (out / "model.safetensors").exists()
    result = runner.invoke(app, ["eval", str(out), str(setup / "eval.txt")])
    assert result.exit_code == 0, result.output
    assert "bits/byte" in result.output


@pytest.mark.parametrize("extra,message", [
    pytest.param(["--method", "omp"], "needs a donor", id="omp-without-donor"),
    pytest.param(["--method", "omp", "--donor", "BASE"], "not the new tokenizer", id="donor-with-other-tokenizer"),
])
def test_bad_requests_exit_1_and_write_nothing(setup, extra, message):
    out = setup / f"bad-{extra[-1]}"
    extra = [str(setup / "base") if x == "BASE" else x for x in extra]
    result = CliRunner().invoke(app, ["transplant", str(setup / "base"), str(setup / "new.json"), "-o", str(out), *extra])
    assert result.exit_code == 1
    assert message in result.output.replace("\n", " ")
    assert not out.exists()


def test_existing_output_is_refused(setup):
    (setup / "exists").mkdir()
    result = CliRunner().invoke(app, ["transplant", str(setup / "base"), str(setup / "new.json"), "-o",
                                      str(setup / "exists")])
    assert result.exit_code == 1 and "--overwrite" in result.output


@pytest.mark.parametrize("objective", ["lm", "distill"])
def test_heal_objectives_report_steps_and_device(setup, objective):
    (setup / "heal.txt").write_text(("the cat sat on the mat.\ndef f(x):\n    return x + 1\n" * 40))
    out = setup / f"healed-{objective}"
    result = CliRunner().invoke(app, ["transplant", str(setup / "base"), str(setup / "new.json"), "-o", str(out),
                                      "--heal-steps", "2", "--heal-text", str(setup / "heal.txt"),
                                      "--heal-objective", objective])
    assert result.exit_code == 0, result.output
    assert f"healed 2 steps ({objective}" in " ".join(result.output.split())
    assert "on cpu" in result.output


def test_unknown_heal_objective_is_refused(setup):
    result = CliRunner().invoke(app, ["transplant", str(setup / "base"), str(setup / "new.json"), "-o",
                                      str(setup / "bad-objective"), "--heal-objective", "kl"])
    assert result.exit_code == 1 and "not one of lm, distill" in result.output
    assert not (setup / "bad-objective").exists()
