"""A rich progress bar for scoring, shown only on an interactive terminal."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, Protocol


class Steps(Protocol):
    """Something that is told when one unit of scoring work is done."""

    def step(self, label: str) -> None:
        """One unit of work (labelled ``label``) is done."""


class _Silent:
    def step(self, label: str) -> None:
        pass


class _RichSteps:
    def __init__(self, progress, task) -> None:
        self._progress, self._task = progress, task

    def step(self, label: str) -> None:
        self._progress.update(self._task, advance=1, description=label)


@contextlib.contextmanager
def progress_steps(total: int, *, enabled: bool | None = None, title: str = "scoring") -> Iterator[Steps]:
    """Yield a :class:`Steps`; a rich bar on stderr when ``enabled`` (default: stderr is a TTY)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield _Silent()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<36}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield _RichSteps(progress, progress.add_task(title, total=total))
