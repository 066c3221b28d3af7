"""``anytok train`` and ``anytok count``: train a tokenizer on corpus files (or counts) and save
it; count a corpus's pretokens into a counts folder.

Their option flags are made from the fields of :class:`anytok.training.options.TrainOptions` and
:class:`anytok.counting.options.CountOptions`, the one place the options are declared; only the
output flags are written here.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, List, Optional

import typer

from anytok.cli._common import console, err_console, friendly_errors, option_parameters
from anytok.counting.options import count_option_fields
from anytok.counting.shards import DEFAULT_SHARDS
from anytok.outputs import check_output_file
from anytok.training import count as count_pretokens
from anytok.training import train as train_tokenizer
from anytok.training.options import option_fields

_FILES_HELP = ("Corpus files, folders or glob patterns: text, .jsonl/.json, .parquet, .arrow, datasets folders; "
               ".gz/.xz/.bz2/.zst too.")


@friendly_errors
def train(*, files: Optional[List[str]], algorithm: str, output: Path, tiktoken: Optional[Path], overwrite: bool,
          **options: Any) -> None:
    """Train a tokenizer and save it as tokenizer.json (and optionally .tiktoken)."""
    files = files or []
    inputs = [*files, *options.get("from_counts", [])]
    check_output_file(output, inputs=inputs, overwrite=overwrite, flag="--output")
    if tiktoken is not None:
        check_output_file(tiktoken, inputs=[*inputs, output], overwrite=overwrite, flag="--tiktoken")
    tok = train_tokenizer(files, algorithm=algorithm, **options)
    tok.save(str(output))
    if tiktoken is not None:
        tok.save_tiktoken(str(tiktoken))
    console.print(f"trained {algorithm} tokenizer, {tok.vocab_size:,} ids -> {output}"
                  + (f" and {tiktoken}" if tiktoken else ""), highlight=False)
    vocab_size = options["vocab_size"]
    if tok.vocab_size < vocab_size:
        err_console.print(f"[yellow]warning:[/] stopped at {tok.vocab_size:,} of the {vocab_size:,} ids asked for: "
                          "the corpus has no more pairs to merge (a larger or more varied corpus gives more)",
                          highlight=False)


train.__signature__ = inspect.Signature([
    inspect.Parameter("files", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[List[str]], default=typer.Argument(
        None, help=_FILES_HELP + " None with --from-counts.", show_default=False)),
    inspect.Parameter("algorithm", inspect.Parameter.KEYWORD_ONLY, annotation=str, default=typer.Option(
        "bpe", "--algorithm", "-a", help="bpe, superbpe, parity or unigram.")),
    *option_parameters(option_fields()),
    inspect.Parameter("output", inspect.Parameter.KEYWORD_ONLY, annotation=Path, default=typer.Option(
        Path("tokenizer.json"), "--output", "-o", help="tokenizer.json to write.")),
    inspect.Parameter("tiktoken", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[Path], default=typer.Option(
        None, "--tiktoken", help="Also write a .tiktoken rank file (BPE).")),
    inspect.Parameter("overwrite", inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=typer.Option(
        False, "--overwrite", help="Replace the output files if they exist.")),
])


@friendly_errors
def count(*, files: List[str], algorithm: str, output: Path, shards: int, overwrite: bool, **options: Any) -> None:
    """Count a corpus's pretokens into a counts folder that anytok train --from-counts reads."""
    info = count_pretokens(files, output=output, algorithm=algorithm, shards=shards, overwrite=overwrite, **options)
    console.print(f"counted {info.pretokens:,} pretokens, {info.types:,} distinct, in {info.shards} shards -> "
                  f"{output}", highlight=False)


count.__signature__ = inspect.Signature([
    inspect.Parameter("files", inspect.Parameter.KEYWORD_ONLY, annotation=List[str], default=typer.Argument(
        ..., help=_FILES_HELP)),
    inspect.Parameter("algorithm", inspect.Parameter.KEYWORD_ONLY, annotation=str, default=typer.Option(
        "bpe", "--algorithm", "-a", help="What the counts will train: bpe or superbpe (its stage-2 pretokens).")),
    *option_parameters(count_option_fields()),
    inspect.Parameter("output", inspect.Parameter.KEYWORD_ONLY, annotation=Path, default=typer.Option(
        ..., "--output", "-o", help="Counts folder to write.")),
    inspect.Parameter("shards", inspect.Parameter.KEYWORD_ONLY, annotation=int, default=typer.Option(
        DEFAULT_SHARDS, "--shards", help="Shard files (pretokens split by hash); folders merge shard by shard.")),
    inspect.Parameter("overwrite", inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=typer.Option(
        False, "--overwrite", help="Replace the counts folder if it exists.")),
])
