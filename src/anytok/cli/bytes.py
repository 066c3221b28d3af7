"""``anytok bytes``: exact byte-level scoring, generation and ensembles of token-level LMs."""

from __future__ import annotations

import sys

import typer

from anytok.cli._common import console, friendly_errors

bytes_app = typer.Typer(help="Exact byte-level LMs from token-level ones: score, generate, ensemble.",
                        no_args_is_help=True)


def _load(model: str):
    from anytok.bytelm import ByteLM

    return ByteLM.load(model)


def _print_score(name: str, score) -> None:
    line = f"{name}: {score.num_bytes} bytes, log-likelihood {score.logprob:.4f} nats, {score.bits_per_byte:.4f} bits/byte"
    if score.canonical_logprob is not None:
        line += f" (canonical covers {score.canonical_logprob:.4f}, upper bound {score.upper_logprob:.4f})"
    console.print(line, highlight=False)


@bytes_app.command("score")
@friendly_errors
def score_command(model: str = typer.Argument(..., help="Registry name, .gguf file or HF folder."),
                  text: str = typer.Argument(..., help="Text to score (UTF-8).")) -> None:
    """Byte-level log-likelihood of TEXT with canonical and certified upper bounds."""
    if not text:
        from anytok.bytelm import ByteLMError

        raise ByteLMError("TEXT is empty: there is nothing to score; give at least one character")
    _print_score(model, _load(model).score(text))


@bytes_app.command("generate")
@friendly_errors
def generate_command(model: str = typer.Argument(..., help="Registry name, .gguf file or HF folder."),
                     prompt: str = typer.Option("", "--prompt", "-p", help="Prompt; may end mid-word."),
                     max_bytes: int = typer.Option(64, "--max-bytes", help="Most bytes to generate."),
                     temperature: float = typer.Option(0.0, "--temperature", "-t", help="0 is greedy."),
                     top_p: float = typer.Option(1.0, "--top-p"),
                     stop: list[str] = typer.Option([], "--stop", help="Stop after this string (repeatable)."),
                     seed: int = typer.Option(0, "--seed")) -> None:
    """Stream a byte-level continuation of PROMPT to stdout."""
    lm = _load(model)
    out = sys.stdout.buffer
    out.write(prompt.encode())
    for b in lm.generate(prompt, max_bytes=max_bytes, temperature=temperature, top_p=top_p,
                         stop=tuple(stop), seed=seed):
        out.write(b)
        out.flush()
    out.write(b"\n")


@bytes_app.command("ensemble")
@friendly_errors
def ensemble_command(model1: str = typer.Argument(...), model2: str = typer.Argument(...),
                     text: str = typer.Option(..., "--text", help="Text to score."),
                     mode: str = typer.Option("mixture", "--mode", help="mixture or product."),
                     weight1: float = typer.Option(0.5, "--weight1", help="Weight of MODEL1 (MODEL2: 1 - it).")) -> None:
    """Score TEXT with two models (any tokenizers) and their mixture or product."""
    from anytok.bytelm import Ensemble

    lm1, lm2 = _load(model1), _load(model2)
    ens = Ensemble([lm1, lm2], weights=[weight1, 1.0 - weight1], mode=mode)
    for name, lm in ((model1, lm1), (model2, lm2), (f"{mode}", ens)):
        _print_score(name, lm.score(text))
