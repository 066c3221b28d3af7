"""Helpers shared by CLI commands: one-line errors and exit status 1 on bad input."""

from __future__ import annotations

import functools
import logging
from typing import Callable, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from anytok.errors import AnytokError

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable)

VERBOSE = {"on": False}


def friendly_errors(fn: F) -> F:
    """Turn an AnytokError (and a missing file) into one red line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (AnytokError, FileNotFoundError, IsADirectoryError, PermissionError) as e:
            if VERBOSE["on"]:
                logging.getLogger("anytok").exception("error")
            err_console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
