"""``option``: a dataclass field that also declares its command-line flag.

Options dataclasses (:mod:`anytok.counting.options`, :mod:`anytok.training.options`,
:mod:`anytok.transfer.options`) are the one place an option is declared: the API takes their
fields as keywords and the CLI makes one flag per field (:func:`anytok.cli._common.option_parameters`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import field


def option(default, help: str, *, short: str | None = None, flag: str | None = None,
           aliases: tuple[str, ...] = ()):
    """A field of an options dataclass with the help text its command-line flag shows (the flag is
    ``--field-name`` unless ``flag`` says otherwise; ``aliases`` are more names for it)."""
    return field(default=default, metadata={"help": help, "short": short, "flag": flag, "aliases": aliases})


def cli_fields(config: type) -> list[dataclasses.Field]:
    """The fields of an options dataclass that are command-line flags (declared with :func:`option`)."""
    return [f for f in dataclasses.fields(config) if "help" in f.metadata]
