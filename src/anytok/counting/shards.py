"""Pretoken counts on disk: a folder of sorted, hash-partitioned shards that merge.

``anytok count`` writes, and ``anytok train --from-counts`` reads, a folder::

    COUNTS/counts.json                      the manifest (below)
    COUNTS/shard-00000-of-00016.bin ...     the pretokens whose CRC-32 % 16 == 0, ...

A shard is the 8 bytes ``ATKCNT01`` and then one record per distinct pretoken, sorted by its
bytes: the pretoken's length (little-endian uint32), its UTF-8 bytes, its count (little-endian
uint64, so no count overflows; HF's i32 counts do, tokenizers #2058). The manifest holds
``format`` ("anytok-counts"), ``version`` (1), ``regex`` (the exact pattern the pretokens were
cut with), ``engine_tables`` (the HF tokenizers version whose Unicode tables the pattern was
matched with, :mod:`anytok.tokenizer.onig`), ``shards``, ``types``, ``pretokens`` (the sum of the
counts) and each shard's name, types and sha256. The same counts give the same bytes, whatever
engine and worker count made them. Folders made with the same regex and shard count add up:
:func:`load_counts` sums several.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from anytok.errors import CorpusError

FORMAT = "anytok-counts"
VERSION = 1
MAGIC = b"ATKCNT01"
MANIFEST = "counts.json"
DEFAULT_SHARDS = 16
_LENGTH = struct.Struct("<I")
_COUNT = struct.Struct("<Q")
MAX_COUNT = 2**64 - 1


def shard_of(pretoken: bytes, shards: int) -> int:
    """The shard a pretoken belongs to (stable across runs, machines and Python versions)."""
    return zlib.crc32(pretoken) % shards


def shard_name(index: int, shards: int) -> str:
    return f"shard-{index:05d}-of-{shards:05d}.bin"


def partition(counts: Mapping[bytes, int], shards: int) -> list[dict[bytes, int]]:
    """``counts`` split into ``shards`` dicts by :func:`shard_of`."""
    parts: list[dict[bytes, int]] = [{} for _ in range(shards)]
    for key, n in counts.items():
        parts[shard_of(key, shards)][key] = n
    return parts


def encode_shard(counts: Mapping[bytes, int]) -> bytes:
    """One shard's bytes: the magic, then (length, pretoken, count) records sorted by pretoken."""
    out = [MAGIC]
    for key in sorted(counts):
        n = counts[key]
        if not 0 < n <= MAX_COUNT:
            raise CorpusError(f"pretoken {key[:40]!r} has count {n}, outside 1..2**64-1")
        out += (_LENGTH.pack(len(key)), key, _COUNT.pack(n))
    return b"".join(out)


def decode_shard(data: bytes, where: str) -> Iterator[tuple[bytes, int]]:
    """The (pretoken, count) records of one shard's bytes, in order."""
    if data[: len(MAGIC)] != MAGIC:
        raise CorpusError(f"{where} is not an anytok counts shard (no {MAGIC.decode()} header); "
                          "write the folder again with anytok count")
    pos, end = len(MAGIC), len(data)
    while pos < end:
        if pos + 4 > end:
            raise _truncated(where)
        (length,) = _LENGTH.unpack_from(data, pos)
        key_end = pos + 4 + length
        if key_end + 8 > end:
            raise _truncated(where)
        yield data[pos + 4 : key_end], _COUNT.unpack_from(data, key_end)[0]
        pos = key_end + 8


def _truncated(where: str) -> CorpusError:
    return CorpusError(f"{where} is truncated; write the counts folder again with anytok count")


@dataclass(frozen=True)
class CountsInfo:
    """What a counts folder's manifest says."""

    folder: Path
    regex: str
    engine_tables: str
    shards: int
    types: int
    pretokens: int
    files: tuple[dict, ...]

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "regex": self.regex, "engine_tables": self.engine_tables,
                "shards": self.shards, "types": self.types, "pretokens": self.pretokens, "files": list(self.files)}


def engine_tables() -> str:
    """The Unicode tables pretokens are cut with: those of this HF tokenizers version."""
    import tokenizers

    return f"tokenizers-{tokenizers.__version__}"


_AS_OUTPUT = dict(markers=(MANIFEST,), what="counts", flag="--output")  # what check_output_folder refuses


def check_counts_output(folder: str | os.PathLike, *, inputs: Sequence[str | os.PathLike] = (),
                        overwrite: bool = False) -> None:
    """Refuse ``folder`` as a counts folder to write, before any counting (exists without
    ``overwrite``, holds something else, is or holds one of ``inputs``)."""
    from anytok.outputs import check_output_folder

    check_output_folder(folder, inputs=inputs, overwrite=overwrite, **_AS_OUTPUT)


def write_counts(folder: str | os.PathLike, counts: Mapping[bytes, int] | Sequence[Mapping[bytes, int]], *,
                 regex: str, shards: int = DEFAULT_SHARDS, overwrite: bool = False) -> CountsInfo:
    """Write ``counts`` (one dict, or one dict per shard already partitioned) as a counts folder.

    The folder is written under a temporary name and renamed into place, so a failed run leaves
    nothing behind; an existing counts folder is replaced only with ``overwrite``."""
    from anytok._atomic import atomic_dir

    folder = Path(folder)
    parts = partition(counts, shards) if isinstance(counts, Mapping) else list(counts)
    if len(parts) != shards:
        raise CorpusError(f"{len(parts)} partitions given for {shards} shards")
    files = []
    with atomic_dir(folder, overwrite=overwrite, **_AS_OUTPUT) as tmp:
        for index, part in enumerate(parts):
            data = encode_shard(part)
            name = shard_name(index, shards)
            (tmp / name).write_bytes(data)
            files.append({"name": name, "types": len(part), "sha256": hashlib.sha256(data).hexdigest()})
        info = CountsInfo(folder, regex, engine_tables(), shards, sum(len(p) for p in parts),
                          sum(sum(p.values()) for p in parts), tuple(files))
        (tmp / MANIFEST).write_text(json.dumps(info.to_dict(), indent=1) + "\n", encoding="utf-8")
    return info


def read_info(folder: str | os.PathLike) -> CountsInfo:
    """The manifest of a counts folder, checked (format, version, fields)."""
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"{folder} is not a counts folder (no {MANIFEST}); make one with anytok count") from None
    except (OSError, ValueError) as e:
        raise CorpusError(f"{path} cannot be read ({e}); write the counts folder again with anytok count") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CorpusError(f"{path} is not an anytok counts manifest; make the folder with anytok count")
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CorpusError(f"{folder} is counts format version {version!r}, newer than this anytok reads "
                          f"(version {VERSION}); upgrade anytok or count again with this one")
    try:
        return CountsInfo(folder, str(doc["regex"]), str(doc["engine_tables"]), int(doc["shards"]),
                          int(doc["types"]), int(doc["pretokens"]), tuple(doc["files"]))
    except (KeyError, TypeError, ValueError) as e:
        raise CorpusError(f"{path} lacks the field {e}; write the counts folder again with anytok count") from None


def iter_shard(info: CountsInfo, index: int) -> Iterator[tuple[bytes, int]]:
    """The records of shard ``index`` of a counts folder, checked against the manifest's sha256."""
    entry = info.files[index]
    path = info.folder / entry["name"]
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"counts shard {path} cannot be read ({e.strerror or e}); "
                          "write the counts folder again with anytok count") from None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise CorpusError(f"counts shard {path} does not match its sha256 in {MANIFEST} (damaged or edited); "
                          "write the counts folder again with anytok count")
    yield from decode_shard(data, str(path))


def load_counts(folders: Iterable[str | os.PathLike], *, regex: str) -> dict[bytes, int]:
    """The summed counts of one or more counts folders, in sorted pretoken order.

    Every folder must have been made with ``regex`` (the pattern training will use) and the
    same Unicode tables; otherwise a CorpusError says which and how to count again."""
    infos = [read_info(f) for f in folders]
    if not infos:
        raise CorpusError("no counts folder given; pass --from-counts COUNTS/ (made by anytok count)")
    for info in infos:
        if info.regex != regex:
            raise CorpusError(f"counts folder {info.folder} was made with another pretokenizer pattern than this "
                              "training uses; count again with the same --pattern and --algorithm")
        if info.engine_tables != engine_tables():
            raise CorpusError(f"counts folder {info.folder} was cut with the Unicode tables of "
                              f"{info.engine_tables}, this anytok uses {engine_tables()}; count again")
    total: dict[bytes, int] = {}
    shards = {info.shards for info in infos}
    if len(shards) == 1:  # shard i of every folder holds the same pretokens: merge shard by shard
        for index in range(shards.pop()):
            part: dict[bytes, int] = {}
            for info in infos:
                for key, n in iter_shard(info, index):
                    part[key] = part.get(key, 0) + n
            total.update(part)
    else:
        for info in infos:
            for index in range(info.shards):
                for key, n in iter_shard(info, index):
                    total[key] = total.get(key, 0) + n
    return dict(sorted(total.items()))
