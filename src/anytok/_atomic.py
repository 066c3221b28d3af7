"""Atomic writes: an output appears whole under its final name or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from anytok.errors import OutputPathError


def _check_parent(path: Path, *, folder: bool = False) -> None:
    parent = path.parent
    if not parent.exists():
        raise OutputPathError(f"cannot write {path}: folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise OutputPathError(f"cannot write {path}: {parent} is a file, not a folder; choose another output path")
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"cannot write {path}: folder {parent} is not writable; choose another output path")
    if path.is_dir() and not folder:
        raise OutputPathError(f"cannot write {path}: it is a folder; give a file name")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    final = Path(path)
    _check_parent(final)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, *, overwrite: bool = False, **kind: Any) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; move it onto ``path`` if the block succeeds.

    Refuses an existing ``path`` unless ``overwrite``, and a file or a folder that holds no model
    even then (:func:`anytok.outputs.check_output_folder`, which ``kind``'s ``markers`` and
    ``what`` go to); on failure nothing is left behind.
    """
    from anytok.outputs import check_output_folder

    final = Path(path)
    check_output_folder(final, overwrite=overwrite, **kind)
    _check_parent(final, folder=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; give the usual permissions
        if final.exists():
            old = final.with_name(f".{final.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
