"""Copy a safetensors folder's unchanged tensors in the background while the new ones are computed.

A transplant replaces only the embedding / LM head tensors; every other tensor is copied as a byte
range by the kernel. That copy needs nothing the transplant computes, so :class:`KeptTensorCopy`
starts it at once on a thread (``os.copy_file_range`` releases the GIL) and the caller reads its
tokenizers and runs OMP meanwhile; :meth:`KeptTensorCopy.write` then adds the new tensors.

To know where the kept tensors go before the new shapes are known, each rewritten shard puts its
kept tensors first (in their old order) and the replaced ones after them, and reserves a header
long enough for any shape: the real header is padded with spaces to that length, which the
safetensors format allows.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import struct
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import torch

from anytok.errors import ModelError

_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
_BIG = 10**20 - 1  # longer in decimal than any shape or byte offset


@dataclasses.dataclass
class _ShardPlan:
    """One shard that holds replaced tensors: where each kept tensor goes in the output file."""

    src: Path
    dst: Path
    header: dict[str, Any]  # the source header without __metadata__
    meta: Any
    kept: list[str]  # in source order
    replaced: list[str]  # in source order
    src_data: int  # byte where the source's tensor data starts
    dst_data: int  # byte where the output's tensor data starts (8 + reserved header)

    def header_bytes(self, entries: dict[str, Any]) -> bytes:
        return json.dumps({**({"__metadata__": self.meta} if self.meta is not None else {}), **entries},
                          separators=(",", ":")).encode("utf-8")

    def kept_entries(self) -> dict[str, Any]:
        entries, offset = {}, 0
        for name in self.kept:
            begin, end = self.header[name]["data_offsets"]
            entries[name] = {**self.header[name], "data_offsets": [offset, offset + end - begin]}
            offset += end - begin
        return entries


def _plan(src: Path, dst: Path, replaced: set[str]) -> _ShardPlan:
    with open(src, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    meta = header.pop("__metadata__", None)
    order = sorted(header, key=lambda n: header[n]["data_offsets"][0])
    plan = _ShardPlan(src=src, dst=dst, header=header, meta=meta, kept=[n for n in order if n not in replaced],
                      replaced=[n for n in order if n in replaced], src_data=8 + size, dst_data=0)
    widest = {n: {"dtype": header[n]["dtype"], "shape": [_BIG] * len(header[n]["shape"]),
                  "data_offsets": [_BIG, _BIG]} for n in plan.replaced}
    reserved = len(plan.header_bytes({**plan.kept_entries(), **widest}))
    plan.dst_data = 8 + reserved + (-reserved % 8)  # safetensors pads the header to 8 bytes
    return plan


class KeptTensorCopy:
    """Writes a folder's shards into ``dst_folder`` on a background thread, but for the tensors
    ``replaced``, which :meth:`write` adds once they are known.

    Use as a context manager: leaving it waits for the thread (so the folder is never removed while
    it is being written) and re-raises an error the copy met.
    """

    def __init__(self, folder: Path, files: dict[str, str], dst_folder: Path, replaced: set[str]) -> None:
        """folder: the source folder; files: tensor name -> shard file name (every tensor)."""
        by_shard: dict[str, set[str]] = {}
        for name, shard in files.items():
            by_shard.setdefault(shard, set()).add(name)
        self._whole = [shard for shard, names in sorted(by_shard.items()) if not names & replaced]
        self._plans = [_plan(folder / shard, dst_folder / shard, names & replaced)
                       for shard, names in sorted(by_shard.items()) if names & replaced]
        self._folder, self._dst = folder, dst_folder
        self._error: BaseException | None = None
        self._stop = threading.Event()  # set when the block fails: the copy is not needed any more
        self._thread = threading.Thread(target=self._copy, name="anytok-shard-copy", daemon=True)

    def __enter__(self) -> KeptTensorCopy:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is not None:
            self._stop.set()
        self._thread.join()
        if kind is None and self._error is not None:
            raise self._error

    def _copy(self) -> None:
        try:
            for shard in self._whole:
                if not self._stop.is_set():
                    shutil.copyfile(self._folder / shard, self._dst / shard)
            for plan in self._plans:
                with open(plan.src, "rb") as fin, open(plan.dst, "wb") as fout:
                    for name, entry in plan.kept_entries().items():
                        begin, end = plan.header[name]["data_offsets"]
                        dst = plan.dst_data + entry["data_offsets"][0]
                        _copy_range(fin, fout, plan.src_data + begin, dst, end - begin, self._stop)
        except Exception as e:  # re-raised by write() or on leaving the block
            self._error = e

    def write(self, replace: dict[str, torch.Tensor]) -> None:
        """Wait for the copy, then write the tensors in ``replace`` (cast to the stored dtype; the row
        count may change) and each rewritten shard's header."""
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        for plan in self._plans:
            entries = plan.kept_entries()
            offset = max((e["data_offsets"][1] for e in entries.values()), default=0)  # the replaced go after
            with open(plan.dst, "r+b") as fout:
                for name in plan.replaced:
                    info = plan.header[name]
                    tensor = replace[name].detach().to("cpu", _DTYPES[info["dtype"]]).contiguous()
                    blob = tensor.reshape(-1).view(torch.uint8).numpy()
                    _pwrite_all(fout, memoryview(blob), plan.dst_data + offset)
                    entries[name] = {"dtype": info["dtype"], "shape": list(tensor.shape),
                                     "data_offsets": [offset, offset + blob.nbytes]}
                    offset += blob.nbytes
                text = plan.header_bytes(entries)
                room = plan.dst_data - 8
                assert len(text) <= room, f"header of {plan.dst} outgrew its reserved {room} bytes"
                _pwrite_all(fout, struct.pack("<Q", room) + text + b" " * (room - len(text)), 0)


def _pwrite_all(f: Any, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data).cast("B")
    while view:
        done = os.pwrite(f.fileno(), view, offset)
        view, offset = view[done:], offset + done


def _copy_range(fin: Any, fout: Any, start: int, dst: int, count: int, stop: threading.Event) -> None:
    """Copy ``count`` bytes of ``fin`` from ``start`` to ``fout`` at ``dst`` (kernel copy where possible),
    64 MB at a time, until done or ``stop`` is set."""
    while count and not stop.is_set():
        try:
            done = os.copy_file_range(fin.fileno(), fout.fileno(), min(count, 1 << 26), start, dst)
        except (AttributeError, OSError):  # no copy_file_range here (old kernel, other OS, some filesystems)
            chunk = os.pread(fin.fileno(), min(count, 1 << 24), start)
            done = len(chunk)
            if done:
                _pwrite_all(fout, chunk, dst)
        if done == 0:
            raise ModelError(f"{fin.name} ends before its header says; is it truncated? fetch it again")
        start, dst, count = start + done, dst + done, count - done
