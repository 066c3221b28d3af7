"""``anytok extend BASE --corpus DOMAIN... --add N -o OUT``: new tokens for a domain, old ids kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import typer

from anytok._fields import cli_fields
from anytok.cli._common import console, friendly_errors, option_parameters, with_options
from anytok.cli.transplant import heal_options
from anytok.transfer.options import HealConfig


@friendly_errors
def extend_command(
    base: str = typer.Argument(..., help="Base model: HF folder, .gguf file or registered name."),
    corpus: List[Path] = typer.Option(..., "--corpus", "-c", help="UTF-8 text of the domain or language."),
    add: int = typer.Option(..., "--add", "-n", help="New tokens to learn (merges after the base's own)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output HF model folder."),
    token: List[str] = typer.Option([], "--token", help="A named token to add whole (repeatable)."),
    describe: List[str] = typer.Option([], "--describe", help="Text that initialises the --token of the same rank."),
    method: str = typer.Option("hypernet", help="Rows of the new tokens: hypernet, fvt, hybrid or mean."),
    hypernet: Optional[Path] = typer.Option(None, help="Hypernetwork folder trained for BASE (method hypernet)."),
    corpus_bytes: int = typer.Option(50_000_000, help="Read at most this many bytes of each corpus file."),
    heal_steps: int = typer.Option(0, help="Then train only the new rows for this many steps on the corpus."),
    device: str = typer.Option("cpu", help="cpu, cuda, ..."),
    overwrite: bool = typer.Option(False, help="Replace OUT if it exists."),
    **options: Any,
) -> None:
    """Add ADD tokens learned on the corpus (and the named tokens) to BASE; save to OUT."""
    from anytok._atomic import _check_parent
    from anytok.errors import TrainingError
    from anytok.eval.bpb import read_text
    from anytok.extension import NamedToken, extend
    from anytok.outputs import check_output_folder
    from anytok.transfer.core import check_hypernet, parse_method

    if len(token) != len(describe):
        raise TrainingError(f"{len(token)} --token and {len(describe)} --describe: give one description per token")
    named = [NamedToken(t, d) for t, d in zip(token, describe)]
    check_hypernet(parse_method(method), hypernet)
    heal_config = heal_options(options, steps=heal_steps, device=device)  # bad --heal-*: one error, no model loaded
    check_output_folder(out, inputs=[base, *corpus, hypernet], overwrite=overwrite)
    _check_parent(out, folder=True)
    texts = [read_text(path, max_bytes=corpus_bytes).decode("utf-8") for path in corpus]
    result = extend(base, texts, add, tokens=named, method=method, hypernet=hypernet, device=device,
                    heal_steps=heal_steps, heal_config=heal_config)
    result.model.to("cpu")
    result.save(out, overwrite=overwrite)
    healed = f", new rows healed {heal_steps} steps" if heal_steps else ""
    console.print(f"wrote {out}: {result.tokenizer.vocab_size} tokens ({add} learned, {len(named)} named; "
                  f"method {method}{healed})")


with_options(extend_command, option_parameters(cli_fields(HealConfig), prefix="heal_"))
