"""``anytok arena ENTRANT... --corpus TRAIN --eval HELD_OUT -o DIR``: small LMs per tokenizer under
equal budgets, compared in bits per byte. The budget and recipe flags are the fields of
:class:`anytok.arena.config.ArenaConfig`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from anytok._fields import cli_fields
from anytok.arena.config import ArenaConfig
from anytok.cli._common import console, friendly_errors, option_parameters, with_options


@friendly_errors
def arena_command(
    entrants: List[str] = typer.Argument(..., help="Entrants: bytes, lexinvariant:TOKENIZER, or a tokenizer "
                                         "(name, file or folder)."),
    corpus: List[Path] = typer.Option(..., "--corpus", "-c", help="Training text (repeatable)."),
    held_out: List[Path] = typer.Option(..., "--eval", help="Held-out text scored in bits per byte (repeatable)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (a rerun resumes there)."),
    **options: Any,
) -> None:
    """Train one small LM per entrant on the same bytes and compare them in held-out bits per byte."""
    from anytok.arena import run_arena

    config = ArenaConfig(**options)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def tick(run: str, step: int, steps: int) -> None:
            if run not in tasks:
                tasks[run] = bar.add_task(run, total=steps)
            bar.update(tasks[run], completed=step)

        result = run_arena(entrants, train=corpus, held_out=held_out, config=config, out=out, progress=tick)
    console.print(result.to_markdown(), highlight=False)
    console.print(f"wrote {out / 'arena.json'} and {out / 'arena.md'}", highlight=False)


with_options(arena_command, option_parameters(cli_fields(ArenaConfig)))
