"""Training corpora as users have them, streamed as text chunks and never held whole in memory.

    for chunk in iter_text_chunks(["books/", "web-*.jsonl.zst", "wiki.parquet"], text_field="text"):
        ...

Sources (:mod:`.sources`): files, folders (every non-hidden file below; a folder written by
``datasets``' ``save_to_disk`` is one table), glob patterns. Formats (:mod:`.readers`): plain text
(chunks cut at line ends), JSON lines (``.jsonl``, ``.json``: the ``text_field`` of each record),
Parquet (the ``text_field`` column, row group by row group) and Arrow (``.arrow`` files and
``save_to_disk`` folders); each may be compressed (:mod:`.compression`: ``.gz``, ``.xz``, ``.bz2``,
``.zst``). A record becomes its text and a newline, so a table reads as the text file with one
record per line would.
"""

from anytok.corpus.readers import CHUNK_BYTES, iter_text_chunks, iter_units
from anytok.corpus.sources import resolve_files

__all__ = ["CHUNK_BYTES", "iter_text_chunks", "iter_units", "resolve_files"]
