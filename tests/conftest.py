"""Fixtures shared by every test: where ../shared is, and the corpus files in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """The shared data folder: $ANYTOK_SHARED, else ``../shared`` beside the repo."""
    candidates = [Path(os.environ["ANYTOK_SHARED"])] if "ANYTOK_SHARED" in os.environ else []
    candidates.append(REPO.parent / "shared")
    return next((c for c in candidates if (c / "corpus").is_dir()), None)


@pytest.fixture(scope="session")
def shared() -> Path:
    """Path of ../shared; the test is skipped when it is absent."""
    path = shared_dir()
    if path is None:
        pytest.skip("../shared (corpus and reference tokenizers) is not beside the repo")
    return path


@pytest.fixture(scope="session")
def corpus_files(shared: Path) -> list[Path]:
    """Every text file of the shared corpus: the three main files and the 63 parallel ones."""
    main = [shared / "corpus" / f"{name}.txt" for name in ("en_prose", "code_python", "code_mixed")]
    return main + sorted((shared / "corpus" / "parallel").glob("*.txt"))
