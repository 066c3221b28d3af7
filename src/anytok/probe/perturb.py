"""The ``perturb`` suite: what typos, case, Unicode styling and extra spaces cost a model
(TokSuite found Unicode styling breaks almost every model).

Each prose line is rewritten by every perturbation (deterministic for a seed and line) and both
versions are scored. The cost is the extra information the model needs for the perturbed text,
per byte of the *clean* text: ``(bits(perturbed) - bits(clean)) / bytes(clean)``, so a styling
that triples the bytes is not made to look cheap by its length. The tokens' ratio shows what the
tokenizer does with the perturbed text.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from anytok.probe.card import Measure, SuiteResult
from anytok.probe.encodings import texts
from anytok.probe.runner import ProbeModel

_COMBINING = ("\u0301", "\u0300", "\u0308", "\u0303", "\u0327")  # acute, grave, diaeresis, tilde, cedilla


def _words(text: str, rng: random.Random, share: float) -> list[int]:
    """Indices of the words (space-separated, 3+ letters) chosen with probability ``share``, at least one."""
    words = text.split(" ")
    eligible = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 3]
    if not eligible:
        return []
    return [i for i in eligible if rng.random() < share] or [rng.choice(eligible)]


def _typo(kind: str) -> Callable[[str, random.Random], str]:
    def edit(text: str, rng: random.Random) -> str:
        words = text.split(" ")
        for i in _words(text, rng, 0.2):
            w = words[i]
            letters = [j for j, c in enumerate(w) if c.isalpha()]
            if kind == "swap":  # two different neighbours, so the word changes
                j = rng.choice([j for j in letters[:-1] if w[j] != w[j + 1]] or letters[:-1])
            else:
                j = rng.choice(letters)
            if kind == "swap":
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            elif kind == "drop":
                words[i] = w[:j] + w[j + 1:]
            else:
                words[i] = w[:j] + rng.choice(string.ascii_lowercase) + w[j:]
        return " ".join(words)

    return edit


def _map_letters(offsets: dict[str, int]) -> Callable[[str, random.Random], str]:
    """Each ASCII letter/digit moved to a styled block: ``offsets`` maps 'A', 'a', '0' to the block's first code point."""
    exceptions = {0x1D455: "\u210e"}  # mathematical italic small h is the Planck constant

    def style(text: str, rng: random.Random) -> str:
        out = []
        for c in text:
            for first, base in offsets.items():
                span = 10 if first == "0" else 26
                if ord(first) <= ord(c) < ord(first) + span:
                    cp = base + ord(c) - ord(first)
                    out.append(exceptions.get(cp, chr(cp)))
                    break
            else:
                out.append(c)
        return "".join(out)

    return style


def _combining(text: str, rng: random.Random) -> str:
    """A combining mark after about one letter in five."""
    return "".join(c + (rng.choice(_COMBINING) if c.isalpha() and rng.random() < 0.2 else "") for c in text)


def _spaces(text: str, rng: random.Random) -> str:
    """About one space in three doubled (at least one)."""
    parts = text.split(" ")
    if len(parts) < 2:
        return text + " "
    doubled = {i for i in range(len(parts) - 1) if rng.random() < 1 / 3} or {rng.randrange(len(parts) - 1)}
    return "".join(p + ("  " if i in doubled else " " if i < len(parts) - 1 else "") for i, p in enumerate(parts))


PERTURBATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "typo swap": _typo("swap"),
    "typo drop": _typo("drop"),
    "typo insert": _typo("insert"),
    "uppercase": lambda text, rng: text.upper(),
    "fullwidth": _map_letters({"A": 0xFF21, "a": 0xFF41, "0": 0xFF10}),
    "math bold": _map_letters({"A": 0x1D400, "a": 0x1D41A, "0": 0x1D7CE}),
    "math italic": _map_letters({"A": 0x1D434, "a": 0x1D44E}),
    "combining marks": _combining,
    "extra spaces": _spaces,
}


def perturb(text: str, kind: str, seed: int, k: int) -> str:
    """Item ``k``'s text under perturbation ``kind`` (the same for a seed, whatever the model)."""
    return PERTURBATIONS[kind](text, random.Random(f"{seed}:perturb:{kind}:{k}"))


def run(model: ProbeModel, *, limit: int, seed: int, source: str | None = None) -> SuiteResult:
    """Extra bits per clean byte and the tokens' ratio, per perturbation."""
    cost: dict[str, list[float]] = {kind: [] for kind in PERTURBATIONS}
    ratio: dict[str, list[float]] = {kind: [] for kind in PERTURBATIONS}
    examples = []
    for k, text in enumerate(texts(limit, seed, source=source)):
        clean_ids = model.encode(text)
        clean = model.sequence_bits(clean_ids)
        n_bytes = len(text.encode())
        for kind in PERTURBATIONS:
            changed = perturb(text, kind, seed, k)
            ids = model.encode(changed)
            cost[kind].append((model.sequence_bits(ids) - clean) / n_bytes)
            ratio[kind].append(len(ids) / len(clean_ids))
            if k == 0:
                examples.append({"perturbation": kind, "text": changed[:120]})
    measures = {}
    for kind in PERTURBATIONS:
        measures[f"{kind}: extra bits/byte"] = Measure(tuple(cost[kind]), "lower", f"{kind}: (bits(perturbed) - "
                                                       "bits(clean)) / bytes(clean)")
        measures[f"{kind}: tokens ratio"] = Measure(tuple(ratio[kind]), "", f"{kind}: tokens(perturbed) / tokens(clean)")
    return SuiteResult("perturb", measures, examples=examples)
