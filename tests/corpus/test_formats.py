"""Every corpus format reads as the same text as the plain text file with one record per line."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from anytok.corpus import iter_text_chunks, iter_units
from anytok.errors import CorpusError

# Records from real text of several scripts, one with a character outside the BMP and one empty.
RECORDS = ["The quick brown fox jumps over the lazy dog.", "Überprüfung der Maßnahmen", "東京は日本の首都です。",
           "def f(x):\treturn x  # tab", "😀 emoji and \u0301combining", "", "Привет, мир", "last line"] * 50


def _text() -> str:
    return "".join(r + "\n" for r in RECORDS)


def _write_jsonl(path, opener=open):
    with opener(path, "wt", encoding="utf-8") as f:
        for r in RECORDS:
            f.write(json.dumps({"id": 1, "text": r}, ensure_ascii=False) + "\n")


def _zst(path, data: bytes):
    path.write_bytes(zstandard.ZstdCompressor().compress(data))


@pytest.mark.parametrize("name, write", [
    ("c.txt", lambda p: p.write_text(_text(), encoding="utf-8")),
    ("c.txt.gz", lambda p: p.write_bytes(gzip.compress(_text().encode()))),
    ("c.txt.xz", lambda p: p.write_bytes(lzma.compress(_text().encode()))),
    ("c.txt.bz2", lambda p: p.write_bytes(bz2.compress(_text().encode()))),
    ("c.txt.zst", lambda p: _zst(p, _text().encode())),
    ("c.jsonl", lambda p: _write_jsonl(p)),
    ("c.json", lambda p: _write_jsonl(p)),
    ("c.jsonl.gz", lambda p: _write_jsonl(p, gzip.open)),
    ("c.jsonl.zst", lambda p: _zst(p, "".join(json.dumps({"text": r}) + "\n" for r in RECORDS).encode())),
    ("c.parquet", lambda p: pq.write_table(pa.table({"text": RECORDS, "n": list(range(len(RECORDS)))}), p,
                                           row_group_size=37)),
    ("c.arrow", lambda p: _arrow_stream(p)),
])
def test_each_format_reads_as_the_text_file(tmp_path, name, write):
    path = tmp_path / name
    write(path)
    for chunk_bytes in (64, 1 << 20):
        chunks = list(iter_text_chunks(path, chunk_bytes=chunk_bytes))
        assert "".join(chunks) == _text()
        assert all(c.endswith("\n") for c in chunks)


def _arrow_stream(path):
    table = pa.table({"text": RECORDS})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=50):
            writer.write_batch(batch)


def test_a_folder_saved_by_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": RECORDS, "label": [0] * len(RECORDS)}).save_to_disk(str(folder),
                                                                                          num_shards=3)
    assert "".join(iter_text_chunks(folder)) == _text()
    assert len(list(iter_units(folder))) == 3
    (tmp_path / "other.txt").write_text("x\n", encoding="utf-8")
    assert "".join(iter_text_chunks(tmp_path)) == "x\n" + _text()  # a folder holding a saved dataset, sorted


def test_parquet_row_groups_are_units(tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"body": RECORDS}), path, row_group_size=100)
    units = list(iter_units(path, text_field="body"))
    assert [u.part for u in units] == [0, 1, 2, 3]
    assert "".join(iter_text_chunks(path, text_field="body")) == _text()


def test_a_parquet_file_without_the_column(tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"body": RECORDS}), path)
    with pytest.raises(CorpusError, match=r"has no column 'text' \(columns: body\); pass --text-field"):
        list(iter_text_chunks(path))


def test_a_jsonl_line_that_is_not_json_names_file_and_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "ok"}\n{"text": "ok"}\n{"text": broken\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"{path}:3 is not a JSON record"):
        list(iter_text_chunks(path))


@pytest.mark.parametrize("suffix, compress", [(".zst", lambda b: zstandard.ZstdCompressor().compress(b)),
                                              (".gz", gzip.compress), (".xz", lzma.compress)])
def test_a_truncated_compressed_file(tmp_path, suffix, compress):
    data = compress(_text().encode() * 20)
    path = tmp_path / f"c.txt{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusError, match="is damaged or truncated"):
        list(iter_text_chunks(path))


def test_a_string_column_is_required(tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"text": [1, 2, 3]}), path)
    with pytest.raises(CorpusError, match="holds a int where text was expected"):
        list(iter_text_chunks(path))


def test_a_zstd_file_of_several_frames(tmp_path):
    path = tmp_path / "c.txt.zst"
    z = zstandard.ZstdCompressor()
    half = len(RECORDS) // 2
    first, second = ("".join(r + "\n" for r in part).encode() for part in (RECORDS[:half], RECORDS[half:]))
    path.write_bytes(z.compress(first) + z.compress(second))
    assert "".join(iter_text_chunks(path, chunk_bytes=100)) == _text()
