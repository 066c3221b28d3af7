"""``anytok eval MODEL TEXT...``: bits per byte of a model on text files, one row per file."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from anytok.cli._common import console, friendly_errors


@friendly_errors
def eval_command(
    model: str = typer.Argument(..., help="HF model folder, .gguf file or registered model name."),
    texts: List[Path] = typer.Argument(..., help="UTF-8 text files to score."),
    tokenizer: Optional[str] = typer.Option(None, "--tokenizer", "-t",
                                            help="Read the text with this tokenizer instead of the model's."),
    chunk_bytes: int = typer.Option(2048, help="Cut texts into chunks of at most this many bytes, on line ends."),
    max_bytes: Optional[int] = typer.Option(None, help="Score only the first N bytes of each file."),
    device: Optional[str] = typer.Option(None, help="cpu, cuda, ... (default: cpu)."),
) -> None:
    """Bits per byte of MODEL on each TEXT file (lower is better; tokenizer-independent)."""
    import anytok
    from anytok.eval.bpb import bits_per_byte, read_text
    from anytok.models.load import check_rows, load_model

    datas = [read_text(p, max_bytes=max_bytes) for p in texts]  # bad files fail now, not after the model loads
    loaded = load_model(model)
    tok = anytok.load(tokenizer) if tokenizer else loaded.tokenizer
    check_rows(loaded.model, tok, where=model)
    if device:
        loaded.model.to(device)
    results = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as bar:
        for path, data in zip(texts, datas):
            task = bar.add_task(path.name, total=len(data))
            results.append(bits_per_byte(loaded.model, tok, data, name=path.name, chunk_bytes=chunk_bytes,
                                         device=device, progress=lambda n, t=task: bar.advance(t, n)))
    table = Table(title=f"bits per byte: {model} with tokenizer {tok.name}")
    for column in ("text", "bytes", "tokens", "bytes/token", "bits/byte"):
        table.add_column(column, justify="left" if column == "text" else "right")
    for r in results:
        table.add_row(r.name, f"{r.n_bytes:,}", f"{r.n_tokens:,}", f"{r.bytes_per_token:.3f}", f"{r.bpb:.4f}")
    n_bytes, bits = sum(r.n_bytes for r in results), sum(r.bits for r in results)
    table.add_row("all", f"{n_bytes:,}", f"{sum(r.n_tokens for r in results):,}", "", f"{bits / n_bytes:.4f}")
    console.print(table)
