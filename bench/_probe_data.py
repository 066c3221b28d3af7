"""Build src/anytok/probe/data/ (words.txt, prose.txt, code.py.txt) from the shared corpus.

    python bench/_probe_data.py

Deterministic: the same corpus gives the same files. The rules are in the data folder's README.
"""

from __future__ import annotations

import ast
import collections
import re
import textwrap
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
OUT = Path(__file__).resolve().parents[1] / "src" / "anytok" / "probe" / "data"


def words() -> list[str]:
    """The 600 most frequent lowercase words of 4-12 letters in en_prose."""
    text = (SHARED / "en_prose.txt").read_text(encoding="utf-8")
    counts = collections.Counter(re.findall(r"\b[a-z]{4,12}\b", text))
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:600]]


def prose() -> list[str]:
    """The first 300 paragraphs of 60-400 characters of Persuasion (en_prose lines 2127-3161)."""
    lines = (SHARED / "en_prose.txt").read_text(encoding="utf-8").split("\n")[2126:3161]
    return [line for line in lines if 60 <= len(line) <= 400][:300]


def functions() -> list[str]:
    """The first 120 functions (any depth, dedented) of 6-30 lines from code_python that compile alone."""
    source = (SHARED / "code_python.txt").read_text(encoding="utf-8")
    out, seen = [], set()
    for chunk in re.split(r"\n(?=#!|\"\"\"|# Copyright)", source):
        try:
            tree = ast.parse(chunk)
        except SyntaxError:
            continue
        lines = chunk.split("\n")
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or node.decorator_list:
                continue
            body = textwrap.dedent("\n".join(lines[node.lineno - 1:node.end_lineno]))
            if not 6 <= body.count("\n") + 1 <= 30 or "\t" in body or body in seen:
                continue
            try:
                compile(body, "<sample>", "exec")  # parses and compiles alone (no dangling nonlocal)
            except SyntaxError:
                continue
            seen.add(body)
            out.append(body)
            if len(out) == 120:
                return out
    return out


def main() -> None:
    (OUT / "words.txt").write_text("\n".join(words()) + "\n", encoding="utf-8")
    (OUT / "prose.txt").write_text("\n".join(prose()) + "\n", encoding="utf-8")
    (OUT / "code.py.txt").write_text("\n\n# ----\n".join(functions()) + "\n", encoding="utf-8")
    for name in ("words.txt", "prose.txt", "code.py.txt"):
        print(name, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
