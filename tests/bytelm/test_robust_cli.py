"""Awkward prompts give finite distributions or a clear error; the ``anytok bytes`` commands run."""

from __future__ import annotations

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
    result = runner.invoke(app, ["bytes", "score", str(folder), "the cat"])
    assert result.exit_code == 0, result.output
    assert "bits/byte" in result.output
    result = runner.invoke(app, ["bytes", "generate", str(folder), "--prompt", "the c", "--max-bytes", "5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["bytes", "score", str(tmp_path / "missing"), "x"])
    assert result.exit_code == 1
