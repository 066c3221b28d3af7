"""Count pretokens as map/reduce on a Ray cluster; the merges then run on this machine.

Map: each task reads a group of corpus units (files, Parquet row groups, Arrow files; about
``task_bytes`` of input per task), counts their pretokens and splits the counts into
``partitions`` by :func:`anytok.counting.shards.shard_of`. Reduce: one task per partition adds
that partition's counts from every map task. Every node must see the corpus at the same paths (a
shared filesystem, or one machine). The counts are those of the local engine, exactly.
"""

from __future__ import annotations

import os
import socket
from typing import Sequence

from anytok.corpus import iter_units
from anytok.corpus.readers import Unit, unit_chunks
from anytok.counting.shards import DEFAULT_SHARDS, partition
from anytok.errors import AnytokError, EngineError

TASK_BYTES = 64 << 20


def count_with_ray(sources: Sequence[str | os.PathLike], *, regex: str, text_field: str = "text",
                   address: str | None = None, partitions: int = DEFAULT_SHARDS,
                   task_bytes: int = TASK_BYTES) -> list[dict[bytes, int]]:
    """The corpus's pretoken counts, one dict per partition, counted on Ray.

    ``address``: a running cluster (``host:port`` or ``ray://host:port``); None uses
    ``RAY_ADDRESS`` when set, else starts Ray on this machine for the call."""
    try:
        import ray
    except ImportError:
        raise EngineError("--engine ray needs Ray; pip install 'ray>=2.9' (or anytok[ray])") from None
    groups = _group_units(list(iter_units(sources, text_field=text_field)), task_bytes)
    started = _connect(ray, address or os.environ.get("RAY_ADDRESS"))
    try:
        count_task = ray.remote(num_returns=partitions)(_count_group) if partitions > 1 else ray.remote(_count_group)
        add_task = ray.remote(_add_counts)
        mapped = [count_task.remote(group, regex, text_field, partitions) for group in groups]
        if partitions == 1:
            mapped = [[ref] for ref in mapped]
        reduced = [add_task.remote(*[refs[p] for refs in mapped]) for p in range(partitions)]
        return ray.get(reduced)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, AnytokError):
            raise type(cause)(str(cause)) from None
        raise EngineError(f"a Ray counting task failed: {cause or e}") from None
    finally:
        if started:
            ray.shutdown()


def _count_group(units: list[Unit], regex: str, text_field: str, partitions: int):
    """Map task: the pretoken counts of ``units``, split into ``partitions`` dicts."""
    from anytok.counting.fast import pretoken_counter

    counter = pretoken_counter(regex)
    for unit in units:
        for chunk in unit_chunks(unit, text_field=text_field):
            counter.add(chunk)
    parts = partition(counter.result(), partitions)
    return parts if partitions > 1 else parts[0]


def _add_counts(*parts: dict[bytes, int]) -> dict[bytes, int]:
    """Reduce task: one partition's counts from every map task, added."""
    total: dict[bytes, int] = {}
    for part in parts:
        for key, n in part.items():
            total[key] = total.get(key, 0) + n
    return total


def _group_units(units: list[Unit], task_bytes: int) -> list[list[Unit]]:
    """Consecutive units in groups of about ``task_bytes`` of input (a Parquet row group is one group)."""
    groups: list[list[Unit]] = []
    size = task_bytes
    for unit in units:
        bytes_here = task_bytes if unit.part is not None else unit.path.stat().st_size
        if size + bytes_here > task_bytes and (not groups or groups[-1]):
            groups.append([])
            size = 0
        groups[-1].append(unit)
        size += bytes_here
    return [g for g in groups if g]


def _connect(ray, address: str | None) -> bool:
    """Join the cluster at ``address`` (checked to answer first), or start one here; whether
    this call started Ray (and so must shut it down)."""
    if ray.is_initialized():
        return False
    quiet = dict(log_to_driver=False, logging_level="ERROR")
    if address is None:
        ray.init(include_dashboard=False, **quiet)
        return True
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except (OSError, ValueError) as e:
        raise EngineError(f"the Ray cluster at {address} does not answer ({e}); start it with "
                          "`ray start --head` or give the right --address (host:port)") from None
    try:
        ray.init(address=address, **quiet)
    except Exception as e:  # Ray raises ConnectionError, RuntimeError, ... for a cluster it cannot join
        raise EngineError(f"cannot join the Ray cluster at {address}: {e}") from None
    return True
