"""Count pretokens in parallel: worker processes cut text chunks into pretokens and count them.

Each worker keeps one counter for all the chunks it gets (:func:`anytok.counting.fast.pretoken_counter`:
the compiled scanner for the named patterns, else the regex) and sends it back once, as a
``{pretoken UTF-8 bytes: count}`` dict; the parent adds the workers' counts. Chunks go to the
workers through a bounded queue, so at most a few chunks are in flight. Workers die with their
parent, however it ends (``kill -9`` included): on Linux the kernel sends them SIGKILL when it
goes (``PR_SET_PDEATHSIG``); elsewhere they look for it every second while they wait.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing as mp
import os
import queue
import signal
import sys
from typing import Callable, Iterable

from anytok.counting.fast import pretoken_counter

_QUEUE_DEPTH = 4
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def isolating_pattern(pattern: str) -> str:
    """``pattern`` plus the text between its matches as pieces, like HF's ``Split(behavior="isolated")``."""
    return f"(?:{pattern})|(?:(?!(?:{pattern}))[\\s\\S])+"


def _die_with(parent: int) -> bool:
    """Ask the kernel to kill this process when ``parent`` ends (Linux); exit now if it already
    has. Returns whether the kernel took the request."""
    taken = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            taken = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            taken = False
    if os.getppid() != parent:  # the parent ended before the request
        os._exit(1)
    return taken


def _next_task(tasks: mp.Queue, parent: int, watched: bool) -> str | None:
    """The next chunk; without the kernel's help, wake every second to see whether the parent is gone."""
    while True:
        try:
            return tasks.get(timeout=None if watched else 1.0)
        except queue.Empty:
            if os.getppid() != parent:
                os._exit(1)


def _worker(pattern: str, tasks: mp.Queue, results: mp.Queue, parent: int) -> None:
    watched = _die_with(parent)
    try:
        counter = pretoken_counter(pattern)
        while (text := _next_task(tasks, parent, watched)) is not None:
            counter.add(text)
        results.put(("ok", counter.result()))
    except BaseException as e:  # report to the parent instead of dying silently
        results.put(("error", repr(e)))


def count_pretokens(
    chunks: Iterable[str],
    *,
    pattern: str,
    processes: int = 2,
    on_chunk: Callable[[int], None] | None = None,
) -> dict[bytes, int]:
    """Count the pretokens of every chunk: ``{pretoken bytes: count}``.

    ``pattern`` is used with ``findall`` as is (see :func:`isolating_pattern` for gap pieces).
    ``processes`` <= 1 counts in this process. ``on_chunk(n_chars)`` is called per chunk sent.
    """
    counter = pretoken_counter(pattern)  # its tables are built here, so forked workers inherit them
    if processes <= 1:
        for text in chunks:
            counter.add(text)
            if on_chunk:
                on_chunk(len(text))
        return counter.result()
    return _count_parallel(chunks, pattern, processes, on_chunk)


def _count_parallel(chunks, pattern, processes, on_chunk) -> dict[bytes, int]:
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    tasks = ctx.Queue(maxsize=_QUEUE_DEPTH * processes)
    results = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(pattern, tasks, results, os.getpid()), daemon=True)
               for _ in range(processes)]
    for w in workers:
        w.start()
    try:
        for text in chunks:
            tasks.put(text)
            if on_chunk:
                on_chunk(len(text))
        for _ in workers:
            tasks.put(None)
        return _gather(results, processes)
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
            w.join()
        for q in (tasks, results):  # after an error the feeder threads may hold unsent chunks:
            q.cancel_join_thread()  # don't let them block interpreter exit forever
            q.close()


def _gather(results, processes: int) -> dict[bytes, int]:
    total: dict[bytes, int] = {}
    for _ in range(processes):
        status, payload = results.get()
        if status != "ok":
            raise RuntimeError(f"a pretoken counting worker failed: {payload}")
        if not total:
            total = payload
            continue
        for key, n in payload.items():
            total[key] = total.get(key, 0) + n
    return total
