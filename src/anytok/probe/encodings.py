"""The ``encodings`` suite: the same text under other valid tokenizations ("Say Anything but
This: When Tokenizer Betrays Reasoning", 2025).

For each prose line, the canonical ids and non-canonical ones (:class:`anytok.probe.splits.Splitter`:
a share ``rate`` of the splittable tokens split into smaller tokens) are scored:

- bits per byte under each encoding, and the byte-level model's (:class:`anytok.bytelm.ByteLM`),
  which sums over tokenizations and so does not depend on one: the reference;
- next-token KL(canonical || non-canonical) in bits, at every byte offset where both encodings
  have a token boundary (all canonical boundaries: the split one refines them);
- the phantom-edit rate of a copy task: the model is asked to repeat a line it was given
  canonically or split; an edit is a greedy copy that differs from the line.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence

import torch

from anytok.probe.card import Measure, SuiteResult
from anytok.probe.questions import data_text
from anytok.probe.runner import ProbeModel
from anytok.probe.splits import Splitter, boundaries

RATES = (0.25, 1.0)
_COPY_SHOTS = ("The cat sat on the mat.", "A bird flew over the old house.")
_COPY_HEAD = "".join(f"Text: {s}\nSame text: {s}\n\n" for s in _COPY_SHOTS) + "Text:"
_COPY_TAIL = "\nSame text:"


def cut(text: str, limit: int) -> str:
    """``text`` cut at the last space within ``limit`` characters (whole if shorter)."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", 0, limit)
    return text[:space] if space > 0 else text[:limit]


def texts(limit: int, seed: int, *, source: str | None = None, chars: int = 200) -> list[str]:
    """``limit`` prose lines (of the shipped prose, or the lines of ``source``) in a seeded order,
    each cut to at most ``chars`` characters."""
    lines = [line for line in (source if source is not None else data_text("prose.txt")).split("\n") if line.strip()]
    order = list(range(len(lines)))
    random.Random(f"{seed}:prose").shuffle(order)
    return [cut(lines[order[k % len(order)]], chars) for k in range(limit)]


def sentences(limit: int, seed: int, *, source: str | None = None) -> list[str]:
    """``limit`` whole sentences of 30-90 characters from the prose, in a seeded order (for copying:
    a cut sentence invites the model to finish it instead)."""
    text = source if source is not None else data_text("prose.txt")
    found = [s for line in text.split("\n") for s in re.split(r"(?<=[.!?])\s+", line.strip())
             if 30 <= len(s) <= 90 and s[-1] in ".!?" and s[0].isupper()]
    found = found or [cut(line.strip(), 90) for line in text.split("\n") if line.strip()]
    random.Random(f"{seed}:sentences").shuffle(found)
    return [found[k % len(found)] for k in range(limit)]


def token_bits(logprobs: torch.Tensor, ids: Sequence[int]) -> float:
    """-log2 p of ``ids`` from their (len(ids) + 1, V) next-token log-probabilities."""
    picked = logprobs[torch.arange(len(ids)), torch.tensor(list(ids))]
    return float(-picked.sum()) / math.log(2)


def boundary_kl(model: ProbeModel, canonical: Sequence[int], split: Sequence[int],
                lp_canonical: torch.Tensor, lp_split: torch.Tensor) -> float:
    """Mean KL(canonical || split) in bits over the canonical token boundaries after the first token."""
    where = {b: m for m, b in enumerate(boundaries(model.tokenizer, split), start=1)}
    kls = []
    for k, b in enumerate(boundaries(model.tokenizer, canonical), start=1):
        p, q = lp_canonical[k], lp_split[where[b]]
        kls.append(float((p.exp() * (p - q)).sum()) / math.log(2))
    return sum(kls) / len(kls)


def byte_level_bpb(model: ProbeModel):
    """A function text -> the byte-level model's bits per byte, or the reason there is none."""
    from anytok.bytelm import ByteLM, ByteLMError

    try:
        lm = ByteLM(model.model, model.tokenizer, start_id=model.prefix[0])
    except ByteLMError as e:
        return str(e)
    return lambda text: lm.score(text, bound_queries=0).bits_per_byte


def run(model: ProbeModel, *, limit: int, seed: int, source: str | None = None) -> SuiteResult:
    """Bits per byte and KL under non-canonical encodings, the byte-level reference, phantom edits."""
    splitter = Splitter(model.tokenizer)
    values: dict[str, list[float]] = {}
    skipped: dict[str, str] = {}
    examples = []
    byte_level = byte_level_bpb(model)
    if isinstance(byte_level, str):
        skipped["byte-level"] = byte_level
    items = texts(limit, seed, source=source)
    for k, (text, line) in enumerate(zip(items, sentences(limit, seed, source=source))):
        rng = random.Random(f"{seed}:encodings:{k}")
        canonical = model.encode(text)
        splits = [splitter.noncanonical(canonical, rate=r, rng=rng) for r in RATES]
        if any(s is None for s in splits):
            continue  # no token of this text can be split: nothing to compare
        n_bytes = len(text.encode())
        lp_c = model.next_token_logprobs(canonical)
        values.setdefault("bpb [canonical]", []).append(token_bits(lp_c, canonical) / n_bytes)
        for rate, split in zip(RATES, splits):
            lp_s = model.next_token_logprobs(split)
            tag = f"split {rate:.0%}"
            values.setdefault(f"bpb [{tag}]", []).append(token_bits(lp_s, split) / n_bytes)
            values.setdefault(f"KL bits [{tag}]", []).append(boundary_kl(model, canonical, split, lp_c, lp_s))
            values.setdefault(f"tokens / canonical [{tag}]", []).append(len(split) / len(canonical))
        if not isinstance(byte_level, str):
            values.setdefault("bpb [byte-level]", []).append(byte_level(text))
        edits = copy_edits(model, splitter, line, rng)
        for tag, (edited, output) in edits.items():
            values.setdefault(f"copy: phantom edits [{tag}]", []).append(edited)
        if not examples:
            examples.append({"text": text, "canonical_tokens": len(canonical), "split_tokens": len(splits[-1]),
                             "copy": line, "copy_outputs": {tag: out for tag, (_, out) in edits.items()}})
    if not values:
        skipped["all"] = (f"no token of the {len(items)} texts can be split into smaller tokens of "
                          f"{model.tokenizer.name!r}: it has no non-canonical encodings of them")
    return SuiteResult("encodings", {name: _measure(name, v) for name, v in values.items()}, skipped, examples)


def copy_edits(model: ProbeModel, splitter: Splitter, line: str, rng: random.Random) -> dict[str, tuple[float, str]]:
    """Greedy copies of ``line`` given canonically and split (every splittable token): 1.0 where
    the copy differs from the line, with the copy."""
    head, tail = model.encode(_COPY_HEAD), model.encode(_COPY_TAIL)
    body = model.encode(" " + line)
    split = splitter.noncanonical(body, rate=1.0, rng=rng) or body
    out = {}
    for tag, ids in (("canonical", body), ("split 100%", split)):
        copy = model.greedy(head + ids + tail, max_tokens=len(body) + 8).decode("utf-8", errors="replace")
        out[tag] = (0.0 if copy.strip() == line.strip() else 1.0, copy)
    return out


def _measure(name: str, values: list[float]) -> Measure:
    better = "" if name.startswith("tokens") else "lower"
    what = {"bpb": "bits per byte of the text", "KL bits": "mean next-token KL(canonical || split) at shared "
            "token boundaries, in bits", "tokens / canonical": "tokens of the split encoding per canonical token",
            "copy: phantom edits": "share of greedy copies that differ from the line"}
    return Measure(tuple(values), better, next(v for k, v in what.items() if name.startswith(k)) + f" ({name})")
