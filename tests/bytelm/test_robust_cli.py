"""Awkward prompts give finite distributions or a clear error; the ``anytok bytes`` commands run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from anytok.bytelm import ByteLM, ByteLMError
from anytok.cli.main import app


@pytest.fixture(scope="module")
def lm(model, tok):
    return ByteLM(model, tok)


@pytest.mark.parametrize("prompt", [
    pytest.param(b"1" * 40, id="digits"), pytest.param(b" " * 30, id="spaces"),
    pytest.param(b"\n\n\n\t \t  ", id="mixed-whitespace"), pytest.param("😀😀".encode(), id="emoji"),
    pytest.param("😀".encode()[:3], id="inside-emoji"), pytest.param(b"ab\xff\xfe", id="invalid-utf8"),
    pytest.param(b"\x80", id="lone-continuation"), pytest.param(b"x" * 200, id="long-run"),
])
def test_awkward_prompts_give_finite_distributions(lm, prompt):
    lp = lm.next_byte_logprobs(prompt)
    assert not np.isnan(lp).any() and abs(np.exp(lp).sum() - 1) < 1e-9
    out = b"".join(lm.generate(prompt, max_bytes=4, temperature=0.8, seed=0))
    assert len(out) <= 4


def test_generation_is_seeded_and_stops(lm):
    a = b"".join(lm.generate(b"the c", max_bytes=12, seed=3))
    b = b"".join(lm.generate(b"the c", max_bytes=12, seed=3))
    assert a == b
    assert b"".join(lm.generate(b"the c", max_bytes=0)) == b""
    with pytest.raises(ByteLMError):
        list(lm.generate(b"x", top_p=0.0))


def test_cli_score_and_generate(tmp_path, model, tok):
    from anytok.models.load import LoadedModel

    folder = LoadedModel(model=model.float(), tokenizer=tok, source="tiny").save(tmp_path / "tiny")
    model.double()
    runner = CliRunner()
    text = tmp_path / "text.bin"
    text.write_bytes(b"the cat \xff sat")  # any bytes: the byte-level LM needs no UTF-8
    expected = ByteLM(model, tok).score(text.read_bytes())
    result = runner.invoke(app, ["bytes", "score", str(folder), str(text), "--json", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert "bits/byte" in result.output
    got = json.loads((tmp_path / "s.json").read_text())[str(folder)]
    assert got["num_bytes"] == 13 and got["logprob"] == pytest.approx(expected.logprob, abs=1e-4)
    from_stdin = runner.invoke(app, ["bytes", "score", str(folder), "-"], input=text.read_bytes())
    assert from_stdin.exit_code == 0 and from_stdin.output == result.output
    refused = runner.invoke(app, ["bytes", "score", str(folder), str(text), "--json", str(text)])
    assert refused.exit_code == 1 and text.read_bytes() == b"the cat \xff sat"
    result = runner.invoke(app, ["bytes", "generate", str(folder), "--prompt", "the c", "--max-bytes", "5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["bytes", "score", str(tmp_path / "missing"), str(text)])
    assert result.exit_code == 1
    result = runner.invoke(app, ["bytes", "score", str(folder), str(tmp_path / "missing.txt")])
    assert result.exit_code == 1 and "missing.txt" in result.output
