"""Expand what a user names as a corpus (files, folders, globs) into the files to read, in order."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Sequence

from anytok.errors import CorpusError

_GLOB_CHARS = set("*?[")
DATASET_MARKERS = ("state.json", "dataset_info.json")  # a folder that datasets' save_to_disk wrote


def is_saved_dataset(path: Path) -> bool:
    """Whether ``path`` is a folder written by ``datasets.Dataset.save_to_disk``."""
    return path.is_dir() and all((path / m).is_file() for m in DATASET_MARKERS)


def resolve_files(sources: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Expand files, folders and glob patterns into a list of files (in the order given). A saved
    ``datasets`` folder stays one entry (its Arrow files are one table)."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    files: list[Path] = []
    for source in sources:
        text = os.fspath(source)
        path = Path(text)
        if _GLOB_CHARS & set(text) and not path.exists():
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise CorpusError(f"corpus pattern {text!r} matches no file; check the path and the pattern")
            files += [Path(m) for m in matches if Path(m).is_file() or is_saved_dataset(Path(m))]
        elif is_saved_dataset(path):
            files.append(path)
        elif path.is_dir():
            files += _folder(path)
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"corpus file {text} does not exist; check the path")
    if not files:
        raise CorpusError("no corpus file given; pass at least one file, folder or glob pattern")
    return files


def _folder(root: Path) -> list[Path]:
    """Every non-hidden file below ``root``, sorted; saved datasets inside count as one entry each."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in list(dirnames):
            if is_saved_dataset(here / d):
                found.append(here / d)
                dirnames.remove(d)
        found += [here / f for f in filenames if not f.startswith(".")]
    if not found:
        raise CorpusError(f"corpus folder {root} holds no file; put text files in it or pass files")
    return sorted(found)
