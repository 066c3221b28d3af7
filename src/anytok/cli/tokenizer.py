"""``anytok encode`` and ``anytok info``: look at what a tokenizer does."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

import anytok
from anytok.cli._common import console, friendly_errors


@friendly_errors
def encode(
    tokenizer: str = typer.Argument(..., help="tokenizer.json, folder, .tiktoken, .gguf, .model or a name (cl100k, ...)."),
    text: str = typer.Argument(None, help="Text to encode (omit and use --file)."),
    file: Path = typer.Option(None, "--file", "-f", help="Encode this file's text instead.", exists=True, dir_okay=False),
    show_tokens: bool = typer.Option(False, "--tokens", "-t", help="Show each token's bytes beside its id."),
) -> None:
    """Encode text and print the token ids (or ids with their bytes)."""
    if (text is None) == (file is None):
        raise anytok.AnytokError("give either TEXT or --file FILE")
    tok = anytok.load(tokenizer)
    data = file.read_bytes() if file is not None else text.encode("utf-8")
    ids = tok.encode(data)
    if show_tokens:
        for i in ids:
            console.print(f"{i}\t{tok.token_bytes(i)!r}", highlight=False)
    else:
        console.print(" ".join(map(str, ids)), highlight=False)
    console.print(f"[dim]{len(ids)} tokens, {len(data)} bytes, {len(data) / max(len(ids), 1):.2f} bytes/token[/]",
                  highlight=False)


@friendly_errors
def info(tokenizer: str = typer.Argument(..., help="Tokenizer file, folder or name.")) -> None:
    """Show a tokenizer's kind, size, special tokens by role and pretokenizer."""
    tok = anytok.load(tokenizer)
    table = Table(title=f"tokenizer {tok.name}", show_header=False)
    lengths = [len(b) for i, b in enumerate(tok.vocab) if b is not None and i not in tok.special_ids]
    table.add_row("kind", tok.kind)
    table.add_row("ids (vocab_size)", f"{tok.vocab_size:,}")
    table.add_row("ordinary tokens", f"{len(lengths):,}")
    table.add_row("special tokens", f"{len(tok.special_tokens):,}")
    table.add_row("merges", f"{len(tok.merges):,}")
    table.add_row("mean / max token bytes", f"{sum(lengths) / max(len(lengths), 1):.2f} / {max(lengths, default=0)}")
    for role, i in sorted(tok.roles.items()):
        table.add_row(f"{role} token", escape(f"{i} {tok.token_bytes(i).decode('utf-8', 'replace')!r}"))
    table.add_row("adds BOS", str(tok.add_bos))
    table.add_row("pretokenizer pattern", escape(tok.pattern or "-"))
    console.print(table)
