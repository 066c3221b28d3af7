"""Small trained tokenizers of each algorithm, shared by the tests of this folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from anytok.training import train as train_fn


def _head_lines(path: Path, n_bytes: int) -> str:
    data = path.read_bytes()[:n_bytes]
    return data[: data.rfind(b"\n") + 1].decode("utf-8")


@pytest.fixture(scope="session")
def small_corpus(shared: Path, tmp_path_factory) -> Path:
    """~150 kB of English prose and Python code in one file."""
    folder = tmp_path_factory.mktemp("corpus")
    text = _head_lines(shared / "corpus" / "en_prose.txt", 100_000) + _head_lines(
        shared / "corpus" / "code_python.txt", 50_000)
    path = folder / "small.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_parallel(shared: Path, tmp_path_factory) -> list[Path]:
    """Four languages of the parallel corpus, first 400 lines each."""
    folder = tmp_path_factory.mktemp("parallel")
    out = []
    for lang in ("en", "de", "ru", "hi"):
        lines = (shared / "corpus" / "parallel" / f"{lang}.txt").read_text(encoding="utf-8").splitlines(keepends=True)
        path = folder / f"{lang}.txt"
        path.write_text("".join(lines[:400]), encoding="utf-8")
        out.append(path)
    return out


@pytest.fixture(scope="session")
def trained(small_corpus: Path, small_parallel: list[Path]) -> dict:
    """One small tokenizer per algorithm (special token <|endoftext|> in each)."""
    common = dict(special_tokens=["<|endoftext|>"], progress=False, processes=2)
    return {
        "bpe": train_fn([small_corpus], vocab_size=1000, pattern="cl100k", **common),
        "superbpe": train_fn([small_corpus], vocab_size=1200, algorithm="superbpe", pattern="gpt2",
                                    transition=900, **common),
        "parity": train_fn(small_parallel, vocab_size=900, algorithm="parity", dev_lines=50, **common),
        "unigram": train_fn([small_corpus], vocab_size=1000, algorithm="unigram", **common),
    }
