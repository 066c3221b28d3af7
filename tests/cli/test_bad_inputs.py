"""Inputs that used to exhaust memory, load half a file, strand processes or print a traceback:
each now gives one clear error (exit status 1), or a warning where the result is still usable."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import anytok
from anytok.cli.main import app
from anytok.errors import TokenizerFormatError, TrainingError
from anytok.models.save import save_model
from tests.tiny import tiny_model, tiny_tokenizer

TEXT = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs\n" * 40


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


# -- item 3: sizes bounded by what the input can supply ----------------------------------------
def test_a_tokenizer_json_with_one_huge_id_is_refused(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"model":{"type":"BPE","vocab":{"a":100000000},"merges":[]}}')
    with pytest.raises(TokenizerFormatError, match="ids must be dense"):
        anytok.load(path)
    result = _run("info", str(path))
    assert result.exit_code == 1 and "100,000,000" in result.output


def test_a_rank_file_with_one_huge_rank_is_refused(tmp_path):
    (tmp_path / "t.tiktoken").write_text("IQ== 0\nIg== 100000000\n")
    (tmp_path / "t.json").write_text('{"pattern": "gpt2"}')
    with pytest.raises(TokenizerFormatError, match="ids must be dense"):
        anytok.load(tmp_path / "t.tiktoken")


def test_real_tokenizers_have_dense_enough_ids(shared):
    """cl100k leaves 16 ids unused between its ranks and its specials: still accepted."""
    tok = anytok.load(shared / "tokenizers" / "cl100k.tiktoken")
    assert tok.vocab_size == 100_277


@pytest.mark.parametrize("size", [100_000_000, 2**31 - 1])
def test_a_huge_vocab_size_trains_what_the_corpus_allows_and_says_so(tmp_path, size):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    small = anytok.train([corpus], vocab_size=100_000, progress=False)
    result = _run("train", str(corpus), "-n", str(size), "-o", str(tmp_path / "t.json"), "--no-progress")
    assert result.exit_code == 0, result.output
    assert anytok.load(tmp_path / "t.json").vocab_size == small.vocab_size
    assert f"stopped at {small.vocab_size:,} of the {size:,} ids" in " ".join(result.output.split())


@pytest.mark.parametrize("size", [2**31, 2**63])
def test_a_vocab_size_beyond_32_bits_is_refused(tmp_path, size):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    with pytest.raises(TrainingError, match="32-bit"):
        anytok.train([corpus], vocab_size=size, progress=False)
    result = _run("train", str(corpus), "-n", str(size), "-o", str(tmp_path / "t.json"))
    assert result.exit_code == 1 and "32-bit" in result.output and "Traceback" not in result.output


def test_a_whitespace_only_corpus_warns_that_it_stopped_early(tmp_path):
    corpus = tmp_path / "ws.txt"
    corpus.write_text("   \n\n  \t \n")
    result = _run("train", str(corpus), "-n", "300", "-o", str(tmp_path / "t.json"), "--no-progress")
    assert result.exit_code == 0 and "stopped at" in result.output


# -- item 4: counting workers die with their parent ----------------------------------------------
_PARENT = textwrap.dedent("""
    import time
    from anytok.counting.pretokens import count_pretokens

    def chunks():
        yield "hello world " * 100
        print("fed", flush=True)
        time.sleep(600)

    count_pretokens(chunks(), pattern=r"\\w+|\\s+", processes=2)
""")


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_counting_workers_die_with_their_parent(sig):
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "fed"  # the workers are counting by now
        children = [int(p) for p in Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()]
        assert len(children) == 2
        parent.send_signal(sig)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(c) for c in children), "a counting worker outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


# -- item 5: a rank file cut at a line end ---------------------------------------------------------
def test_a_truncated_rank_file_is_refused_where_its_size_is_known(shared, tmp_path, caplog):
    lines = (shared / "tokenizers" / "cl100k.tiktoken").read_text().splitlines(keepends=True)
    (tmp_path / "cl.tiktoken").write_text("".join(lines[:52_383]))
    (tmp_path / "cl.json").write_text((shared / "tokenizers" / "cl100k.json").read_text())
    with pytest.raises(TokenizerFormatError, match="52,383 ranks but cl.json says n_ranks=100256"):
        anytok.load(tmp_path / "cl.tiktoken")
    (tmp_path / "cl.json").write_text('{"pattern": "cl100k"}')
    with caplog.at_level(logging.WARNING):
        anytok.load(tmp_path / "cl.tiktoken")
    assert "no n_ranks" in caplog.text


def test_the_missing_pattern_hint_names_a_fix_the_cli_can_use(tmp_path):
    (tmp_path / "t.tiktoken").write_text("IQ== 0\nIg== 1\n")
    result = _run("info", str(tmp_path / "t.tiktoken"))
    assert result.exit_code == 1 and '{"pattern": "cl100k"}' in " ".join(result.output.split())


# -- item 7: the smaller ones ------------------------------------------------------------------
def test_usage_errors_exit_1():
    assert _run("train").exit_code == 1  # a missing argument
    assert _run("no-such-command").exit_code == 1
    assert _run("train", "x", "--vocab-size", "many").exit_code == 1


def test_bytes_score_of_empty_text_is_an_error(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = _run("bytes", "score", "smollm2-135m", str(tmp_path / "empty.txt"))
    assert result.exit_code == 1 and "empty" in result.output


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("donor")
    tok = tiny_tokenizer([TEXT], vocab_size=290)
    save_model(tiny_model(tok.vocab_size), tok, root / "base")
    tok.save(str(root / "tok.json"))
    return root


def test_a_donor_with_a_method_that_ignores_it_is_an_error(base, tmp_path):
    for donor in (str(base / "base"), str(tmp_path / "missing")):
        result = _run("transplant", str(base / "base"), str(base / "tok.json"), "-o", str(tmp_path / "out"),
                      "--method", "fvt", "--donor", donor)
        assert result.exit_code == 1 and "--donor is only used by --method omp" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_eval_checks_its_text_files_before_it_loads_the_model(tmp_path, monkeypatch):
    import anytok.models.load

    def never(*args, **kwargs):
        raise AssertionError("the model was loaded before the text files were checked")

    monkeypatch.setattr(anytok.models.load, "load_model", never)
    result = _run("eval", "smollm2-135m", str(tmp_path / "missing.txt"))
    assert result.exit_code == 1 and "missing.txt" in result.output
