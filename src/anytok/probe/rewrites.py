"""Semantics-preserving rewrites of Python source (TokDrift): the program is the same, only its
text, and so its tokens, change.

Each rewrite takes a function's source and returns the new source and, for every old line, the
index of the same line in the new source (None when it cannot apply: nothing to rename, no
simple string). Every rewrite is checked: the new source parses to the same AST as the old one
(for ``rename``, once the new name is mapped back), else the rewrite is refused.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import re
import tokenize
from collections.abc import Callable

Rewritten = tuple[str, list[int], dict[str, str]] | None  # new source, line map, renames (old -> new)


def _string_rows(source: str) -> set[int]:
    """0-based rows that start inside a multi-line string token (their indentation is string content)."""
    rows = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
            rows.update(range(tok.start[0], tok.end[0]))  # rows start[0]+1..end[0], 1-based -> 0-based
    return rows


def reindent(source: str) -> Rewritten:
    """Indentation halved (4 spaces -> 2), lines inside multi-line strings left alone."""
    lines = source.split("\n")
    inside = _string_rows(source)
    out = []
    for row, line in enumerate(lines):
        lead = len(line) - len(line.lstrip(" "))
        out.append(line if row in inside or not line.strip() else " " * (lead // 2) + line[lead:])
    new = "\n".join(out)
    return (new, list(range(len(lines))), {}) if new != source else None


def blank_lines(source: str) -> Rewritten:
    """A blank line after every logical line of the body (after the ``def`` line and each statement)."""
    ends = {tok.end[0] - 1 for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.NEWLINE}
    lines = source.split("\n")
    out, where = [], []
    for row, line in enumerate(lines):
        where.append(len(out))
        out.append(line)
        nxt = lines[row + 1] if row + 1 < len(lines) else ""
        if row in ends and nxt.strip():
            out.append("")
    return "\n".join(out), where, {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def rename(source: str) -> Rewritten:
    """One local name (a parameter or assigned variable, not ``self``/``cls``) renamed everywhere it
    is that variable: snake_case to camelCase, or a plain name to ``name_value``."""
    tree = ast.parse(source)
    func = tree.body[0]
    params = [a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)] if isinstance(func, ast.FunctionDef) else []
    stored = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)} \
        | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | set(dir(builtins)) | set(keyword.kwlist)
    if any(isinstance(n, (ast.Global, ast.Nonlocal, ast.Lambda)) or
           (isinstance(n, ast.FunctionDef) and n is not func) for n in ast.walk(tree)):
        return None  # nested scopes: a rename could reach a name it should not
    names = [n for n in dict.fromkeys(params + stored) if n not in ("self", "cls") and not n.startswith("_")]
    if not names:
        return None
    name = next((n for n in names if "_" in n), names[0])
    new = _camel(name) if "_" in name else f"{name}_value"
    if new in taken or new == name:
        return None
    spots = [(n.lineno, n.col_offset) for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    spots += [(a.lineno, a.col_offset) for a in ast.walk(tree) if isinstance(a, ast.arg) and a.arg == name]
    lines = [line.encode() for line in source.split("\n")]  # ast columns are UTF-8 byte offsets
    for row, col in sorted(spots, reverse=True):
        line = lines[row - 1]
        assert line[col:col + len(name.encode())] == name.encode()
        lines[row - 1] = line[:col] + new.encode() + line[col + len(name.encode()):]
    out = "\n".join(line.decode() for line in lines)
    if not same_program(source, out, {name: new}):
        return None
    return out, list(range(len(lines))), {name: new}


def rename_back(source: str, renames: dict[str, str]) -> str:
    """Source with every NAME token renamed back (old -> new given): for checking and comparing."""
    back = {new: old for old, new in renames.items()}
    return _retoken(source, lambda tok: back.get(tok.string, tok.string) if tok.type == tokenize.NAME else tok.string)


_SIMPLE = re.compile(r"""^(['"])([^'"\\\n]*)\1$""")


def quotes(source: str) -> Rewritten:
    """Every simple string literal (no prefix, no quotes or backslashes inside, one line) in the
    other quote style: the file's majority style flipped."""
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    simple = [t for t in toks if t.type == tokenize.STRING and _SIMPLE.match(t.string)]
    if not simple:
        return None
    single = sum(t.string[0] == "'" for t in simple)
    old, new = ("'", '"') if single * 2 >= len(simple) else ('"', "'")
    flip = {(t.start, t.end) for t in simple if t.string[0] == old}
    out = _retoken(source, lambda t: new + t.string[1:-1] + new if (t.start, t.end) in flip else t.string)
    return (out, list(range(source.count("\n") + 1)), {}) if out != source else None


def swap_quotes(line: str) -> str:
    """A line's simple string literals in the other quote style (by pattern: it may be a fragment)."""
    return re.sub(r"""(['"])([^'"\\\n]*)\1""", lambda m: ('"' if m.group(1) == "'" else "'") + m.group(2)
                  + ('"' if m.group(1) == "'" else "'"), line)


def _retoken(source: str, text_of: Callable[[tokenize.TokenInfo], str]) -> str:
    """Source with each token's text replaced by ``text_of(token)``, everything between tokens kept."""
    lines = source.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    out, pos = [], 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT) or tok.string == "":
            continue
        start = offsets[tok.start[0] - 1] + tok.start[1]
        end = offsets[tok.end[0] - 1] + tok.end[1]
        out.append(source[pos:start])
        out.append(text_of(tok))
        pos = end
    out.append(source[pos:])
    return "".join(out)


REWRITES: dict[str, Callable[[str], Rewritten]] = {"reindent": reindent, "blank lines": blank_lines,
                                                   "rename": rename, "quotes": quotes}


def same_program(a: str, b: str, renames: dict[str, str]) -> bool:
    """True when ``b`` parses to ``a``'s AST once ``renames`` are mapped back."""
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(rename_back(b, renames) if renames else b))
