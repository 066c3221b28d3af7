"""Every bad option value is one line naming it and exit status 1, before any model loads; the
library raises an AnytokError (also a ValueError) for the same values."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from anytok.cli.main import app
from anytok.errors import AnytokError
from anytok.models.save import save_model
from tests.tiny import tiny_model, tiny_tokenizer

TEXT = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs\n" * 40
OTHER = "sphinx of black quartz, judge my vow; how vexingly quick daft zebras jump\n" * 40


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """base/ (a tiny model), new.json (another tokenizer) and donor/ (a tiny model using new.json)."""
    root = tmp_path_factory.mktemp("models")
    tok = tiny_tokenizer([TEXT], vocab_size=290)
    save_model(tiny_model(tok.vocab_size), tok, root / "base")
    new = tiny_tokenizer([OTHER], vocab_size=300)
    new.save(str(root / "new.json"))
    save_model(tiny_model(new.vocab_size, seed=1), new, root / "donor")
    return root


def _one_line_error(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert text.startswith("error:") and all(w in text for w in words), text


@pytest.mark.parametrize("args, words", [
    pytest.param(["--k", "0"], ["k=0", "at least 1"], id="k-0"),
    pytest.param(["--pool", "8"], ["pool=8", "at least k=64"], id="pool-below-k"),
    pytest.param(["--heal-steps", "-1", "--heal-text", "TEXT"], ["heal"], id="negative-heal-steps"),
    pytest.param(["--heal-objective", "kl"], ["--heal-objective", "lm"], id="unknown-objective"),
    pytest.param(["--heal-lr", "0"], ["lr=0", "--heal-lr", "> 0"], id="heal-lr-0"),
    pytest.param(["--heal-seq-len", "1"], ["seq_len=1", "--heal-seq-len"], id="heal-seq-len-1"),
    pytest.param(["--heal-temperature", "-1"], ["--heal-temperature"], id="heal-temperature"),
])
def test_bad_transplant_options_are_one_line_before_any_model_loads(models, tmp_path, monkeypatch, args, words):
    import anytok.models.load

    def never(*a, **kw):
        raise AssertionError("a model was loaded before the options were checked")

    monkeypatch.setattr(anytok.models.load, "load_model", never)
    heal_text = tmp_path / "heal.txt"
    heal_text.write_text(TEXT)
    args = [str(heal_text) if a == "TEXT" else a for a in args]
    result = CliRunner().invoke(app, ["transplant", str(models / "base"), str(models / "new.json"),
                                      "-o", str(tmp_path / "out"), *args])
    _one_line_error(result, *words)
    assert not (tmp_path / "out").exists()


def test_exact_omp_beyond_its_limit_is_one_line(models, tmp_path, monkeypatch):
    import anytok.transfer.omp

    monkeypatch.setattr(anytok.transfer.omp, "MAX_POOL", 10)
    result = CliRunner().invoke(app, ["transplant", str(models / "base"), str(models / "new.json"), "-o",
                                      str(tmp_path / "out"), "--method", "omp", "--donor", str(models / "donor"),
                                      "--pool", "0", "--k", "4"])
    _one_line_error(result, "exact OMP", "--pool", "at most 10")
    assert not (tmp_path / "out").exists()


def test_the_library_raises_anytok_errors_for_bad_values():
    from anytok.eval.bpb import chunk_text
    from anytok.hypernet import HyperNetConfig, TrainConfig
    from anytok.transfer import InitConfig
    from anytok.transfer.healing import HealConfig

    bad = [lambda: InitConfig(k=0), lambda: InitConfig(k=8, pool=4), lambda: InitConfig(min_orth=1.5),
           lambda: HealConfig(steps=-1), lambda: HealConfig(objective="kl"), lambda: chunk_text(b"abc", chunk_bytes=1),
           lambda: HyperNetConfig(embed_dim=64, width=30, heads=4), lambda: TrainConfig(steps=-1)]
    for make in bad:
        with pytest.raises(AnytokError) as e:
            make()
        assert isinstance(e.value, ValueError)


def test_heal_and_init_flags_are_the_option_fields():
    """Each HealConfig / InitConfig field declared as an option is a flag of transplant (and the
    heal ones of extend) with the field's own help and default: declared once, in transfer/options.py."""
    import typer.main

    from anytok._fields import cli_fields
    from anytok.transfer.options import HealConfig, InitConfig

    command = typer.main.get_command(app)
    for name, configs in (("transplant", (InitConfig, HealConfig)), ("extend", (HealConfig,))):
        params = {opt: p for p in command.commands[name].params for opt in p.opts}
        for config in configs:
            for f in cli_fields(config):
                flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
                assert flag in params, (name, flag)
                assert params[flag].help == f.metadata["help"] and params[flag].default == f.default, (name, flag)
    assert {f.name for f in cli_fields(HealConfig)} == {"lr", "seq_len", "batch_size", "seed", "objective",
                                                         "temperature"}


def test_bad_extend_heal_options_are_one_line(models, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    result = CliRunner().invoke(app, ["extend", str(models / "base"), "--corpus", str(corpus), "--add", "5",
                                      "-o", str(tmp_path / "out"), "--heal-batch-size", "0"])
    _one_line_error(result, "batch_size=0", "--heal-batch-size")
    assert not (tmp_path / "out").exists()
