"""Read each corpus format as text chunks of about ``chunk_bytes`` bytes.

A corpus is a sequence of *units*, the pieces a map step can take one at a time (a text file,
a JSON-lines file, one row group of a Parquet file, one Arrow file of a saved dataset):
:func:`iter_units` lists them, :func:`unit_chunks` reads one, :func:`iter_text_chunks` reads all.
Text files are cut at line ends; a table's records each become their text and a newline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, NamedTuple, Sequence

from anytok.corpus.compression import decompression_errors, inner_suffix, open_binary
from anytok.corpus.sources import is_saved_dataset, resolve_files
from anytok.errors import CorpusError

CHUNK_BYTES = 1 << 20
JSON_LINES = (".jsonl", ".json", ".ndjson")


class Unit(NamedTuple):
    """One piece of a corpus: ``path`` and, for Parquet, the row group (else None)."""

    path: Path
    part: int | None = None


def iter_units(sources: str | os.PathLike | Sequence[str | os.PathLike], *,
               text_field: str = "text") -> Iterator[Unit]:
    """The units of the corpus, in order (Parquet files are opened to count their row groups)."""
    for path in resolve_files(sources):
        if is_saved_dataset(path):
            yield from (Unit(f) for f in _dataset_files(path))
        elif inner_suffix(path) == ".parquet":
            yield from (Unit(path, g) for g in range(_parquet(path, text_field).num_row_groups))
        else:
            yield Unit(path)


def iter_text_chunks(
    sources: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    text_field: str = "text",
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[str]:
    """Yield the corpus as str chunks of about ``chunk_bytes`` bytes, each ending at a line end.

    Raises CorpusError for a missing file, an empty glob, a file that is not UTF-8 (naming the
    file and the byte offset of the first bad byte), a bad JSON record (file and line), a table
    without the ``text_field`` column, a damaged compressed file, or an empty corpus.
    """
    any_text = False
    for unit in iter_units(sources, text_field=text_field):
        for chunk in unit_chunks(unit, text_field=text_field, chunk_bytes=chunk_bytes):
            if chunk:
                any_text = True
                yield chunk
    if not any_text:
        raise CorpusError(f"the corpus {_describe(sources)} is empty; give files that contain text")


def unit_chunks(unit: Unit, *, text_field: str = "text", chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """The text chunks of one unit."""
    path = unit.path
    kind = inner_suffix(path)
    if kind == ".parquet":
        yield from _batch_chunks(_parquet_batches(path, unit.part or 0, text_field), path, chunk_bytes)
    elif kind == ".arrow":
        yield from _batch_chunks(_arrow_batches(path, text_field), path, chunk_bytes)
    else:
        try:
            with open_binary(path) as stream:
                if kind in JSON_LINES:
                    yield from _json_lines_chunks(stream, path, text_field, chunk_bytes)
                else:
                    yield from _text_chunks(stream, path, chunk_bytes)
        except CorpusError:
            raise
        except decompression_errors() as e:
            raise CorpusError(f"corpus file {path} is damaged or truncated ({e}); "
                              "download or compress it again") from None
        except OSError as e:
            raise CorpusError(f"corpus file {path} cannot be read ({e.strerror or e}); check the file "
                              "and its permissions") from None


def _describe(sources) -> str:
    if isinstance(sources, (str, os.PathLike)):
        return os.fspath(sources)
    names = [os.fspath(s) for s in sources]
    return ", ".join(names[:3]) + (f" (+{len(names) - 3} more)" if len(names) > 3 else "")


def _decode(data: bytes, path: Path, offset: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = offset + e.start
        raise CorpusError(
            f"corpus file {path} is not valid UTF-8: byte 0x{data[e.start]:02X} at byte offset {bad}; "
            "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None


# -- text ---------------------------------------------------------------------------------------
def _text_chunks(stream: BinaryIO, path: Path, chunk_bytes: int) -> Iterator[str]:
    """Read in blocks, cutting each chunk after its last newline that no pretoken runs across
    (:func:`_safe_cut`)."""
    offset = 0
    carry = b""
    while True:
        block = stream.read(chunk_bytes)
        if not block:
            break
        data = carry + block
        cut = _safe_cut(data)
        if cut == 0 and len(data) < 8 * chunk_bytes:  # no safe cut yet (a long line, an indented block): wait
            carry = data
            continue
        cut = cut or data.rfind(b"\n") + 1 or len(data) - _partial_utf8_tail(data)
        yield _decode(data[:cut], path, offset)
        offset += cut
        carry = data[cut:]
    if carry:
        yield _decode(carry, path, offset)


def _safe_cut(data: bytes) -> int:
    """Position just after the last newline of ``data`` that stands alone between two characters
    that are not whitespace (and not before ``/``), or 0.

    The named pretokenizer patterns join whitespace runs, newlines included (``\\s*[\\r\\n]+`` takes
    all of ``"\\n  \\n"``); ``\\s+(?!\\S)`` gives a run's last character to what follows it, unless
    the text ends there; o200k's punctuation runs take newlines and slashes after them. So a cut
    after any other newline could split a pretoken of the whole text differently; a cut in
    ``x\\ny`` cannot. A newline at the very end is not a cut yet: what follows it is in the next
    block. (Text with CRLF line ends has no such cut: its chunks grow to the reader's limit.)"""
    end = len(data)
    while True:
        i = data.rfind(b"\n", 0, end)
        if i < 0:
            return 0
        nxt, before = _char_at(data, i + 1), data[max(0, i - 4):i].decode("utf-8", errors="replace")[-1:]
        if nxt and before and not nxt.isspace() and not before.isspace() and nxt != "/":
            return i + 1
        end = i


def _char_at(data: bytes, k: int) -> str:
    """The character that starts at ``data[k]``; "" when its bytes run past the end of ``data``
    (the next block has the rest), U+FFFD for bytes that are not UTF-8."""
    for n in range(1, 5):
        if k + n > len(data):
            return ""
        try:
            return data[k:k + n].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return "\ufffd"


def _partial_utf8_tail(data: bytes) -> int:
    """Number of bytes at the end of ``data`` that start an unfinished UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        b = data[-back]
        if b & 0xC0 != 0x80:  # a lead byte or ASCII
            need = 1 if b < 0x80 else 2 if b >> 5 == 0b110 else 3 if b >> 4 == 0b1110 else 4
            return back if need > back else 0
    return 0


# -- JSON lines ---------------------------------------------------------------------------------
def _json_lines_chunks(stream: BinaryIO, path: Path, field: str, chunk_bytes: int) -> Iterator[str]:
    """The ``field`` of each record, one record per line, joined into chunks."""
    parts: list[str] = []
    size = 0
    offset = 0
    for line_no, raw in enumerate(stream, start=1):
        text = _decode(raw, path, offset)
        offset += len(raw)
        if not text.strip():
            continue
        parts.append(_record_text(text, field, path, line_no) + "\n")
        size += len(raw)
        if size >= chunk_bytes:
            yield "".join(parts)
            parts, size = [], 0
    if parts:
        yield "".join(parts)


def _record_text(line: str, field: str, path: Path, line_no: int) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise CorpusError(f"{path}:{line_no} is not a JSON record ({e.msg}); fix the line or remove it "
                          "(a .json corpus file holds one JSON record per line)") from None
    value = record.get(field) if isinstance(record, dict) else None
    if not isinstance(value, str):
        raise CorpusError(
            f"{path}:{line_no} has no text field {field!r}; pass text_field= (--text-field) naming the field "
            "that holds the text"
        )
    return value


# -- tables (Parquet, Arrow) --------------------------------------------------------------------
def _batch_chunks(batches: Iterable[list], path: Path, chunk_bytes: int) -> Iterator[str]:
    """Record texts (None skipped) joined into chunks, each record ending with a newline."""
    parts: list[str] = []
    size = 0
    for values in batches:
        for value in values:
            if value is None:
                continue
            if not isinstance(value, str):
                raise CorpusError(f"{path} holds a {type(value).__name__} where text was expected; "
                                  "pass --text-field naming a column of strings")
            parts.append(value + "\n")
            size += len(value) + 1
            if size >= chunk_bytes:
                yield "".join(parts)
                parts, size = [], 0
    if parts:
        yield "".join(parts)


def _parquet(path: Path, field: str):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CorpusError(f"reading {path} needs pyarrow; pip install pyarrow (or anytok[corpus])") from None
    try:
        table = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises ArrowInvalid / OSError for a file that is not Parquet
        raise CorpusError(f"{path} is not a readable Parquet file ({e}); check the file") from None
    names = table.schema_arrow.names
    if field not in names:
        raise CorpusError(f"{path} has no column {field!r} (columns: {', '.join(names)}); pass --text-field "
                          "naming the column that holds the text")
    return table


def _parquet_batches(path: Path, group: int, field: str) -> Iterator[list]:
    table = _parquet(path, field)
    for batch in table.iter_batches(batch_size=4096, row_groups=[group], columns=[field]):
        yield batch.column(0).to_pylist()


def _arrow_batches(path: Path, field: str) -> Iterator[list]:
    """The ``field`` column of an Arrow IPC file (stream or file format, as datasets writes them)."""
    try:
        import pyarrow as pa
    except ImportError:
        raise CorpusError(f"reading {path} needs pyarrow; pip install pyarrow (or anytok[corpus])") from None
    with pa.memory_map(str(path)) as source:
        try:
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            source.seek(0)
            try:
                reader = pa.ipc.open_file(source)
            except pa.ArrowInvalid as e:
                raise CorpusError(f"{path} is not an Arrow file ({e}); check the file") from None
        names = reader.schema.names
        if field not in names:
            raise CorpusError(f"{path} has no column {field!r} (columns: {', '.join(names)}); pass --text-field "
                              "naming the column that holds the text")
        index = names.index(field)
        batches = (reader.get_batch(i) for i in range(reader.num_record_batches)) if isinstance(
            reader, pa.ipc.RecordBatchFileReader) else reader
        for batch in batches:
            yield batch.column(index).to_pylist()


def _dataset_files(folder: Path) -> list[Path]:
    """The Arrow files of a ``save_to_disk`` folder, in the order its state.json lists them."""
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        names = [entry["filename"] for entry in state["_data_files"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CorpusError(f"{folder}/state.json does not list the dataset's files ({e}); save the dataset "
                          "again with save_to_disk") from None
    return [folder / name for name in names]
