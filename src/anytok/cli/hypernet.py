"""``anytok hypernet train BASE --corpus FILES -o HN_DIR``: learn rows for any tokenizer of BASE."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from anytok.cli._common import console, friendly_errors

hypernet_app = typer.Typer(help="Hypernetworks: embeddings for any tokenizer of a base model (ZeTT).",
                           no_args_is_help=True)


def read_corpus(paths: List[Path], hold_out: int) -> list[bytes]:
    """Each file's bytes without its last ``hold_out`` bytes (cut back to a line end)."""
    from anytok.errors import CorpusError

    data = []
    for path in paths:
        if not path.is_file():
            raise CorpusError(f"corpus file {path} does not exist; give text files")
        raw = path.read_bytes()
        if hold_out:
            keep = raw[: max(0, len(raw) - hold_out)]
            raw = keep[: keep.rfind(b"\n") + 1] if b"\n" in keep else b""
        data.append(raw)
    return data


@hypernet_app.command("train")
@friendly_errors
def train_command(
    base: str = typer.Argument(..., help="Base model: HF folder, .gguf file or registered name."),
    corpus: List[Path] = typer.Option(..., "--corpus", "-c", help="UTF-8 text files to train on."),
    out: Path = typer.Option(..., "--out", "-o", help="Hypernetwork folder (resumed if it holds a checkpoint)."),
    tokenizers: List[str] = typer.Option([], "--tokenizers", "-t", help="Real tokenizers to train on too."),
    steps: int = typer.Option(1000, help="Optimiser steps."),
    batch_size: int = typer.Option(8, help="Texts per step."),
    text_bytes: int = typer.Option(512, help="Bytes per training text."),
    lr: float = typer.Option(5e-4, help="Peak learning rate."),
    hold_out: int = typer.Option(0, help="Bytes at the end of every corpus file never trained on."),
    seed: int = typer.Option(0, help="Seed: the run is deterministic for it."),
    device: str = typer.Option("cpu", help="cpu, cuda, ..."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Train a hypernetwork for BASE (the model stays frozen) and write it to OUT."""
    import torch

    import anytok
    from anytok.hypernet import TrainConfig, train_hypernet
    from anytok.hypernet.store import read_config
    from anytok.models.load import load_model
    from anytok.outputs import check_not_input

    check_not_input(out, inputs=[base, *corpus, *tokenizers])
    if out.is_file():
        raise anytok.errors.OutputPathError(f"--out {out} is a file; give a folder")
    if out.is_dir() and not (out / "config.json").exists() and any(out.iterdir()):
        raise anytok.errors.OutputPathError(f"--out {out} is a folder that holds no hypernetwork; "
                                            "give a new folder or one a previous run wrote")
    if (out / "config.json").exists():
        read_config(out)  # a model folder's config.json is not a checkpoint to resume
    config = TrainConfig(steps=steps, batch_size=batch_size, text_bytes=text_bytes, lr=lr, seed=seed, device=device)
    data = read_corpus(corpus, hold_out)
    toks = [anytok.load(t) for t in tokenizers]
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    model = load_model(base, dtype=dtype)
    columns = (TextColumn("hypernet"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]:.3f}  compose {task.fields[compose]:.3f}  "
                          "{task.fields[tps]:.0f} tokens/s"), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not progress) as bar:
        task = bar.add_task("train", total=steps, loss=float("nan"), compose=float("nan"), tps=0.0)
        trainer = train_hypernet(
            model, data, out, config, tokenizers=toks,
            on_step=lambda r: bar.update(task, completed=r.step + 1, loss=r.loss, compose=r.compose,
                                         tps=r.tokens / max(r.seconds, 1e-9)))
    console.print(f"wrote {out} (step {trainer.step} of {steps})")
