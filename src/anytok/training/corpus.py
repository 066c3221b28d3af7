"""Stream a training corpus as text chunks of about ``chunk_bytes``, cut at line ends.

Sources are files, folders (every non-hidden file below, sorted), and glob patterns. A ``.jsonl``
file yields the ``text_field`` of each record (records joined by a newline); any other file is read
as UTF-8 text. The corpus is never held in memory whole.
"""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path
from typing import Iterator, Sequence

from anytok.errors import CorpusError

CHUNK_BYTES = 1 << 20
_GLOB_CHARS = set("*?[")


def resolve_files(sources: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Expand files, folders and glob patterns into a list of files (in the order given)."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    files: list[Path] = []
    for source in sources:
        text = os.fspath(source)
        if _GLOB_CHARS & set(text) and not Path(text).exists():
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise CorpusError(f"corpus pattern {text!r} matches no file; check the path and the pattern")
            files += [Path(m) for m in matches if Path(m).is_file()]
        elif Path(text).is_dir():
            found = sorted(p for p in Path(text).rglob("*") if p.is_file() and not _hidden(p, Path(text)))
            if not found:
                raise CorpusError(f"corpus folder {text} holds no file; put text files in it or pass files")
            files += found
        elif Path(text).is_file():
            files.append(Path(text))
        else:
            raise CorpusError(f"corpus file {text} does not exist; check the path")
    if not files:
        raise CorpusError("no corpus file given; pass at least one file, folder or glob pattern")
    return files


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def iter_text_chunks(
    sources: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    text_field: str = "text",
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[str]:
    """Yield the corpus as str chunks of about ``chunk_bytes`` bytes, each ending at a line end.

    Raises CorpusError for a missing file, an empty glob, a file that is not UTF-8 (naming the
    file and the byte offset of the first bad byte), a bad .jsonl record, or an empty corpus.
    """
    any_text = False
    for path in resolve_files(sources):
        reader = _jsonl_chunks(path, text_field, chunk_bytes) if path.suffix == ".jsonl" else _text_chunks(path, chunk_bytes)
        for chunk in reader:
            if chunk:
                any_text = True
                yield chunk
    if not any_text:
        raise CorpusError(f"the corpus {_describe(sources)} is empty; give files that contain text")


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


def _text_chunks(path: Path, chunk_bytes: int) -> Iterator[str]:
    """Read ``path`` in blocks, cutting each chunk after its last newline."""
    offset = 0
    carry = b""
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk_bytes)
            if not block:
                break
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) < 8 * chunk_bytes:  # a very long line: wait for its end
                carry = data
                continue
            cut = cut or len(data) - _partial_utf8_tail(data)
            yield _decode(data[:cut], path, offset)
            offset += cut
            carry = data[cut:]
    if carry:
        yield _decode(carry, path, offset)


def _partial_utf8_tail(data: bytes) -> int:
    """Number of bytes at the end of ``data`` that start an unfinished UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        b = data[-back]
        if b & 0xC0 != 0x80:  # a lead byte or ASCII
            need = 1 if b < 0x80 else 2 if b >> 5 == 0b110 else 3 if b >> 4 == 0b1110 else 4
            return back if need > back else 0
    return 0


def _jsonl_chunks(path: Path, field: str, chunk_bytes: int) -> Iterator[str]:
    """Join the ``field`` of each record of a .jsonl file into chunks of about ``chunk_bytes``."""
    parts: list[str] = []
    size = 0
    offset = 0
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, start=1):
            text = _decode(raw, path, offset)
            offset += len(raw)
            if not text.strip():
                continue
            parts.append(_record_text(text, field, path, line_no))
            size += len(raw)
            if size >= chunk_bytes:
                yield "\n".join(parts)
                parts, size = [], 0
    if parts:
        yield "\n".join(parts)


def _record_text(line: str, field: str, path: Path, line_no: int) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise CorpusError(f"{path}:{line_no} is not a JSON record ({e.msg}); fix the line or remove it") from None
    value = record.get(field) if isinstance(record, dict) else None
    if not isinstance(value, str):
        raise CorpusError(
            f"{path}:{line_no} has no text field {field!r}; pass text_field= (--text-field) naming the field "
            "that holds the text"
        )
    return value
