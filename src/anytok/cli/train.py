"""``anytok train``: train a tokenizer on corpus files and save it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import typer

from anytok.cli._common import console, friendly_errors
from anytok.errors import OutputPathError
from anytok.train import train as train_tokenizer


def _check_output(path: Path | None) -> None:
    """Fail before training, not after, when an output cannot be written."""
    if path is None:
        return
    parent = path.resolve().parent
    if path.is_dir():
        raise OutputPathError(f"cannot write {path}: it is a folder; give a file name")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise OutputPathError(f"cannot write {path}: folder {parent} is missing or not writable; choose another path")


@friendly_errors
def train(
    files: List[str] = typer.Argument(..., help="Corpus files, folders or glob patterns (.jsonl reads --text-field)."),
    vocab_size: int = typer.Option(..., "--vocab-size", "-n", help="Vocabulary size, special tokens included."),
    algorithm: str = typer.Option("bpe", "--algorithm", "-a", help="bpe, superbpe, parity or unigram."),
    pattern: str = typer.Option("gpt2", "--pattern", "-p", help="Pretokenizer: gpt2, cl100k, o200k, llama3, qwen3 or a regex."),
    special_token: List[str] = typer.Option([], "--special-token", "-s", help="A special token (repeatable)."),
    min_frequency: int = typer.Option(0, "--min-frequency", help="Lowest pair count that is merged."),
    max_token_length: Optional[int] = typer.Option(None, "--max-token-length", help="Longest merged token (bytes)."),
    transition: Optional[int] = typer.Option(None, "--transition", help="SuperBPE: vocab size where superwords start."),
    text_field: str = typer.Option("text", "--text-field", help="Field of .jsonl records that holds the text."),
    output: Path = typer.Option(Path("tokenizer.json"), "--output", "-o", help="tokenizer.json to write."),
    tiktoken: Optional[Path] = typer.Option(None, "--tiktoken", help="Also write a .tiktoken rank file (BPE)."),
    processes: int = typer.Option(2, "--processes", "-j", help="Worker processes counting pretokens."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Train a tokenizer and save it as tokenizer.json (and optionally .tiktoken)."""
    _check_output(output)
    _check_output(tiktoken)
    tok = train_tokenizer(
        files, vocab_size=vocab_size, algorithm=algorithm, pattern=pattern, special_tokens=special_token,
        min_frequency=min_frequency, max_token_length=max_token_length, transition=transition,
        text_field=text_field, processes=processes, progress=progress)
    tok.save(str(output))
    if tiktoken is not None:
        tok.save_tiktoken(str(tiktoken))
    console.print(f"trained {algorithm} tokenizer, {tok.vocab_size:,} ids -> {output}"
                  + (f" and {tiktoken}" if tiktoken else ""), highlight=False)
