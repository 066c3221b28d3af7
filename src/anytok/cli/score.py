"""``anytok score`` and ``anytok compare``: scorecards and side-by-side reports of tokenizers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from anytok._atomic import write_text_atomic
from anytok.cli._common import console, friendly_errors
from anytok.outputs import check_output_file
from anytok.scoring import compare as compare_tokenizers
from anytok.scoring import score as score_tokenizer

_PARALLEL = typer.Option(None, "--parallel", "-p", help="Folder of line-aligned LANG.txt files with en.txt "
                         "(token premiums).")
_LANGS = typer.Option(None, "--language", "-l", help="Only these parallel languages (repeat the option).")
_REF = typer.Option(None, "--reference", "-r", help="Reference tokenizer for the normalized sequence length.")


@friendly_errors
def score(
    tokenizer: str = typer.Argument(..., help="tokenizer.json, folder, .tiktoken, .gguf, .model or a name (cl100k, ...)."),
    corpus: List[Path] = typer.Argument(..., help="Text files to score on, one domain per file."),
    reference: Optional[str] = _REF,
    parallel: Optional[Path] = _PARALLEL,
    language: Optional[List[str]] = _LANGS,
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the scorecard as JSON here."),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="Also write the Markdown here."),
) -> None:
    """Score one tokenizer: compression, fertility, Rényi efficiency, premiums, vocabulary health."""
    inputs = [tokenizer, *corpus, reference, parallel]
    for path, flag in ((json_out, "--json"), (markdown_out, "--markdown")):
        if path is not None:
            check_output_file(path, inputs=inputs, flag=flag)
    card = score_tokenizer(tokenizer, list(corpus), reference=reference, parallel=parallel,
                           languages=language or None)
    text = card.to_markdown()
    if markdown_out:
        write_text_atomic(markdown_out, text)
    if json_out:
        write_text_atomic(json_out, json.dumps(card.to_dict(), indent=2, ensure_ascii=False) + "\n")
    typer.echo(text)


@friendly_errors
def compare(
    tokenizers: List[str] = typer.Argument(..., help="Two or more tokenizers (files or names)."),
    corpus: List[Path] = typer.Option(..., "--corpus", "-c", help="Text file to score on (repeat; one domain each)."),
    parallel: Optional[Path] = _PARALLEL,
    language: Optional[List[str]] = _LANGS,
    reference: Optional[str] = typer.Option(None, "--reference", "-r", help="Reference for the normalized "
                                            "sequence length (default: the first tokenizer)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the HTML report here."),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="Write the Markdown tables here."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write every scorecard as JSON here."),
    title: str = typer.Option("Tokenizer comparison", "--title", help="Title of the HTML report."),
) -> None:
    """Compare tokenizers side by side and write a self-contained report.html with plots."""
    inputs = [*tokenizers, *corpus, reference, parallel]
    for path, flag in ((output, "--output"), (markdown_out, "--markdown"), (json_out, "--json")):
        if path is not None:
            check_output_file(path, inputs=inputs, flag=flag)
    result = compare_tokenizers(tokenizers, list(corpus), reference=reference, parallel=parallel,
                                languages=language or None)
    if output is not None:
        write_text_atomic(output, result.to_html(title=title))
    if markdown_out is not None:
        write_text_atomic(markdown_out, result.to_markdown())
    if json_out is not None:
        write_text_atomic(json_out, result.to_json())
    typer.echo(result.to_markdown())
    if output is not None:
        console.print(f"report written to {output}", highlight=False)
