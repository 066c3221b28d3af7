"""``anytok train``: train a tokenizer on corpus files and save it."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from anytok.cli._common import console, err_console, friendly_errors
from anytok.outputs import check_output_file
from anytok.training import train as train_tokenizer


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
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the output files if they exist."),
) -> None:
    """Train a tokenizer and save it as tokenizer.json (and optionally .tiktoken)."""
    check_output_file(output, inputs=files, overwrite=overwrite, flag="--output")
    if tiktoken is not None:
        check_output_file(tiktoken, inputs=[*files, output], overwrite=overwrite, flag="--tiktoken")
    tok = train_tokenizer(
        files, vocab_size=vocab_size, algorithm=algorithm, pattern=pattern, special_tokens=special_token,
        min_frequency=min_frequency, max_token_length=max_token_length, transition=transition,
        text_field=text_field, processes=processes, progress=progress)
    tok.save(str(output))
    if tiktoken is not None:
        tok.save_tiktoken(str(tiktoken))
    console.print(f"trained {algorithm} tokenizer, {tok.vocab_size:,} ids -> {output}"
                  + (f" and {tiktoken}" if tiktoken else ""), highlight=False)
    if tok.vocab_size < vocab_size:
        err_console.print(f"[yellow]warning:[/] stopped at {tok.vocab_size:,} of the {vocab_size:,} ids asked for: "
                          "the corpus has no more pairs to merge (a larger or more varied corpus gives more)",
                          highlight=False)
