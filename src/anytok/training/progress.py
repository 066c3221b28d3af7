"""A rich progress display for long training runs (or nothing, when ``enabled`` is False)."""

from __future__ import annotations

from typing import Callable

Advance = Callable[[int], None]


class TrainProgress:
    """Two bars: text counted (MB) and merges learned. Use as a context manager."""

    def __init__(self, *, enabled: bool, total_merges: int) -> None:
        self.enabled = enabled
        self.total_merges = total_merges
        self._progress = None

    def __enter__(self) -> "TrainProgress":
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.1f}"),
                TimeElapsedColumn(), transient=False)
            self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def counting(self, label: str = "counting pretokens (MB)") -> Advance | None:
        """A callback taking the characters of each chunk counted."""
        if self._progress is None:
            return None
        task = self._progress.add_task(label, total=None)
        progress = self._progress
        return lambda n: progress.advance(task, n / 1e6)

    def merging(self, label: str = "learning merges") -> Advance | None:
        """A callback taking the number of merges learned so far."""
        if self._progress is None:
            return None
        task = self._progress.add_task(label, total=self.total_merges)
        progress = self._progress
        return lambda done: progress.update(task, completed=done)
