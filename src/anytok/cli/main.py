"""``anytok``: train, score and transplant tokenizers; exact byte-level LMs.

Every command group lives in its own module and registers here with one line.
"""

from __future__ import annotations

import logging

import typer
from typer.core import TyperGroup

from anytok.cli import _common
from anytok.cli.arena import arena_command
from anytok.cli.bytes import bytes_app
from anytok.cli.eval import eval_command
from anytok.cli.extend import extend_command
from anytok.cli.hypernet import hypernet_app
from anytok.cli.models import models_app
from anytok.cli.probe import probe_command
from anytok.cli.score import compare, score
from anytok.cli.tokenizer import encode, info
from anytok.cli.train import count, train
from anytok.cli.transplant import transplant_command

class _Group(TyperGroup):
    """The command group, with the exit status of a usage error (a missing argument, an unknown
    option) turned from click's 2 into 1, the status of every other bad input."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        try:
            return super().main(*args, **kwargs)
        except SystemExit as e:
            if e.code == 2:
                raise SystemExit(1) from None
            raise


app = typer.Typer(
    cls=_Group,
    name="anytok",
    help="Any language model, any tokenizer: train, score and transplant tokenizers; exact byte-level LMs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress and show tracebacks.")) -> None:
    _common.VERBOSE["on"] = verbose
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(name)s: %(message)s")


app.command("train")(train)
app.command("count")(count)
app.command("encode")(encode)
app.command("info")(info)
app.add_typer(models_app, name="models")
app.command("score")(score)
app.command("compare")(compare)
app.command("eval")(eval_command)
app.command("transplant")(transplant_command)
app.command("extend")(extend_command)
app.command("arena")(arena_command)
app.command("probe")(probe_command)
app.add_typer(bytes_app, name="bytes")
app.add_typer(hypernet_app, name="hypernet")
