"""Where a command may write: never onto one of its inputs, never over what the user did not ask to replace.

Every command checks its outputs before it starts work (a mistake costs a message, not minutes of
training and then the corpus): an output is refused when it is one of the inputs (the same file,
through a symlink or a hard link too), lies inside an input folder, or is a folder that holds an
input; an existing file or folder is replaced only with ``overwrite``, and only a folder that
holds a model (or nothing) is replaced by a model folder.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Iterable, Sequence

from anytok.errors import OutputPathError

_GLOB_CHARS = set("*?[")
_MODEL_FILES = ("config.json", "tokenizer.json", "model.safetensors", "model.safetensors.index.json")


def input_paths(inputs: Iterable[str | os.PathLike | None]) -> list[Path]:
    """The existing files and folders among ``inputs`` (glob patterns expanded; names of
    registered models and tokenizers, which are not paths, left out), resolved."""
    out: list[Path] = []
    for item in inputs:
        if item is None:
            continue
        text = os.fspath(item)
        matches = sorted(glob.glob(text, recursive=True)) if _GLOB_CHARS & set(text) and not os.path.exists(text) else [text]
        out += [Path(m).resolve() for m in matches if os.path.exists(m)]
    return out


def check_output_file(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike | None] = (),
                      overwrite: bool = True, flag: str = "--output") -> None:
    """Refuse ``path`` as an output file when it is an input, lies in an input folder, is a folder,
    sits in a missing or read-only folder, or exists and ``overwrite`` is off."""
    target = Path(path)
    _refuse_inputs(target, input_paths(inputs), flag)
    if target.is_dir():
        raise OutputPathError(f"cannot write {target}: it is a folder; give a file name")
    parent = target.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise OutputPathError(f"cannot write {target}: folder {parent} is missing or not writable; choose another path")
    if target.exists() and not overwrite:
        raise OutputPathError(f"{target} already exists; pass --overwrite to replace it, or choose another path")


def check_output_folder(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike | None] = (),
                        overwrite: bool = False, flag: str = "--out", markers: Sequence[str] = _MODEL_FILES,
                        what: str = "model") -> None:
    """Refuse ``path`` as an output folder of ``what`` (a model, unless told) when it is, holds or
    lies inside an input, is a file, exists and ``overwrite`` is off, or exists and holds no file
    named in ``markers`` (something other than what anytok writes there)."""
    target = Path(path)
    _refuse_inputs(target, input_paths(inputs), flag)
    if target.exists() and not target.is_dir():
        raise OutputPathError(f"cannot write the {what} folder {target}: it is a file; give a folder path")
    if target.exists():
        if not overwrite:
            raise OutputPathError(f"output folder {target} already exists; pass --overwrite to replace it")
        entries = [p.name for p in target.iterdir()]
        if entries and not any(name in entries for name in markers):
            raise OutputPathError(
                f"{target} holds {len(entries)} entries but no {what} ({', '.join(sorted(entries)[:3])}, ...); "
                f"--overwrite only replaces a {what} folder; choose another output folder")


def check_not_input(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike | None],
                    flag: str = "--out") -> None:
    """Refuse ``path`` (file or folder) when it is, holds or lies inside one of ``inputs``."""
    _refuse_inputs(Path(path), input_paths(inputs), flag)


def _refuse_inputs(target: Path, inputs: list[Path], flag: str) -> None:
    """Raise when ``target`` is one of ``inputs``, lies inside one, or holds one."""
    resolved = target.resolve()
    for source in inputs:
        if resolved == source or (target.exists() and _same_file(target, source)):
            raise OutputPathError(f"{flag} {target} is one of the inputs ({source}); writing it would "
                                  "destroy that input; choose another output path")
        if source.is_dir() and source in resolved.parents:
            raise OutputPathError(f"{flag} {target} lies inside the input folder {source}; "
                                  "write it outside the folder")
        if resolved in source.parents:
            raise OutputPathError(f"{flag} {target} holds the input {source}; replacing it would destroy "
                                  "that input; choose another output folder")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
