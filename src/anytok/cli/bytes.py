"""``anytok bytes``: exact byte-level scoring, generation and ensembles of token-level LMs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from anytok._atomic import write_text_atomic
from anytok.cli._common import console, friendly_errors

bytes_app = typer.Typer(help="Exact byte-level LMs from token-level ones: score, generate, ensemble.",
                        no_args_is_help=True)


def _load(model: str):
    from anytok.bytelm import ByteLM

    return ByteLM.load(model)


def _print_score(name: str, score) -> None:
    line = f"{name}: {score.num_bytes} bytes, log-likelihood {score.logprob:.4f} nats, {score.bits_per_byte:.4f} bits/byte"
    if score.canonical_logprob is not None:
        line += (f"; canonical covers {score.canonical_logprob:.4f}; every tokenization: between "
                 f"{score.lower_logprob:.4f} and {score.upper_logprob:.4f} (gap {score.gap_bits_per_byte:.4g} bits/byte)")
    console.print(line, highlight=False)


def _read_input(path: str) -> bytes:
    """The bytes of file ``path`` (``-``: standard input), exactly as they are: the byte-level LM
    scores any bytes, UTF-8 or not."""
    from anytok.errors import CorpusError

    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
            raise CorpusError(f"cannot read {path}: {e.strerror.lower()}; give a text file, or - for stdin") from None
    if not data:
        raise CorpusError(f"{'standard input' if path == '-' else path} is empty: there is nothing to score; "
                          "give at least one byte")
    return data


def _check_json(path: Path | None, inputs: list[str]) -> None:
    """Refuse a --json path that is one of the inputs (before any model loads)."""
    if path is not None:
        from anytok.outputs import check_output_file

        check_output_file(path, inputs=[i for i in inputs if i != "-"], flag="--json")


@bytes_app.command("score")
@friendly_errors
def score_command(model: str = typer.Argument(..., help="Registry name, .gguf file or HF folder."),
                  text: str = typer.Argument(..., help="File to score (any bytes), or - for standard input."),
                  json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the score as JSON here."),
                  bound_queries: int = typer.Option(256, "--bound-queries", min=0,
                                                    help="Model queries the certified bound may spend (0: first-step bound only).")
                  ) -> None:
    """Byte-level log-likelihood of the bytes of TEXT, with certified bounds over every tokenization."""
    _check_json(json_out, [model, text])
    data = _read_input(text)
    result = _load(model).score(data, bound_queries=bound_queries)
    _print_score(model, result)
    if json_out is not None:
        write_text_atomic(json_out, json.dumps({model: result.to_dict()}, indent=2) + "\n")


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
                     text: str = typer.Argument(..., help="File to score (any bytes), or - for standard input."),
                     mode: str = typer.Option("mixture", "--mode", help="mixture or product."),
                     weight1: float = typer.Option(0.5, "--weight1", help="Weight of MODEL1 (MODEL2: 1 - it)."),
                     json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the scores as JSON here.")
                     ) -> None:
    """Score the bytes of TEXT with two models (any tokenizers) and their mixture or product."""
    from anytok.bytelm import Ensemble

    _check_json(json_out, [model1, model2, text])
    data = _read_input(text)
    lm1, lm2 = _load(model1), _load(model2)
    ens = Ensemble([lm1, lm2], weights=[weight1, 1.0 - weight1], mode=mode)
    scores = {}
    for name, lm in ((model1, lm1), (model2, lm2), (f"{mode}", ens)):
        result = lm.score(data)
        _print_score(name, result)
        scores[name] = result.to_dict()
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(scores, indent=2) + "\n")
