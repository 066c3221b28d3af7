"""Commands that never run a model never import torch or transformers (they take seconds to load).

Each case runs the real CLI in a fresh interpreter and reports, at exit, which heavy modules it
had imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "transformers", "ray", "pyarrow")

_RUN_CLI = """
import atexit, json, sys
report_path = sys.argv[1]
def report():
    with open(report_path, "w") as f:
        json.dump(sorted(m for m in {heavy!r} if m in sys.modules), f)
atexit.register(report)
sys.argv = ["anytok", *sys.argv[2:]]
from anytok.cli.main import app
app()
"""


def heavy_modules_after(code: str, args: list[str], tmp_path: Path) -> tuple[list[str], subprocess.CompletedProcess]:
    """Run ``code`` with ``args`` in a fresh interpreter; the heavy modules it imported, and the run."""
    report = tmp_path / "heavy.json"
    done = subprocess.run([sys.executable, "-c", code.format(heavy=HEAVY), str(report), *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    return json.loads(report.read_text()), done


@pytest.mark.parametrize("module", ["anytok", "anytok.tokenizer", "anytok.training", "anytok.corpus",
                                    "anytok.counting", "anytok.scoring",
                                    "anytok.models", "anytok.transfer", "anytok.eval", "anytok.cli.main"])
def test_importing_the_package_loads_no_heavy_module(module, tmp_path):
    code = "import atexit, json, sys\n" \
           "atexit.register(lambda: json.dump(sorted(m for m in {heavy!r} if m in sys.modules), open(sys.argv[1], 'w')))\n" \
           f"import {module}\n"
    heavy, done = heavy_modules_after(code, [], tmp_path)
    assert done.returncode == 0, done.stderr
    assert heavy == []


def test_the_light_commands_load_no_heavy_module(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog\n" * 50 + "def f(x):\n    return x + 1\n" * 50)
    tok = tmp_path / "tok.json"
    commands = [
        ["--help"],
        ["train", str(corpus), "--vocab-size", "300", "-o", str(tok)],
        ["count", str(corpus), "-o", str(tmp_path / "counts")],
        ["train", "--from-counts", str(tmp_path / "counts"), "--vocab-size", "300", "-o", str(tmp_path / "t2.json")],
        ["info", str(tok)],
        ["encode", str(tok), "the lazy fox"],
        ["score", str(tok), str(corpus), "--json", str(tmp_path / "card.json")],
        ["compare", str(tok), str(tok), "--corpus", str(corpus), "-o", str(tmp_path / "cmp.html")],
        ["models", "list"],
        ["transplant", "--help"],
    ]
    for args in commands:
        heavy, done = heavy_modules_after(_RUN_CLI, args, tmp_path)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert heavy == [], f"`anytok {' '.join(args)}` imported {heavy}"


def test_the_public_api_still_reaches_every_name():
    import anytok

    for name in anytok.__all__:
        assert getattr(anytok, name) is not None
    assert callable(anytok.train) and callable(anytok.transplant) and callable(anytok.extend)
    import anytok.transfer.omp

    assert anytok.transfer.omp.batch_omp is anytok.transfer.batch_omp
    assert anytok.transfer.transplant is anytok.transplant
    with pytest.raises(AttributeError):
        anytok.no_such_name
