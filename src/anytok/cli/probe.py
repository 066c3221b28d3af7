"""``anytok probe MODEL... [--suite S] [--limit N] -o DIR``: how much each model depends on its
tokenization. The suite, limit, seed and device flags are the fields of
:class:`anytok.probe.config.ProbeConfig`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from anytok._fields import cli_fields
from anytok.cli._common import console, friendly_errors, option_parameters, with_options
from anytok.probe.config import ProbeConfig


@friendly_errors
def probe_command(
    models: list[str] = typer.Argument(..., help="Models: registry names (anytok models list), .gguf files or "
                                       "HF folders."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: probe.json, probe.md, report.html."),
    text: Path | None = typer.Option(None, "--text", help="Prose for the encodings and perturb suites, one "
                                        "passage per line (default: the shipped sample)."),
    code: Path | None = typer.Option(None, "--code", help="Python functions for the code suite, separated by "
                                        "'# ----' lines (default: the shipped sample)."),
    **options: Any,
) -> None:
    """Probe models: characters in tokens, digit groupings, non-canonical encodings, perturbations, code rewrites."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from anytok.probe import compare_markdown, run_probes

    config = ProbeConfig(**options)  # a bad suite or limit fails before any model loads
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("loading", total=None)
        cards = run_probes(models, config, out=out, text=text, code=code,
                           progress=lambda model, suite: bar.update(task, description=f"{model}: {suite}"))
    console.print(compare_markdown(cards), highlight=False, markup=False)
    console.print(f"wrote {out / 'probe.json'}, {out / 'probe.md'} and {out / 'report.html'}", highlight=False)


with_options(probe_command, option_parameters(cli_fields(ProbeConfig)))
