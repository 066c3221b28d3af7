"""``anytok transplant BASE NEW_TOKENIZER -o OUT``: a pretrained model with a new tokenizer."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from anytok._fields import cli_fields
from anytok.cli._common import console, friendly_errors, option_parameters, with_options
from anytok.transfer.options import HealConfig, InitConfig, Method


@friendly_errors
def transplant_command(
    base: str = typer.Argument(..., help="Base model: HF folder, .gguf file or registered name."),
    new_tokenizer: str = typer.Argument(..., help="The new tokenizer: file, folder or name."),
    out: Path = typer.Option(..., "--out", "-o", help="Output HF model folder."),
    method: Method = typer.Option(Method.FVT, help="How rows of new tokens are initialised."),
    donor: Optional[str] = typer.Option(None, help="Model that already uses the new tokenizer (omp)."),
    hypernet: Optional[Path] = typer.Option(None, help="Hypernetwork folder trained for BASE (method hypernet)."),
    heal_steps: int = typer.Option(0, help="Train only the new rows for this many steps."),
    heal_text: Optional[Path] = typer.Option(None, help="UTF-8 text to heal on."),
    heal_bytes: Optional[int] = typer.Option(2_000_000, help="Read at most this many bytes of --heal-text."),
    device: str = typer.Option("cpu", help="cpu, cuda, ..."),
    overwrite: bool = typer.Option(False, help="Replace OUT if it exists."),
    **options: Any,
) -> None:
    """Give BASE the vocabulary of NEW_TOKENIZER and save it to OUT (loads with transformers)."""
    from anytok._atomic import _check_parent
    from anytok.errors import TransplantError
    from anytok.eval.bpb import read_text
    from anytok.outputs import check_output_folder
    from anytok.transfer.core import check_hypernet
    from anytok.transfer.folder import transplant_to_folder

    if donor is not None and method is not Method.OMP:
        raise TransplantError(f"--donor is only used by --method omp, not {method.value}; drop --donor or "
                              "pass --method omp")
    check_hypernet(method, hypernet)
    k, pool = options["k"], options["pool"] or None
    InitConfig(k=k, pool=pool)  # bad --k / --pool: one error before any model loads
    heal_config = heal_options(options, steps=heal_steps, device=device)
    check_output_folder(out, inputs=[base, new_tokenizer, donor, hypernet, heal_text], overwrite=overwrite)
    _check_parent(out, folder=True)
    text = read_text(heal_text, max_bytes=heal_bytes) if heal_text else None
    start = time.perf_counter()
    with Progress(TextColumn("healing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True, disable=not heal_steps) as bar:
        task = bar.add_task("heal", total=heal_steps)
        transplant_to_folder(base, new_tokenizer, out, method=method, donor=donor, k=k, pool=pool,
                             device=device, hypernet=hypernet, heal_steps=heal_steps, heal_text=text,
                             heal_progress=lambda n: bar.advance(task, n), overwrite=overwrite,
                             heal_config=heal_config)
    seconds = time.perf_counter() - start
    logging.getLogger(__name__).info("transplant took %.1f s", seconds)
    healed = ""
    if heal_steps:
        tokens = heal_steps * heal_config.batch_size * heal_config.seq_len
        healed = (f"; healed {heal_steps} steps ({heal_config.objective}, up to {tokens:,} tokens) on {device}, "
                  f"{seconds:.0f} s in all")
    console.print(f"wrote {out} (method {method.value}{healed})")


def heal_options(options: dict[str, Any], **fixed: Any) -> HealConfig:
    """The HealConfig of the ``--heal-*`` flags (named ``heal_<field>``) and ``fixed`` fields."""
    return HealConfig(**{f.name: options["heal_" + f.name] for f in cli_fields(HealConfig)}, **fixed)


with_options(transplant_command, [*option_parameters(cli_fields(InitConfig)),
                                  *option_parameters(cli_fields(HealConfig), prefix="heal_")])
