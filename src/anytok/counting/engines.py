"""Count a corpus's pretokens on an engine: this machine's worker processes, or a Ray cluster.

Both return the same counts for the same corpus and regex, whatever the worker count; the counts
folders written from them are byte-identical (:mod:`anytok.counting.shards`).
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

from anytok.corpus import iter_text_chunks
from anytok.counting.options import CountOptions
from anytok.counting.pretokens import count_pretokens
from anytok.errors import CorpusError

Sources = Sequence[str | os.PathLike]


def count_sources(sources: Sources, opts: CountOptions, *, regex: str,
                  on_chunk: Callable[[int], None] | None = None) -> dict[bytes, int]:
    """``{pretoken bytes: count}`` over the corpus, counted with ``regex`` on ``opts.engine``,
    capped to ``opts.max_types`` (:func:`cap_types`)."""
    if opts.engine == "ray":
        from anytok.counting.ray_engine import count_with_ray

        counts: dict[bytes, int] = {}
        for part in count_with_ray(sources, regex=regex, text_field=opts.text_field, address=opts.address):
            counts.update(part)  # partitions hold disjoint pretokens
    else:
        chunks = iter_text_chunks(sources, text_field=opts.text_field)
        counts = count_pretokens(chunks, pattern=regex, processes=opts.processes, on_chunk=on_chunk)
    if not counts:
        raise CorpusError("the corpus has no pretokens; give files that contain text")
    return cap_types(counts, opts.max_types)


def cap_types(counts: dict[bytes, int], max_types: int | None) -> dict[bytes, int]:
    """The ``max_types`` most frequent pretokens (ties: the smaller byte string first), or all.

    The rule depends on the counts alone, so it drops the same pretokens on every engine."""
    if max_types is None or len(counts) <= max_types:
        return counts
    kept = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_types]
    return dict(kept)
