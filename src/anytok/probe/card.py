"""ProbeCard: every probe's measures for one model, with per-item values so models compare paired.

Each measure keeps its value on every item (accuracy items are 0/1), so its mean comes with a
standard error, and two models probed on the same items (the items depend only on the seed)
compare by the paired difference: :func:`differences`.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Measure:
    """One number per item; ``better`` is ``"higher"``, ``"lower"`` or ``""`` (no direction)."""

    values: tuple[float, ...]
    better: str = ""
    description: str = ""

    @property
    def n(self) -> int:
        """Number of items."""
        return len(self.values)

    @property
    def mean(self) -> float:
        """Mean over items (nan without items)."""
        return statistics.fmean(self.values) if self.values else math.nan

    @property
    def stderr(self) -> float:
        """Standard error of the mean (sample standard deviation / sqrt(n)); nan below 2 items."""
        return statistics.stdev(self.values) / math.sqrt(self.n) if self.n > 1 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Mean, standard error, n, direction, description and the values."""
        return {"mean": self.mean, "stderr": self.stderr, "n": self.n, "better": self.better,
                "description": self.description, "values": list(self.values)}


@dataclass(frozen=True)
class SuiteResult:
    """One suite's measures; ``skipped`` names each part that could not run and why; ``examples``
    are a few items as they were asked and answered."""

    name: str
    measures: Mapping[str, Measure]
    skipped: Mapping[str, str] = field(default_factory=dict)
    examples: Sequence[Mapping[str, Any]] = ()
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"measures": {k: m.to_dict() for k, m in self.measures.items()}, "skipped": dict(self.skipped),
                "examples": [dict(e) for e in self.examples], "seconds": self.seconds}


@dataclass(frozen=True)
class ProbeCard:
    """Every suite's results for one model."""

    model: str
    tokenizer: str
    suites: Mapping[str, SuiteResult]
    limit: int
    seed: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"model": self.model, "tokenizer": self.tokenizer, "limit": self.limit, "seed": self.seed,
                "seconds": self.seconds, "suites": {k: s.to_dict() for k, s in self.suites.items()}}

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict` (NaN written as null)."""
        return json.dumps(_nan_to_none(self.to_dict()), indent=1, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        """A markdown table of this card's measures."""
        return compare_markdown([self])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProbeCard:
        """The card :meth:`to_dict` wrote."""
        suites = {name: SuiteResult(name, {k: Measure(tuple(math.nan if v is None else v for v in m["values"]),
                                                      m["better"], m["description"])
                                           for k, m in s["measures"].items()}, s["skipped"], s["examples"],
                                      s.get("seconds", 0.0))
                  for name, s in data["suites"].items()}
        return cls(data["model"], data["tokenizer"], suites, data["limit"], data["seed"], data["seconds"])


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def fmt(mean: float, stderr: float) -> str:
    """``0.412 ± 0.031`` (or ``-`` for nan)."""
    if math.isnan(mean):
        return "-"
    return f"{mean:.3f}" if math.isnan(stderr) else f"{mean:.3f} ± {stderr:.3f}"


def rows(cards: Sequence[ProbeCard]) -> list[tuple[str, str]]:
    """(suite, measure) pairs of all cards, in first-seen order."""
    return list(dict.fromkeys((s, m) for c in cards for s, r in c.suites.items() for m in r.measures))


def compare_markdown(cards: Sequence[ProbeCard]) -> str:
    """One markdown table: a row per (suite, measure), a column per model (mean ± standard error),
    then the parts each model skipped and why."""
    head = "| suite | measure | " + " | ".join(c.model for c in cards) + " |"
    lines = [head, "|---|---|" + "---:|" * len(cards)]
    for suite, name in rows(cards):
        cells = []
        for c in cards:
            m = c.suites.get(suite, SuiteResult(suite, {})).measures.get(name)
            cells.append(fmt(m.mean, m.stderr) if m else "skipped")
        lines.append(f"| {suite} | {name} | " + " | ".join(cells) + " |")
    skipped = [f"- {c.model}, {s}: {part}: {why}" for c in cards for s, r in c.suites.items()
               for part, why in r.skipped.items()]
    if skipped:
        lines += ["", "Skipped:", *skipped]
    return "\n".join(lines) + "\n"


def differences(a: ProbeCard, b: ProbeCard) -> list[dict[str, Any]]:
    """Paired differences b - a of every measure both cards have on the same items:
    mean, standard error of the paired difference, and whether |mean| exceeds it."""
    out = []
    for suite, name in rows([a, b]):
        ma = a.suites.get(suite, SuiteResult(suite, {})).measures.get(name)
        mb = b.suites.get(suite, SuiteResult(suite, {})).measures.get(name)
        if ma is None or mb is None or ma.n != mb.n or ma.n < 2:
            continue
        diff = Measure(tuple(y - x for x, y in zip(ma.values, mb.values)))
        out.append({"suite": suite, "measure": name, "a": ma.mean, "b": mb.mean, "diff": diff.mean,
                    "stderr": diff.stderr, "larger_than_stderr": abs(diff.mean) > diff.stderr})
    return out
