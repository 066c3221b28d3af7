"""Counting options: where and how pretokens are counted. :class:`anytok.training.options.TrainOptions`
extends them, so ``anytok count`` and ``anytok train`` share one declaration of each flag."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from anytok._fields import option
from anytok.errors import TrainingError
from anytok.tokenizer.patterns import NAMED_PATTERNS, resolve_pattern

ENGINES = ("local", "ray")


@dataclass(frozen=True, kw_only=True)
class CountOptions:
    """How to read a corpus and count its pretokens."""

    pattern: str = option("gpt2", "Pretokenizer: gpt2, cl100k, o200k, llama3, qwen3 or a regex.", short="-p")
    text_field: str = option("text", "Field of JSON-lines records, or column of Parquet/Arrow tables, that "
                             "holds the text.", aliases=("--column",))
    processes: int = option(2, "Worker processes counting pretokens (local engine).", short="-j")
    engine: str = option("local", "Where pretokens are counted: local (worker processes) or ray (map/reduce "
                         "on a Ray cluster; every node must see the corpus files).")
    address: str | None = option(None, "Ray cluster address for --engine ray (default: RAY_ADDRESS, else a "
                                 "Ray started on this machine).")
    max_types: int | None = option(None, "Keep only the N most frequent pretokens (ties: the smaller byte "
                                   "string first); the rest are dropped before training.")
    progress: bool = option(True, "Show a progress bar.")
    regex: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", resolve_pattern(self.pattern))
        if self.processes < 1:
            raise TrainingError(f"processes={self.processes} must be >= 1")
        if self.engine not in ENGINES:
            raise TrainingError(f"engine={self.engine!r} is not one of {', '.join(ENGINES)}")
        if self.address is not None and self.engine != "ray":
            raise TrainingError("address= (--address) is a Ray cluster address; pass engine='ray' (--engine ray) too")
        if self.max_types is not None and self.max_types < 1:
            raise TrainingError(f"max_types={self.max_types} must be >= 1, or None to keep every pretoken")

    @property
    def counting_regex(self) -> str:
        """The regex to count pretokens with: named patterns cover all text; others get gap pieces."""
        from anytok.counting.pretokens import isolating_pattern

        return self.regex if self.pattern in NAMED_PATTERNS else isolating_pattern(self.regex)


def count_option_fields() -> list:
    """The user-settable fields of :class:`CountOptions`, in declaration order."""
    return [f for f in fields(CountOptions) if f.init]
