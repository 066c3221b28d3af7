"""Read the key/value metadata of a GGUF file (the part before the tensors).

``gguf.GGUFReader`` parses the whole file and builds one numpy view per array element, which takes
about half a minute for Gemma 3's 262,144-token vocabulary. This reader walks only the metadata
section, reading numeric arrays with one ``numpy.frombuffer`` each and strings in one loop, so a
vocabulary loads in well under a second. Tests hold it against ``GGUFReader``.

GGUF layout (little-endian, versions 2 and 3): magic ``GGUF``, u32 version, u64 tensor count,
u64 key/value count, then per key: string key, u32 value type, value. A string is u64 length + UTF-8
bytes; an array is u32 element type, u64 count, elements.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from anytok.errors import TokenizerFormatError

_SCALARS: dict[GGUFValueType, str] = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H", GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i", GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q", GGUFValueType.INT64: "<q", GGUFValueType.FLOAT64: "<d",
}


class _Cursor:
    """A read position in a buffer; reading past its end raises EOFError."""

    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise EOFError(f"needs {n} bytes at byte {self.pos}, the file has {len(self.buf)}")
        view = self.buf[self.pos:self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        # surrogateescape keeps the exact bytes of a token that is not valid UTF-8
        return bytes(self.take(self.unpack("<Q"))).decode("utf-8", errors="surrogateescape")


def _read_array(cur: _Cursor) -> list[str] | np.ndarray:
    kind = GGUFValueType(cur.unpack("<I"))
    count = cur.unpack("<Q")
    if kind == GGUFValueType.STRING:
        return [cur.string() for _ in range(count)]
    if kind == GGUFValueType.ARRAY:
        return [_read_array(cur) for _ in range(count)]  # type: ignore[misc]
    fmt = _SCALARS[kind]
    dtype = np.dtype(fmt.replace("?", "b1"))
    return np.frombuffer(cur.take(count * dtype.itemsize), dtype=dtype).copy()


def _read_value(cur: _Cursor, kind: GGUFValueType) -> Any:
    if kind == GGUFValueType.STRING:
        return cur.string()
    if kind == GGUFValueType.ARRAY:
        return _read_array(cur)
    return cur.unpack(_SCALARS[kind])


def _parse(cur: _Cursor, path: Path, wanted: Callable[[str], bool]) -> dict[str, Any]:
    if bytes(cur.take(4)) != b"GGUF":
        raise TokenizerFormatError(f"{path} is not a GGUF file (it does not start with 'GGUF')")
    version = cur.unpack("<I")
    if version not in (2, 3):
        raise TokenizerFormatError(
            f"{path} is GGUF version {version}; anytok reads versions 2 and 3 (little-endian); "
            "convert it with a recent llama.cpp")
    n_tensors = cur.unpack("<Q")
    metadata: dict[str, Any] = {}
    alignment = 32
    for _ in range(cur.unpack("<Q")):
        key = cur.string()
        value = _read_value(cur, GGUFValueType(cur.unpack("<I")))
        if key == "general.alignment":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1 or value & (value - 1):
                raise TokenizerFormatError(f"{path}: general.alignment is {value!r}; it must be a power of two "
                                           "(GGUF's default is 32); the file is corrupt")
            alignment = value
        if wanted(key):
            metadata[key] = value
    _check_tensor_extent(cur, path, n_tensors, alignment)
    return metadata


def _check_tensor_extent(cur: _Cursor, path: Path, n_tensors: int, alignment: int) -> None:
    """Raise if the tensor data the tensor table describes runs past the end of the file."""
    end = 0
    for _ in range(n_tensors):
        cur.string()  # name
        shape = [cur.unpack("<Q") for _ in range(cur.unpack("<I"))]
        block, block_bytes = GGML_QUANT_SIZES[GGMLQuantizationType(cur.unpack("<I"))]
        offset = cur.unpack("<Q")
        end = max(end, offset + int(np.prod(shape, dtype=np.uint64)) // block * block_bytes)
    data_start = -(-cur.pos // alignment) * alignment
    if data_start + end > len(cur.buf):
        raise EOFError(f"its tensors need {data_start + end} bytes, the file has {len(cur.buf)}")


def read_gguf_metadata(path: str | os.PathLike, *, prefixes: tuple[str, ...] = ("",)) -> dict[str, Any]:
    """The metadata of GGUF file ``path`` whose keys start with one of ``prefixes``.

    Scalars come back as Python values, strings as str, numeric arrays as numpy arrays, string
    arrays as lists. A file that is cut short or corrupt raises :class:`TokenizerFormatError`.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            with memoryview(mm) as buf:
                try:
                    return _parse(_Cursor(buf), path, lambda key: key.startswith(prefixes))
                finally:
                    buf.release()
    except TokenizerFormatError:
        raise
    except (EOFError, ValueError, struct.error, KeyError, OverflowError, MemoryError) as e:
        raise TokenizerFormatError(
            f"GGUF file {path} is cut short or corrupt ({type(e).__name__}: {e}); download it again") from None
