"""The ``code`` suite: the same Python program written differently (TokDrift): how much the
next line's likelihood and the greedy completion move under a rewrite that keeps the meaning.

For each function of the shipped Python sample (CPython's standard library) a line past its
middle is the target; the lines before it are the context. Under each rewrite of
:mod:`anytok.probe.rewrites` the same line is the target. Measured: bits per byte of the target
line (the change from the original), and whether the greedy completion of the line changes in
meaning (the original completion, rewritten the same way, compared with the new one).
"""

from __future__ import annotations

import random
import re

from anytok.probe.card import Measure, SuiteResult
from anytok.probe.questions import data_text
from anytok.probe.rewrites import REWRITES, same_program, swap_quotes
from anytok.probe.runner import ProbeModel

SEPARATOR = "\n\n# ----\n"


def snippets(limit: int, seed: int, *, source: str | None = None) -> list[tuple[str, int]]:
    """``limit`` (function source, target row) pairs in a seeded order; ``source``: functions
    separated by ``# ----`` lines, as in the shipped sample."""
    funcs = [f.strip("\n") for f in (source if source is not None else data_text("code.py.txt")).split(SEPARATOR)
             if f.strip()]
    order = list(range(len(funcs)))
    random.Random(f"{seed}:code").shuffle(order)
    out = []
    for k in range(limit):
        func = funcs[order[k % len(order)]]
        lines = func.split("\n")
        rows = [r for r in range(max(2, len(lines) // 2), len(lines))
                if lines[r].strip() and not lines[r].lstrip().startswith("#")]
        if rows:
            out.append((func, random.Random(f"{seed}:code:{k}").choice(rows)))
    return out


def _split(source: str, row: int) -> tuple[str, str]:
    """(the lines before ``row``, a newline and line ``row``): the cut is at the end of the line
    before, where a tokenizer's canonical tokens end (a newline and the next line's indentation
    are often one token, so a context ending in the newline would be one no model was trained on)."""
    lines = source.split("\n")
    return "\n".join(lines[:row]), "\n" + lines[row]


def _complete(model: ProbeModel, context: str, steps: int) -> str:
    """The greedy next line after ``context`` (its newline dropped)."""
    return model.greedy(model.encode(context), max_tokens=steps, lead=b"\n").decode("utf-8", errors="replace")


def _expected(completion: str, rewrite: str, renames: dict[str, str]) -> str:
    """The original completion as the rewrite would have written it (compared stripped)."""
    if rewrite == "rename":
        for old, new in renames.items():
            completion = re.sub(rf"\b{re.escape(old)}\b", new, completion)
    elif rewrite == "quotes":
        completion = swap_quotes(completion)
    return completion.strip()


def run(model: ProbeModel, *, limit: int, seed: int, source: str | None = None) -> SuiteResult:
    """Next-line bits per byte and greedy completions, original and under every rewrite."""
    values: dict[str, list[float]] = {}
    skipped_counts = dict.fromkeys(REWRITES, 0)
    examples = []
    items = snippets(limit, seed, source=source)
    for func, row in items:
        context, target = _split(func, row)
        target_ids = model.encode(target)
        base = model.continuation_bits(model.encode(context), [target_ids])[0] / len(target.encode())
        steps = len(target_ids) + 4
        first = _complete(model, context, steps)
        values.setdefault("next-line bits/byte [original]", []).append(base)
        values.setdefault("greedy line exact [original]", []).append(float(first.strip() == target.strip()))
        for name, rewrite in REWRITES.items():
            done = rewrite(func)
            if done is None or not same_program(func, done[0], done[2]):
                skipped_counts[name] += 1
                continue
            new, where, renames = done
            ctx, tgt = _split(new, where[row])
            bpb = model.continuation_bits(model.encode(ctx), [model.encode(tgt)])[0] / len(tgt.encode())
            again = _complete(model, ctx, steps)
            values.setdefault(f"{name}: extra next-line bits/byte", []).append(bpb - base)
            values.setdefault(f"{name}: completion changed", []).append(
                float(again.strip() != _expected(first, name, renames)))
            if len(values[f"{name}: completion changed"]) == 1:
                examples.append({"rewrite": name, "target": tgt.lstrip("\n"), "original_completion": first,
                                 "rewritten_completion": again})
    measures = {k: Measure(tuple(v), "lower" if "bits" in k or "changed" in k else "higher", _describe(k))
                for k, v in values.items()}
    skipped = {name: f"does not apply to {n} of {len(items)} functions (nothing to rename, or no simple string)"
               for name, n in skipped_counts.items() if n}
    return SuiteResult("code", measures, skipped, examples)


def _describe(name: str) -> str:
    if "extra" in name:
        return "bits per byte of the target line after the rewrite minus before"
    if "changed" in name:
        return "share of greedy line completions whose meaning changes under the rewrite"
    if "exact" in name:
        return "share of greedy completions equal to the real next line"
    return "bits per byte of the real next line given the lines before it"
