"""Questions with known answers, and how a model answers them: by likelihood ranking of the
candidate answers and by greedy generation. Shared by the ``chars`` and ``numbers`` suites.

Data: the word list, prose and Python functions the probes read ship in ``anytok/probe/data``
(see its README for where they come from and their licences).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from anytok.probe.runner import ProbeModel


@dataclass(frozen=True)
class Question:
    """A prompt, its correct answer and the candidates it is ranked against (the answer included).

    ``fields`` hold what the item was made from (the word, the letter, the operands), so a test
    can recompute the answer independently.
    """

    task: str
    prompt: str
    answer: str
    candidates: tuple[str, ...]
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.answer not in self.candidates or len(set(self.candidates)) != len(self.candidates):
            raise ValueError(f"{self.task}: the candidates must hold the answer once and no duplicate")


@dataclass(frozen=True)
class Answer:
    """How a model answered: ``ranked`` is 1.0 when the answer had the highest likelihood of the
    candidates; ``greedy`` is the greedy output; ``exact`` is 1.0 when it is the answer."""

    ranked: float
    greedy: str
    exact: float
    answer_bits: float


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator for one item: the same seed and item give the same draws, whatever ``--limit``."""
    return random.Random(":".join(map(str, (seed, *parts))))


def data_text(name: str) -> str:
    """A file shipped in anytok/probe/data."""
    return resources.files("anytok.probe").joinpath("data", name).read_text(encoding="utf-8")


def words() -> list[str]:
    """The shipped word list (lowercase, 4-12 letters, by frequency in English prose)."""
    return data_text("words.txt").split()


def ask(model: ProbeModel, question: Question, *, prompt_ids: Sequence[int] | None = None,
        candidate_ids: Sequence[Sequence[int]] | None = None) -> Answer:
    """Rank the candidates by log-likelihood after the prompt and answer greedily.

    ``prompt_ids`` / ``candidate_ids`` replace the canonical encodings (the ``numbers`` suite feeds
    other digit groupings of the same bytes); greedy generation always continues ``prompt_ids``.
    """
    prompt = list(prompt_ids) if prompt_ids is not None else model.encode(question.prompt)
    cands = [list(c) for c in candidate_ids] if candidate_ids is not None else \
        [model.encode(c) for c in question.candidates]
    bits = model.continuation_bits(prompt, cands)
    right = question.candidates.index(question.answer)
    ranked = 1.0 if min(range(len(bits)), key=bits.__getitem__) == right else 0.0
    longest = max(len(c) for c in cands)
    out = model.greedy(prompt, max_tokens=longest + 4).decode("utf-8", errors="replace")
    exact = 1.0 if out.strip() == question.answer.strip() else 0.0
    return Answer(ranked=ranked, greedy=out, exact=exact, answer_bits=bits[right])
