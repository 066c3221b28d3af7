"""``anytok encode`` / ``anytok info`` / ``--help``: readable output, one-line errors, exit status 1."""

from __future__ import annotations

from typer.testing import CliRunner

from anytok.cli.main import app

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "encode" in result.output and "info" in result.output


def test_encode_shows_ids_and_bytes(shared):
    result = runner.invoke(app, ["encode", str(shared / "tokenizers" / "cl100k.tiktoken"), "Hello world", "--tokens"])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines()[:2]] == [["9906", "b'Hello'"], ["1917", "b'", "world'"]]


def test_info_shows_roles_and_pattern(shared):
    result = runner.invoke(app, ["info", str(shared / "tokenizers" / "cl100k.tiktoken")])
    assert result.exit_code == 0, result.output
    assert "byte_bpe" in result.output and "100,277" in result.output and "[sdmt]" in result.output


def test_bad_inputs_give_one_line_and_exit_1(tmp_path):
    corrupt = tmp_path / "tokenizer.json"
    corrupt.write_text('{"model": ')
    for args in (["encode", "no-such-tokenizer", "x"], ["info", str(corrupt)], ["encode", str(corrupt)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
