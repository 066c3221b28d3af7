"""Evaluation text for scoring: strings, files or a mapping domain -> texts; parallel folders.

Everything is checked at the entry point and turned into plain ``{domain: [text, ...]}`` mappings,
so the metric code never sees a path. Bad input raises :class:`~anytok.errors.CorpusError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

from anytok.errors import CorpusError

TextSource = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]], Mapping[str, object]]

#: A file is cut at line ends into chunks of about this many characters, so that
#: ``encode_batch`` can spread them over cores. Only the few tokens at the cuts may differ from
#: encoding the whole file at once (a newline can no longer merge with the next line's indent).
CHUNK_CHARS = 32_768

PARALLEL_PIVOT = "en"


def read_text_file(path: Path) -> str:
    """The UTF-8 text of ``path``, or a CorpusError naming the file and the problem."""
    if not path.is_file():
        raise CorpusError(f"corpus file {path} does not exist; check the path")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(f"corpus file {path} is not UTF-8 (byte {e.start}); convert it to UTF-8") from None


def chunk_text(text: str, *, chunk_chars: int = CHUNK_CHARS) -> list[str]:
    """Cut ``text`` at line ends into pieces of about ``chunk_chars`` characters (joined = text)."""
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = start + chunk_chars
        if end < len(text):
            cut = text.find("\n", end)
            end = len(text) if cut < 0 else cut + 1
        chunks.append(text[start:end])
        start = end
    return chunks


_TEXT_SUFFIXES = {".txt", ".md", ".jsonl", ".json", ".csv", ".tsv", ".py", ".rst", ".text"}


def _looks_like_path(item: object) -> bool:
    """A PathLike, an existing file, or a one-word string ending in a text-file suffix ("eval.txt"),
    so that a mistyped file name is reported as missing instead of being scored as text."""
    if isinstance(item, os.PathLike):
        return True
    if not isinstance(item, str) or "\n" in item or len(item) >= 4096:
        return False
    return Path(item).is_file() or (not any(c.isspace() for c in item) and Path(item).suffix.lower() in _TEXT_SUFFIXES)


def _texts_of(item: object) -> list[str]:
    """One source (a path, a string, or a list of them) as a list of texts."""
    if _looks_like_path(item):
        return chunk_text(read_text_file(Path(item)))  # type: ignore[arg-type]
    if isinstance(item, str):
        return [item]
    if isinstance(item, Iterable):
        return [t for sub in item for t in _texts_of(sub)]
    raise CorpusError(f"cannot read texts from {type(item).__name__} {item!r}; give strings or paths")


def domain_name(item: object) -> str:
    """The domain a single source stands for: a file's stem, else ``text``."""
    return Path(item).stem if _looks_like_path(item) else "text"  # type: ignore[arg-type]


def normalize_texts(texts: TextSource) -> dict[str, list[str]]:
    """``{domain: texts}`` from a string, a path, a list of them or a mapping domain -> texts.

    A list of paths gives one domain per file (named by its stem); a list of strings one domain
    ``text``. Raises CorpusError when there is no text at all or a domain is empty.
    """
    if isinstance(texts, Mapping):
        domains = {str(name): _texts_of(value) for name, value in texts.items()}
    elif isinstance(texts, (str, os.PathLike)):
        domains = {domain_name(texts): _texts_of(texts)}
    elif all(_looks_like_path(t) for t in texts):
        domains = {}
        for path in texts:
            name = domain_name(path)
            if name in domains:
                raise CorpusError(f"two corpus files are named {name!r} ({path}); rename one so domains differ")
            domains[name] = _texts_of(path)
    else:
        domains = {"text": _texts_of(texts)}
    if not domains:
        raise CorpusError("no evaluation text was given; pass at least one file or string")
    for name, items in domains.items():
        if not any(items):
            raise CorpusError(f"corpus {name!r} is empty; give a file or texts with at least one character")
    return domains


def read_parallel(folder: str | os.PathLike, *, languages: Sequence[str] | None = None) -> dict[str, list[str]]:
    """``{language: lines}`` of a folder of line-aligned ``LANG.txt`` files, English first.

    ``languages`` restricts (and requires) the listed languages; ``en.txt`` is always required as the
    pivot of token premiums. Raises CorpusError for a missing folder or file, an empty file, or
    files whose line counts differ (naming both files and their counts).
    """
    root = Path(folder)
    if not root.is_dir():
        raise CorpusError(f"parallel corpus folder {root} does not exist; give a folder of LANG.txt files")
    found = {p.stem: p for p in sorted(root.glob("*.txt"))}
    if PARALLEL_PIVOT not in found:
        raise CorpusError(f"parallel corpus {root} has no {PARALLEL_PIVOT}.txt; token premiums are "
                          f"relative to English, so add {root / 'en.txt'}")
    wanted = list(languages) if languages else sorted(found)
    missing = [lang for lang in wanted if lang not in found]
    if missing:
        raise CorpusError(f"parallel corpus {root} has no file for language(s) {', '.join(missing)}; "
                          f"expected {root / (missing[0] + '.txt')}")
    order = [PARALLEL_PIVOT] + [lang for lang in wanted if lang != PARALLEL_PIVOT]
    lines = {lang: read_text_file(found[lang]).splitlines() for lang in order}
    n_pivot = len(lines[PARALLEL_PIVOT])
    if n_pivot == 0 or not any(lines[PARALLEL_PIVOT]):
        raise CorpusError(f"parallel corpus file {found[PARALLEL_PIVOT]} is empty; it needs one sentence per line")
    for lang, rows in lines.items():
        if len(rows) != n_pivot:
            raise CorpusError(
                f"parallel files are not line-aligned: {found[PARALLEL_PIVOT]} has {n_pivot} lines but "
                f"{found[lang]} has {len(rows)}; every LANG.txt needs the same number of lines")
    return lines
