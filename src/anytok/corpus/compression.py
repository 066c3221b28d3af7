"""Open corpus files compressed or not, by their suffix: ``.gz``, ``.xz``, ``.bz2``, ``.zst``."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from pathlib import Path
from typing import BinaryIO

from anytok.errors import CorpusError

COMPRESSED = (".gz", ".xz", ".bz2", ".zst")


def inner_suffix(path: Path) -> str:
    """The format suffix under any compression suffix (``a.jsonl.zst`` -> ``.jsonl``), lower case."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def open_binary(path: Path) -> BinaryIO:
    """``path`` opened for reading, decompressed on the fly by its last suffix."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if suffix == ".xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if suffix == ".bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise CorpusError(f"{path} is zstd-compressed and reading it needs the zstandard package; "
                              "pip install zstandard (or anytok[corpus])") from None
        return io.BufferedReader(_ZstdReader(path, zstandard))  # type: ignore[return-value]
    return open(path, "rb")


class _ZstdReader(io.RawIOBase):
    """A zstd file, decompressed as read; a stream that ends inside a frame raises EOFError
    (zstandard's own stream_reader returns a short read instead)."""

    def __init__(self, path: Path, zstandard) -> None:
        self._file = open(path, "rb")
        self._zstd = zstandard
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            block = self._file.read(1 << 20)
            if not block:
                if not self._frame.eof:
                    raise EOFError("the zstd stream ends inside a frame")
                return 0
            self._pending = self._feed(block)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _feed(self, block: bytes) -> bytes:
        """Decompress ``block``, starting a new frame object where one frame ends and another begins."""
        out = []
        while block:
            if self._frame.eof:
                self._frame = self._zstd.ZstdDecompressor().decompressobj()
            out.append(self._frame.decompress(block))
            block = self._frame.unused_data if self._frame.eof else b""
        return b"".join(out)

    def close(self) -> None:
        self._file.close()
        super().close()


def decompression_errors() -> tuple[type[BaseException], ...]:
    """What a damaged or truncated compressed stream raises, by library (bz2 raises a plain OSError,
    which readers report as a file that cannot be read)."""
    errors: list[type[BaseException]] = [EOFError, gzip.BadGzipFile, lzma.LZMAError, zlib.error]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:
        pass
    return tuple(errors)
