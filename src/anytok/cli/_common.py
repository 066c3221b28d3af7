"""Helpers shared by CLI commands: one-line errors and exit status 1 on bad input."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
from typing import Any, Callable, List, Optional, TypeVar

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


_CLI_TYPES = {"int": int, "str": str, "bool": bool, "float": float, "int | None": Optional[int],
              "float | None": Optional[float], "str | None": Optional[str], "tuple[str, ...]": List[str],
              "tuple[int, ...]": List[int]}


def option_parameters(fields: list, *, prefix: str = "") -> list[inspect.Parameter]:
    """One typer option per options-dataclass field (declared with :func:`anytok._fields.option`):
    the flag is ``--field-name`` or the one the field declares, the help is the field's. The
    parameter is named ``prefix + field name``."""
    params = []
    for f in fields:
        flag = f.metadata.get("flag") or "--" + (prefix + f.name).replace("_", "-")
        names = [flag, *f.metadata.get("aliases", ()), *([f.metadata["short"]] if f.metadata.get("short") else [])]
        if f.type == "bool":
            names = [f"{flag}/--no-{flag[2:]}"]
        default = ... if f.default is dataclasses.MISSING else list(f.default) if f.type.startswith("tuple") else f.default
        params.append(inspect.Parameter(prefix + f.name, inspect.Parameter.KEYWORD_ONLY, annotation=_CLI_TYPES[f.type],
                                        default=typer.Option(default, *names, help=f.metadata["help"])))
    return params


def with_options(command: Callable[..., Any], params: list[inspect.Parameter]) -> None:
    """Give ``command`` (written with a ``**options`` catch-all) the typer parameters ``params`` in
    place of the catch-all, so its flags come from the options dataclasses."""
    sig = inspect.signature(command, eval_str=True)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    command.__signature__ = sig.replace(parameters=[*own, *params])  # type: ignore[attr-defined]
